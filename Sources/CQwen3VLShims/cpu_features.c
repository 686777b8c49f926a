/* What the processor offers that the library's SIMD code (base64_avx2.c, image_resample.c) can use:
 * one answer for both, decided once. AVX2 needs the OS to save the YMM registers too (OSXSAVE, then
 * XCR0's SSE and AVX bits), or its instructions fault. Elsewhere than x86-64 the answer is no. */
#include "qwen3vl_shims.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <pthread.h>

static pthread_once_t avx2_once = PTHREAD_ONCE_INIT;
static int avx2;

static void detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    if (!(c & bit_OSXSAVE) || !(c & bit_AVX)) return;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    avx2 = (b & bit_AVX2) != 0;
}

int q3v_cpu_has_avx2(void) {
    pthread_once(&avx2_once, detect);
    return avx2;
}

#else

int q3v_cpu_has_avx2(void) { return 0; }

#endif
