/* SPDX-License-Identifier: MIT */
/* Non-blocking calls: call objects, the client's event descriptor and its events, the I/O thread,
 * backpressure, cancellation and freeing with calls in flight; and qwen3vl_chat_v2's per-call
 * options. */
#include "harness.h"

#include <pthread.h>

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f)) if (sscanf(line, "VmRSS: %ld", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

static void test_plain_call(void) {
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    int fd = qwen3vl_client_event_fd(c);
    CHECK(fd >= 0);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0); /* nothing waits yet */
    int tag = 42;
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, NULL, &tag);
    CHECK(call != NULL);
    CHECK(qwen3vl_call_result(call) == NULL);
    qwen3vl_event *ev = wait_event(c, 5000);
    CHECK(ev != NULL);
    CHECK(qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE);
    CHECK(qwen3vl_event_call(ev) == call);
    CHECK(qwen3vl_event_user_data(ev) == &tag);
    size_t n = 99;
    CHECK_STR(qwen3vl_event_text(ev, &n), "");
    CHECK(n == 0);
    qwen3vl_result *r = qwen3vl_call_result(call);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "echo: Hello there");
    CHECK(qwen3vl_call_result(call) == r); /* owned by the call, the same each time */
    CHECK(poll(&p, 1, 0) == 0);             /* drained: not readable any more */
    qwen3vl_event_free(ev);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
}

static void test_stream_events_in_order(void) {
    qwen3vl_client *c = client_for("sse:delay=2", new_uid(), NULL);
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", NULL);
    char text[256] = {0};
    size_t len = 0;
    int deltas = 0, done = 0, after_done = 0;
    while (!done) {
        qwen3vl_event *ev = wait_event(c, 5000);
        if (!ev) break;
        if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DELTA) {
            size_t n;
            const char *t = qwen3vl_event_text(ev, &n);
            if (len + n < sizeof text) { memcpy(text + len, t, n); len += n; }
            CHECK_CONTAINS(qwen3vl_event_chunk_json(ev), "chat.completion.chunk");
            deltas++;
        } else {
            done = 1;
        }
        qwen3vl_event_free(ev);
    }
    qwen3vl_event *extra = qwen3vl_client_next_event(c, 100);
    if (extra) { after_done++; qwen3vl_event_free(extra); }
    CHECK(done && after_done == 0);
    CHECK(deltas > 10);
    CHECK_STR(text, "echo: Hello there");
    qwen3vl_result *r = qwen3vl_call_result(call);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "echo: Hello there");
    CHECK(qwen3vl_result_tokens(r, QWEN3VL_TOKENS_TOTAL) > 0);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
}

/* One record of qwen3vl_client_take_events, as the header lays it out. */
typedef struct { uint64_t user_data, call; uint32_t kind, zero; uint64_t text_len, chunk_len; } take_head;

