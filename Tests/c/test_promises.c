/* SPDX-License-Identifier: MIT */
/* Promises of qwen3vl.h that a hostile host tests: cancellation stops delivery at once, a replaced
 * or freed logger is never called again, a client survives fork(), idle means no progress either
 * way, "\u0000" passes through, server messages survive odd framings, secrets and sizes stay
 * bounded, and running out of memory is an error, not an abort. */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>

/* ---- cancellation is checked between events, not only between reads ---- */

typedef struct {
    int deltas, after_cancel, cancel_at;
    int how;                      /* 0: token, 1: cancel_all, 2: client_free */
    qwen3vl_cancel *token;
    qwen3vl_client *client;
    atomic_int cancelled;
} stopper;

static int stop_at_third(const char *text, size_t len, const char *chunk, void *user) {
    (void)text; (void)len; (void)chunk;
    stopper *s = user;
    if (atomic_load(&s->cancelled)) s->after_cancel++;
    if (++s->deltas == s->cancel_at) {
        if (s->how == 0) qwen3vl_cancel_trigger(s->token);
        else if (s->how == 1) qwen3vl_client_cancel_all(s->client);
        else qwen3vl_client_free(s->client);
        atomic_store(&s->cancelled, 1);
    }
    return 0;
}

static void test_cancel_inside_callback_stops_delivery(void) {
    /* The whole reply arrives in one read (one big piece), so every event is already in hand. */
    for (int how = 0; how < 3; how++) {
        stopper s = {.cancel_at = 3, .how = how};
        s.token = qwen3vl_cancel_new();
        s.client = client_for("sse:pieces=100000:text=abcdefghijklmnopqrstuvwxyz", new_uid(), NULL);
        qwen3vl_result *r = qwen3vl_chat_stream_cancellable(s.client, HELLO, stop_at_third, &s, s.token);
        CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
        CHECK(s.after_cancel == 0);
        CHECK(s.deltas == 3);
        qwen3vl_result_free(r);
        if (how != 2) qwen3vl_client_free(s.client);
        qwen3vl_cancel_free(s.token);
    }
}

typedef struct { qwen3vl_cancel *token; int delay_ms; atomic_int fired; double fired_at; } later;

static void *cancel_later(void *p) {
    later *l = p;
    usleep((useconds_t)l->delay_ms * 1000);
    l->fired_at = now_ms();
    atomic_store(&l->fired, 1);
    qwen3vl_cancel_trigger(l->token);
    return NULL;
}

typedef struct { later *l; int deltas, after; } slow_reader;

static int slow_delta(const char *text, size_t len, const char *chunk, void *user) {
    (void)text; (void)len; (void)chunk;
    slow_reader *s = user;
    /* A callback that started before the cancel may finish; none may start after it. */
    if (atomic_load(&s->l->fired)) s->after++;
    s->deltas++;
    usleep(10000);
    return 0;
}

static void test_cancel_from_another_thread_is_prompt(void) {
    char scenario[300] = "sse:pieces=100000:text=";
    size_t n = strlen(scenario);
    memset(scenario + n, 'z', 200);
    scenario[n + 200] = 0;
    later l = {.token = qwen3vl_cancel_new(), .delay_ms = (int)(100 * t_slow)};
    slow_reader s = {.l = &l};
    qwen3vl_client *c = client_for(scenario, new_uid(), NULL);
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, &l);
    qwen3vl_result *r = qwen3vl_chat_stream_cancellable(c, HELLO, slow_delta, &s, l.token);
    double ended = now_ms();
    pthread_join(t, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    CHECK(s.after <= 1);            /* at most the one that raced the flag */
    CHECK(s.deltas < 150);
    CHECK(ended - l.fired_at < 100 * t_slow);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    qwen3vl_cancel_free(l.token);
}

/* ---- a replaced or freed logger is never called again ---- */

enum { LOGGERS = 2000 };
static atomic_int retired[LOGGERS + 1];
static atomic_int late_lines;
static atomic_int lines_seen;

