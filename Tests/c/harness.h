/* SPDX-License-Identifier: MIT */
/* A small test harness for the C tests: checks, a test table, and the local stand-in server
 * (Tests/server/stand_in.py), started on a free 127.0.0.1 port and stopped by the tests themselves.
 * Prints "N passed, N failed" as its last line. */
#ifndef QWEN3VL_TEST_HARNESS_H
#define QWEN3VL_TEST_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <curl/curl.h>
#include <dirent.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qwen3vl.h"

/* 1 in a ThreadSanitizer build. */
#if defined(__SANITIZE_THREAD__)
#define T_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define T_UNDER_TSAN 1
#endif
#endif
#ifndef T_UNDER_TSAN
#define T_UNDER_TSAN 0
#endif

static int t_failed_now;
static int t_port;
static pid_t t_server_pid;
static FILE *t_server_in;
static int t_uid_counter;
/* Time limits in tests are multiplied by this under valgrind (QWEN3VL_TEST_SLOW=N). */
static double t_slow = 1.0;

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "    FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); t_failed_now = 1; } } while (0)

#define CHECK_STATUS(r, want) do { int got_ = qwen3vl_result_status(r); if (got_ != (want)) { \
    fprintf(stderr, "    FAIL %s:%d: status %s, wanted %s (error: %s)\n", __FILE__, __LINE__, \
            qwen3vl_status_name(got_), qwen3vl_status_name(want), qwen3vl_result_error(r)); t_failed_now = 1; } } while (0)

#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
    fprintf(stderr, "    FAIL %s:%d: %s is \"%s\", wanted \"%s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    t_failed_now = 1; } } while (0)

#define CHECK_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); if (!h_ || !strstr(h_, n_)) { \
    fprintf(stderr, "    FAIL %s:%d: %s is \"%s\", which lacks \"%s\"\n", __FILE__, __LINE__, #hay, h_ ? h_ : "(null)", n_); \
    t_failed_now = 1; } } while (0)

typedef struct { const char *name; void (*fn)(void); } test_case;

static inline double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A fresh name for one test's requests on the server. */
static inline const char *new_uid(void) {
    static char buf[64];
    snprintf(buf, sizeof buf, "u%d-%d", (int)getpid(), ++t_uid_counter);
    return buf;
}

/* Options JSON for a client pointed at a scenario of the stand-in, plus extra "key": value pairs. */
static inline char *options_for(const char *scenario, const char *uid, const char *extra) {
    char *out = NULL;
    if (asprintf(&out, "{\"base_url\":\"http://127.0.0.1:%d/s/%s/%s/v1\",\"api_key\":\"test-key-123\"%s%s}",
                 t_port, scenario, uid, extra && *extra ? "," : "", extra ? extra : "") < 0) abort();
    return out;
}

static inline qwen3vl_client *client_for(const char *scenario, const char *uid, const char *extra) {
    char *opts = options_for(scenario, uid, extra);
    char err[256];
    qwen3vl_client *c = qwen3vl_client_new(opts, err, sizeof err);
    if (!c) fprintf(stderr, "    client_new(%s) failed: %s\n", opts, err);
    free(opts);
    return c;
}

#define HELLO "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}"

/* ---- non-blocking calls ---- */

/* Waits (poll on the descriptor, as a host loop does) and takes one event; NULL after timeout_ms. */
static inline qwen3vl_event *wait_event(qwen3vl_client *c, int timeout_ms) {
    struct pollfd p = {qwen3vl_client_event_fd(c), POLLIN, 0};
    double until = now_ms() + timeout_ms * t_slow;
    for (;;) {
        qwen3vl_event *ev = qwen3vl_client_next_event(c, 0);
        if (ev) return ev;
        int left = (int)(until - now_ms());
        if (left <= 0) return NULL;
        poll(&p, 1, left);
    }
}

