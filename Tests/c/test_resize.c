/* The client-side resize through the C API, small enough for the valgrind and sanitizer runs of
 * the C tests: the codecs (loaded with dlopen), the resampler and the encoders on images made
 * here, the result read back from what the stand-in received. Fidelity to Pillow, the full table
 * of formats and the memory bound are Tests/resize/test_resize.py's. */
#include "harness.h"

#include <pthread.h>
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

/* A budget under min_pixels is refused, naming it; at min_pixels and just above, where the
 * processor's rounding would floor 384 x 256 to 64 x 32 (under min_pixels, which the model scales
 * back up, over the budget), the sides sent are the multiples of 32 within [min_pixels, budget]
 * nearest its aspect ratio. Whatever is sent, the model keeps it as it is: its tokens are its
 * pixels / 1024, within the budget. */
static void test_budget_near_min_pixels(void) {
    char err[256];
    qwen3vl_client *refused = qwen3vl_client_new(
        "{\"base_url\":\"http://127.0.0.1:9/v1\",\"resize\":{\"max_pixels\":4095},\"min_pixels\":4096}", err, sizeof err);
    CHECK(refused == NULL);
    CHECK_CONTAINS(err, "option resize.max_pixels (4095) must be at least min_pixels (4096)");
    qwen3vl_client *c = client_for("ok", new_uid(), "\"min_pixels\":4096");
    char *rgb = png_uri(384, 256, QWEN3VL_PIXELS_RGB8);
    qwen3vl_result *r = send_url(c, rgb, "{\"resize\":{\"max_pixels\":4000}}");
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(qwen3vl_result_error(r), "option resize.max_pixels (4000) must be at least min_pixels (4096)");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    static const struct {
        int budget, width, height;
    } table[] = {{4096, 64, 64}, {4097, 64, 64}, {5119, 64, 64}, {6144, 96, 64}, {12000, 128, 64}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char call[96];
        snprintf(call, sizeof call, "{\"resize\":{\"max_pixels\":%d}}", table[i].budget);
        expect_resized(rgb, "\"min_pixels\":4096", call, "image/jpeg", table[i].width, table[i].height);
        int64_t tokens = 0;
        CHECK(qwen3vl_image_tokens(table[i].width, table[i].height, 4096, 0, &tokens, NULL, 0) == QWEN3VL_OK);
        CHECK(tokens == table[i].width * table[i].height / 1024 && tokens * 1024 <= table[i].budget);
    }
    qwen3vl_free(rgb);
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

/* ---- non-blocking calls: the resize runs on the client's preparer thread ---- */

static const char *SMALL_BUDGET = "\"resize\":{\"max_pixels\":12000},\"min_pixels\":1024";

static char *image_request(const char *url) {
    json_t *req = json_pack("{s:[{s:s,s:[{s:s,s:{s:s}}]}]}", "messages", "role", "user", "content", "type", "image_url",
                            "image_url", "url", url);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return body;
}

/* A log function that holds the thread reporting a resize until the test lets it go: the call is
 * then provably still in preparation, whatever the machine's speed. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int resizes, held, release, timed_out;
    pthread_t resize_thread, post_thread;
} hold = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0};

static void holding_log(int level, const char *message, void *user) {
    (void)level; (void)user;
    pthread_mutex_lock(&hold.lock);
    if (strncmp(message, "POST ", 5) == 0 && strstr(message, "attempt 1,")) hold.post_thread = pthread_self();
    if (strstr(message, " resized to ")) {
        hold.resizes++;
        hold.resize_thread = pthread_self();
        hold.held = 1;
        pthread_cond_broadcast(&hold.cond);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)(10 * t_slow);
        while (!hold.release && !hold.timed_out)
            if (pthread_cond_timedwait(&hold.cond, &hold.lock, &until) != 0) hold.timed_out = 1;
        hold.held = 0;
    }
    pthread_mutex_unlock(&hold.lock);
}

/* A client whose resizes the test holds; waits for the first to be held. */
static qwen3vl_client *holding_client(const char *uid) {
    pthread_mutex_lock(&hold.lock);
    hold.resizes = hold.held = hold.release = hold.timed_out = 0;
    pthread_mutex_unlock(&hold.lock);
    qwen3vl_client *c = client_for("ok", uid, SMALL_BUDGET);
    if (c) qwen3vl_client_set_log(c, holding_log, QWEN3VL_LOG_DEBUG, NULL);
    return c;
}

static int wait_held(void) {
    pthread_mutex_lock(&hold.lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(10 * t_slow);
    while (!hold.held && pthread_cond_timedwait(&hold.cond, &hold.lock, &until) == 0) {}
    int held = hold.held;
    pthread_mutex_unlock(&hold.lock);
    return held;
}

static void let_go(void) {
    pthread_mutex_lock(&hold.lock);
    hold.release = 1;
    pthread_cond_broadcast(&hold.cond);
    pthread_mutex_unlock(&hold.lock);
}

static void test_call_start_leaves_the_resize_to_a_thread(void) {
    char *uri = png_uri(384, 256, QWEN3VL_PIXELS_RGB8);
    char *body = image_request(uri);
    const char *uid = new_uid();
    qwen3vl_client *c = holding_client(uid);
    int tag = 7;
    qwen3vl_call *call = qwen3vl_call_start(c, body, NULL, &tag);
    /* Back while the resize is held in preparation: it was not run on this thread. */
    CHECK(call != NULL);
    CHECK(wait_held());
    CHECK(!pthread_equal(hold.resize_thread, pthread_self()));
    /* A plain call of the same client goes out and ends meanwhile: the I/O thread is not held. */
    qwen3vl_call *plain = qwen3vl_call_start(c, HELLO, NULL, NULL);
    qwen3vl_event *ev = wait_event(c, 5000);
    CHECK(ev && qwen3vl_event_call(ev) == plain && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE);
    CHECK_STATUS(qwen3vl_call_result(plain), QWEN3VL_OK);
    CHECK(hold.held && !hold.timed_out); /* still held, and not for long enough to have been let go */
    qwen3vl_event_free(ev);
    qwen3vl_call_free(plain);
    let_go();
    ev = wait_event(c, 5000);
    CHECK(ev && qwen3vl_event_call(ev) == call && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE);
    CHECK(ev && qwen3vl_event_user_data(ev) == &tag);
    CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_OK);
    /* Nor on the I/O thread, which sent the requests. */
    CHECK(!pthread_equal(hold.resize_thread, hold.post_thread));
    CHECK(!hold.timed_out && hold.resizes == 1);
    qwen3vl_event_free(ev);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
    /* What was sent is the resized image. */
    size_t len;
    char mime[64] = "";
    unsigned char *bytes = received(uid, &len, mime, sizeof mime);
    int w = 0, h = 0;
    CHECK(bytes && qwen3vl_image_size_from_bytes(bytes, len, &w, &h, NULL, 0) == QWEN3VL_OK && w == 128 && h == 64);
    CHECK_STR(mime, "image/jpeg");
    free(bytes);
    free(body);
    qwen3vl_free(uri);
}

static void test_cancel_during_preparation(void) {
    char *uri = png_uri(384, 256, QWEN3VL_PIXELS_RGB8);
    char *body = image_request(uri);
    const char *uid = new_uid();
    qwen3vl_client *c = holding_client(uid);
    qwen3vl_call *first = qwen3vl_call_start(c, body, NULL, NULL);
    CHECK(wait_held());
    qwen3vl_call *queued = qwen3vl_call_start(c, body, NULL, NULL); /* waits for the first */
    qwen3vl_call_cancel(queued);
    qwen3vl_call_cancel(first); /* resized, not yet sent */
    let_go();
    for (int i = 0; i < 2; i++) {
        qwen3vl_event *ev = wait_event(c, 5000);
        CHECK(ev && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE);
        qwen3vl_event_free(ev);
    }
    CHECK_STATUS(qwen3vl_call_result(first), QWEN3VL_ERR_CANCELLED);
    CHECK_STATUS(qwen3vl_call_result(queued), QWEN3VL_ERR_CANCELLED);
    CHECK_STR(qwen3vl_result_error(qwen3vl_call_result(queued)), "cancelled before it was sent");
    CHECK(hold.resizes == 1); /* the queued call's image was never resized */
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 0); /* nothing was sent */
    json_decref(reqs);
    qwen3vl_call_free(first);
    qwen3vl_call_free(queued);
    qwen3vl_client_free(c);
    free(body);
    qwen3vl_free(uri);
}

