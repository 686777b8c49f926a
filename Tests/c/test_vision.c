/* SPDX-License-Identifier: MIT */
/* C tests of vision inputs: local image and video files in requests (checked to arrive byte for byte
 * at the stand-in), data URIs, in-memory images and pixels, image sizes, token estimates and
 * grounding. The image files are made here, with extensions that lie about their type. */
#include "harness.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

static char dir[256];

static uint32_t crc32_of(const unsigned char *p, size_t n) {
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

typedef struct { unsigned char *data; size_t len, cap; } blob;

static void put(blob *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}
static void put_be32(blob *b, uint32_t v) { unsigned char x[4] = {v >> 24, v >> 16, v >> 8, v}; put(b, x, 4); }
static void put_le32(blob *b, uint32_t v) { unsigned char x[4] = {v, v >> 8, v >> 16, v >> 24}; put(b, x, 4); }
static void put_le16(blob *b, uint16_t v) { unsigned char x[2] = {v, v >> 8}; put(b, x, 2); }
static void put_be16(blob *b, uint16_t v) { unsigned char x[2] = {v >> 8, v}; put(b, x, 2); }

static blob make_png(uint32_t w, uint32_t h, size_t extra) {
    blob b = {0};
    put(&b, "\x89PNG\r\n\x1a\n", 8);
    put_be32(&b, 13);
    put(&b, "IHDR", 4);
    put_be32(&b, w);
    put_be32(&b, h);
    put(&b, "\x08\x06\x00\x00\x00", 5);
    put_be32(&b, 0x12345678); /* CRC: the library never decodes, so any value does */
    for (size_t i = 0; i < extra; i++) { unsigned char c = (unsigned char)(i * 131 + (i >> 7)); put(&b, &c, 1); }
    return b;
}

static blob make_jpeg(uint16_t w, uint16_t h) {
    blob b = {0};
    put(&b, "\xFF\xD8", 2);
    put(&b, "\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
    /* An EXIF segment before the frame header, as cameras write. */
    put(&b, "\xFF\xE1", 2);
    put_be16(&b, 2 + 300);
    for (int i = 0; i < 300; i++) put(&b, "E", 1);
    put(&b, "\xFF\xC0\x00\x11\x08", 5);
    put_be16(&b, h);
    put_be16(&b, w);
    put(&b, "\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
    put(&b, "\xFF\xD9", 2);
    return b;
}

static blob make_gif(uint16_t w, uint16_t h) {
    blob b = {0};
    put(&b, "GIF89a", 6);
    put_le16(&b, w);
    put_le16(&b, h);
    put(&b, "\x00\x00\x00\x3B", 4);
    return b;
}

static blob make_bmp(int32_t w, int32_t h) {
    blob b = {0};
    uint32_t row = ((uint32_t)w * 3 + 3) & ~3u, pixels = row * (uint32_t)(h < 0 ? -h : h);
    put(&b, "BM", 2);
    put_le32(&b, 54 + pixels);
    put_le32(&b, 0);
    put_le32(&b, 54);
    put_le32(&b, 40);
    put_le32(&b, (uint32_t)w);
    put_le32(&b, (uint32_t)h);
    put_le16(&b, 1);
    put_le16(&b, 24);
    for (int i = 0; i < 6; i++) put_le32(&b, 0);
    for (uint32_t i = 0; i < pixels; i++) { unsigned char c = (unsigned char)i; put(&b, &c, 1); }
    return b;
}

static blob make_webp(uint32_t w, uint32_t h) {
    blob b = {0};
    put(&b, "RIFF", 4);
    put_le32(&b, 4 + 8 + 10);
    put(&b, "WEBPVP8L", 8);
    put_le32(&b, 10);
    put(&b, "\x2F", 1);
    put_le32(&b, (w - 1) | ((h - 1) << 14));
    put(&b, "\x00\x00\x00\x00\x00", 5);
    return b;
}

static blob make_mp4(void) {
    blob b = {0};
    put(&b, "\x00\x00\x00\x18" "ftypisom\x00\x00\x02\x00" "isommp41", 24);
    put_be32(&b, 8 + 64);
    put(&b, "mdat", 4);
    for (int i = 0; i < 64; i++) { unsigned char c = (unsigned char)(i * 7); put(&b, &c, 1); }
    return b;
}

static const char *write_file(const char *name, blob b) {
    static char paths[32][320];
    static int next;
    char *path = paths[next++ % 32];
    snprintf(path, 320, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fwrite(b.data, 1, b.len, f);
    fclose(f);
    return path;
}

/* "[image_url image/png 1234 0123abcd]", as the stand-in describes what it received. */
static void expect_media(const char *text, const char *kind, const char *mime, blob b) {
    char want[160];
    snprintf(want, sizeof want, "[%s %s %zu %08x]", kind, mime, b.len, crc32_of(b.data, b.len));
    CHECK_CONTAINS(text, want);
}

static char *image_request(const char *url) {
    char *req = NULL;
    if (asprintf(&req, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
                       "{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}}]}]}", url) < 0) abort();
    return req;
}

static qwen3vl_result *send_image(qwen3vl_client *c, const char *url) {
    char *req = image_request(url);
    qwen3vl_result *r = qwen3vl_chat(c, req);
    free(req);
    return r;
}

/* ---- local files in requests ---- */

static void test_local_images(void) {
    struct { const char *name; const char *mime; blob b; } files[] = {
        {"png-named.jpg", "image/png", make_png(640, 480, 1000)},
        {"jpeg-named.png", "image/jpeg", make_jpeg(1920, 1080)},
        {"gif-named.webp", "image/gif", make_gif(32, 16)},
        {"bmp-without-extension", "image/bmp", make_bmp(7, 5)},
        {"webp.bin", "image/webp", make_webp(300, 200)},
    };
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *path = write_file(files[i].name, files[i].b);
        qwen3vl_result *r = send_image(c, path);                /* a path without a scheme */
        CHECK_STATUS(r, QWEN3VL_OK);
        expect_media(qwen3vl_result_text(r), "image_url", files[i].mime, files[i].b);
        qwen3vl_result_free(r);

        char url[400];
        snprintf(url, sizeof url, "file://%s", path);           /* and as a file:// URL */
        r = send_image(c, url);
        CHECK_STATUS(r, QWEN3VL_OK);
        expect_media(qwen3vl_result_text(r), "image_url", files[i].mime, files[i].b);
        qwen3vl_result_free(r);
        free(files[i].b.data);
    }
    /* A file URL with %-escapes and localhost. */
    blob b = make_png(10, 10, 10);
    const char *path = write_file("with space.png", b);
    (void)path;
    char url[400];
    snprintf(url, sizeof url, "file://localhost%s/with%%20space.png", dir);
    qwen3vl_result *r = send_image(c, url);
    CHECK_STATUS(r, QWEN3VL_OK);
    expect_media(qwen3vl_result_text(r), "image_url", "image/png", b);
    qwen3vl_result_free(r);
    free(b.data);
    qwen3vl_client_free(c);
}

static void test_large_image_and_retry(void) {
    /* Just under 20 MiB, the default max_image_bytes, sent after a 503: the body is re-read.
       Under valgrind (QWEN3VL_TEST_SLOW), 2 MiB against a 2 MiB limit does the same work faster. */
    size_t limit = t_slow > 1 ? (2u << 20) : (20u << 20);
    char limit_option[64];
    snprintf(limit_option, sizeof limit_option, "\"max_image_bytes\":%zu", limit);
    blob b = make_png(4000, 3000, limit - 100);
    const char *path = write_file("big.png", b);
    qwen3vl_client *c = client_for("status:503:ra=0,ok", new_uid(), limit_option);
    qwen3vl_result *r = send_image(c, path);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(qwen3vl_result_attempts(r) == 2);
    expect_media(qwen3vl_result_text(r), "image_url", "image/png", b);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    /* Over the limit. */
    c = client_for("ok", new_uid(), limit_option);
    blob over = make_png(10, 10, limit);
    const char *over_path = write_file("over.png", over);
    r = send_image(c, over_path);
    CHECK_STATUS(r, QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(qwen3vl_result_error(r), over_path);
    CHECK_CONTAINS(qwen3vl_result_error(r), "max_image_bytes");
    CHECK(qwen3vl_result_attempts(r) == 0);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    c = client_for("ok", new_uid(), "\"max_image_bytes\":100");
    r = send_image(c, path);
    CHECK_STATUS(r, QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(qwen3vl_result_error(r), "max_image_bytes (100)");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    unlink(path);
    unlink(over_path);
    free(b.data);
    free(over.data);
}

static void expect_file_error(qwen3vl_client *c, const char *url, const char *needle) {
    qwen3vl_result *r = send_image(c, url);
    CHECK_STATUS(r, QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(qwen3vl_result_error(r), "messages[0].content[1].image_url.url");
    CHECK_CONTAINS(qwen3vl_result_error(r), needle);
    qwen3vl_result_free(r);
}

static void test_bad_files(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, NULL);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-file.png", dir);
    expect_file_error(c, missing, "no-such-file.png: No such file or directory");
    expect_file_error(c, dir, "is a directory");
    blob text = {0};
    put(&text, "just some text, not an image\n", 29);
    expect_file_error(c, write_file("notes.png", text), "not an image of a known type");
    blob truncated = make_png(10, 10, 0);
    truncated.len = 14; /* the signature and half of the IHDR chunk */
    expect_file_error(c, write_file("truncated.png", truncated), "damaged or truncated");
    blob empty = {0};
    expect_file_error(c, write_file("empty.png", empty), "is empty");
    blob mp4 = make_mp4();
    expect_file_error(c, write_file("clip.mp4", mp4), "is a video");
    qwen3vl_client_free(c);
    free(text.data);
    free(truncated.data);
    free(mp4.data);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 0);
    json_decref(reqs);
}

static void fifo_timed_out(int sig) {
    (void)sig;
    static const char msg[] = "    FAIL: a call on a FIFO with no writer did not return\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(2);
    _exit(1);
}

/* A FIFO with no writer makes a plain open() wait forever: both the size helper and a request
   naming one must fail at once with QWEN3VL_ERR_FILE. The alarm turns a hang into a failure. */
static void test_fifo(void) {
    char fifo[300];
    snprintf(fifo, sizeof fifo, "%s/pipe.png", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    signal(SIGALRM, fifo_timed_out);
    alarm((unsigned)(10 * t_slow));
    double t0 = now_ms();
    char err[256];
    int w, h;
    CHECK(qwen3vl_image_size(fifo, &w, &h, err, sizeof err) == QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(err, "is not a regular file");
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, "\"timeout_ms\":60000");
    expect_file_error(c, fifo, "pipe.png: is not a regular file");
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    CHECK(now_ms() - t0 < 1000 * t_slow);
    qwen3vl_client_free(c);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 0);
    json_decref(reqs);
    unlink(fifo);
}

static void test_unreadable_file(void) {
    blob b = make_png(10, 10, 10);
    const char *path = write_file("secret.png", b);
    free(b.data);
    chmod(path, 0);
    /* Root reads anything, so the check runs in a child that has given up root. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (geteuid() == 0 && setuid(65534) != 0) _exit(3);
        qwen3vl_client *c = client_for("ok", new_uid(), NULL);
        qwen3vl_result *r = send_image(c, path);
        int ok = qwen3vl_result_status(r) == QWEN3VL_ERR_FILE && strstr(qwen3vl_result_error(r), "Permission denied") &&
                 strstr(qwen3vl_result_error(r), path);
        if (!ok) fprintf(stderr, "    child got %s: %s\n", qwen3vl_status_name(qwen3vl_result_status(r)), qwen3vl_result_error(r));
        qwen3vl_result_free(r);
        qwen3vl_client_free(c);
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_data_and_remote_urls(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, NULL);
    /* Passed through untouched. */
    qwen3vl_result *r = send_image(c, "https://example.com/cat.jpg");
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_CONTAINS(qwen3vl_result_text(r), "[image_url https://example.com/cat.jpg]");
    qwen3vl_result_free(r);
    r = send_image(c, "data:image/gif;base64,R0lGODlhAQABAAAAACw=");
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_CONTAINS(qwen3vl_result_text(r), "[image_url image/gif 14 ");
    qwen3vl_result_free(r);
    /* Malformed ones never leave. */
    static const struct { const char *url; const char *needle; } bad[] = {
        {"data:image/png;base64,@@@@", "base64 payload is malformed"},
        {"data:image/png;base64,AAA", "base64 payload is malformed"},
        {"data:image/png;base64,AA=A", "base64 payload is malformed"},
        {"data:text/plain;base64,AAAA", "not a known image type"},
        {"data:image/png,rawbytes", "not base64-encoded"},
        {"data:image/png;base64", "without a comma"},
        {"data:video/mp4;base64,AAAA", "not a known image type"},
        {"file://otherhost/etc/passwd", "another host"},
        {"file:///tmp/bad%zzescape.png", "bad %-escape"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = send_image(c, bad[i].url);
        CHECK_STATUS(r, QWEN3VL_ERR_INVALID_REQUEST);
        CHECK_CONTAINS(qwen3vl_result_error(r), "messages[0].content[1].image_url.url");
        CHECK_CONTAINS(qwen3vl_result_error(r), bad[i].needle);
        qwen3vl_result_free(r);
    }
    qwen3vl_client_free(c);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 2);
    json_t *body = request_body(reqs, 1);
    json_t *url = json_object_get(json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(body, "messages"), 0), "content"), 1), "image_url"), "url");
    CHECK_STR(json_string_value(url), "data:image/gif;base64,R0lGODlhAQABAAAAACw=");
    json_decref(body);
    json_decref(reqs);
}

