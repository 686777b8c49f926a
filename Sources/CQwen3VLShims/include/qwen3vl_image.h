/* Image decoding, encoding and resampling for the client-side resize. The codecs are Debian's own
 * libraries, loaded with dlopen on first use so that libqwen3vl links none of them:
 *   JPEG  libjpeg.so.62      (libjpeg-turbo, package libjpeg62-turbo)
 *   PNG   libspng.so.0       (package libspng0)
 *   WEBP  libwebp.so.7 and libwebpdemux.so.2 (packages libwebp7, libwebpdemux2)
 * Their headers are needed only to build. Every function here returns an error rather than
 * aborting, whatever the bytes hold; nothing is printed. Internal to libqwen3vl (q3v_* symbols are
 * not exported). */
#ifndef QWEN3VL_IMAGE_H
#define QWEN3VL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

enum { Q3V_IMG_JPEG = 0, Q3V_IMG_PNG = 1, Q3V_IMG_WEBP = 2 };

/* The most memory one decoder holds for a whole image where its format cannot be read in rows
 * (a progressive JPEG's coefficients, an interlaced PNG, a WEBP); larger images are refused. */
#define Q3V_IMG_MAX_WHOLE_BYTES ((size_t)256 << 20)

/* Loads the libraries a codec needs, once per process (thread-safe). 0 when they are there;
 * otherwise -1 with a message naming the missing library and its Debian package in err. */
int q3v_img_load(int codec, char *err, size_t err_size);

/* ---- Decoding ---- */

typedef struct q3v_img_decoder q3v_img_decoder;

typedef struct {
    int width, height;           /* as stored (before any EXIF orientation) */
    int channels;                /* of decoded rows: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA or CMYK */
    int cmyk;                    /* 1: the 4 channels are CMYK, stored inverted as Adobe writes it */
    const unsigned char *exif;   /* the Exif block (a TIFF structure, maybe after "Exif\0\0"), or NULL; */
    size_t exif_len;             /* valid as long as the decoder is */
} q3v_img_info;

/* Reads the header of an encoded image held in memory; `data` must outlive the decoder. NULL on
 * failure, with the reason in err. q3v_img_load must have succeeded for the codec. */
q3v_img_decoder *q3v_img_decoder_new(int codec, const void *data, size_t len, q3v_img_info *info,
                                     char *err, size_t err_size);

/* Starts decoding, the image reduced `reduce` times on both sides (1, 2, 4 or 8; rounded up) where
 * the codec can do it cheaply: JPEG by DCT scaling, WEBP by libwebp's own scaler; PNG always 1.
 * *width and *height get the size of the rows that will come. 0, or -1 (see q3v_img_decoder_error). */
int q3v_img_decoder_start(q3v_img_decoder *d, int reduce, int *width, int *height);

/* Decodes the next row into `row` (width × channels bytes). 1 for a row, 0 after the last, -1 on
 * error (see q3v_img_decoder_error). */
int q3v_img_decoder_row(q3v_img_decoder *d, unsigned char *row);

const char *q3v_img_decoder_error(const q3v_img_decoder *d);
void q3v_img_decoder_free(q3v_img_decoder *d);

/* ---- Encoding ---- */

typedef struct q3v_img_encoder q3v_img_encoder;

/* A JPEG (channels 1 or 3, quality 1..100, 4:2:0 as Pillow and libjpeg default to) or a PNG
 * (channels 1 to 4; quality unused) of width × height. NULL on failure, with the reason in err. */
q3v_img_encoder *q3v_img_encoder_new(int codec, int width, int height, int channels, int quality,
                                     char *err, size_t err_size);
/* Adds the next row (width × channels bytes). 0, or -1 (see q3v_img_encoder_error). */
int q3v_img_encoder_row(q3v_img_encoder *e, const unsigned char *row);
/* After the last row: the encoded bytes in *out (malloc'd; the caller frees them) and *len.
 * 0, or -1 (see q3v_img_encoder_error). */
int q3v_img_encoder_finish(q3v_img_encoder *e, unsigned char **out, size_t *len);
const char *q3v_img_encoder_error(const q3v_img_encoder *e);
void q3v_img_encoder_free(q3v_img_encoder *e);

/* ---- Resampling (Pillow's 8-bit convolution: coefficients with 22 fractional bits, each sum
 * rounded and clamped to 0..255 as Pillow's clip8 does). The caller guarantees the bounds. ---- */

/* out[i] = clip8(2^21 + sum over t < taps of rows[t][i] × k[t]), for i < n. */
void q3v_resample_vertical(unsigned char *out, const unsigned char *const *rows, const int32_t *k,
                           int taps, size_t n);

/* One row of in_width channels-byte pixels: output pixel x (x < out_width) is the sum over
 * t < bounds[2x+1] of in[(bounds[2x] + t) × channels + c] × k[x × ksize + t], per channel c, as
 * above. grouped holds the same weights for groups of 8 output pixels, tap by tap:
 * grouped[((x / 8) × ksize + t) × 8 + x % 8], 0 past a pixel's count, for every group begun. */
void q3v_resample_horizontal(unsigned char *out, const unsigned char *in, int in_width, int channels,
                             const int32_t *bounds, const int32_t *k, const int32_t *grouped, int ksize,
                             int out_width);

#endif
