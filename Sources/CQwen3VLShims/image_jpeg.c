/* JPEG through libjpeg-turbo's libjpeg API, row by row: a baseline image is decoded (and encoded)
 * with a few rows in memory, whatever its size. libjpeg reports errors by calling error_exit, which
 * must not return: ours longjmps back into the function of this file that called libjpeg, and the
 * object is then only destroyed. No Swift frame is ever between the two. */
#include "image_codec.h"

#include <jerror.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* As TurboJPEG's TJPARAM_SCANLIMIT: a progressive image of more scans is refused (each scan costs
 * a pass over the whole image, and a few kilobytes can declare thousands). */
#define MAX_SCANS 500

struct jpeg_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char *message;
    size_t message_size;
};

static void on_error(j_common_ptr c) {
    struct jpeg_err *e = (struct jpeg_err *)c->err;
    char text[JMSG_LENGTH_MAX];
    c->err->format_message(c, text);
    if (c->err->msg_code == JERR_NO_BACKING_STORE) /* what running past max_memory_to_use says */
        q3v_img_fail(e->message, e->message_size, "the JPEG needs more than %zu MiB to decode", Q3V_IMG_MAX_WHOLE_BYTES >> 20);
    else
        q3v_img_fail(e->message, e->message_size, "%s", text);
    longjmp(e->jump, 1);
}

/* Warnings are dropped (libjpeg would print them), except a premature end of the data: a truncated
 * file is an error here, as it is for Pillow. */
static void on_message(j_common_ptr c, int level) {
    if (level < 0 && c->err->msg_code == JWRN_JPEG_EOF) on_error(c);
    if (level < 0) c->err->num_warnings++;
}

static void on_output(j_common_ptr c) { (void)c; }

static void init_err(struct jpeg_err *e, char *message, size_t message_size) {
    q3v_jpeg.jpeg_std_error(&e->mgr);
    e->mgr.error_exit = on_error;
    e->mgr.emit_message = on_message;
    e->mgr.output_message = on_output;
    e->message = message;
    e->message_size = message_size;
}

/* ---- Decoder ---- */

struct jpeg_decoder {
    q3v_img_decoder base;
    struct jpeg_decompress_struct cinfo;
    struct jpeg_err err;
    struct jpeg_progress_mgr progress;
    int created;
};

static void on_progress(j_common_ptr c) {
    j_decompress_ptr d = (j_decompress_ptr)c;
    if (d->input_scan_number > MAX_SCANS) {
        struct jpeg_err *e = (struct jpeg_err *)c->err;
        q3v_img_fail(e->message, e->message_size, "more than %d progressive scans", MAX_SCANS);
        longjmp(e->jump, 1);
    }
}

static void jpeg_decoder_free(q3v_img_decoder *base) {
    struct jpeg_decoder *d = (struct jpeg_decoder *)base;
    if (d->created) q3v_jpeg.jpeg_destroy_decompress(&d->cinfo);
    free(d);
}

static int jpeg_decoder_start(q3v_img_decoder *base, int reduce, int *width, int *height) {
    struct jpeg_decoder *d = (struct jpeg_decoder *)base;
    if (setjmp(d->err.jump)) return -1;
    d->cinfo.scale_num = 1;
    d->cinfo.scale_denom = (unsigned)reduce;
    q3v_jpeg.jpeg_start_decompress(&d->cinfo);
    *width = (int)d->cinfo.output_width;
    *height = (int)d->cinfo.output_height;
    return 0;
}

static int jpeg_decoder_row(q3v_img_decoder *base, unsigned char *row) {
    struct jpeg_decoder *d = (struct jpeg_decoder *)base;
    if (d->cinfo.output_scanline >= d->cinfo.output_height) return 0;
    if (setjmp(d->err.jump)) return -1;
    JSAMPROW rows[1] = {row};
    if (q3v_jpeg.jpeg_read_scanlines(&d->cinfo, rows, 1) != 1)
        return q3v_img_fail(d->base.error, sizeof d->base.error, "libjpeg returned no row");
    return 1;
}

/* The Exif block of the first APP1 marker that holds one, without its "Exif\0\0" label. */
static void find_exif(j_decompress_ptr c, q3v_img_info *info) {
    for (jpeg_saved_marker_ptr m = c->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            info->exif = m->data + 6;
            info->exif_len = m->data_length - 6;
            return;
        }
    }
}

q3v_img_decoder *q3v_jpeg_decoder_new(const void *data, size_t len, q3v_img_info *info, char *err, size_t err_size) {
    if (len > 0xFFFFFFFFu) { q3v_img_fail(err, err_size, "the JPEG is over 4 GiB"); return NULL; }
    struct jpeg_decoder *d = calloc(1, sizeof *d);
    if (!d) { q3v_img_fail(err, err_size, "out of memory"); return NULL; }
    d->base.start = jpeg_decoder_start;
    d->base.row = jpeg_decoder_row;
    d->base.free = jpeg_decoder_free;
    init_err(&d->err, d->base.error, sizeof d->base.error);
    d->cinfo.err = &d->err.mgr;
    if (setjmp(d->err.jump)) {
        q3v_img_fail(err, err_size, "%s", d->base.error);
        jpeg_decoder_free(&d->base);
        return NULL;
    }
    q3v_jpeg.jpeg_CreateDecompress(&d->cinfo, JPEG_LIB_VERSION, sizeof d->cinfo);
    d->created = 1;
    /* Bounds the whole-image buffers (a progressive image's coefficients): libjpeg-turbo has no
     * backing store, so a larger image fails with an error instead of taking the memory. */
    d->cinfo.mem->max_memory_to_use = (long)Q3V_IMG_MAX_WHOLE_BYTES;
    d->progress.progress_monitor = on_progress;
    d->cinfo.progress = &d->progress;
    q3v_jpeg.jpeg_mem_src(&d->cinfo, data, (unsigned long)len);
    q3v_jpeg.jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xFFFF);
    if (q3v_jpeg.jpeg_read_header(&d->cinfo, TRUE) != JPEG_HEADER_OK) {
        q3v_img_fail(err, err_size, "the JPEG holds no image (only tables)");
        jpeg_decoder_free(&d->base);
        return NULL;
    }
    switch (d->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: d->cinfo.out_color_space = JCS_GRAYSCALE; info->channels = 1; break;
    case JCS_CMYK:
    case JCS_YCCK: d->cinfo.out_color_space = JCS_CMYK; info->channels = 4; info->cmyk = 1; break;
    default: d->cinfo.out_color_space = JCS_RGB; info->channels = 3; break;
    }
    info->width = (int)d->cinfo.image_width;
    info->height = (int)d->cinfo.image_height;
    find_exif(&d->cinfo, info);
    return &d->base;
}