static void numbered_log(int level, const char *message, void *user) {
    (void)level; (void)message;
    intptr_t id = (intptr_t)user;
    if (atomic_load(&retired[id])) atomic_fetch_add(&late_lines, 1);
    atomic_fetch_add(&lines_seen, 1);
    usleep(50); /* long enough for a swap to land while we are inside */
    /* set_log returns only once no thread is inside the old logger, so not even a line that had
       begun may still be running once this logger was retired. */
    if (atomic_load(&retired[id])) atomic_fetch_add(&late_lines, 1);
}

typedef struct { qwen3vl_client *c; atomic_int stop; } busy;

static void *call_forever(void *p) {
    busy *b = p;
    while (!atomic_load(&b->stop)) qwen3vl_result_free(qwen3vl_chat(b->c, HELLO));
    return NULL;
}

static void test_log_swap_never_reaches_old_logger(void) {
    busy b = {.c = client_for("ok", new_uid(), NULL)};
    qwen3vl_client_set_log(b.c, numbered_log, QWEN3VL_LOG_DEBUG, (void *)(intptr_t)1);
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, call_forever, &b);
    intptr_t last = t_slow > 1 ? LOGGERS / 10 : LOGGERS; /* valgrind: fewer swaps, each as racy */
    for (intptr_t id = 2; id <= last; id++) {
        qwen3vl_client_set_log(b.c, numbered_log, QWEN3VL_LOG_DEBUG, (void *)id);
        atomic_store(&retired[id - 1], 1);
        usleep(100);
    }
    qwen3vl_client_set_log(b.c, NULL, 0, NULL);
    atomic_store(&retired[last], 1);
    int before = atomic_load(&lines_seen);
    usleep(20000);
    CHECK(atomic_load(&lines_seen) == before); /* none at all after set_log(NULL) returned */
    atomic_store(&b.stop, 1);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    CHECK(before > 0);
    CHECK(atomic_load(&late_lines) == 0);
    qwen3vl_client_free(b.c);
}

typedef struct { qwen3vl_client *c; } stream_arg;

static int keep_going(const char *text, size_t len, const char *chunk, void *user) {
    (void)text; (void)len; (void)chunk; (void)user;
    return 0;
}

static void *stream_until_freed(void *p) {
    stream_arg *a = p;
    qwen3vl_result_free(qwen3vl_chat_stream(a->c, HELLO, keep_going, NULL));
    return NULL;
}

static void test_no_log_after_client_free(void) {
    /* Streams stalled mid-way, so they are in flight and log as they wind down (ERROR lines). */
    qwen3vl_client *c = client_for("sse:stall=30", new_uid(), "\"max_retries\":0");
    static atomic_int freed;
    atomic_store(&freed, 0);
    atomic_store(&late_lines, 0);
    for (int i = 0; i <= LOGGERS; i++) atomic_store(&retired[i], 0);
    qwen3vl_client_set_log(c, numbered_log, QWEN3VL_LOG_DEBUG, (void *)(intptr_t)7);
    stream_arg a = {c};
    pthread_t t[6];
    for (int i = 0; i < 6; i++) pthread_create(&t[i], NULL, stream_until_freed, &a);
    usleep((useconds_t)(300000 * t_slow));
    qwen3vl_client_free(c);
    atomic_store(&retired[7], 1);
    for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
    CHECK(atomic_load(&late_lines) == 0);
}

/* ---- fork(): the child never touches the parent's connections ---- */

static int ask_and_check(qwen3vl_client *c, const char *who, int i) {
    char req[200], want[100];
    snprintf(req, sizeof req, "{\"messages\":[{\"role\":\"user\",\"content\":\"%s-%d\"}]}", who, i);
    snprintf(want, sizeof want, "echo: %s-%d", who, i);
    qwen3vl_result *r = qwen3vl_chat(c, req);
    int ok = qwen3vl_result_status(r) == QWEN3VL_OK && strcmp(qwen3vl_result_text(r), want) == 0;
    qwen3vl_result_free(r);
    return ok;
}

static void test_fork_gets_own_connections(void) {
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    CHECK(ask_and_check(c, "warm", 0)); /* a pooled, kept-alive connection now exists */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int wrong = 0;
        for (int i = 0; i < 100; i++) wrong += !ask_and_check(c, "child", i);
        _exit(wrong ? 1 : 0);
    }
    int wrong = 0;
    for (int i = 0; i < 100; i++) wrong += !ask_and_check(c, "parent", i);
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(wrong == 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    qwen3vl_client_free(c);
}

