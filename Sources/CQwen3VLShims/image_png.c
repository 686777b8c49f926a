/* PNG through libspng: decoded row by row (an interlaced image, whose rows come in seven passes,
 * whole, within Q3V_IMG_MAX_WHOLE_BYTES), always as 8-bit samples (16-bit ones keep their high
 * byte, as Pillow does), with tRNS transparency turned into an alpha channel. */
#include "image_codec.h"

#include <stdlib.h>
#include <string.h>

/* Bounds text, ICC and other ancillary chunks: the image data itself is not limited by these. */
#define CHUNK_LIMIT ((size_t)16 << 20)
#define CHUNK_CACHE_LIMIT ((size_t)64 << 20)

struct png_decoder {
    q3v_img_decoder base;
    spng_ctx *ctx;
    int fmt, channels, interlaced;
    uint32_t width, height, next_row;
    size_t row_bytes;
    unsigned char *whole; /* the decoded image, for interlaced ones */
};

static int spng_fail(char *buf, size_t size, const char *what, int rc) {
    return q3v_img_fail(buf, size, "%s: %s", what, q3v_spng.spng_strerror(rc));
}

static void png_decoder_free(q3v_img_decoder *base) {
    struct png_decoder *d = (struct png_decoder *)base;
    if (d->ctx) q3v_spng.spng_ctx_free(d->ctx);
    free(d->whole);
    free(d);
}

static int png_decoder_start(q3v_img_decoder *base, int reduce, int *width, int *height) {
    (void)reduce; /* PNG has no cheap reduced decoding */
    struct png_decoder *d = (struct png_decoder *)base;
    size_t total;
    int rc = q3v_spng.spng_decoded_image_size(d->ctx, d->fmt, &total);
    if (rc) return spng_fail(d->base.error, sizeof d->base.error, "the PNG's size", rc);
    d->row_bytes = total / d->height;
    if (d->interlaced) {
        if (total > Q3V_IMG_MAX_WHOLE_BYTES)
            return q3v_img_fail(d->base.error, sizeof d->base.error,
                                "an interlaced PNG of %u x %u pixels needs more than %zu MiB to decode", d->width,
                                d->height, Q3V_IMG_MAX_WHOLE_BYTES >> 20);
        d->whole = malloc(total);
        if (!d->whole) return q3v_img_fail(d->base.error, sizeof d->base.error, "out of memory");
        rc = q3v_spng.spng_decode_image(d->ctx, d->whole, total, d->fmt, SPNG_DECODE_TRNS);
    } else {
        rc = q3v_spng.spng_decode_image(d->ctx, NULL, 0, d->fmt, SPNG_DECODE_TRNS | SPNG_DECODE_PROGRESSIVE);
    }
    if (rc) return spng_fail(d->base.error, sizeof d->base.error, "the PNG's image data", rc);
    *width = (int)d->width;
    *height = (int)d->height;
    return 0;
}

static int png_decoder_row(q3v_img_decoder *base, unsigned char *row) {
    struct png_decoder *d = (struct png_decoder *)base;
    if (d->next_row >= d->height) return 0;
    if (d->whole) {
        memcpy(row, d->whole + (size_t)d->next_row * d->row_bytes, d->row_bytes);
    } else {
        /* SPNG_EOI comes with the last row, decoded. */
        int rc = q3v_spng.spng_decode_row(d->ctx, row, d->row_bytes);
        if (rc != 0 && !(rc == SPNG_EOI && d->next_row + 1 == d->height))
            return spng_fail(d->base.error, sizeof d->base.error, "the PNG's image data", rc);
    }
    d->next_row++;
    return 1;
}

