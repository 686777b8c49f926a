/* Base64 with AVX2, for the bulk of large images (Vision/Base64.swift does the rest, and all of it
 * where q3v_cpu_has_avx2() says no). 24 input bytes become 32 characters per step: the bytes are
 * spread so that each 32-bit lane holds one 3-byte group, the four 6-bit values are moved into their
 * own bytes with two multiplies, and a 16-entry table turns each value into its character (W. Muła and D. Lemire,
 * "Faster Base64 Encoding and Decoding Using AVX2 Instructions", ACM TWEB 2018). */
#include "qwen3vl_shims.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* 24 bytes held as lane 0: bytes 0-11 at offset `lo`, lane 1: bytes 12-23 at offset 0, to 32 characters. */
__attribute__((target("avx2"))) static inline __m256i encode24(__m256i v, __m256i spread) {
    v = _mm256_shuffle_epi8(v, spread); /* each 32-bit lane: bytes b1 b0 b2 b1 of one 3-byte group */
    /* The four 6-bit values a, b, c, d of a group to the low bits of its bytes 0..3. */
    __m256i ac = _mm256_mulhi_epu16(_mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00)), _mm256_set1_epi32(0x04000040));
    __m256i bd = _mm256_mullo_epi16(_mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0)), _mm256_set1_epi32(0x01000010));
    __m256i six = _mm256_or_si256(ac, bd);
    /* What to add to each: table index 0 for A-Z (0..25), 1 for a-z, 2..11 for the digits, 12 for '+', 13 for '/'. */
    const __m256i offsets = _mm256_setr_epi8(65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 0, 0,
                                             65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 0, 0);
    __m256i idx = _mm256_subs_epu8(six, _mm256_set1_epi8(51));
    idx = _mm256_sub_epi8(idx, _mm256_cmpgt_epi8(six, _mm256_set1_epi8(25)));
    return _mm256_add_epi8(six, _mm256_shuffle_epi8(offsets, idx));
}

__attribute__((target("avx2"))) size_t q3v_base64_encode_avx2(const unsigned char *in, size_t n, char *out) {
    /* Each step reads 28 bytes (4 beyond the 24 it encodes), so the last one needs 4 to spare. */
    if (n < 28) return 0;
    /* The first step from two 16-byte loads; the next ones from one 32-byte load 4 bytes back,
       whose lane 0 then holds its 12 bytes at offset 4. */
    const __m256i first = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,
                                           1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
    const __m256i next = _mm256_setr_epi8(5, 4, 6, 5, 8, 7, 9, 8, 11, 10, 12, 11, 14, 13, 15, 14,
                                          1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
    __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)in)),
                                        _mm_loadu_si128((const __m128i *)(in + 12)), 1);
    _mm256_storeu_si256((__m256i *)out, encode24(v, first));
    size_t done = 24;
    for (; done + 52 <= n; done += 48, out += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(in + done - 4));
        __m256i b = _mm256_loadu_si256((const __m256i *)(in + done + 20));
        _mm256_storeu_si256((__m256i *)(out + 32), encode24(a, next));
        _mm256_storeu_si256((__m256i *)(out + 64), encode24(b, next));
    }
    if (done + 28 <= n) {
        _mm256_storeu_si256((__m256i *)(out + 32), encode24(_mm256_loadu_si256((const __m256i *)(in + done - 4)), next));
        done += 24;
    }
    return done;
}

#else

size_t q3v_base64_encode_avx2(const unsigned char *in, size_t n, char *out) {
    (void)in; (void)n; (void)out;
    return 0;
}

#endif
