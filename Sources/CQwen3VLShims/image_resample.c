/* The two passes of Pillow's 8-bit convolution resampling. Plain loops that the compiler
 * vectorises (and, for the horizontal pass on RGB, AVX2 gathers); on x86-64 built twice, for the
 * baseline and for AVX2, and the AVX2 build is taken when the processor has it. Sums are formed in
 * unsigned (wrapping) arithmetic, which gives Pillow's signed sums bit for bit: they stay far
 * inside 32 bits (|coefficients| sum to at most 1.25). */
#include "qwen3vl_image.h"
#include "qwen3vl_shims.h"

#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

/* Output pixels [from, to) of a row. `channels` is a constant at each call below, so each channel
 * count gets its own loop. */
static inline __attribute__((always_inline)) void horizontal(unsigned char *restrict out,
                                                             const unsigned char *restrict in, int channels,
                                                             const int32_t *bounds, const int32_t *k, int ksize,
                                                             int from, int to) {
    for (int x = from; x < to; x++) {
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

#if defined(__x86_64__)
/* RGB, the photos' case, 8 output pixels at a time, one per lane: each tap gathers the 4 bytes at
 * every lane's pixel (R, G, B and a byte not used) and adds the three channels times the lane's
 * weight (from the grouped table, so one load per tap). The same 32-bit wrapping sums as the loop
 * above, so the same bytes, in 1.3-1.7 times less time than clang's code of that loop (AMD EPYC,
 * 8-10 taps). Lanes past their count gather nothing (masked); a group whose last lane reaches the
 * row's last pixel (whose 4-byte read would pass the row's end) goes to the loop above. */
__attribute__((target("avx2"))) static void horizontal3_avx2(unsigned char *restrict out,
                                                             const unsigned char *restrict in, int in_width,
                                                             const int32_t *bounds, const int32_t *k,
                                                             const int32_t *grouped, int ksize, int out_width) {
    const __m256i firsts = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256i counts = _mm256_add_epi32(firsts, _mm256_set1_epi32(1));
    const __m256i byte = _mm256_set1_epi32(0xFF), three = _mm256_set1_epi32(3), zero = _mm256_setzero_si256();
    const __m256i half = _mm256_set1_epi32((int)HALF);
    const __m256i pick = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, /* per 128 bits */
                                          0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    int x = 0;
    for (; x + 8 <= out_width; x += 8) {
        /* The last lane reads furthest: up to byte 3 × (first + count - 1) + 3, inside the row
         * while first + count < in_width. */
        if (bounds[2 * (x + 7)] + bounds[2 * (x + 7) + 1] >= in_width) break;
        __m256i first = _mm256_i32gather_epi32(bounds + 2 * x, firsts, 4);
        __m256i count = _mm256_i32gather_epi32(bounds + 2 * x, counts, 4);
        __m256i at = _mm256_add_epi32(first, _mm256_add_epi32(first, first));
        int taps = 0;
        for (int j = 0; j < 8; j++) taps = bounds[2 * (x + j) + 1] > taps ? bounds[2 * (x + j) + 1] : taps;
        const int32_t *w = grouped + (size_t)(x / 8) * (size_t)ksize * 8;
        __m256i r = zero, g = zero, b = zero;
        for (int t = 0; t < taps; t++, w += 8) {
            __m256i live = _mm256_cmpgt_epi32(count, _mm256_set1_epi32(t));
            __m256i v = _mm256_mask_i32gather_epi32(zero, (const int *)in, at, live, 1);
            __m256i c = _mm256_loadu_si256((const __m256i *)w);
            r = _mm256_add_epi32(r, _mm256_mullo_epi32(_mm256_and_si256(v, byte), c));
            g = _mm256_add_epi32(g, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srli_epi32(v, 8), byte), c));
            b = _mm256_add_epi32(b, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srli_epi32(v, 16), byte), c));
            at = _mm256_add_epi32(at, three);
        }
        /* clip8 of each, then R | G << 8 | B << 16 per lane, packed to 24 bytes. */
        r = _mm256_min_epi32(_mm256_max_epi32(_mm256_srai_epi32(_mm256_add_epi32(r, half), 22), zero), byte);
        g = _mm256_min_epi32(_mm256_max_epi32(_mm256_srai_epi32(_mm256_add_epi32(g, half), 22), zero), byte);
        b = _mm256_min_epi32(_mm256_max_epi32(_mm256_srai_epi32(_mm256_add_epi32(b, half), 22), zero), byte);
        __m256i rgb = _mm256_or_si256(r, _mm256_or_si256(_mm256_slli_epi32(g, 8), _mm256_slli_epi32(b, 16)));
        __m256i packed = _mm256_shuffle_epi8(rgb, pick);
        __m128i lo = _mm256_castsi256_si128(packed), hi = _mm256_extracti128_si256(packed, 1);
        unsigned char *o = out + (size_t)x * 3;
        unsigned char bytes[32];
        _mm_storeu_si128((__m128i *)bytes, lo);
        _mm_storeu_si128((__m128i *)(bytes + 16), hi);
        memcpy(o, bytes, 12);
        memcpy(o + 12, bytes + 16, 12);
    }
    horizontal(out, in, 3, bounds, k, ksize, x, out_width);
}
#endif