/* ---- idle means no progress in either direction ---- */

static void test_idle_counts_upload_progress(void) {
    /* 3 MB going to a server that reads 1 MB/s: bytes flow all the time, so no idle timeout. */
    size_t n = 3 << 20;
    char *req = malloc(n + 100);
    int k = snprintf(req, 100, "{\"messages\":[{\"role\":\"user\",\"content\":\"");
    memset(req + k, 'u', n);
    strcpy(req + k + n, "\"}]}");
    qwen3vl_client *c = client_for("slowread:1000000", new_uid(), "\"idle_timeout_ms\":700,\"max_retries\":0");
    qwen3vl_result *r = qwen3vl_chat_stream(c, req, keep_going, NULL);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(qwen3vl_result_elapsed_ms(r) > 1000); /* the upload really was slow */
    qwen3vl_result_free(r);
    /* Silence is still caught: a server that reads, then says nothing. */
    qwen3vl_client_free(c);
    c = client_for("hang:5", new_uid(), "\"idle_timeout_ms\":300,\"max_retries\":0");
    r = qwen3vl_chat_stream(c, HELLO, keep_going, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_TIMEOUT);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    free(req);
}

/* ---- the wire ---- */

static void test_done_with_trailing_space(void) {
    qwen3vl_client *c = client_for("sse:donespace", new_uid(), NULL);
    qwen3vl_result *r = qwen3vl_chat_stream(c, HELLO, keep_going, NULL);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "echo: Hello there");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

typedef struct { char text[256]; size_t len; } collected;

static int collect_delta(const char *text, size_t len, const char *chunk, void *user) {
    (void)chunk;
    collected *c = user;
    if (c->len + len < sizeof c->text) { memcpy(c->text + c->len, text, len); c->len += len; }
    return 0;
}

static void test_nul_passes_through(void) {
    static const char req[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}";
    static const char want[] = "echo: a\0b";
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    qwen3vl_result *r = qwen3vl_chat(c, req);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(qwen3vl_result_text_len(r) == sizeof want - 1);
    CHECK(memcmp(qwen3vl_result_text(r), want, sizeof want) == 0); /* NUL-terminated after it too */
    CHECK_CONTAINS(qwen3vl_result_json(r), "a\\u0000b");
    qwen3vl_result_free(r);

    collected got = {0};
    r = qwen3vl_chat_stream(c, req, collect_delta, &got);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(got.len == sizeof want - 1 && memcmp(got.text, want, got.len) == 0);
    CHECK(qwen3vl_result_text_len(r) == sizeof want - 1);
    CHECK_CONTAINS(qwen3vl_result_json(r), "a\\u0000b");
    qwen3vl_result_free(r);
    CHECK(qwen3vl_result_text_len(NULL) == 0);
    qwen3vl_client_free(c);
}

static void test_server_messages_kept(void) {
    qwen3vl_client *c = client_for("bareerror", new_uid(), "\"max_retries\":0");
    qwen3vl_result *r = qwen3vl_chat_stream(c, HELLO, keep_going, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_PROTOCOL);
    CHECK_CONTAINS(qwen3vl_result_error(r), "Overloaded, try again");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    c = client_for("sseerror:500", new_uid(), "\"max_retries\":0");
    r = qwen3vl_chat_stream(c, HELLO, keep_going, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_SERVER);
    CHECK_CONTAINS(qwen3vl_result_error(r), "model overloaded (sse)");
    CHECK(strstr(qwen3vl_result_error(r), "event:") == NULL);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    c = client_for("dashscope:429", new_uid(), "\"max_retries\":0");
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_RATE_LIMIT);
    CHECK_CONTAINS(qwen3vl_result_error(r), "Requests rate limit exceeded");
    CHECK_STR(qwen3vl_result_request_id(r), "ds-req-42");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

/* ---- secrets and sizes ---- */

static char log_text[1 << 16];
static size_t log_len;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void keep_log(int level, const char *message, void *user) {
    (void)level; (void)user;
    pthread_mutex_lock(&log_mu);
    size_t n = strlen(message);
    if (log_len + n + 2 < sizeof log_text) {
        memcpy(log_text + log_len, message, n);
        log_len += n;
        log_text[log_len++] = '\n';
        log_text[log_len] = 0;
    }
    pthread_mutex_unlock(&log_mu);
}