static void test_preparation_errors_arrive_as_done(void) {
    char *uri = png_uri(384, 256, QWEN3VL_PIXELS_RGB8);
    strchr(uri, ',')[1 + 1024 / 3 * 4] = 0; /* a damaged PNG */
    char *body = image_request(uri);
    qwen3vl_client *c = client_for("ok", new_uid(), SMALL_BUDGET);
    qwen3vl_call *call = qwen3vl_call_start(c, body, NULL, NULL);
    qwen3vl_call *bad = qwen3vl_call_start(
        c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"\"}}]}]}", NULL, NULL);
    for (int i = 0; i < 2; i++) qwen3vl_event_free(wait_event(c, 5000));
    CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(qwen3vl_result_error(qwen3vl_call_result(call)),
                   "messages[0].content[0].image_url.url: the image/png could not be ");
    CHECK_STATUS(qwen3vl_call_result(bad), QWEN3VL_ERR_INVALID_REQUEST);
    CHECK_STR(qwen3vl_result_error(qwen3vl_call_result(bad)), "messages[0].content[0].image_url.url must not be empty");
    qwen3vl_call_free(call);
    qwen3vl_call_free(bad);
    qwen3vl_client_free(c);
    free(body);
    qwen3vl_free(uri);
}

static void test_streamed_call_with_resize(void) {
    /* Prepared on the preparer thread, then streamed by the I/O thread: deltas in order, DONE last. */
    char *uri = png_uri(384, 256, QWEN3VL_PIXELS_RGB8);
    char *body = image_request(uri);
    qwen3vl_client *c = client_for("sse:delay=2", new_uid(), SMALL_BUDGET);
    qwen3vl_call *call = qwen3vl_call_start(c, body, "{\"stream\": true}", NULL);
    char text[512] = "";
    size_t len = 0;
    int deltas = 0, done = 0, after_done = 0;
    for (qwen3vl_event *ev; (ev = wait_event(c, done ? 200 : 5000)); qwen3vl_event_free(ev)) {
        if (done) after_done++;
        if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE) {
            done = 1;
        } else {
            size_t n;
            const char *t = qwen3vl_event_text(ev, &n);
            if (len + n < sizeof text) { memcpy(text + len, t, n); len += n; text[len] = 0; }
            deltas++;
        }
    }
    CHECK(done && deltas > 1 && after_done == 0);
    qwen3vl_result *r = qwen3vl_call_result(call);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(text, qwen3vl_result_text(r));
    CHECK_CONTAINS(text, "[image_url image/jpeg ");
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
    free(body);
    qwen3vl_free(uri);
}