static inline __attribute__((always_inline)) void horizontal_any(unsigned char *out, const unsigned char *in,
                                                                 int channels, const int32_t *bounds,
                                                                 const int32_t *k, int ksize, int out_width) {
    switch (channels) {
    case 1: horizontal(out, in, 1, bounds, k, ksize, 0, out_width); break;
    case 2: horizontal(out, in, 2, bounds, k, ksize, 0, out_width); break;
    case 3: horizontal(out, in, 3, bounds, k, ksize, 0, out_width); break;
    default: horizontal(out, in, 4, bounds, k, ksize, 0, out_width); break;
    }
}

static void vertical_base(unsigned char *out, const unsigned char *const *rows, const int32_t *k, int taps, size_t n) {
    vertical(out, rows, k, taps, n);
}
static void horizontal_base(unsigned char *out, const unsigned char *in, int channels, const int32_t *bounds,
                            const int32_t *k, int ksize, int out_width) {
    horizontal_any(out, in, channels, bounds, k, ksize, out_width);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void vertical_avx2(unsigned char *out, const unsigned char *const *rows,
                                                          const int32_t *k, int taps, size_t n) {
    vertical(out, rows, k, taps, n);
}
__attribute__((target("avx2"))) static void horizontal_avx2(unsigned char *out, const unsigned char *in, int in_width,
                                                            int channels, const int32_t *bounds, const int32_t *k,
                                                            const int32_t *grouped, int ksize, int out_width) {
    if (channels == 3) horizontal3_avx2(out, in, in_width, bounds, k, grouped, ksize, out_width);
    else horizontal_any(out, in, channels, bounds, k, ksize, out_width);
}
#endif

void q3v_resample_vertical(unsigned char *out, const unsigned char *const *rows, const int32_t *k, int taps, size_t n) {
#if defined(__x86_64__)
    if (q3v_cpu_has_avx2()) {
        vertical_avx2(out, rows, k, taps, n);
        return;
    }
#endif
    vertical_base(out, rows, k, taps, n);
}

void q3v_resample_horizontal(unsigned char *out, const unsigned char *in, int in_width, int channels,
                             const int32_t *bounds, const int32_t *k, const int32_t *grouped, int ksize,
                             int out_width) {
#if defined(__x86_64__)
    if (q3v_cpu_has_avx2()) {
        horizontal_avx2(out, in, in_width, channels, bounds, k, grouped, ksize, out_width);
        return;
    }
#else
    (void)in_width, (void)grouped;
#endif
    horizontal_base(out, in, channels, bounds, k, ksize, out_width);
}