static void test_take_events_in_batches(void) {
    qwen3vl_client *c = client_for("sse:pieces=4096", new_uid(), NULL); /* the stream in one or two writes */
    static unsigned char buf[1 << 16] __attribute__((aligned(8)));
    size_t used = 99;
    CHECK(qwen3vl_client_take_events(c, 0, buf, sizeof buf, &used) == 0 && used == 0); /* none yet */
    int tag = 7;
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", &tag);
    /* Too small a buffer takes nothing and says what the first event needs; the event stays. */
    struct pollfd p = {qwen3vl_client_event_fd(c), POLLIN, 0};
    CHECK(poll(&p, 1, (int)(5000 * t_slow)) == 1);
    CHECK(qwen3vl_client_take_events(c, 0, buf, 16, &used) == 0);
    CHECK(used >= 40 && used % 8 == 0);
    char text[256] = {0};
    size_t len = 0;
    int done = 0, deltas = 0, batches = 0;
    while (!done) {
        size_t n = qwen3vl_client_take_events(c, (int)(5000 * t_slow), buf, sizeof buf, &used);
        if (n == 0) break;
        batches++;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            take_head h;
            memcpy(&h, buf + at, sizeof h);
            CHECK(h.user_data == (uint64_t)(uintptr_t)&tag && h.call == (uint64_t)(uintptr_t)call && h.zero == 0);
            CHECK(done == 0); /* DONE last */
            if (h.kind == QWEN3VL_EVENT_DELTA) {
                deltas++;
                if (len + h.text_len < sizeof text) { memcpy(text + len, buf + at + 40, h.text_len); len += h.text_len; }
                CHECK(h.chunk_len > 0 && buf[at + 40 + h.text_len] == '{');
            } else {
                CHECK(h.kind == QWEN3VL_EVENT_DONE && h.text_len == 0 && h.chunk_len == 0);
                done = 1;
            }
            at += (40 + h.text_len + h.chunk_len + 7) & ~(size_t)7;
        }
        CHECK(at == used);
    }
    CHECK(done && deltas > 10 && batches < deltas);
    CHECK_STR(text, "echo: Hello there");
    CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_OK);
    CHECK(poll(&p, 1, 0) == 0); /* all taken: not readable */
    qwen3vl_call_free(call);
    CHECK(qwen3vl_client_take_events(NULL, 0, buf, sizeof buf, &used) == 0 && used == 0);
    qwen3vl_client_free(c);
}

static void test_failures_arrive_as_done(void) {
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    qwen3vl_call *bad = qwen3vl_call_start(c, "{\"messages\": 5}", NULL, NULL);
    qwen3vl_call *opts = qwen3vl_call_start(c, HELLO, "{\"timeout_ms\": \"soon\"}", NULL);
    CHECK(qwen3vl_call_start(NULL, HELLO, NULL, NULL) == NULL);
    CHECK(qwen3vl_call_start(c, NULL, NULL, NULL) == NULL);
    for (int i = 0; i < 2; i++) {
        qwen3vl_event *ev = wait_event(c, 5000);
        CHECK(ev && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE);
        qwen3vl_event_free(ev);
    }
    CHECK_STATUS(qwen3vl_call_result(bad), QWEN3VL_ERR_INVALID_REQUEST);
    CHECK_CONTAINS(qwen3vl_result_error(qwen3vl_call_result(bad)), "messages");
    CHECK_STATUS(qwen3vl_call_result(opts), QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(qwen3vl_result_error(qwen3vl_call_result(opts)), "timeout_ms");
    qwen3vl_call_free(bad);
    qwen3vl_call_free(opts);
    /* NULLs everywhere are harmless. */
    CHECK(qwen3vl_client_event_fd(NULL) == -1);
    CHECK(qwen3vl_client_next_event(NULL, 0) == NULL);
    CHECK(qwen3vl_event_kind(NULL) == 0);
    CHECK(qwen3vl_call_result(NULL) == NULL);
    qwen3vl_call_cancel(NULL);
    qwen3vl_call_free(NULL);
    qwen3vl_event_free(NULL);
    qwen3vl_client_free(c);
}

static void test_timeout_and_retry_on_the_io_thread(void) {
    qwen3vl_client *c = client_for("hang:10", new_uid(), "\"max_retries\":0");
    double t0 = now_ms();
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, "{\"timeout_ms\": 400}", NULL);
    qwen3vl_event *ev = wait_event(c, 5000);
    CHECK(ev != NULL);
    qwen3vl_event_free(ev);
    CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_ERR_TIMEOUT);
    CHECK(now_ms() - t0 < 2000 * t_slow);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);

    /* 429 with Retry-After: 1, then success: the wait is a timer, the call goes on. */
    c = client_for("status:429:ra=1,ok", new_uid(), NULL);
    t0 = now_ms();
    call = qwen3vl_call_start(c, HELLO, NULL, NULL);
    ev = wait_event(c, 5000);
    CHECK(ev != NULL);
    qwen3vl_event_free(ev);
    qwen3vl_result *r = qwen3vl_call_result(call);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(qwen3vl_result_attempts(r) == 2);
    CHECK(now_ms() - t0 >= 950);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);

    /* A retry the server allows at once goes at once, not at the I/O thread's next look round. */
    c = client_for("status:429:ra_ms=0,status:429:ra_ms=0,ok", new_uid(), NULL);
    t0 = now_ms();
    call = qwen3vl_call_start(c, HELLO, NULL, NULL);
    qwen3vl_event_free(wait_event(c, 5000));
    CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_OK);
    CHECK(qwen3vl_result_attempts(qwen3vl_call_result(call)) == 3);
    CHECK(now_ms() - t0 < 150 * t_slow);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
}

