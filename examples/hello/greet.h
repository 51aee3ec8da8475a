#pragma once
#ifdef __cplusplus
extern "C" {
#endif
const char* greeting(void);
long fib(int n);
#ifdef __cplusplus
}
#endif
