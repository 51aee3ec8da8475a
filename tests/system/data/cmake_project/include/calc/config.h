// Shared constants of the calc test project.
#pragma once

namespace calc {
constexpr int kPrimeLimit = 100;
constexpr const char* kName = "calc";
}  // namespace calc