/* Sends req (a video_url clip, then frames f1, f2 and a remote one) through a client with these
   options, checks that the stand-in got each byte for byte, the frames as frame_kind parts, and
   returns the content array it received (the caller decrefs). */
static json_t *send_video(const char *req, const char *options, const char *frame_kind, blob mp4, blob f1, blob f2) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, options);
    qwen3vl_result *r = qwen3vl_chat(c, req);
    CHECK_STATUS(r, QWEN3VL_OK);
    const char *text = qwen3vl_result_text(r);
    expect_media(text, "video_url", "video/mp4", mp4);
    expect_media(text, frame_kind, "image/png", f1);
    expect_media(text, frame_kind, "image/jpeg", f2);
    char remote[64];
    snprintf(remote, sizeof remote, "[%s https://example.com/f3.jpg]", frame_kind);
    CHECK_CONTAINS(text, remote);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    json_t *reqs = server_requests(uid), *body = request_body(reqs, 0);
    json_t *content = json_incref(json_object_get(json_array_get(json_object_get(body, "messages"), 0), "content"));
    json_decref(body);
    json_decref(reqs);
    return content;
}

static void test_video(void) {
    blob mp4 = make_mp4(), f1 = make_png(64, 64, 50), f2 = make_jpeg(64, 64);
    const char *clip = write_file("clip.bin", mp4);
    const char *p1 = write_file("frame1.dat", f1);
    const char *p2 = write_file("frame2.dat", f2);
    char *req = NULL;
    if (asprintf(&req, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video_url\",\"video_url\":{\"url\":\"%s\"}},"
                       "{\"type\":\"video\",\"video\":[\"%s\",\"file://%s\",\"https://example.com/f3.jpg\"]},"
                       "{\"type\":\"text\",\"text\":\"what happens?\"}]}]}", clip, p1, p2) < 0) abort();

    /* By default (and when asked) the frames become successive image_url parts, which every
       OpenAI-compatible server takes: a frame list is Qwen's own form, which many drop silently. */
    static const char *const as_images[] = {NULL, "\"video_frames_as_images\":true"};
    for (size_t k = 0; k < sizeof as_images / sizeof as_images[0]; k++) {
        json_t *content = send_video(req, as_images[k], "image_url", mp4, f1, f2);
        CHECK(json_array_size(content) == 5); /* video_url, three image_url frames, text */
        for (size_t j = 1; j <= 3; j++)
            CHECK_STR(json_string_value(json_object_get(json_array_get(content, j), "type")), "image_url");
        CHECK_STR(json_string_value(json_object_get(json_array_get(content, 4), "type")), "text");
        json_decref(content);
    }
    /* Qwen's own form kept when asked, for servers that take it, with local frames inlined. */
    json_t *content = send_video(req, "\"video_frames_as_images\":false", "frame", mp4, f1, f2);
    CHECK(json_array_size(content) == 3);
    CHECK_STR(json_string_value(json_object_get(json_array_get(content, 1), "type")), "video");
    CHECK(json_array_size(json_object_get(json_array_get(content, 1), "video")) == 3);
    json_decref(content);

    /* An image where a video belongs. */
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    free(req);
    if (asprintf(&req, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video_url\",\"video_url\":{\"url\":\"%s\"}}]}]}", p1) < 0) abort();
    qwen3vl_result *r = qwen3vl_chat(c, req);
    CHECK_STATUS(r, QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(qwen3vl_result_error(r), "messages[0].content[0].video_url.url");
    CHECK_CONTAINS(qwen3vl_result_error(r), "not a video");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    free(req);
    free(mp4.data);
    free(f1.data);
    free(f2.data);
}

static int count_delta(const char *t, size_t n, const char *j, void *u) { (void)t; (void)n; (void)j; ++*(int *)u; return 0; }

static void test_streamed_image(void) {
    blob b = make_png(50, 40, 5000);
    const char *path = write_file("streamed.png", b);
    char *req = image_request(path);
    qwen3vl_client *c = client_for("sse:pieces=64", new_uid(), NULL);
    int n = 0;
    qwen3vl_result *r = qwen3vl_chat_stream(c, req, count_delta, &n);
    CHECK_STATUS(r, QWEN3VL_OK);
    expect_media(qwen3vl_result_text(r), "image_url", "image/png", b);
    CHECK(n > 10);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    free(req);
    free(b.data);
}

/* ---- in-memory images ---- */

static void test_in_memory_images(void) {
    blob png = make_png(3, 2, 100);
    char err[256] = "unset";
    char *uri = NULL;
    size_t uri_len = 0;
    CHECK(qwen3vl_image_data_uri(png.data, png.len, &uri, &uri_len, err, sizeof err) == QWEN3VL_OK);
    CHECK(uri != NULL && strlen(uri) == uri_len && err[0] == 0);
    CHECK(strncmp(uri, "data:image/png;base64,", 22) == 0);
    unsigned char *back = malloc(png.len + 3);
    CHECK(b64decode(uri + 22, back) == png.len && memcmp(back, png.data, png.len) == 0);
    free(back);

    /* Straight into a request, and the server gets the same bytes. */
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    qwen3vl_result *r = send_image(c, uri);
    CHECK_STATUS(r, QWEN3VL_OK);
    expect_media(qwen3vl_result_text(r), "image_url", "image/png", png);
    qwen3vl_result_free(r);
    qwen3vl_free(uri);

    char *part = NULL;
    size_t part_len = 0;
    CHECK(qwen3vl_image_part_json(png.data, png.len, "high", &part, &part_len, err, sizeof err) == QWEN3VL_OK);
    CHECK(part && strlen(part) == part_len);
    json_t *j = json_loads(part ? part : "", 0, NULL);
    CHECK_STR(json_string_value(json_object_get(j, "type")), "image_url");
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "image_url"), "detail")), "high");
    CHECK(strncmp(json_string_value(json_object_get(json_object_get(j, "image_url"), "url")), "data:image/png;base64,", 22) == 0);
    char *req = NULL;
    if (asprintf(&req, "{\"messages\":[{\"role\":\"user\",\"content\":[%s]}]}", part) < 0) abort();
    r = qwen3vl_chat(c, req);
    CHECK_STATUS(r, QWEN3VL_OK);
    expect_media(qwen3vl_result_text(r), "image_url", "image/png", png);
    qwen3vl_result_free(r);
    free(req);
    json_decref(j);
    qwen3vl_free(part);
    CHECK(qwen3vl_image_part_json(png.data, png.len, NULL, &part, NULL, NULL, 0) == QWEN3VL_OK);
    CHECK(part && !strstr(part, "detail"));
    qwen3vl_free(part);
    CHECK(qwen3vl_image_part_json(png.data, png.len, "ultra", &part, &part_len, err, sizeof err)
          == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(part == NULL && part_len == 0);
    CHECK_CONTAINS(err, "detail");

    /* Each failure has its own status and message, and clears the outputs. */
    CHECK(qwen3vl_image_data_uri("hello", 5, &uri, &uri_len, err, sizeof err) == QWEN3VL_ERR_FILE);
    CHECK(uri == NULL && uri_len == 0);
    CHECK_CONTAINS(err, "not an image");
    CHECK(qwen3vl_image_data_uri(NULL, 5, &uri, &uri_len, err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(err, "bytes is NULL");
    CHECK(qwen3vl_image_data_uri(png.data, 0, &uri, NULL, NULL, 0) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(qwen3vl_image_data_uri(png.data, png.len, NULL, &uri_len, err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(err, "out is NULL");
    qwen3vl_free(NULL);

    /* Raw pixels: a 3×2 BGRA frame becomes a PNG of that size. */
    unsigned char pixels[2][16] = {{0}};
    for (int y = 0; y < 2; y++) for (int x = 0; x < 3; x++) {
        pixels[y][x * 4] = 255; pixels[y][x * 4 + 3] = 255; /* blue, opaque */
    }
    CHECK(qwen3vl_pixels_data_uri(pixels, sizeof pixels, 3, 2, 16, QWEN3VL_PIXELS_BGRA8, &uri, &uri_len, err, sizeof err)
          == QWEN3VL_OK);
    CHECK(uri != NULL && strlen(uri) == uri_len);
    unsigned char decoded[512];
    size_t n = uri ? b64decode(uri + 22, decoded) : 0;
    int w = 0, h = 0;
    CHECK(qwen3vl_image_size_from_bytes(decoded, n, &w, &h, err, sizeof err) == QWEN3VL_OK && w == 3 && h == 2);
    r = send_image(c, uri);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_CONTAINS(qwen3vl_result_text(r), "[image_url image/png ");
    qwen3vl_result_free(r);
    qwen3vl_free(uri);
    /* Stride 0: rows packed. 3 × 2 grey pixels are 6 bytes, and 5 are too few. */
    CHECK(qwen3vl_pixels_data_uri(pixels, 6, 3, 2, 0, QWEN3VL_PIXELS_GRAY8, &uri, &uri_len, err, sizeof err) == QWEN3VL_OK);
    n = uri ? b64decode(uri + 22, decoded) : 0;
    CHECK(qwen3vl_image_size_from_bytes(decoded, n, &w, &h, NULL, 0) == QWEN3VL_OK && w == 3 && h == 2);
    qwen3vl_free(uri);
    CHECK(qwen3vl_pixels_data_uri(pixels, 5, 3, 2, 0, QWEN3VL_PIXELS_GRAY8, &uri, &uri_len, err, sizeof err)
          == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(uri == NULL && uri_len == 0);
    CHECK_CONTAINS(err, "holds 5 bytes, fewer than the 6");
    /* The buffer's length is checked, not trusted from width, height and stride: a frame one byte
       short of its last row is refused instead of read past. */
    CHECK(qwen3vl_pixels_data_uri(pixels, 16 + 11, 3, 2, 16, QWEN3VL_PIXELS_BGRA8, &uri, &uri_len, err, sizeof err)
          == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(qwen3vl_pixels_data_uri(pixels, sizeof pixels, 3, 2, 8, QWEN3VL_PIXELS_RGBA8, &uri, &uri_len, err, sizeof err)
          == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(err, "stride");
    CHECK(qwen3vl_pixels_data_uri(pixels, sizeof pixels, 3, 2, 16, 99, &uri, &uri_len, err, sizeof err)
          == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(qwen3vl_pixels_data_uri(pixels, sizeof pixels, 0, 2, 16, QWEN3VL_PIXELS_RGB8, &uri, &uri_len, err, sizeof err)
          == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(qwen3vl_pixels_data_uri(NULL, 32, 3, 2, 16, QWEN3VL_PIXELS_RGB8, &uri, &uri_len, err, sizeof err)
          == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(uri == NULL);
    qwen3vl_client_free(c);
    free(png.data);
}

/* ---- sizes and tokens ---- */

static void test_image_sizes(void) {
    struct { const char *name; blob b; int w, h; } files[] = {
        {"s.png", make_png(640, 480, 0), 640, 480},
        {"s.jpg", make_jpeg(1920, 1080), 1920, 1080},
        {"s.gif", make_gif(32, 16), 32, 16},
        {"s.bmp", make_bmp(7, -5), 7, 5},
        {"s.webp", make_webp(300, 200), 300, 200},
    };
    char err[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *path = write_file(files[i].name, files[i].b);
        int w = -1, h = -1;
        CHECK(qwen3vl_image_size(path, &w, &h, err, sizeof err) == QWEN3VL_OK);
        CHECK(w == files[i].w && h == files[i].h);
        w = h = -1;
        CHECK(qwen3vl_image_size_from_bytes(files[i].b.data, files[i].b.len, &w, &h, err, sizeof err) == QWEN3VL_OK);
        CHECK(w == files[i].w && h == files[i].h);
        free(files[i].b.data);
    }
    int w, h;
    char missing[300];
    snprintf(missing, sizeof missing, "%s/missing.png", dir);
    CHECK(qwen3vl_image_size(missing, &w, &h, err, sizeof err) == QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(err, missing);
    blob t = make_png(1, 1, 0);
    t.len = 12;
    CHECK(qwen3vl_image_size(write_file("t.png", t), &w, &h, err, sizeof err) == QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(err, "truncated");
    CHECK(qwen3vl_image_size_from_bytes(t.data, t.len, &w, &h, err, sizeof err) == QWEN3VL_ERR_FILE);
    CHECK(w == 0 && h == 0);
    CHECK_CONTAINS(err, "truncated");
    free(t.data);
    CHECK(qwen3vl_image_size(NULL, &w, &h, err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(qwen3vl_image_size_from_bytes(NULL, 0, &w, &h, err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(err, "bytes is NULL");
}

/* qwen3vl_image_tokens' count, or -1 where it refuses the size (INVALID_ARGUMENT, with a message). */
static int64_t tokens(int w, int h, int64_t min_pixels, int64_t max_pixels) {
    int64_t n = 99;
    char err[256];
    int status = qwen3vl_image_tokens(w, h, min_pixels, max_pixels, &n, err, sizeof err);
    if (status == QWEN3VL_OK) {
        CHECK(err[0] == 0);
        return n;
    }
    CHECK(status == QWEN3VL_ERR_INVALID_ARGUMENT && n == 0 && err[0] != 0);
    return -1;
}

static void test_image_tokens(void) {
    /* Worked by hand from transformers' smart_resize (factor 32, Python's round-half-to-even). */
    static const struct { int w, h; int64_t min, max, tokens; } cases[] = {
        {640, 480, 0, 0, 300},       /* 20 × 15 blocks, no resizing */
        {1920, 1080, 0, 0, 2040},    /* 1080 / 32 = 33.75 -> 34 rows, 60 columns */
        {1000, 1000, 0, 0, 961},     /* 31.25 -> 31 */
        {48, 48, 4096, 0, 4},        /* 1.5 -> 2 (to even), with qwen-vl-utils' smaller minimum */
        {80, 80, 4096, 0, 4},        /* 2.5 -> 2 (to even), not 3 */
        {32, 32, 0, 0, 64},          /* below min_pixels (65536 by default): scaled up to 256 × 256 */
        {100, 80, 0, 0, 72},         /* as transformers serve counted it */
        {1, 1, 0, 0, 64},            /* tiny */
        {3000, 15, 0, 0, 114},       /* a side of 16 px or less rounds to 0, then all is scaled up */
        {16, 112, 4096, 0, 6},
        {10000, 10000, 0, 0, 16384}, /* huge: scaled down to 4096 × 4096 */
        {4000, 3000, 0, 0, 11750},   /* 12 MP photo: 125 × 94 blocks after scaling */
        {200, 1, 0, 0, 114},         /* aspect ratio 200, the most allowed */
        {8000, 40, 0, 0, 250},
        {100, 20000, 0, 0, 1875},
        {1920, 1080, 0, 1003520, 943},        /* a smaller max_pixels */
        {640, 480, 1000000, 0, 1036},         /* a larger min_pixels: scaled up to 1184 × 896 */
        {201, 1, 0, 0, -1},                   /* too elongated */
        {0, 10, 0, 0, -1},
        {-5, 10, 0, 0, -1},
        {10, 10, 5000, 4000, -1},             /* min above max */
        {10, 10, -1, 0, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = tokens(cases[i].w, cases[i].h, cases[i].min, cases[i].max);
        if (got != cases[i].tokens)
            fprintf(stderr, "    tokens(%d, %d, %lld, %lld) = %lld, wanted %lld\n", cases[i].w, cases[i].h,
                    (long long)cases[i].min, (long long)cases[i].max, (long long)got, (long long)cases[i].tokens);
        CHECK(got == cases[i].tokens);
    }
}

/* Every row of Tests/data/image_tokens.tsv, which scripts/gen_image_tokens.py made with transformers'
   own smart_resize: sides of 16 px or less, aspect ratios about 200, sides up to 2^31 - 1, limits
   from 1 to 2^63 - 1. Rows with the model's own limits are asked again with 0, 0 (the defaults). */
static void test_image_tokens_match_transformers(void) {
    FILE *f = fopen("Tests/data/image_tokens.tsv", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[256];
    int rows = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        long long w, h, lo, hi, want;
        if (line[0] == '#' || sscanf(line, "%lld %lld %lld %lld %lld", &w, &h, &lo, &hi, &want) != 5) continue;
        rows++;
        int64_t got = tokens((int)w, (int)h, lo, hi);
        int64_t by_default = lo == 65536 && hi == 16777216 ? tokens((int)w, (int)h, 0, 0) : got;
        if ((got != want || by_default != want) && ++wrong <= 10)
            fprintf(stderr, "    tokens(%lld, %lld, %lld, %lld) = %lld (with 0, 0: %lld), transformers: %lld\n",
                    w, h, lo, hi, (long long)got, (long long)by_default, want);
    }
    fclose(f);
    if (wrong) fprintf(stderr, "    %d of %d rows differ from transformers\n", wrong, rows);
    CHECK(rows > 4000);
    CHECK(wrong == 0);
}

/* ---- grounding ---- */

static void expect_grounding(const char *text, int w, int h, const char *want) {
    char err[128], *got = NULL;
    size_t got_len = 0;
    CHECK(qwen3vl_grounding_parse(text, strlen(text), w, h, &got, &got_len, err, sizeof err) == QWEN3VL_OK);
    CHECK(got && strlen(got) == got_len);
    json_t *g = json_loads(got ? got : "null", 0, NULL), *e = json_loads(want, 0, NULL);
    if (!json_equal(g, e)) fprintf(stderr, "    grounding gave %s, wanted %s\n", got ? got : err, want);
    CHECK(json_equal(g, e));
    json_decref(g);
    json_decref(e);
    qwen3vl_free(got);
}

static void test_grounding(void) {
    expect_grounding("```json\n[\n\t{\"bbox_2d\": [120, 45, 380, 600], \"label\": \"cat\"},\n"
                     "\t{\"bbox_2d\": [500, 100, 900, 700], \"label\": \"dog\"}\n]\n```", 1000, 800,
                     "[{\"bbox_2d\":[120,36,380,480],\"label\":\"cat\"},{\"bbox_2d\":[500,80,900,560],\"label\":\"dog\"}]");
    expect_grounding("Sure! The cat is here: {\"bbox_2d\": [10, 20, 30, 40], \"label\": \"cat\"}, and the dog's nose is "
                     "at {\"point_2d\": [500, 500], \"label\": \"dog nose\"}. Anything else?", 640, 480,
                     "[{\"bbox_2d\":[6,9,19,19],\"label\":\"cat\"},{\"point_2d\":[320,240],\"label\":\"dog nose\"}]");
    /* Outside the image and corners given the wrong way round: clamped and put in order. */
    expect_grounding("[{\"bbox_2d\": [1100, 900, -5, 10], \"label\": \"edge\"}]", 200, 100,
                     "[{\"bbox_2d\":[0,1,200,90],\"label\":\"edge\"}]");
    /* Extra keys stay; other JSON in the answer is ignored. */
    expect_grounding("{\"objects\": [{\"bbox_2d\": [0, 0, 1000, 1000], \"label\": \"all\", \"score\": 0.9}], \"note\": [1, 2]}",
                     10, 10, "[{\"bbox_2d\":[0,0,10,10],\"label\":\"all\",\"score\":0.9}]");
    /* An answer cut off by max_tokens still gives its whole objects. */
    expect_grounding("```json\n[{\"bbox_2d\":[100,100,200,200],\"label\":\"a\"},{\"bbox_2d\":[5,", 1000, 1000,
                     "[{\"bbox_2d\":[100,100,200,200],\"label\":\"a\"}]");
    expect_grounding("I do not see any cat in this image.", 100, 100, "[]");
    expect_grounding("[{\"bbox_2d\": [1, 2, 3], \"label\": \"short\"}, {\"point_2d\": [\"a\", 2]}]", 100, 100, "[]");
    /* Read as jansson reads JSON: escaped keys are keys, the last of a repeated key wins, a label
       that is not a string gives way to text_content, numbers may be reals; items are looked for
       in containers up to 8 deep. */
    expect_grounding("[{\"bbox\\u005f2d\": [0, 0, 1e3, 1000], \"lab\\u0065l\": \"caf\\u00e9 \\\"x\\\" \\ud83d\\ude00\"}]", 10, 10,
                     "[{\"bbox_2d\":[0,0,10,10],\"label\":\"caf\\u00e9 \\\"x\\\" \\ud83d\\ude00\"}]");
    expect_grounding("{\"bbox_2d\": [1, 1, 1, 1], \"label\": \"old\", \"bbox_2d\": [0, 0, 500.9, 5e2], \"label\": \"new\"}", 10, 10,
                     "[{\"bbox_2d\":[0,0,5,5],\"label\":\"new\"}]");
    expect_grounding("[{\"bbox_2d\": [0, 0, 1, 1, 1], \"point_2d\": [-0, 250.5], \"label\": 7, \"text_content\": \"seven\", \"x\": {\"point_2d\": [1, 1]}}]",
                     100, 100, "[{\"bbox_2d\":[0,0,1,1,1],\"point_2d\":[0,25],\"label\":7,\"text_content\":\"seven\",\"x\":{\"point_2d\":[1,1]}}]");
    expect_grounding("[[[[[[[{\"point_2d\": [100, 200]}]]]]]], [[[[[[[[{\"point_2d\": [1, 2]}]]]]]]]], {\"a\": {\"b\": [{\"point_2d\": [3, 4]}]}}",
                     10, 10, "[{\"point_2d\":[1,2]},{\"point_2d\":[0,0]}]");
    /* The text's length is what counts: a NUL inside (a reply may carry one) does not cut it. */
    static const char with_nul[] = "the \0 cat: {\"bbox_2d\": [0, 0, 500, 500], \"label\": \"cat\"}";
    char err[128], *got = NULL;
    size_t got_len = 0;
    CHECK(qwen3vl_grounding_parse(with_nul, sizeof with_nul - 1, 10, 10, &got, &got_len, err, sizeof err) == QWEN3VL_OK);
    json_t *found = json_loadb(got ? got : "", got_len, 0, NULL), *want = json_loads("[{\"bbox_2d\":[0,0,5,5],\"label\":\"cat\"}]", 0, NULL);
    CHECK(json_equal(found, want));
    json_decref(found);
    json_decref(want);
    qwen3vl_free(got);
    CHECK(qwen3vl_grounding_parse("[]", 2, 0, 100, &got, &got_len, err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(got == NULL && got_len == 0);
    CHECK_CONTAINS(err, "positive");
    CHECK(qwen3vl_grounding_parse(NULL, 0, 10, 10, &got, &got_len, err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(qwen3vl_grounding_parse("\xff", 1, 10, 10, &got, &got_len, err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(err, "UTF-8");
}

/* Pixels as Qwen's cookbooks compute them, int(v / 1000 * size): truncated, in floating point in
   that order. Every coordinate here comes out differently when rounded (15 on 640 px is 9.6) or
   when computed exactly (290 on 100 px is 28.999999999999996 in floating point). */
static void test_grounding_truncates_like_qwen(void) {
    expect_grounding("[{\"bbox_2d\": [15, 30, 999, 501], \"label\": \"a\"}]", 640, 480,
                     "[{\"bbox_2d\":[9,14,639,240],\"label\":\"a\"}]");
    expect_grounding("[{\"bbox_2d\": [290, 9, 570, 141], \"label\": \"b\"}, {\"point_2d\": [580, 71], \"label\": \"c\"}]",
                     100, 3000, "[{\"bbox_2d\":[28,26,56,422],\"label\":\"b\"},{\"point_2d\":[57,212],\"label\":\"c\"}]");
}

/* size bytes: `unit` again and again after `head`, NUL-terminated. */
static char *repeated(const char *head, const char *unit, size_t size) {
    size_t h = strlen(head), u = strlen(unit);
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, head, h);
    for (size_t at = h; at < size; at += u) memcpy(s + at, unit, at + u <= size ? u : size - at);
    s[size] = 0;
    return s;
}

/* Hostile answers cost time in proportion to their length: trying a parse at every bracket once
   took seconds for 100 KB of unclosed brackets. Each shape takes milliseconds natively and well
   under a second under valgrind. The last two are a quarter MiB: every object in them is parsed
   and looked at, whose many small allocations valgrind slows most. */
static void test_grounding_is_linear(void) {
    static const struct { const char *head, *unit; size_t size, items; } shapes[] = {
        {"[", "0,0,0,0,0,0,0,[", 1u << 20, 0}, /* unclosed arrays, each a little deeper */
        {"", "[", 1u << 20, 0},
        {"", "{", 1u << 20, 0},
        {"", "{\"a\":", 1u << 20, 0},
        {"", "[{\"a\":[1,{\"b\":", 1u << 20, 0},
        {"", "```json\n[\n", 1u << 20, 0},
        {"", "[\"", 1u << 20, 0},             /* strings that never end where a value does */
        {"[\"", "a", 1u << 20, 0},            /* one string that never ends */
        {"[1.", "7", 1u << 20, 0},            /* one long number */
        {"", "[}{]", 1u << 20, 0},
        {"", "{}", 1u << 20, 0},
        {"", "{\"bbox_2d\":0}", 1u << 18, 0},  /* item keys without items: each object is parsed */
        {"[", "{\"bbox_2d\":[1,2,3,4],\"label\":\"x\"},", 1u << 18, 7710}, /* a cut-short answer, many boxes */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char *text = repeated(shapes[i].head, shapes[i].unit, shapes[i].size), err[128], *got = NULL;
        double t0 = now_ms();
        CHECK(qwen3vl_grounding_parse(text, shapes[i].size, 1000, 1000, &got, NULL, err, sizeof err) == QWEN3VL_OK);
        double ms = now_ms() - t0;
        json_t *items = json_loads(got ? got : "null", 0, NULL);
        if (ms > 1000 * t_slow || json_array_size(items) != shapes[i].items)
            fprintf(stderr, "    shape %zu (%s...): %.0f ms, %zu items\n", i, shapes[i].unit, ms, json_array_size(items));
        CHECK(ms < 1000 * t_slow);
        CHECK(json_is_array(items) && json_array_size(items) == shapes[i].items);
        json_decref(items);
        qwen3vl_free(got);
        free(text);
    }
}

int main(int argc, char **argv) {
    snprintf(dir, sizeof dir, "/tmp/qwen3vl-vision-%d", (int)getpid());
    mkdir(dir, 0755);
    chmod(dir, 0755);
    static const test_case tests[] = {
        {"local_images", test_local_images},
        {"large_image_and_retry", test_large_image_and_retry},
        {"bad_files", test_bad_files},
        {"fifo", test_fifo},
        {"unreadable_file", test_unreadable_file},
        {"data_and_remote_urls", test_data_and_remote_urls},
        {"video", test_video},
        {"streamed_image", test_streamed_image},
        {"in_memory_images", test_in_memory_images},
        {"image_sizes", test_image_sizes},
        {"image_tokens", test_image_tokens},
        {"image_tokens_match_transformers", test_image_tokens_match_transformers},
        {"grounding", test_grounding},
        {"grounding_truncates_like_qwen", test_grounding_truncates_like_qwen},
        {"grounding_is_linear", test_grounding_is_linear},
    };
    int rc = RUN_TESTS("vision", tests);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) rc = 1;
    return rc;
}
