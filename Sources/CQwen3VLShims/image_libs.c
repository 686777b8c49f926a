/* Loads the image codecs with dlopen on first use, and dispatches the generic decoder and encoder
 * calls to them. libqwen3vl links none of these libraries: a host that never resizes an image
 * never loads them, and one without them gets a message saying which package to install. */
#include "image_codec.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct q3v_jpeg_lib q3v_jpeg;
struct q3v_spng_lib q3v_spng;
struct q3v_webp_lib q3v_webp;

int q3v_img_fail(char *buf, size_t size, const char *fmt, ...) {
    if (buf && size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Opens one library and looks up `count` symbols into `slots`. 0, or -1 with why in `why`. */
static int open_library(const char *soname, const char *package, const char *format,
                        const char *const *names, void **slots, size_t count, char *why, size_t why_size) {
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        return q3v_img_fail(why, why_size, "resizing %s images needs %s (Debian package %s): %s", format, soname,
                            package, e ? e : "not found");
    }
    for (size_t i = 0; i < count; i++) {
        slots[i] = dlsym(lib, names[i]);
        if (!slots[i]) {
            /* Stays loaded: a library of the wrong version is no reason to unload one a host may share. */
            return q3v_img_fail(why, why_size, "resizing %s images needs %s (Debian package %s), whose %s lacks %s",
                                format, soname, package, soname, names[i]);
        }
    }
    return 0;
}

#define SLOTS(table) ((void **)(void *)&(table))
#define COUNT(table) (sizeof(table) / sizeof(void *))

static const char *const jpeg_names[] = {
    "jpeg_std_error", "jpeg_CreateDecompress", "jpeg_destroy_decompress", "jpeg_mem_src", "jpeg_save_markers",
    "jpeg_read_header", "jpeg_start_decompress", "jpeg_read_scanlines", "jpeg_CreateCompress",
    "jpeg_destroy_compress", "jpeg_set_defaults", "jpeg_set_quality", "jpeg_start_compress",
    "jpeg_write_scanlines", "jpeg_finish_compress",
};
static const char *const spng_names[] = {
    "spng_ctx_new", "spng_ctx_free", "spng_set_png_buffer", "spng_set_chunk_limits", "spng_get_ihdr",
    "spng_get_trns", "spng_get_exif", "spng_decoded_image_size", "spng_decode_image", "spng_decode_row",
    "spng_strerror", "spng_set_option", "spng_set_ihdr", "spng_encode_image", "spng_encode_row",
    "spng_get_png_buffer",
};
static const char *const webp_names[] = {"WebPGetFeaturesInternal", "WebPInitDecoderConfigInternal", "WebPDecode"};
static const char *const demux_names[] = {
    "WebPDemuxInternal", "WebPDemuxGetChunk", "WebPDemuxReleaseChunkIterator", "WebPDemuxDelete",
    "WebPAnimDecoderOptionsInitInternal", "WebPAnimDecoderNewInternal", "WebPAnimDecoderGetInfo",
    "WebPAnimDecoderGetNext", "WebPAnimDecoderDelete",
};
_Static_assert(sizeof jpeg_names / sizeof *jpeg_names == COUNT(q3v_jpeg), "one name per JPEG function");
_Static_assert(sizeof spng_names / sizeof *spng_names == COUNT(q3v_spng), "one name per PNG function");
_Static_assert((sizeof webp_names + sizeof demux_names) / sizeof(char *) == COUNT(q3v_webp), "one name per WEBP function");

static char jpeg_why[320], png_why[320], webp_why[320];
static int jpeg_rc = -1, png_rc = -1, webp_rc = -1;
static pthread_once_t jpeg_once = PTHREAD_ONCE_INIT, png_once = PTHREAD_ONCE_INIT, webp_once = PTHREAD_ONCE_INIT;

static void load_jpeg(void) {
    jpeg_rc = open_library("libjpeg.so.62", "libjpeg62-turbo", "JPEG", jpeg_names, SLOTS(q3v_jpeg), COUNT(q3v_jpeg),
                           jpeg_why, sizeof jpeg_why);
}
static void load_png(void) {
    png_rc = open_library("libspng.so.0", "libspng0", "PNG", spng_names, SLOTS(q3v_spng), COUNT(q3v_spng), png_why,
                          sizeof png_why);
}
static void load_webp(void) {
    /* libwebp's own functions first in the table, libwebpdemux's (frames, Exif) after them. */
    size_t own = sizeof webp_names / sizeof *webp_names;
    webp_rc = open_library("libwebp.so.7", "libwebp7", "WEBP", webp_names, SLOTS(q3v_webp), own, webp_why,
                           sizeof webp_why);
    if (webp_rc == 0)
        webp_rc = open_library("libwebpdemux.so.2", "libwebpdemux2", "WEBP", demux_names, SLOTS(q3v_webp) + own,
                               COUNT(q3v_webp) - own, webp_why, sizeof webp_why);
}

int q3v_img_load(int codec, char *err, size_t err_size) {
    const char *why;
    switch (codec) {
    case Q3V_IMG_JPEG: pthread_once(&jpeg_once, load_jpeg); if (jpeg_rc == 0) return 0; why = jpeg_why; break;
    case Q3V_IMG_PNG: pthread_once(&png_once, load_png); if (png_rc == 0) return 0; why = png_why; break;
    case Q3V_IMG_WEBP: pthread_once(&webp_once, load_webp); if (webp_rc == 0) return 0; why = webp_why; break;
    default: return q3v_img_fail(err, err_size, "no codec %d", codec);
    }
    return q3v_img_fail(err, err_size, "%s", why);
}

q3v_img_decoder *q3v_img_decoder_new(int codec, const void *data, size_t len, q3v_img_info *info, char *err,
                                     size_t err_size) {
    if (!data || !info || q3v_img_load(codec, err, err_size) != 0) return NULL;
    memset(info, 0, sizeof *info);
    switch (codec) {
    case Q3V_IMG_JPEG: return q3v_jpeg_decoder_new(data, len, info, err, err_size);
    case Q3V_IMG_PNG: return q3v_png_decoder_new(data, len, info, err, err_size);
    default: return q3v_webp_decoder_new(data, len, info, err, err_size);
    }
}

int q3v_img_decoder_start(q3v_img_decoder *d, int reduce, int *width, int *height) {
    if (reduce != 1 && reduce != 2 && reduce != 4 && reduce != 8)
        return q3v_img_fail(d->error, sizeof d->error, "reduction %d is not 1, 2, 4 or 8", reduce);
    return d->start(d, reduce, width, height);
}

int q3v_img_decoder_row(q3v_img_decoder *d, unsigned char *row) { return d->row(d, row); }
const char *q3v_img_decoder_error(const q3v_img_decoder *d) { return d->error; }
void q3v_img_decoder_free(q3v_img_decoder *d) { if (d) d->free(d); }

q3v_img_encoder *q3v_img_encoder_new(int codec, int width, int height, int channels, int quality, char *err,
                                     size_t err_size) {
    if (width < 1 || height < 1 || channels < 1 || channels > 4) {
        q3v_img_fail(err, err_size, "cannot encode %d x %d pixels of %d channels", width, height, channels);
        return NULL;
    }
    if (q3v_img_load(codec, err, err_size) != 0) return NULL;
    switch (codec) {
    case Q3V_IMG_JPEG: return q3v_jpeg_encoder_new(width, height, channels, quality, err, err_size);
    case Q3V_IMG_PNG: return q3v_png_encoder_new(width, height, channels, err, err_size);
    default: q3v_img_fail(err, err_size, "no encoder for codec %d", codec); return NULL;
    }
}

int q3v_img_encoder_row(q3v_img_encoder *e, const unsigned char *row) { return e->row(e, row); }
int q3v_img_encoder_finish(q3v_img_encoder *e, unsigned char **out, size_t *len) { return e->finish(e, out, len); }
const char *q3v_img_encoder_error(const q3v_img_encoder *e) { return e->error; }
void q3v_img_encoder_free(q3v_img_encoder *e) { if (e) e->free(e); }
