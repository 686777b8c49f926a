/* The client-side resize through the C API, small enough for the valgrind and sanitizer runs of
 * the C tests: the codecs (loaded with dlopen), the resampler and the encoders on images made
 * here, the result read back from what the stand-in received. Fidelity to Pillow, the full table
 * of formats and the memory bound are Tests/resize/test_resize.py's. */
#include "harness.h"

#include <sys/stat.h>

static char dir[64];

/* width × height pixels of `channels` bytes: gradients, so that every row differs. */
static unsigned char *gradient(int width, int height, int channels) {
    unsigned char *p = malloc((size_t)width * height * channels);
    if (!p) abort();
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            for (int c = 0; c < channels; c++)
                p[((size_t)y * width + x) * channels + c] = (unsigned char)(c == 3 ? 64 + y % 128 : (x * (c + 1) + y * (3 - c)) / 7);
    return p;
}

/* A PNG data URI of a gradient (the library's own stored-deflate PNG). */
static char *png_uri(int width, int height, int format) {
    int channels = format == QWEN3VL_PIXELS_GRAY8 ? 1 : format == QWEN3VL_PIXELS_RGB8 ? 3 : 4;
    unsigned char *pixels = gradient(width, height, channels);
    char *uri = NULL;
    size_t len = 0;
    char err[256];
    if (qwen3vl_pixels_data_uri(pixels, (size_t)width * height * channels, width, height, 0, format, &uri, &len, err, sizeof err)
        != QWEN3VL_OK) {
        fprintf(stderr, "    pixels_data_uri: %s\n", err);
        abort();
    }
    free(pixels);
    return uri;
}

static qwen3vl_result *send_url(qwen3vl_client *c, const char *url, const char *call_options) {
    json_t *req = json_pack("{s:[{s:s,s:[{s:s,s:{s:s}}]}]}", "messages", "role", "user", "content", "type", "image_url",
                            "image_url", "url", url);
    char *body = json_dumps(req, JSON_COMPACT);
    qwen3vl_result *r = qwen3vl_chat_v2(c, body, call_options, NULL, NULL, NULL);
    free(body);
    json_decref(req);
    return r;
}

/* The image the server received in the last request of uid: its bytes (malloc'd) and mime type. */
static unsigned char *received(const char *uid, size_t *len, char *mime, size_t mime_size) {
    json_t *reqs = server_requests(uid);
    json_t *body = request_body(reqs, json_array_size(reqs) - 1);
    json_t *message = json_array_get(json_object_get(body, "messages"), 0);
    json_t *part = json_array_get(json_object_get(message, "content"), 0);
    const char *url = json_string_value(json_object_get(json_object_get(part, "image_url"), "url"));
    unsigned char *out = NULL;
    *len = 0;
    const char *comma = url ? strchr(url, ',') : NULL;
    if (comma && strncmp(url, "data:", 5) == 0) {
        snprintf(mime, mime_size, "%.*s", (int)(strcspn(url + 5, ";,")), url + 5);
        out = malloc(strlen(comma) / 4 * 3 + 3);
        if (!out) abort();
        *len = b64decode(comma + 1, out);
    }
    json_decref(body);
    json_decref(reqs);
    return out;
}

/* Sends url with the client options `extra` (and call options) and checks the received image's
 * type and size. */
static void expect_resized(const char *url, const char *extra, const char *call_options, const char *mime, int width, int height) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, extra);
    CHECK(c != NULL);
    if (!c) return;
    qwen3vl_result *r = send_url(c, url, call_options);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    size_t len;
    char got_mime[64] = "";
    unsigned char *bytes = received(uid, &len, got_mime, sizeof got_mime);
    int w = 0, h = 0;
    CHECK(bytes && qwen3vl_image_size_from_bytes(bytes, len, &w, &h, NULL, 0) == QWEN3VL_OK);
    CHECK_STR(got_mime, mime);
    if (w != width || h != height) {
        fprintf(stderr, "    FAIL: %s sent at %d x %d, wanted %d x %d\n", extra, w, h, width, height);
        t_failed_now = 1;
    }
    free(bytes);
}

static void test_png_to_jpeg_and_back(void) {
    /* 384 x 256 under a budget of 12000 pixels (min_pixels 1024): smart_resize gives 128 x 64. */
    char *rgb = png_uri(384, 256, QWEN3VL_PIXELS_RGB8);
    expect_resized(rgb, "\"resize\":{\"max_pixels\":12000},\"min_pixels\":1024", NULL, "image/jpeg", 128, 64);
    expect_resized(rgb, "\"min_pixels\":1024", "{\"resize\":{\"max_pixels\":12000}}", "image/jpeg", 128, 64);
    expect_resized(rgb, "\"resize\":\"model\",\"max_pixels\":12000,\"min_pixels\":1024", "{\"resize\":\"off\"}", "image/png", 384, 256);
    /* The JPEG that came out goes back in, as a local file: the JPEG decoder's turn. */
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, "\"resize\":{\"max_pixels\":12000},\"min_pixels\":1024");
    qwen3vl_result *r = send_url(c, rgb, NULL);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    size_t len;
    char mime[64];
    unsigned char *jpeg = received(uid, &len, mime, sizeof mime);
    char path[128];
    snprintf(path, sizeof path, "%s/resized.jpg", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f && jpeg && fwrite(jpeg, 1, len, f) == len);
    if (f) fclose(f);
    expect_resized(path, "\"resize\":{\"max_pixels\":2100},\"min_pixels\":1024", NULL, "image/jpeg", 64, 32);
    free(jpeg);
    qwen3vl_free(rgb);
}

static void test_alpha_and_grey(void) {
    char *rgba = png_uri(384, 256, QWEN3VL_PIXELS_RGBA8);
    expect_resized(rgba, "\"resize\":{\"max_pixels\":12000},\"min_pixels\":1024", NULL, "image/png", 128, 64);
    qwen3vl_free(rgba);
    char *grey = png_uri(256, 384, QWEN3VL_PIXELS_GRAY8);
    expect_resized(grey, "\"resize\":{\"max_pixels\":12000},\"min_pixels\":1024", NULL, "image/jpeg", 64, 128);
    qwen3vl_free(grey);
}

static void test_damaged_png(void) {
    char *uri = png_uri(384, 256, QWEN3VL_PIXELS_RGB8);
    /* Cut the PNG after its first kilobyte (on a base64 group boundary). */
    char *comma = strchr(uri, ',');
    comma[1 + 1024 / 3 * 4] = 0;
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, "\"resize\":\"model\",\"max_pixels\":12000,\"min_pixels\":1024");
    qwen3vl_result *r = send_url(c, uri, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(qwen3vl_result_error(r), "messages[0].content[0].image_url.url: the image/png could not be ");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    qwen3vl_free(uri);
}

int main(int argc, char **argv) {
    snprintf(dir, sizeof dir, "/tmp/qwen3vl-resize-%d", (int)getpid());
    mkdir(dir, 0755);
    static const test_case tests[] = {
        {"png_to_jpeg_and_back", test_png_to_jpeg_and_back},
        {"alpha_and_grey", test_alpha_and_grey},
        {"damaged_png", test_damaged_png},
    };
    int rc = RUN_TESTS("resize", tests);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) rc = 1;
    return rc;
}