/* ---- Encoder ---- */

/* The output grows in memory we own (libjpeg's jpeg_mem_dest keeps its current buffer to itself
 * until the image is finished, so one abandoned half-way could not be freed). */
struct jpeg_output {
    struct jpeg_destination_mgr pub;
    unsigned char *buf;
    size_t cap, len;
};

static void output_init(j_compress_ptr c) {
    struct jpeg_output *o = (struct jpeg_output *)c->dest;
    o->cap = (size_t)64 << 10;
    o->buf = malloc(o->cap);
    if (!o->buf) ERREXIT(c, JERR_OUT_OF_MEMORY);
    o->pub.next_output_byte = o->buf;
    o->pub.free_in_buffer = o->cap;
}

static boolean output_grow(j_compress_ptr c) {
    struct jpeg_output *o = (struct jpeg_output *)c->dest;
    unsigned char *bigger = o->cap <= SIZE_MAX / 2 ? realloc(o->buf, o->cap * 2) : NULL;
    if (!bigger) ERREXIT(c, JERR_OUT_OF_MEMORY);
    o->buf = bigger;
    o->pub.next_output_byte = bigger + o->cap;
    o->pub.free_in_buffer = o->cap;
    o->cap *= 2;
    return TRUE;
}

static void output_term(j_compress_ptr c) {
    struct jpeg_output *o = (struct jpeg_output *)c->dest;
    o->len = o->cap - o->pub.free_in_buffer;
}

struct jpeg_encoder {
    q3v_img_encoder base;
    struct jpeg_compress_struct cinfo;
    struct jpeg_err err;
    struct jpeg_output out;
    int created;
};

static void jpeg_encoder_free(q3v_img_encoder *base) {
    struct jpeg_encoder *e = (struct jpeg_encoder *)base;
    if (e->created) q3v_jpeg.jpeg_destroy_compress(&e->cinfo);
    free(e->out.buf);
    free(e);
}

static int jpeg_encoder_row(q3v_img_encoder *base, const unsigned char *row) {
    struct jpeg_encoder *e = (struct jpeg_encoder *)base;
    if (setjmp(e->err.jump)) return -1;
    JSAMPROW rows[1] = {(JSAMPROW)row};
    if (q3v_jpeg.jpeg_write_scanlines(&e->cinfo, rows, 1) != 1)
        return q3v_img_fail(e->base.error, sizeof e->base.error, "libjpeg took no row");
    return 0;
}

static int jpeg_encoder_finish(q3v_img_encoder *base, unsigned char **out, size_t *len) {
    struct jpeg_encoder *e = (struct jpeg_encoder *)base;
    if (setjmp(e->err.jump)) return -1;
    q3v_jpeg.jpeg_finish_compress(&e->cinfo);
    *out = e->out.buf;
    *len = e->out.len;
    e->out.buf = NULL;
    return 0;
}

q3v_img_encoder *q3v_jpeg_encoder_new(int width, int height, int channels, int quality, char *err, size_t err_size) {
    if (channels != 1 && channels != 3) { q3v_img_fail(err, err_size, "JPEG takes grey or RGB, not %d channels", channels); return NULL; }
    struct jpeg_encoder *e = calloc(1, sizeof *e);
    if (!e) { q3v_img_fail(err, err_size, "out of memory"); return NULL; }
    e->base.row = jpeg_encoder_row;
    e->base.finish = jpeg_encoder_finish;
    e->base.free = jpeg_encoder_free;
    init_err(&e->err, e->base.error, sizeof e->base.error);
    e->cinfo.err = &e->err.mgr;
    if (setjmp(e->err.jump)) {
        q3v_img_fail(err, err_size, "%s", e->base.error);
        jpeg_encoder_free(&e->base);
        return NULL;
    }
    q3v_jpeg.jpeg_CreateCompress(&e->cinfo, JPEG_LIB_VERSION, sizeof e->cinfo);
    e->created = 1;
    e->out.pub.init_destination = output_init;
    e->out.pub.empty_output_buffer = output_grow;
    e->out.pub.term_destination = output_term;
    e->cinfo.dest = &e->out.pub;
    e->cinfo.image_width = (JDIMENSION)width;
    e->cinfo.image_height = (JDIMENSION)height;
    e->cinfo.input_components = channels;
    e->cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    q3v_jpeg.jpeg_set_defaults(&e->cinfo);
    q3v_jpeg.jpeg_set_quality(&e->cinfo, quality < 1 ? 1 : quality > 100 ? 100 : quality, TRUE);
    q3v_jpeg.jpeg_start_compress(&e->cinfo, TRUE);
    return &e->base;
}
