/* What the image codecs share inside the shims: the libraries' functions as loaded by dlopen
 * (image_libs.c), and the decoder and encoder objects each codec file fills in. Not a public header:
 * only the codec files include it, so the codecs' own headers never reach Swift. */
#ifndef QWEN3VL_IMAGE_CODEC_H
#define QWEN3VL_IMAGE_CODEC_H

#include <stdio.h> /* jpeglib.h wants FILE */
#include <jpeglib.h>
#include <spng.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include "qwen3vl_image.h"

/* Each function pointer has the exact type of the function it stands for. */
#define Q3V_FN(name) __typeof__(&name) name

struct q3v_jpeg_lib {
    Q3V_FN(jpeg_std_error);
    Q3V_FN(jpeg_CreateDecompress);
    Q3V_FN(jpeg_destroy_decompress);
    Q3V_FN(jpeg_mem_src);
    Q3V_FN(jpeg_save_markers);
    Q3V_FN(jpeg_read_header);
    Q3V_FN(jpeg_start_decompress);
    Q3V_FN(jpeg_read_scanlines);
    Q3V_FN(jpeg_CreateCompress);
    Q3V_FN(jpeg_destroy_compress);
    Q3V_FN(jpeg_set_defaults);
    Q3V_FN(jpeg_set_quality);
    Q3V_FN(jpeg_start_compress);
    Q3V_FN(jpeg_write_scanlines);
    Q3V_FN(jpeg_finish_compress);
};

struct q3v_spng_lib {
    Q3V_FN(spng_ctx_new);
    Q3V_FN(spng_ctx_free);
    Q3V_FN(spng_set_png_buffer);
    Q3V_FN(spng_set_chunk_limits);
    Q3V_FN(spng_get_ihdr);
    Q3V_FN(spng_get_trns);
    Q3V_FN(spng_get_exif);
    Q3V_FN(spng_decoded_image_size);
    Q3V_FN(spng_decode_image);
    Q3V_FN(spng_decode_row);
    Q3V_FN(spng_strerror);
    Q3V_FN(spng_set_option);
    Q3V_FN(spng_set_ihdr);
    Q3V_FN(spng_encode_image);
    Q3V_FN(spng_encode_row);
    Q3V_FN(spng_get_png_buffer);
};

struct q3v_webp_lib {
    Q3V_FN(WebPGetFeaturesInternal);
    Q3V_FN(WebPInitDecoderConfigInternal);
    Q3V_FN(WebPDecode);
    Q3V_FN(WebPDemuxInternal);
    Q3V_FN(WebPDemuxGetChunk);
    Q3V_FN(WebPDemuxReleaseChunkIterator);
    Q3V_FN(WebPDemuxDelete);
    Q3V_FN(WebPAnimDecoderOptionsInitInternal);
    Q3V_FN(WebPAnimDecoderNewInternal);
    Q3V_FN(WebPAnimDecoderGetInfo);
    Q3V_FN(WebPAnimDecoderGetNext);
    Q3V_FN(WebPAnimDecoderDelete);
};

/* Filled by q3v_img_load; read only after it returned 0 for the codec. */
extern struct q3v_jpeg_lib q3v_jpeg;
extern struct q3v_spng_lib q3v_spng;
extern struct q3v_webp_lib q3v_webp;

struct q3v_img_decoder {
    int (*start)(q3v_img_decoder *d, int reduce, int *width, int *height);
    int (*row)(q3v_img_decoder *d, unsigned char *row);
    void (*free)(q3v_img_decoder *d);
    char error[256];
};

struct q3v_img_encoder {
    int (*row)(q3v_img_encoder *e, const unsigned char *row);
    int (*finish)(q3v_img_encoder *e, unsigned char **out, size_t *len);
    void (*free)(q3v_img_encoder *e);
    char error[256];
};

/* snprintf into a message buffer; returns -1, for `return q3v_img_fail(...)`. */
int q3v_img_fail(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The codecs' constructors, behind q3v_img_decoder_new and q3v_img_encoder_new. */
q3v_img_decoder *q3v_jpeg_decoder_new(const void *data, size_t len, q3v_img_info *info, char *err, size_t err_size);
q3v_img_decoder *q3v_png_decoder_new(const void *data, size_t len, q3v_img_info *info, char *err, size_t err_size);
q3v_img_decoder *q3v_webp_decoder_new(const void *data, size_t len, q3v_img_info *info, char *err, size_t err_size);
q3v_img_encoder *q3v_jpeg_encoder_new(int width, int height, int channels, int quality, char *err, size_t err_size);
q3v_img_encoder *q3v_png_encoder_new(int width, int height, int channels, char *err, size_t err_size);

#endif