/* The threads of this process now. */
static inline int threads_now(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* ---- talking to the stand-in's record of requests ---- */

typedef struct { char *data; size_t len; } t_buf;

static inline size_t t_collect(char *p, size_t size, size_t n, void *user) {
    t_buf *b = user;
    char *grown = realloc(b->data, b->len + size * n + 1);
    if (!grown) return 0;
    b->data = grown;
    memcpy(b->data + b->len, p, size * n);
    b->len += size * n;
    b->data[b->len] = 0;
    return size * n;
}

/* The requests the server recorded for uid, as a JSON array (caller decrefs). */
static inline json_t *server_requests(const char *uid) {
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/_requests/%s", t_port, uid);
    CURL *h = curl_easy_init();
    t_buf b = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, t_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    json_t *j = rc == CURLE_OK && b.data ? json_loads(b.data, 0, NULL) : NULL;
    free(b.data);
    return j ? j : json_array();
}

/* A header of the n-th recorded request, or NULL. */
static inline const char *request_header(json_t *reqs, size_t n, const char *name) {
    return json_string_value(json_object_get(json_object_get(json_array_get(reqs, n), "headers"), name));
}

/* The body of the n-th recorded request, parsed (caller decrefs). */
static inline json_t *request_body(json_t *reqs, size_t n) {
    const char *s = json_string_value(json_object_get(json_array_get(reqs, n), "body"));
    return s ? json_loads(s, 0, NULL) : NULL;
}

/* Standard base64 up to its padding into out (3 bytes for every 4 characters); the bytes written,
   or (size_t)-1 for a character outside the alphabet. */
static inline size_t b64decode(const char *in, unsigned char *out) {
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; *in && *in != '='; in++) {
        const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = strchr(alpha, *in);
        if (!p) return (size_t)-1;
        acc = acc << 6 | (uint32_t)(p - alpha);
        bits += 6;
        if (bits >= 8) { bits -= 8; out[n++] = (unsigned char)(acc >> bits); }
    }
    return n;
}

/* ---- the server's life ---- */

/* Starts a stand-in with an optional certificate and key (HTTPS), on *port (0: a free one); fills
   in its port, pid and the pipe whose closing stops it. */
static inline int spawn_stand_in(const char *cert, const char *key, int *port, pid_t *pid_out, FILE **in_out) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]); close(out[0]);
        const char *script = getenv("QWEN3VL_STAND_IN");
        if (!script) script = "Tests/server/stand_in.py";
        char port_arg[16];
        snprintf(port_arg, sizeof port_arg, "%d", *port);
        if (cert) execlp("python3", "python3", script, "--lifetime", "3600", "--port", port_arg, "--tls", cert, key, (char *)NULL);
        else execlp("python3", "python3", script, "--lifetime", "3600", "--port", port_arg, (char *)NULL);
        _exit(127);
    }
    close(in[0]); close(out[1]);
    *pid_out = pid;
    *in_out = fdopen(in[1], "w");
    FILE *from = fdopen(out[0], "r");
    char line[64] = {0};
    if (!from || !fgets(line, sizeof line, from) || sscanf(line, "PORT %d", port) != 1) {
        fprintf(stderr, "stand-in server did not start\n");
        return -1;
    }
    fclose(from);
    return 0;
}

static inline void stop_stand_in(pid_t pid, FILE *in) {
    if (in) fclose(in); /* the server exits when its stdin closes */
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

static inline int start_server(void) { return spawn_stand_in(NULL, NULL, &t_port, &t_server_pid, &t_server_in); }

static inline void stop_server(void) { stop_stand_in(t_server_pid, t_server_in); }

static inline int run_tests(const char *suite, const test_case *tests, size_t count, int argc, char **argv) {
    const char *slow = getenv("QWEN3VL_TEST_SLOW");
    if (slow && atof(slow) > 0) t_slow = atof(slow);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (start_server() != 0) return 2;
    int passed = 0, failed = 0;
    for (size_t i = 0; i < count; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
        t_failed_now = 0;
        double t0 = now_ms();
        tests[i].fn();
        fprintf(stderr, "%s %s.%s (%.0f ms)\n", t_failed_now ? "FAIL" : "ok  ", suite, tests[i].name, now_ms() - t0);
        if (t_failed_now) failed++; else passed++;
    }
    stop_server();
    curl_global_cleanup();
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed ? 1 : 0;
}

#define RUN_TESTS(suite, table) run_tests(suite, table, sizeof table / sizeof table[0], argc, argv)

#endif