enum { MANY = 1000 };

static void test_many_streams_one_thread(void) {
    int before = threads_now();
    long rss_before = rss_kib();
    qwen3vl_client *c = client_for("sse:pieces=4096:delay=100:text=trickle", new_uid(), "\"max_connections\":1000");
    int n = t_slow > 1 ? MANY / 10 : MANY;
    static qwen3vl_call *calls[MANY];
    static char texts[MANY][32];
    static size_t lens[MANY];
    static intptr_t ids[MANY];
    for (int i = 0; i < n; i++) {
        ids[i] = i;
        lens[i] = 0;
        calls[i] = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", (void *)&ids[i]);
    }
    /* Cancelled while surely in flight (its stream takes 700 ms): a host loop slowed by a busy machine
       may take a call's first delta only after the call has ended, too late to cancel it. */
    qwen3vl_call_cancel(calls[n / 2]);
    int done = 0, others_done = 0, threads_seen = 0;
    long rss_peak = 0;
    while (done < n) {
        qwen3vl_event *ev = wait_event(c, 30000);
        if (!ev) break;
        intptr_t i = *(intptr_t *)qwen3vl_event_user_data(ev);
        if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DELTA) {
            size_t k;
            const char *t = qwen3vl_event_text(ev, &k);
            if (lens[i] + k < sizeof texts[i]) { memcpy(texts[i] + lens[i], t, k); lens[i] += k; }
        } else {
            done++;
            others_done += i != n / 2;
        }
        if (others_done == 0) { long r = rss_kib(); if (r > rss_peak) rss_peak = r; } /* all but one in flight */
        if (done == n / 4 && !threads_seen) threads_seen = threads_now();
        qwen3vl_event_free(ev);
    }
    CHECK(done == n);
    CHECK(threads_seen - before <= 1); /* one I/O thread, whatever the number of calls */
    double per_call = (double)(rss_peak - rss_before) / n;
    fprintf(stderr, "    %d streams in flight: %.1f KiB of memory each (RSS %ld -> %ld KiB)\n", n, per_call, rss_before, rss_peak);
    if (t_slow <= 1) CHECK(per_call <= 64); /* the budget; sanitizers and valgrind inflate RSS */
    int ok = 0;
    for (int i = 0; i < n; i++) {
        qwen3vl_result *r = qwen3vl_call_result(calls[i]);
        if (i == n / 2) {
            CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
        } else if (qwen3vl_result_status(r) == QWEN3VL_OK && strcmp(qwen3vl_result_text(r), "trickle") == 0 &&
                   lens[i] == 7 && memcmp(texts[i], "trickle", 7) == 0) {
            ok++;
        }
        qwen3vl_call_free(calls[i]);
    }
    CHECK(ok == n - 1);
    qwen3vl_client_free(c);
}

