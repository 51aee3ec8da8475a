#pragma once
#ifndef DIST_VARIANT
#define DIST_VARIANT 1
#endif
#define GEO_NAME "geo"
