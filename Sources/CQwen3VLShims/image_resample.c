/* The two passes of Pillow's 8-bit convolution resampling. Plain loops that the compiler
 * vectorises; built twice, for the baseline x86-64 and for AVX2, and the AVX2 build is taken when
 * the processor has it. Sums are formed in unsigned (wrapping) arithmetic, which gives Pillow's
 * signed sums bit for bit: they stay far inside 32 bits (|coefficients| sum to at most 1.25). */
#include "qwen3vl_image.h"

#define HALF ((uint32_t)1 << 21)

static inline unsigned char clip8(uint32_t sum) {
    int32_t v = (int32_t)sum >> 22;
    return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Columns in blocks whose sums stay in registers while all the rows are added in. */
static inline __attribute__((always_inline)) void vertical(unsigned char *restrict out,
                                                           const unsigned char *const *rows,
                                                           const int32_t *k, int taps, size_t n) {
    enum { BLOCK = 64 };
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK) {
        uint32_t acc[BLOCK];
        for (int j = 0; j < BLOCK; j++) acc[j] = HALF;
        for (int t = 0; t < taps; t++) {
            const unsigned char *restrict r = rows[t] + i;
            uint32_t c = (uint32_t)k[t];
            for (int j = 0; j < BLOCK; j++) acc[j] += r[j] * c;
        }
        for (int j = 0; j < BLOCK; j++) out[i + j] = clip8(acc[j]);
    }
    for (; i < n; i++) {
        uint32_t acc = HALF;
        for (int t = 0; t < taps; t++) acc += rows[t][i] * (uint32_t)k[t];
        out[i] = clip8(acc);
    }
}

/* `channels` is a constant at each call below, so each channel count gets its own loop. */
static inline __attribute__((always_inline)) void horizontal(unsigned char *restrict out,
                                                             const unsigned char *restrict in, int channels,
                                                             const int32_t *bounds, const int32_t *k, int ksize,
                                                             int out_width) {
    for (int x = 0; x < out_width; x++) {
        const unsigned char *p = in + (size_t)bounds[2 * x] * (size_t)channels;
        const int32_t *kx = k + (size_t)x * (size_t)ksize;
        int count = bounds[2 * x + 1];
        uint32_t acc[4] = {HALF, HALF, HALF, HALF};
        for (int t = 0; t < count; t++) {
            uint32_t c = (uint32_t)kx[t];
            for (int ch = 0; ch < channels; ch++) acc[ch] += p[t * channels + ch] * c;
        }
        for (int ch = 0; ch < channels; ch++) out[(size_t)x * (size_t)channels + ch] = clip8(acc[ch]);
    }
}

static inline __attribute__((always_inline)) void horizontal_any(unsigned char *out, const unsigned char *in,
                                                                 int channels, const int32_t *bounds,
                                                                 const int32_t *k, int ksize, int out_width) {
    switch (channels) {
    case 1: horizontal(out, in, 1, bounds, k, ksize, out_width); break;
    case 2: horizontal(out, in, 2, bounds, k, ksize, out_width); break;
    case 3: horizontal(out, in, 3, bounds, k, ksize, out_width); break;
    default: horizontal(out, in, 4, bounds, k, ksize, out_width); break;
    }
}

__attribute__((target("avx2"))) static void vertical_avx2(unsigned char *out, const unsigned char *const *rows,
                                                          const int32_t *k, int taps, size_t n) {
    vertical(out, rows, k, taps, n);
}
static void vertical_base(unsigned char *out, const unsigned char *const *rows, const int32_t *k, int taps, size_t n) {
    vertical(out, rows, k, taps, n);
}
__attribute__((target("avx2"))) static void horizontal_avx2(unsigned char *out, const unsigned char *in, int channels,
                                                            const int32_t *bounds, const int32_t *k, int ksize,
                                                            int out_width) {
    horizontal_any(out, in, channels, bounds, k, ksize, out_width);
}
static void horizontal_base(unsigned char *out, const unsigned char *in, int channels, const int32_t *bounds,
                            const int32_t *k, int ksize, int out_width) {
    horizontal_any(out, in, channels, bounds, k, ksize, out_width);
}

static int has_avx2(void) {
    static int known = -1; /* threads that race here all store the same answer */
    int v = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (v < 0) {
        v = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&known, v, __ATOMIC_RELAXED);
    }
    return v;
}

void q3v_resample_vertical(unsigned char *out, const unsigned char *const *rows, const int32_t *k, int taps, size_t n) {
    if (has_avx2()) vertical_avx2(out, rows, k, taps, n);
    else vertical_base(out, rows, k, taps, n);
}

void q3v_resample_horizontal(unsigned char *out, const unsigned char *in, int channels, const int32_t *bounds,
                             const int32_t *k, int ksize, int out_width) {
    if (has_avx2()) horizontal_avx2(out, in, channels, bounds, k, ksize, out_width);
    else horizontal_base(out, in, channels, bounds, k, ksize, out_width);
}