static void test_first_calls_run_together(void) {
    /* A new client's first calls over plain http go out at once (no wait for a first connection to
       show whether it multiplexes: only TLS offers HTTP/2). */
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("slow:1500", uid, NULL);
    qwen3vl_call *calls[6];
    for (int i = 0; i < 6; i++) calls[i] = qwen3vl_call_start(c, HELLO, NULL, NULL);
    for (int i = 0; i < 6; i++) qwen3vl_event_free(wait_event(c, 5000));
    /* Together: the server saw all six within moments, not one and the rest after its reply (1.5 s
       later: the margin lets a busy machine be slow without letting a wait for a reply pass). */
    json_t *reqs = server_requests(uid);
    double first = 1e300, last = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        double at = json_real_value(json_object_get(json_array_get(reqs, i), "time"));
        if (at < first) first = at;
        if (at > last) last = at;
    }
    CHECK(json_array_size(reqs) == 6);
    CHECK(last - first < 1.0 * t_slow);
    json_decref(reqs);
    for (int i = 0; i < 6; i++) {
        CHECK_STATUS(qwen3vl_call_result(calls[i]), QWEN3VL_OK);
        qwen3vl_call_free(calls[i]);
    }
    qwen3vl_client_free(c);
}

static void test_free_client_with_calls_in_flight(void) {
    /* Each stream takes 3.6 s (18 events 200 ms apart); freed after 0.2 s. */
    qwen3vl_client *c = client_for("sse:delay=200", new_uid(), NULL);
    qwen3vl_call *calls[50];
    for (int i = 0; i < 50; i++) calls[i] = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", NULL);
    usleep((useconds_t)(200000 * t_slow));
    double t0 = now_ms();
    qwen3vl_client_free(c);
    CHECK(now_ms() - t0 < 1500 * t_slow); /* cancelled and joined, not waited out */
    for (int i = 0; i < 50; i++) qwen3vl_call_free(calls[i]); /* still fine after the client */
}

static void test_host_that_stops_taking_events(void) {
    /* 20,000 deltas of ~200 bytes each (about 4 MB of events); the host takes none for a while. */
    qwen3vl_client *c = client_for("sse:pieces=65536:repeat=2000:text=0123456789", new_uid(), NULL);
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", NULL);
    usleep((useconds_t)(1500000 * t_slow));
    size_t waiting = 0, deltas = 0, chars = 0;
    int done = 0;
    qwen3vl_event *ev;
    while ((ev = qwen3vl_client_next_event(c, 0))) { /* what piled up while we were away */
        size_t n;
        qwen3vl_event_text(ev, &n);
        waiting += n + strlen(qwen3vl_event_chunk_json(ev));
        chars += n;
        deltas++;
        qwen3vl_event_free(ev);
    }
    CHECK(waiting > 0);
    CHECK(waiting < (3u << 20) / 2); /* paused at about 1 MiB, not the whole reply */
    while (!done && (ev = wait_event(c, 20000))) {
        if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE) done = 1;
        else { size_t n; qwen3vl_event_text(ev, &n); chars += n; deltas++; }
        qwen3vl_event_free(ev);
    }
    CHECK(done);
    CHECK(chars == 20000 && deltas >= 20000); /* every delta arrived, none lost to the pause */
    qwen3vl_result *r = qwen3vl_call_result(call);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(qwen3vl_result_text_len(r) == 20000);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
}

static void test_fork_starts_its_own_thread(void) {
    if (T_UNDER_TSAN) return; /* ThreadSanitizer refuses to start threads in a child forked from a threaded process. */
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    qwen3vl_call *warm = qwen3vl_call_start(c, HELLO, NULL, NULL); /* the parent's I/O thread runs */
    qwen3vl_event_free(wait_event(c, 5000));
    qwen3vl_call_free(warm);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) { /* the parent's thread does not exist here: the child's call needs its own */
        qwen3vl_call *call = qwen3vl_call_start(c, HELLO, NULL, NULL);
        qwen3vl_event *ev = qwen3vl_client_next_event(c, (int)(5000 * t_slow)); /* the child's own queue */
        int ok = ev && qwen3vl_result_status(qwen3vl_call_result(call)) == QWEN3VL_OK &&
                 strcmp(qwen3vl_result_text(qwen3vl_call_result(call)), "echo: Hello there") == 0;
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    qwen3vl_call *after = qwen3vl_call_start(c, HELLO, NULL, NULL); /* and the parent's still works */
    qwen3vl_event_free(wait_event(c, 5000));
    CHECK_STATUS(qwen3vl_call_result(after), QWEN3VL_OK);
    qwen3vl_call_free(after);
    qwen3vl_client_free(c);
}

