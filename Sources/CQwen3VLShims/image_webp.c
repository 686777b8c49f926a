/* WEBP through libwebp, whole (the format has no row-by-row decoding), reduced by libwebp's own
 * scaler when asked to, and within Q3V_IMG_MAX_WHOLE_BYTES. An animation gives its first frame,
 * composed on its canvas as libwebpdemux's animation decoder (and so Pillow) composes it. */
#include "image_codec.h"

#include <stdlib.h>
#include <string.h>

struct webp_decoder {
    q3v_img_decoder base;
    WebPData data;
    WebPBitstreamFeatures features;
    WebPDemuxer *demux;
    WebPChunkIterator exif;
    int has_exif;
    int channels, width, height, next_row;
    unsigned char *whole;          /* the decoded still image, ours */
    WebPAnimDecoder *anim;
    const uint8_t *canvas;         /* the first frame, RGBA, owned by `anim` */
};

static const char *status_name(VP8StatusCode s) {
    switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "damaged data";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "an unsupported feature";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated data";
    default: return "an error";
    }
}

static void webp_decoder_free(q3v_img_decoder *base) {
    struct webp_decoder *d = (struct webp_decoder *)base;
    if (d->has_exif) q3v_webp.WebPDemuxReleaseChunkIterator(&d->exif);
    if (d->demux) q3v_webp.WebPDemuxDelete(d->demux);
    if (d->anim) q3v_webp.WebPAnimDecoderDelete(d->anim);
    free(d->whole);
    free(d);
}

/* width × height × bytes, if that fits the whole-image limit. */
static int fits(int width, int height, int bytes, size_t *total) {
    size_t n = (size_t)width * (size_t)height;
    if (width <= 0 || height <= 0 || n > Q3V_IMG_MAX_WHOLE_BYTES / (size_t)bytes) return 0;
    *total = n * (size_t)bytes;
    return 1;
}

static int start_animation(struct webp_decoder *d) {
    size_t total;
    /* The animation decoder keeps the canvas and a copy of the previous one. */
    if (!fits(d->width, d->height, 8, &total))
        return q3v_img_fail(d->base.error, sizeof d->base.error, "an animated WEBP of %d x %d pixels needs more than %zu MiB to decode",
                            d->width, d->height, Q3V_IMG_MAX_WHOLE_BYTES >> 20);
    WebPAnimDecoderOptions options;
    if (!q3v_webp.WebPAnimDecoderOptionsInitInternal(&options, WEBP_DEMUX_ABI_VERSION))
        return q3v_img_fail(d->base.error, sizeof d->base.error, "libwebpdemux is of another version");
    options.color_mode = MODE_RGBA;
    options.use_threads = 0;
    d->anim = q3v_webp.WebPAnimDecoderNewInternal(&d->data, &options, WEBP_DEMUX_ABI_VERSION);
    WebPAnimInfo info;
    if (!d->anim || !q3v_webp.WebPAnimDecoderGetInfo(d->anim, &info))
        return q3v_img_fail(d->base.error, sizeof d->base.error, "the animated WEBP is damaged");
    if ((int)info.canvas_width != d->width || (int)info.canvas_height != d->height)
        return q3v_img_fail(d->base.error, sizeof d->base.error, "the animated WEBP's canvas is not its declared size");
    uint8_t *frame = NULL;
    int timestamp = 0;
    if (!q3v_webp.WebPAnimDecoderGetNext(d->anim, &frame, &timestamp) || !frame)
        return q3v_img_fail(d->base.error, sizeof d->base.error, "the animated WEBP's first frame is damaged");
    d->canvas = frame;
    return 0;
}