q3v_img_decoder *q3v_png_decoder_new(const void *data, size_t len, q3v_img_info *info, char *err, size_t err_size) {
    struct png_decoder *d = calloc(1, sizeof *d);
    if (!d) { q3v_img_fail(err, err_size, "out of memory"); return NULL; }
    d->base.start = png_decoder_start;
    d->base.row = png_decoder_row;
    d->base.free = png_decoder_free;
    d->ctx = q3v_spng.spng_ctx_new(0);
    if (!d->ctx) { q3v_img_fail(err, err_size, "out of memory"); png_decoder_free(&d->base); return NULL; }
    struct spng_ihdr ihdr;
    struct spng_trns trns;
    int rc = q3v_spng.spng_set_chunk_limits(d->ctx, CHUNK_LIMIT, CHUNK_CACHE_LIMIT);
    if (!rc) rc = q3v_spng.spng_set_png_buffer(d->ctx, data, len);
    if (!rc) rc = q3v_spng.spng_get_ihdr(d->ctx, &ihdr);
    if (rc) { spng_fail(err, err_size, "the PNG's header", rc); png_decoder_free(&d->base); return NULL; }
    int alpha = q3v_spng.spng_get_trns(d->ctx, &trns) == 0;
    /* libspng gives 8-bit grey (with alpha) only from grey of 8 bits or fewer; anything else as RGB(A). */
    int grey = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE && ihdr.bit_depth <= 8;
    alpha = alpha || ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA || ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA;
    if (grey) { d->fmt = alpha ? SPNG_FMT_GA8 : SPNG_FMT_G8; d->channels = alpha ? 2 : 1; }
    else if (ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA && ihdr.bit_depth == 8) { d->fmt = SPNG_FMT_PNG; d->channels = 2; }
    else { d->fmt = alpha ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8; d->channels = alpha ? 4 : 3; }
    d->width = ihdr.width;
    d->height = ihdr.height;
    d->interlaced = ihdr.interlace_method != SPNG_INTERLACE_NONE;
    struct spng_exif exif;
    if (q3v_spng.spng_get_exif(d->ctx, &exif) == 0 && exif.data && exif.length > 0) {
        info->exif = (const unsigned char *)exif.data;
        info->exif_len = exif.length;
    }
    info->width = (int)ihdr.width;
    info->height = (int)ihdr.height;
    info->channels = d->channels;
    return &d->base;
}

/* ---- Encoder ---- */

struct png_encoder {
    q3v_img_encoder base;
    spng_ctx *ctx;
    size_t row_bytes;
    uint32_t height, rows;
};

static void png_encoder_free(q3v_img_encoder *base) {
    struct png_encoder *e = (struct png_encoder *)base;
    if (e->ctx) q3v_spng.spng_ctx_free(e->ctx);
    free(e);
}

static int png_encoder_row(q3v_img_encoder *base, const unsigned char *row) {
    struct png_encoder *e = (struct png_encoder *)base;
    if (e->rows >= e->height) return q3v_img_fail(e->base.error, sizeof e->base.error, "more rows than the image has");
    /* SPNG_EOI comes with the last row, encoded. */
    int rc = q3v_spng.spng_encode_row(e->ctx, row, e->row_bytes);
    if (rc != 0 && !(rc == SPNG_EOI && e->rows + 1 == e->height))
        return spng_fail(e->base.error, sizeof e->base.error, "encoding the PNG", rc);
    e->rows++;
    return 0;
}

static int png_encoder_finish(q3v_img_encoder *base, unsigned char **out, size_t *len) {
    struct png_encoder *e = (struct png_encoder *)base;
    if (e->rows != e->height) return q3v_img_fail(e->base.error, sizeof e->base.error, "fewer rows than the image has");
    int rc = 0;
    void *png = q3v_spng.spng_get_png_buffer(e->ctx, len, &rc);
    if (!png) return spng_fail(e->base.error, sizeof e->base.error, "encoding the PNG", rc ? rc : SPNG_EINTERNAL);
    *out = png;
    return 0;
}

q3v_img_encoder *q3v_png_encoder_new(int width, int height, int channels, char *err, size_t err_size) {
    static const uint8_t color_types[] = {SPNG_COLOR_TYPE_GRAYSCALE, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA,
                                          SPNG_COLOR_TYPE_TRUECOLOR, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA};
    struct png_encoder *e = calloc(1, sizeof *e);
    if (!e) { q3v_img_fail(err, err_size, "out of memory"); return NULL; }
    e->base.row = png_encoder_row;
    e->base.finish = png_encoder_finish;
    e->base.free = png_encoder_free;
    e->row_bytes = (size_t)width * (size_t)channels;
    e->height = (uint32_t)height;
    e->ctx = q3v_spng.spng_ctx_new(SPNG_CTX_ENCODER);
    if (!e->ctx) { q3v_img_fail(err, err_size, "out of memory"); png_encoder_free(&e->base); return NULL; }
    struct spng_ihdr ihdr = {(uint32_t)width, (uint32_t)height, 8, color_types[channels - 1], 0, 0, 0};
    int rc = q3v_spng.spng_set_option(e->ctx, SPNG_ENCODE_TO_BUFFER, 1);
    if (!rc) rc = q3v_spng.spng_set_ihdr(e->ctx, &ihdr);
    if (!rc) rc = q3v_spng.spng_encode_image(e->ctx, NULL, 0, SPNG_FMT_PNG, SPNG_ENCODE_PROGRESSIVE | SPNG_ENCODE_FINALIZE);
    if (rc) { spng_fail(err, err_size, "starting the PNG", rc); png_encoder_free(&e->base); return NULL; }
    return &e->base;
}