/* The thread each failed call's error line is logged on: the thread that prepared the call. */
static pthread_t error_thread;
static int errors_logged;
static void note_error_thread(int level, const char *message, void *user) {
    (void)level; (void)message; (void)user;
    error_thread = pthread_self(); /* one call at a time: no race with the reader */
    errors_logged++;
}

static void test_large_requests_are_prepared_off_the_callers_thread(void) {
    /* Parsing and checking a request of megabytes takes tens of milliseconds: not on the host's
       thread. A small one is checked there (handing it over would cost more). Each is invalid, so
       its error line is logged where it was prepared. */
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    qwen3vl_client_set_log(c, note_error_thread, QWEN3VL_LOG_ERROR, NULL);
    size_t big = 2u << 20;
    char *large = malloc(big + 128);
    if (!large) abort();
    int at = snprintf(large, 128, "{\"temperature\":5,\"messages\":[{\"role\":\"user\",\"content\":\"");
    memset(large + at, 'a', big);
    strcpy(large + at + big, "\"}]}");
    const char *small = "{\"temperature\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    const char *requests[2] = {small, large};
    for (int i = 0; i < 2; i++) {
        errors_logged = 0;
        qwen3vl_call *call = qwen3vl_call_start(c, requests[i], NULL, NULL);
        qwen3vl_event *ev = wait_event(c, 5000);
        CHECK(ev && qwen3vl_event_call(ev) == call);
        CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_ERR_INVALID_REQUEST);
        CHECK_STR(qwen3vl_result_error(qwen3vl_call_result(call)), "temperature must be between 0 and 2");
        CHECK(errors_logged == 1 && (pthread_equal(error_thread, pthread_self()) != 0) == (i == 0));
        qwen3vl_event_free(ev);
        qwen3vl_call_free(call);
    }
    free(large);
    qwen3vl_client_free(c);
}

/* A 200 reply is judged on the non-blocking path as on the blocking one: every field of a good one
   is there once its DONE is taken, and a 200 that is not a chat.completion fails the call with
   QWEN3VL_ERR_PROTOCOL, without a retry, its error line logged once. */
static void test_replies_are_judged_as_for_blocking_calls(void) {
    qwen3vl_client *c = client_for("ok,notjson,error200,ok", new_uid(), NULL);
    qwen3vl_client_set_log(c, note_error_thread, QWEN3VL_LOG_ERROR, NULL);
    struct { int status; const char *error; } want[] = {
        {QWEN3VL_OK, ""},
        {QWEN3VL_ERR_PROTOCOL, "Service temporarily in maintenance mode"},
        {QWEN3VL_ERR_PROTOCOL, "upstream model failed"},
        {QWEN3VL_OK, ""},
    };
    for (int i = 0; i < 4; i++) {
        errors_logged = 0;
        qwen3vl_call *call = qwen3vl_call_start(c, HELLO, NULL, NULL);
        qwen3vl_event *ev = wait_event(c, 5000);
        CHECK(ev && qwen3vl_event_call(ev) == call);
        qwen3vl_result *r = qwen3vl_call_result(call);
        CHECK_STATUS(r, want[i].status);
        CHECK(qwen3vl_result_http_status(r) == 200 && qwen3vl_result_attempts(r) == 1);
        if (want[i].status == QWEN3VL_OK) {
            CHECK_STR(qwen3vl_result_text(r), "echo: Hello there");
            CHECK_STR(qwen3vl_result_finish_reason(r), "stop");
            CHECK(qwen3vl_result_tokens(r, QWEN3VL_TOKENS_TOTAL) > 0);
            CHECK_CONTAINS(qwen3vl_result_json(r), "\"chat.completion\"");
            CHECK(errors_logged == 0);
        } else {
            CHECK_CONTAINS(qwen3vl_result_error(r), want[i].error);
            CHECK_STR(qwen3vl_result_json(r), "");
            CHECK(errors_logged == 1);
        }
        qwen3vl_event_free(ev);
        qwen3vl_call_free(call);
    }
    qwen3vl_client_free(c);
}