static int webp_decoder_start(q3v_img_decoder *base, int reduce, int *width, int *height) {
    struct webp_decoder *d = (struct webp_decoder *)base;
    if (d->features.has_animation) {
        if (start_animation(d) != 0) return -1;
    } else {
        WebPDecoderConfig config;
        if (!q3v_webp.WebPInitDecoderConfigInternal(&config, WEBP_DECODER_ABI_VERSION))
            return q3v_img_fail(d->base.error, sizeof d->base.error, "libwebp is of another version");
        if (reduce > 1) {
            d->width = (d->width + reduce - 1) / reduce;
            d->height = (d->height + reduce - 1) / reduce;
            config.options.use_scaling = 1;
            config.options.scaled_width = d->width;
            config.options.scaled_height = d->height;
        }
        size_t total;
        if (!fits(d->width, d->height, d->channels, &total))
            return q3v_img_fail(d->base.error, sizeof d->base.error, "a WEBP of %d x %d pixels needs more than %zu MiB to decode",
                                d->width, d->height, Q3V_IMG_MAX_WHOLE_BYTES >> 20);
        d->whole = malloc(total);
        if (!d->whole) return q3v_img_fail(d->base.error, sizeof d->base.error, "out of memory");
        config.output.colorspace = d->channels == 4 ? MODE_RGBA : MODE_RGB;
        config.output.is_external_memory = 1;
        config.output.u.RGBA.rgba = d->whole;
        config.output.u.RGBA.stride = d->width * d->channels;
        config.output.u.RGBA.size = total;
        VP8StatusCode s = q3v_webp.WebPDecode(d->data.bytes, d->data.size, &config);
        if (s != VP8_STATUS_OK)
            return q3v_img_fail(d->base.error, sizeof d->base.error, "the WEBP could not be decoded: %s", status_name(s));
    }
    *width = d->width;
    *height = d->height;
    return 0;
}

static int webp_decoder_row(q3v_img_decoder *base, unsigned char *row) {
    struct webp_decoder *d = (struct webp_decoder *)base;
    if (!d->whole && !d->canvas) return q3v_img_fail(d->base.error, sizeof d->base.error, "decoding has not started");
    if (d->next_row >= d->height) return 0;
    size_t y = (size_t)d->next_row++;
    if (d->whole) {
        size_t n = (size_t)d->width * (size_t)d->channels;
        memcpy(row, d->whole + y * n, n);
    } else if (d->channels == 4) {
        memcpy(row, d->canvas + y * (size_t)d->width * 4, (size_t)d->width * 4);
    } else {
        const uint8_t *p = d->canvas + y * (size_t)d->width * 4;
        for (int x = 0; x < d->width; x++, p += 4, row += 3) { row[0] = p[0]; row[1] = p[1]; row[2] = p[2]; }
    }
    return 1;
}

q3v_img_decoder *q3v_webp_decoder_new(const void *data, size_t len, q3v_img_info *info, char *err, size_t err_size) {
    struct webp_decoder *d = calloc(1, sizeof *d);
    if (!d) { q3v_img_fail(err, err_size, "out of memory"); return NULL; }
    d->base.start = webp_decoder_start;
    d->base.row = webp_decoder_row;
    d->base.free = webp_decoder_free;
    d->data.bytes = data;
    d->data.size = len;
    VP8StatusCode s = q3v_webp.WebPGetFeaturesInternal(data, len, &d->features, WEBP_DECODER_ABI_VERSION);
    if (s != VP8_STATUS_OK) {
        q3v_img_fail(err, err_size, "the WEBP's header is %s", s == VP8_STATUS_NOT_ENOUGH_DATA ? "truncated" : "damaged");
        webp_decoder_free(&d->base);
        return NULL;
    }
    d->width = d->features.width;
    d->height = d->features.height;
    d->channels = d->features.has_alpha ? 4 : 3;
    d->demux = q3v_webp.WebPDemuxInternal(&d->data, 0, NULL, WEBP_DEMUX_ABI_VERSION);
    if (d->demux && q3v_webp.WebPDemuxGetChunk(d->demux, "EXIF", 1, &d->exif)) {
        d->has_exif = 1;
        info->exif = d->exif.chunk.bytes;
        info->exif_len = d->exif.chunk.size;
    }
    info->width = d->width;
    info->height = d->height;
    info->channels = d->channels;
    return &d->base;
}