static void test_secrets_and_sizes(void) {
    char opts[300], err[256];
    snprintf(opts, sizeof opts, "{\"base_url\":\"http://someone:pw9@127.0.0.1:%d/s/ok/%s/v1\"}", t_port, new_uid());
    qwen3vl_client *c = qwen3vl_client_new(opts, err, sizeof err);
    CHECK(c != NULL);
    log_len = 0;
    qwen3vl_client_set_log(c, keep_log, QWEN3VL_LOG_DEBUG, NULL);
    qwen3vl_result_free(qwen3vl_chat(c, HELLO));
    CHECK(log_len > 0);
    CHECK(strstr(log_text, "pw9") == NULL);
    CHECK_CONTAINS(log_text, "someone:[redacted]@");
    qwen3vl_client_free(c);

    /* A response header larger than libcurl takes is the server's fault, not memory's. */
    c = client_for("bigheader:1000000", new_uid(), "\"max_retries\":0");
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_PROTOCOL);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    /* A 10 MB base_url is refused when the client is made, not when it is used. */
    size_t n = 10 << 20;
    char *big = malloc(n + 64);
    int k = snprintf(big, 64, "{\"base_url\":\"http://127.0.0.1/");
    memset(big + k, 'a', n);
    strcpy(big + k + n, "\"}");
    err[0] = 0;
    c = qwen3vl_client_new(big, err, sizeof err);
    CHECK(c == NULL);
    CHECK_CONTAINS(err, "base_url");
    qwen3vl_client_free(c);
    free(big);
}

/* ---- out of memory is an error, not an abort ---- */

static long address_space_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0;
    if (f) { if (fscanf(f, "%ld", &pages) != 1) pages = 0; fclose(f); }
    return pages * sysconf(_SC_PAGESIZE);
}

static void test_out_of_memory_is_an_error(void) {
#if defined(__SANITIZE_ADDRESS__)
    return; /* the sanitizer's shadow memory needs the address space this test takes away */
#endif
    if (t_slow > 1) return; /* likewise valgrind */
    qwen3vl_client *c = client_for("big:40000000", new_uid(), "\"max_retries\":0");
    qwen3vl_result_free(qwen3vl_chat(c, HELLO)); /* warm: libraries and the connection are in place */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = {.rlim_cur = (rlim_t)address_space_bytes() + (48 << 20), .rlim_max = RLIM_INFINITY};
        lim.rlim_max = lim.rlim_cur;
        setrlimit(RLIMIT_AS, &lim);
        qwen3vl_result *r = qwen3vl_chat(c, HELLO);
        int st = qwen3vl_result_status(r);
        int ok = st == QWEN3VL_ERR_INTERNAL && strstr(qwen3vl_result_error(r), "out of memory") != NULL;
        if (!ok) fprintf(stderr, "    child: %s: %s\n", qwen3vl_status_name(st), qwen3vl_result_error(r));
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!WIFEXITED(st)) fprintf(stderr, "    child died of signal %d\n", WTERMSIG(st));
    qwen3vl_client_free(c);
}

int main(int argc, char **argv) {
    static const test_case tests[] = {
        {"cancel_inside_callback_stops_delivery", test_cancel_inside_callback_stops_delivery},
        {"cancel_from_another_thread_is_prompt", test_cancel_from_another_thread_is_prompt},
        {"log_swap_never_reaches_old_logger", test_log_swap_never_reaches_old_logger},
        {"no_log_after_client_free", test_no_log_after_client_free},
        {"fork_gets_own_connections", test_fork_gets_own_connections},
        {"idle_counts_upload_progress", test_idle_counts_upload_progress},
        {"done_with_trailing_space", test_done_with_trailing_space},
        {"nul_passes_through", test_nul_passes_through},
        {"server_messages_kept", test_server_messages_kept},
        {"secrets_and_sizes", test_secrets_and_sizes},
        {"out_of_memory_is_an_error", test_out_of_memory_is_an_error},
    };
    return RUN_TESTS("promises", tests);
}