/* ---- qwen3vl_chat_v2 ---- */

static int count_delta(const char *text, size_t len, const char *chunk, void *user) {
    (void)text; (void)len; (void)chunk;
    ++*(int *)user;
    return 0;
}

static void test_chat_v2_options(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, NULL);
    qwen3vl_result *r = qwen3vl_chat_v2(c, HELLO, "{\"headers\": {\"X-Trace\": \"t-1\"}, \"query\": {\"api-version\": \"2024 06\"}}",
                                        NULL, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    json_t *reqs = server_requests(uid);
    CHECK_STR(request_header(reqs, 0, "x-trace"), "t-1");
    CHECK_CONTAINS(json_string_value(json_object_get(json_array_get(reqs, 0), "path")), "?api-version=2024%2006");
    json_decref(reqs);

    /* A header named again replaces the earlier one, whatever its case: the call's the client's,
       the client's the library's own (the User-Agent too). */
    const char *uid2 = new_uid();
    qwen3vl_client *c2 = client_for("ok", uid2, "\"headers\": {\"user-AGENT\": \"host-app/2\", \"X-Trace\": \"client\"}");
    r = qwen3vl_chat_v2(c2, HELLO, "{\"headers\": {\"x-trace\": \"call\"}}", NULL, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    r = qwen3vl_chat(c2, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c2);
    reqs = server_requests(uid2);
    CHECK_STR(request_header(reqs, 0, "user-agent"), "host-app/2");
    CHECK_STR(request_header(reqs, 0, "x-trace"), "call");
    CHECK_STR(request_header(reqs, 1, "user-agent"), "host-app/2");
    CHECK_STR(request_header(reqs, 1, "x-trace"), "client");
    CHECK_STR(request_header(reqs, 1, "content-type"), "application/json");
    json_decref(reqs);

    int deltas = 0;
    r = qwen3vl_chat_v2(c, HELLO, NULL, NULL, count_delta, &deltas); /* on_delta given: streams */
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(deltas > 5);
    qwen3vl_result_free(r);
    r = qwen3vl_chat_v2(c, HELLO, "{\"stream\": true}", NULL, NULL, NULL); /* streamed, no callback */
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "echo: Hello there");
    qwen3vl_result_free(r);
    r = qwen3vl_chat_v2(c, HELLO, "{\"bogus\": 1}", NULL, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(qwen3vl_result_error(r), "bogus");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    c = client_for("hang:10", new_uid(), "\"max_retries\":0");
    double t0 = now_ms();
    r = qwen3vl_chat_v2(c, HELLO, "{\"timeout_ms\": 300}", NULL, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_TIMEOUT);
    CHECK(now_ms() - t0 < 2000 * t_slow);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

int main(int argc, char **argv) {
    static const test_case tests[] = {
        {"plain_call", test_plain_call},
        {"stream_events_in_order", test_stream_events_in_order},
        {"take_events_in_batches", test_take_events_in_batches},
        {"failures_arrive_as_done", test_failures_arrive_as_done},
        {"timeout_and_retry_on_the_io_thread", test_timeout_and_retry_on_the_io_thread},
        {"many_streams_one_thread", test_many_streams_one_thread},
        {"first_calls_run_together", test_first_calls_run_together},
        {"free_client_with_calls_in_flight", test_free_client_with_calls_in_flight},
        {"host_that_stops_taking_events", test_host_that_stops_taking_events},
        {"fork_starts_its_own_thread", test_fork_starts_its_own_thread},
        {"large_requests_are_prepared_off_the_callers_thread", test_large_requests_are_prepared_off_the_callers_thread},
        {"replies_are_judged_as_for_blocking_calls", test_replies_are_judged_as_for_blocking_calls},
        {"chat_v2_options", test_chat_v2_options},
    };
    return RUN_TESTS("calls", tests);
}