static void test_free_client_while_preparing(void) {
    /* Calls queued and one under way when the client goes: cancelled, the threads joined, nothing
       left behind (the valgrind and sanitizer runs check the memory). */
    char *uri = png_uri(1536, 1024, QWEN3VL_PIXELS_RGB8);
    char *body = image_request(uri);
    int before = threads_now();
    qwen3vl_client *c = client_for("ok", new_uid(), SMALL_BUDGET);
    qwen3vl_call *calls[4];
    for (int i = 0; i < 4; i++) calls[i] = qwen3vl_call_start(c, body, NULL, NULL);
    CHECK(threads_now() - before <= 2); /* the preparer thread, and the I/O thread once one is ready */
    qwen3vl_client_free(c);
    CHECK(threads_now() == before);
    for (int i = 0; i < 4; i++) qwen3vl_call_free(calls[i]);
    free(body);
    qwen3vl_free(uri);
}

static void test_fork_prepares_on_its_own_thread(void) {
    if (T_UNDER_TSAN) return; /* ThreadSanitizer refuses to start threads in a child forked from a threaded process. */
    char *uri = png_uri(384, 256, QWEN3VL_PIXELS_RGB8);
    char *body = image_request(uri);
    qwen3vl_client *c = client_for("ok", new_uid(), SMALL_BUDGET);
    qwen3vl_call *warm = qwen3vl_call_start(c, body, NULL, NULL); /* the parent's preparer runs */
    qwen3vl_event_free(wait_event(c, 5000));
    CHECK_STATUS(qwen3vl_call_result(warm), QWEN3VL_OK);
    qwen3vl_call_free(warm);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        qwen3vl_call *call = qwen3vl_call_start(c, body, NULL, NULL);
        qwen3vl_event *ev = qwen3vl_client_next_event(c, (int)(5000 * t_slow));
        _exit(ev && qwen3vl_result_status(qwen3vl_call_result(call)) == QWEN3VL_OK ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    qwen3vl_client_free(c);
    free(body);
    qwen3vl_free(uri);
}

int main(int argc, char **argv) {
    snprintf(dir, sizeof dir, "/tmp/qwen3vl-resize-%d", (int)getpid());
    mkdir(dir, 0755);
    static const test_case tests[] = {
        {"png_to_jpeg_and_back", test_png_to_jpeg_and_back},
        {"alpha_and_grey", test_alpha_and_grey},
        {"budget_near_min_pixels", test_budget_near_min_pixels},
        {"damaged_png", test_damaged_png},
        {"call_start_leaves_the_resize_to_a_thread", test_call_start_leaves_the_resize_to_a_thread},
        {"cancel_during_preparation", test_cancel_during_preparation},
        {"preparation_errors_arrive_as_done", test_preparation_errors_arrive_as_done},
        {"streamed_call_with_resize", test_streamed_call_with_resize},
        {"free_client_while_preparing", test_free_client_while_preparing},
        {"fork_prepares_on_its_own_thread", test_fork_prepares_on_its_own_thread},
    };
    int rc = RUN_TESTS("resize", tests);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) rc = 1;
    return rc;
}
