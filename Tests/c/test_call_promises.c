/* SPDX-License-Identifier: MIT */
/* Promises of qwen3vl.h about the non-blocking calls that test_calls.c leaves unchecked: NULL
 * events, a result only once its DONE is taken, events that outlive their call, freeing a call (its
 * untaken events dropped, its transfer stopped), cancelling one (its text so far kept; waiting to
 * retry or for a connection), NULs in deltas, cancel_all, the waits of qwen3vl_client_next_event,
 * many takers, a local file, the call options (refused with the key named, and max_retries,
 * idle_timeout_ms, headers and query taking effect), retries and stream endings as for the
 * blocking calls, a paused call's idle limit, and max_connections (its range, and its wait counted
 * towards timeout_ms only). */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>

/* Takes events until a DONE comes and returns its call; NULL after timeout_ms without one. */
static qwen3vl_call *next_done(qwen3vl_client *c, int timeout_ms) {
    for (;;) {
        qwen3vl_event *ev = wait_event(c, timeout_ms);
        if (!ev) return NULL;
        int done = qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE;
        qwen3vl_call *call = qwen3vl_event_call(ev); /* the host's own pointer: valid after the event */
        qwen3vl_event_free(ev);
        if (done) return call;
    }
}

/* Waits until the server has recorded n requests of uid (it records a request once it has read it). */
static int server_saw(const char *uid, size_t n) {
    double until = now_ms() + 5000 * t_slow;
    for (;;) {
        json_t *reqs = server_requests(uid);
        size_t seen = json_array_size(reqs);
        json_decref(reqs);
        if (seen >= n) return 1;
        if (now_ms() > until) return 0;
        usleep(5000);
    }
}

static void test_null_events_and_one_descriptor(void) {
    char err[256];
    CHECK(qwen3vl_client_new("{\"max_connections\": 0}", err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "max_connections must be between 1 and 100000");
    CHECK(qwen3vl_client_new("{\"max_connections\": 100001}", err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "max_connections must be between 1 and 100000");
    qwen3vl_client *most = qwen3vl_client_new("{\"max_connections\": 100000}", err, sizeof err);
    CHECK(most != NULL);
    qwen3vl_client_free(most);
    size_t n = 99;
    CHECK(qwen3vl_event_call(NULL) == NULL);
    CHECK(qwen3vl_event_user_data(NULL) == NULL);
    CHECK_STR(qwen3vl_event_text(NULL, &n), "");
    CHECK(n == 0);
    CHECK_STR(qwen3vl_event_text(NULL, NULL), "");
    CHECK_STR(qwen3vl_event_chunk_json(NULL), "");
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    size_t used = 99;
    CHECK(qwen3vl_client_take_events(c, 0, NULL, 64, &used) == 0 && used == 0);
    int fd = qwen3vl_client_event_fd(c); /* before the first call */
    CHECK(fd >= 0);
    for (int i = 0; i < 3; i++) {
        qwen3vl_call *call = qwen3vl_call_start(c, HELLO, i == 1 ? "{\"stream\": true}" : NULL, NULL);
        CHECK(qwen3vl_client_event_fd(c) == fd); /* the same for the client's life */
        CHECK(next_done(c, 5000) == call);
        qwen3vl_call_free(call);
    }
    CHECK(qwen3vl_client_event_fd(c) == fd);
    qwen3vl_client_free(c);
}

static void test_result_only_once_done_is_taken(void) {
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, NULL, NULL);
    struct pollfd p = {qwen3vl_client_event_fd(c), POLLIN, 0};
    CHECK(poll(&p, 1, (int)(5000 * t_slow)) == 1); /* its DONE waits... */
    CHECK(qwen3vl_call_result(call) == NULL);      /* ...but is not taken yet */
    qwen3vl_event *ev = qwen3vl_client_next_event(c, 0);
    CHECK(ev && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE);
    CHECK_STR(qwen3vl_event_chunk_json(ev), "");
    CHECK_STR(qwen3vl_event_text(ev, NULL), "");
    CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_OK);
    qwen3vl_event_free(ev);
    /* A cancel after the end changes nothing. */
    qwen3vl_result *r = qwen3vl_call_result(call);
    qwen3vl_call_cancel(call);
    CHECK(qwen3vl_call_result(call) == r);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(qwen3vl_client_next_event(c, 0) == NULL);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
}

static void test_taken_events_outlive_their_call(void) {
    qwen3vl_client *c = client_for("sse:delay=20", new_uid(), NULL);
    int tag = 1;
    /* A delta taken, then its call freed while it still streams: the delta stays whole. */
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", &tag);
    qwen3vl_event *ev;
    size_t n = 0;
    while ((ev = wait_event(c, 5000)) && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DELTA &&
           (qwen3vl_event_text(ev, &n), n == 0)) {
        qwen3vl_event_free(ev); /* the role's chunk, without content */
    }
    CHECK(ev && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DELTA);
    qwen3vl_call_free(call);
    const char *text = qwen3vl_event_text(ev, &n);
    CHECK(n > 0 && strlen(text) == n && strncmp("echo: Hello there", text, n) == 0);
    CHECK_CONTAINS(qwen3vl_event_chunk_json(ev), "chat.completion.chunk");
    CHECK(qwen3vl_event_call(ev) == call && qwen3vl_event_user_data(ev) == &tag);
    qwen3vl_event_free(ev);
    /* Nothing more of the freed call comes, though its stream had 300 ms to go. */
    CHECK(qwen3vl_client_next_event(c, (int)(400 * t_slow)) == NULL);
    /* A DONE taken, then its call freed: the call it names still gives its result. */
    call = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", &tag);
    while ((ev = wait_event(c, 5000)) && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DELTA) qwen3vl_event_free(ev);
    CHECK(ev && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE);
    qwen3vl_call_free(call);
    CHECK(qwen3vl_event_call(ev) == call && qwen3vl_event_user_data(ev) == &tag);
    qwen3vl_result *r = qwen3vl_call_result(qwen3vl_event_call(ev));
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "echo: Hello there");
    qwen3vl_event_free(ev);
    qwen3vl_client_free(c);
}

static void test_free_drops_untaken_events_and_stops_the_transfer(void) {
    /* A stream's events wait untaken; its call is freed: none of them is delivered after. */
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    int a = 1, b = 2;
    qwen3vl_call *streamed = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", &a);
    struct pollfd p = {qwen3vl_client_event_fd(c), POLLIN, 0};
    CHECK(poll(&p, 1, (int)(5000 * t_slow)) == 1);
    qwen3vl_call_free(streamed);
    qwen3vl_call *plain = qwen3vl_call_start(c, HELLO, NULL, &b);
    int others = 0, done = 0;
    for (qwen3vl_event *ev; !done && (ev = wait_event(c, 5000)); qwen3vl_event_free(ev)) {
        others += qwen3vl_event_user_data(ev) != &b;
        done = qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE;
    }
    CHECK(done && others == 0);
    CHECK_STATUS(qwen3vl_call_result(plain), QWEN3VL_OK);
    qwen3vl_call_free(plain);
    /* A DONE left waiting when the client goes: dropped with it; the call is still freed after. */
    qwen3vl_call *left = qwen3vl_call_start(c, HELLO, NULL, NULL);
    CHECK(poll(&p, 1, (int)(5000 * t_slow)) == 1);
    qwen3vl_client_free(c);
    CHECK(qwen3vl_call_result(left) == NULL); /* its DONE was never taken */
    qwen3vl_call_free(left);

    /* A call freed while its server says nothing lets go of its connection: with one connection
       allowed, the next call goes out at once rather than after the 30 s the first would hang. */
    const char *uid = new_uid();
    c = client_for("hang:30,ok", uid, "\"max_connections\":1");
    qwen3vl_call *hung = qwen3vl_call_start(c, HELLO, NULL, NULL);
    CHECK(server_saw(uid, 1));
    double t0 = now_ms();
    qwen3vl_call_free(hung);
    char opts[64];
    snprintf(opts, sizeof opts, "{\"timeout_ms\": %d}", (int)(3000 * t_slow));
    qwen3vl_call *next = qwen3vl_call_start(c, HELLO, opts, NULL);
    CHECK(next_done(c, 10000) == next);
    CHECK_STATUS(qwen3vl_call_result(next), QWEN3VL_OK);
    CHECK(now_ms() - t0 < 2000 * t_slow);
    qwen3vl_call_free(next);
    qwen3vl_client_free(c);
}

static void *cancel_call(void *call) {
    qwen3vl_call_cancel(call);
    return NULL;
}

static void test_cancel_keeps_the_text_so_far(void) {
    /* 18 events 60 ms apart; cancelled from another thread after the third delta. */
    qwen3vl_client *c = client_for("sse:delay=60", new_uid(), NULL);
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", NULL);
    char text[64] = "";
    size_t len = 0;
    int deltas = 0, done = 0;
    double cancelled_at = 0;
    for (qwen3vl_event *ev; !done && (ev = wait_event(c, 5000)); qwen3vl_event_free(ev)) {
        if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE) { done = 1; continue; }
        size_t n;
        const char *t = qwen3vl_event_text(ev, &n);
        if (len + n < sizeof text) { memcpy(text + len, t, n); len += n; }
        if (++deltas == 3) {
            pthread_t th;
            cancelled_at = now_ms();
            pthread_create(&th, NULL, cancel_call, call);
            pthread_join(th, NULL);
            qwen3vl_call_cancel(call); /* twice is harmless */
        }
    }
    CHECK(done && cancelled_at > 0);
    CHECK(now_ms() - cancelled_at < 300 * t_slow);
    qwen3vl_result *r = qwen3vl_call_result(call);
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    /* The text so far: every delta delivered, and only those; not the whole reply. */
    CHECK(qwen3vl_result_text_len(r) == len && memcmp(qwen3vl_result_text(r), text, len) == 0);
    CHECK(len > 0 && len < strlen("echo: Hello there"));
    CHECK(qwen3vl_client_next_event(c, (int)(200 * t_slow)) == NULL); /* DONE was the last */
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
}

static void test_deltas_keep_their_nuls(void) {
    static const char req[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}";
    static const char want[] = "echo: a\0b";
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    qwen3vl_call *call = qwen3vl_call_start(c, req, "{\"stream\": true}", NULL);
    char text[64];
    size_t len = 0;
    int done = 0;
    for (qwen3vl_event *ev; !done && (ev = wait_event(c, 5000)); qwen3vl_event_free(ev)) {
        size_t n;
        const char *t = qwen3vl_event_text(ev, &n);
        if (len + n < sizeof text) { memcpy(text + len, t, n + 1); len += n; } /* NUL-terminated after */
        done = qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE;
    }
    CHECK(done && len == sizeof want - 1 && memcmp(text, want, sizeof want) == 0);
    CHECK(qwen3vl_result_text_len(qwen3vl_call_result(call)) == sizeof want - 1);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
}

static void test_cancel_while_waiting(void) {
    /* Waiting to retry (a Retry-After of 30 s): cancelled, it ends at once. */
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("status:429:ra=30", uid, NULL);
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, NULL, NULL);
    CHECK(server_saw(uid, 1));
    double t0 = now_ms();
    qwen3vl_call_cancel(call);
    CHECK(next_done(c, 5000) == call);
    CHECK(now_ms() - t0 < 200 * t_slow);
    CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_ERR_CANCELLED);
    CHECK_CONTAINS(qwen3vl_result_error(qwen3vl_call_result(call)), "waiting to retry");
    CHECK(qwen3vl_result_attempts(qwen3vl_call_result(call)) == 1);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
    /* Waiting for a connection (the only one is taken): cancelled, it ends at once, unsent. */
    uid = new_uid();
    c = client_for("hang:30", uid, "\"max_connections\":1");
    qwen3vl_call *holder = qwen3vl_call_start(c, HELLO, NULL, NULL);
    CHECK(server_saw(uid, 1));
    qwen3vl_call *queued = qwen3vl_call_start(c, HELLO, NULL, NULL);
    t0 = now_ms();
    qwen3vl_call_cancel(queued);
    CHECK(next_done(c, 5000) == queued);
    CHECK(now_ms() - t0 < 200 * t_slow);
    CHECK_STATUS(qwen3vl_call_result(queued), QWEN3VL_ERR_CANCELLED);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 1);
    json_decref(reqs);
    qwen3vl_call_free(queued);
    qwen3vl_call_free(holder);
    qwen3vl_client_free(c);
}

/* ---- streams end as the blocking calls' do ---- */

typedef struct {
    char text[256];
    size_t len;
    int deltas;
} gathered;

static int gather(const char *text, size_t len, const char *chunk, void *user) {
    (void)chunk;
    gathered *g = user;
    if (g->len + len < sizeof g->text) { memcpy(g->text + g->len, text, len); g->len += len; }
    g->deltas++;
    return 0;
}

static void test_stream_endings_as_for_blocking_calls(void) {
    /* A plain reply to a stream, a stream cut short or ended by an error event, one without [DONE],
       one of tool calls: the same status and text both ways, and the deltas make the text. */
    static const char *scenarios[] = {"json-for-stream", "sse:cut", "sse:errorevent", "sse:nodone", "sse:tools", "cut"};
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        qwen3vl_client *c = client_for(scenarios[i], new_uid(), "\"max_retries\":0");
        gathered blocking = {0}, events = {0};
        qwen3vl_result *r = qwen3vl_chat_v2(c, HELLO, NULL, NULL, gather, &blocking);
        qwen3vl_call *call = qwen3vl_call_start(c, HELLO, "{\"stream\": true}", NULL);
        int done = 0;
        for (qwen3vl_event *ev; !done && (ev = wait_event(c, 5000)); qwen3vl_event_free(ev)) {
            done = qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE;
            if (!done) {
                size_t n;
                const char *t = qwen3vl_event_text(ev, &n);
                gather(t, n, NULL, &events);
            }
        }
        qwen3vl_result *e = qwen3vl_call_result(call);
        int same = done && qwen3vl_result_status(e) == qwen3vl_result_status(r) &&
                   qwen3vl_result_text_len(e) == events.len && memcmp(qwen3vl_result_text(e), events.text, events.len) == 0 &&
                   qwen3vl_result_text_len(r) == blocking.len && memcmp(qwen3vl_result_text(r), blocking.text, blocking.len) == 0 &&
                   strcmp(qwen3vl_result_finish_reason(e), qwen3vl_result_finish_reason(r)) == 0 &&
                   strcmp(qwen3vl_result_tool_calls_json(e), qwen3vl_result_tool_calls_json(r)) == 0;
        if (!same) {
            fprintf(stderr, "    FAIL %s: blocking %s \"%s\" (%d deltas), non-blocking %s \"%s\" (%d deltas): %s\n", scenarios[i],
                    qwen3vl_status_name(qwen3vl_result_status(r)), qwen3vl_result_text(r), blocking.deltas,
                    qwen3vl_status_name(qwen3vl_result_status(e)), qwen3vl_result_text(e), events.deltas, qwen3vl_result_error(e));
            t_failed_now = 1;
        }
        qwen3vl_result_free(r);
        qwen3vl_call_free(call);
        qwen3vl_client_free(c);
    }
}

static void test_cancel_all_reaches_calls_in_flight(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("hang:30,hang:30,hang:30,ok", uid, NULL);
    qwen3vl_call *calls[3];
    for (int i = 0; i < 3; i++) calls[i] = qwen3vl_call_start(c, HELLO, NULL, NULL);
    CHECK(server_saw(uid, 3));
    double t0 = now_ms();
    qwen3vl_client_cancel_all(c);
    for (int i = 0; i < 3; i++) CHECK(next_done(c, 5000) != NULL);
    CHECK(now_ms() - t0 < 200 * t_slow); /* "within about 100 ms" */
    for (int i = 0; i < 3; i++) {
        CHECK_STATUS(qwen3vl_call_result(calls[i]), QWEN3VL_ERR_CANCELLED);
        CHECK(qwen3vl_result_attempts(qwen3vl_call_result(calls[i])) == 1); /* not retried */
        qwen3vl_call_free(calls[i]);
    }
    qwen3vl_call *later = qwen3vl_call_start(c, HELLO, NULL, NULL); /* not affected */
    CHECK(next_done(c, 5000) == later);
    CHECK_STATUS(qwen3vl_call_result(later), QWEN3VL_OK);
    qwen3vl_call_free(later);
    qwen3vl_client_free(c);
}

static void test_next_event_waits_as_told(void) {
    qwen3vl_client *c = client_for("slow:300", new_uid(), NULL);
    double t0 = now_ms();
    CHECK(qwen3vl_client_next_event(c, 0) == NULL);
    CHECK(now_ms() - t0 < 50 * t_slow);
    t0 = now_ms();
    CHECK(qwen3vl_client_next_event(c, 200) == NULL);
    double took = now_ms() - t0;
    CHECK(took >= 195 && took < 200 + 300 * t_slow);
    static unsigned char buf[256] __attribute__((aligned(8)));
    size_t used = 99;
    t0 = now_ms();
    CHECK(qwen3vl_client_take_events(c, 200, buf, sizeof buf, &used) == 0 && used == 0);
    took = now_ms() - t0;
    CHECK(took >= 195 && took < 200 + 300 * t_slow);
    t0 = now_ms();
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, NULL, NULL);
    CHECK(now_ms() - t0 < 50 * t_slow); /* back at once, not after the reply */
    t0 = now_ms();
    qwen3vl_event *ev = qwen3vl_client_next_event(c, -1); /* until one comes: the reply's, 300 ms on */
    CHECK(ev && qwen3vl_event_call(ev) == call && qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE);
    CHECK(now_ms() - t0 >= 250);
    CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_OK);
    qwen3vl_event_free(ev);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
}

/* ---- many takers: every event to one of them, once ---- */

enum { TAKEN_CALLS = 200 };

typedef struct {
    qwen3vl_client *client;
    int n;
    double until;
    atomic_int done;
    atomic_int dones[TAKEN_CALLS];
    atomic_size_t chars[TAKEN_CALLS];
    atomic_int bad;
} takers;

static void *take_until_all_done(void *p) {
    takers *t = p;
    while (atomic_load(&t->done) < t->n && now_ms() < t->until) {
        qwen3vl_event *ev = qwen3vl_client_next_event(t->client, 20);
        if (!ev) continue;
        int i = *(int *)qwen3vl_event_user_data(ev);
        size_t len;
        qwen3vl_event_text(ev, &len);
        if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DELTA) {
            atomic_fetch_add(&t->chars[i], len);
        } else {
            qwen3vl_call *call = qwen3vl_event_call(ev);
            if (qwen3vl_result_status(qwen3vl_call_result(call)) != QWEN3VL_OK) atomic_fetch_add(&t->bad, 1);
            atomic_fetch_add(&t->dones[i], 1);
            qwen3vl_call_free(call); /* on this thread, while others may still hold its deltas */
            atomic_fetch_add(&t->done, 1);
        }
        qwen3vl_event_free(ev);
    }
    return NULL;
}

static void test_many_takers_each_event_once(void) {
    static takers t;
    static int ids[TAKEN_CALLS];
    memset(&t, 0, sizeof t);
    t.client = client_for("ok", new_uid(), NULL);
    t.n = t_slow > 1 ? TAKEN_CALLS / 5 : TAKEN_CALLS;
    t.until = now_ms() + 20000 * t_slow;
    pthread_t th[4];
    for (int k = 0; k < 4; k++) pthread_create(&th[k], NULL, take_until_all_done, &t);
    for (int i = 0; i < t.n; i++) {
        ids[i] = i;
        qwen3vl_call_start(t.client, HELLO, "{\"stream\": true}", &ids[i]); /* freed by its DONE's taker */
    }
    for (int k = 0; k < 4; k++) pthread_join(th[k], NULL);
    int once = 0, whole = 0;
    for (int i = 0; i < t.n; i++) {
        once += atomic_load(&t.dones[i]) == 1;
        whole += atomic_load(&t.chars[i]) == strlen("echo: Hello there");
    }
    CHECK(atomic_load(&t.done) == t.n && once == t.n && whole == t.n && atomic_load(&t.bad) == 0);
    qwen3vl_client_free(t.client);
}

static void test_local_files_on_the_io_thread(void) {
    /* A file read and sent as a data: URI, or its absence a DONE with the JSON path and its path. */
    char path[64], req[256];
    snprintf(path, sizeof path, "/tmp/qwen3vl-call-%d.png", (int)getpid());
    static const unsigned char png[48] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                          0, 0, 0, 64, 0, 0, 0, 32};
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(png, 1, sizeof png, f) == sizeof png);
    if (f) fclose(f);
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, NULL);
    const char *form = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}}]}]}";
    snprintf(req, sizeof req, form, path);
    qwen3vl_call *sent = qwen3vl_call_start(c, req, NULL, NULL);
    CHECK(next_done(c, 5000) == sent);
    CHECK_STATUS(qwen3vl_call_result(sent), QWEN3VL_OK);
    CHECK_CONTAINS(qwen3vl_result_text(qwen3vl_call_result(sent)), "[image_url image/png 48 ");
    qwen3vl_call_free(sent);
    unlink(path);
    qwen3vl_call *missing = qwen3vl_call_start(c, req, NULL, NULL);
    CHECK(next_done(c, 5000) == missing);
    CHECK_STATUS(qwen3vl_call_result(missing), QWEN3VL_ERR_FILE);
    CHECK_CONTAINS(qwen3vl_result_error(qwen3vl_call_result(missing)), "messages[0].content[0].image_url.url");
    CHECK_CONTAINS(qwen3vl_result_error(qwen3vl_call_result(missing)), path);
    qwen3vl_call_free(missing);
    qwen3vl_client_free(c);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 1); /* the missing file's call sent nothing */
    json_decref(reqs);
}

/* ---- call options ---- */

static void test_call_options_refused_with_the_key(void) {
    static const struct { const char *options, *needle; } bad[] = {
        {"{\"max_retries\": 101}", "max_retries must be between"},
        {"{\"timeout_ms\": 0}", "timeout_ms must be between"},
        {"{\"idle_timeout_ms\": -1}", "idle_timeout_ms must be between"},
        {"{\"stream\": 1}", "stream must be a boolean"},
        {"{\"response_headers\": \"yes\"}", "response_headers"},
        {"{\"headers\": {\"X-A\": 1}}", "headers.X-A"},
        {"{\"headers\": {\"X-A\": \"a\\r\\nInjected: 1\"}}", "CR, LF"},
        {"{\"headers\": {\"Bad Name\": \"v\"}}", "not a valid header name"},
        {"{\"query\": {\"a\": []}}", "query.a"},
        {"{\"resize\": \"huge\"}", "resize"},
        {"{\"colour\": 1}", "unknown call option \"colour\""},
        {"[]", "must be a JSON object"},
        {"{", "does not parse"},
        {"{\"headers\": {\"X-A\": \"\xff\"}}", "UTF-8"},
    };
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, NULL);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qwen3vl_call *call = qwen3vl_call_start(c, HELLO, bad[i].options, NULL);
        CHECK(call != NULL && next_done(c, 5000) == call);
        qwen3vl_result *r = qwen3vl_chat_v2(c, HELLO, bad[i].options, NULL, NULL, NULL);
        qwen3vl_result *started = qwen3vl_call_result(call);
        CHECK_STATUS(started, QWEN3VL_ERR_INVALID_ARGUMENT);
        CHECK_CONTAINS(qwen3vl_result_error(started), bad[i].needle);
        CHECK_STATUS(r, QWEN3VL_ERR_INVALID_ARGUMENT);
        CHECK_STR(qwen3vl_result_error(r), qwen3vl_result_error(started)); /* the same check, both ways */
        qwen3vl_result_free(r);
        qwen3vl_call_free(call);
    }
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 0); /* nothing was sent */
    json_decref(reqs);
    qwen3vl_client_free(c);
}

static void test_call_start_sends_the_calls_headers_and_query(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, "\"headers\": {\"X-Client\": \"c\", \"X-Trace\": \"client\"}");
    qwen3vl_call *call = qwen3vl_call_start(
        c, HELLO, "{\"headers\": {\"x-trace\": \"t-1\"}, \"query\": {\"api-version\": \"2024 06\"}, \"response_headers\": true}",
        NULL);
    CHECK(next_done(c, 5000) == call);
    qwen3vl_result *r = qwen3vl_call_result(call);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_CONTAINS(qwen3vl_result_headers(r), "Content-Type: application/json");
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
    json_t *reqs = server_requests(uid);
    CHECK_STR(request_header(reqs, 0, "x-trace"), "t-1");
    CHECK_STR(request_header(reqs, 0, "x-client"), "c");
    CHECK_CONTAINS(json_string_value(json_object_get(json_array_get(reqs, 0), "path")), "?api-version=2024%2006");
    json_decref(reqs);
}

typedef struct {
    int status, attempts;
    double ms;
    char error[256];
} outcome;

/* One call on a fresh client: through qwen3vl_call_start (nonblocking) or qwen3vl_chat_v2. */
static outcome call_once(const char *scenario, const char *client_extra, const char *call_options, int nonblocking) {
    outcome o = {0};
    qwen3vl_client *c = client_for(scenario, new_uid(), client_extra);
    double t0 = now_ms();
    qwen3vl_call *call = NULL;
    qwen3vl_result *r;
    if (nonblocking) {
        call = qwen3vl_call_start(c, HELLO, call_options, NULL);
        CHECK(next_done(c, 20000) == call);
        r = qwen3vl_call_result(call);
    } else {
        r = qwen3vl_chat_v2(c, HELLO, call_options, NULL, NULL, NULL);
    }
    o.ms = now_ms() - t0;
    o.status = qwen3vl_result_status(r);
    o.attempts = qwen3vl_result_attempts(r);
    snprintf(o.error, sizeof o.error, "%s", qwen3vl_result_error(r));
    if (call) qwen3vl_call_free(call);
    else qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    return o;
}

/* One case: a call on a fresh client, through both entry points, and what it must end with. */
typedef struct {
    const char *scenario, *client, *call;
    int status, attempts; /* attempts 0: not checked */
    const char *needle;
    double min_ms, max_ms; /* max_ms is multiplied by t_slow */
} call_case;

static void run_cases(const call_case *cases, size_t n) {
    for (size_t i = 0; i < n; i++) {
        for (int nonblocking = 0; nonblocking < 2; nonblocking++) {
            outcome o = call_once(cases[i].scenario, cases[i].client, cases[i].call, nonblocking);
            int ok = o.status == cases[i].status && (!cases[i].attempts || o.attempts == cases[i].attempts) &&
                     strstr(o.error, cases[i].needle) && o.ms >= cases[i].min_ms && o.ms < cases[i].max_ms * t_slow;
            if (!ok) {
                fprintf(stderr, "    FAIL %s, %s: %s after %d attempts in %.0f ms: %s\n", cases[i].scenario,
                        nonblocking ? "qwen3vl_call_start" : "qwen3vl_chat_v2", qwen3vl_status_name(o.status), o.attempts,
                        o.ms, o.error);
                t_failed_now = 1;
            }
        }
    }
}

static void test_retries_as_for_blocking_calls(void) {
    static const call_case cases[] = {
        /* max_retries of the call, over the client's, both ways */
        {"status:503:ra_ms=0,status:503:ra_ms=0,ok", "\"max_retries\":0", "{\"max_retries\": 2}", QWEN3VL_OK, 3, "", 0, 2000},
        {"status:503:ra_ms=0", NULL, "{\"max_retries\": 0}", QWEN3VL_ERR_SERVER, 1, "503", 0, 2000},
        /* 5xx, 429, 408, 409 and a lost connection retried; then their codes */
        {"status:500:ra_ms=0", "\"max_retries\":1", NULL, QWEN3VL_ERR_SERVER, 2, "after 2 attempts", 0, 2000},
        {"status:429:ra_ms=0", "\"max_retries\":1", NULL, QWEN3VL_ERR_RATE_LIMIT, 2, "after 2 attempts", 0, 2000},
        {"status:408:ra_ms=0,status:409:ra_ms=0,ok", NULL, NULL, QWEN3VL_OK, 3, "", 0, 2000},
        {"drop,ok", NULL, NULL, QWEN3VL_OK, 2, "", 0, 2000},
        /* retry-after-ms honoured; a Retry-After over 60 s is not (the backoff, 0.5 s at most, instead) */
        {"status:503:ra_ms=300,ok", NULL, NULL, QWEN3VL_OK, 2, "", 290, 2000},
        {"status:429:ra=120,ok", NULL, NULL, QWEN3VL_OK, 2, "", 0, 2000},
        /* a wait that would outlast timeout_ms is not begun */
        {"status:429:ra=5,ok", NULL, "{\"timeout_ms\": 2000}", QWEN3VL_ERR_RATE_LIMIT, 1, "no time left", 0, 1500},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_idle_limits_as_for_blocking_calls(void) {
    static const call_case cases[] = {
        /* idle_timeout_ms of the call: a stream's silence; a plain call's wait for its reply is none */
        {"sse:stall=30", "\"max_retries\":0", "{\"stream\": true, \"idle_timeout_ms\": 300}", QWEN3VL_ERR_TIMEOUT, 1,
         "idle_timeout_ms", 290, 2000},
        {"slow:400", NULL, "{\"idle_timeout_ms\": 150}", QWEN3VL_OK, 1, "", 390, 3000},
        /* 0 is no limit, over the client's */
        {"sse:stall=0.45", "\"idle_timeout_ms\":150,\"max_retries\":0", "{\"stream\": true, \"idle_timeout_ms\": 0}",
         QWEN3VL_OK, 1, "", 440, 3000},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_paused_call_has_no_idle_limit(void) {
    /* About 4 MB of events the host does not take for three times the idle limit: the call is paused
       meanwhile, and that silence is not idleness. */
    qwen3vl_client *c = client_for("sse:pieces=65536:repeat=2000:text=0123456789", new_uid(), NULL);
    qwen3vl_call *call = qwen3vl_call_start(c, HELLO, "{\"stream\": true, \"idle_timeout_ms\": 300}", NULL);
    struct pollfd p = {qwen3vl_client_event_fd(c), POLLIN, 0};
    CHECK(poll(&p, 1, (int)(5000 * t_slow)) == 1);
    usleep(900000); /* the host is busy elsewhere */
    size_t chars = 0;
    int done = 0;
    for (qwen3vl_event *ev; !done && (ev = wait_event(c, 10000)); qwen3vl_event_free(ev)) {
        size_t n;
        qwen3vl_event_text(ev, &n);
        chars += n;
        done = qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE;
    }
    CHECK(done && chars == 20000);
    CHECK_STATUS(qwen3vl_call_result(call), QWEN3VL_OK);
    qwen3vl_call_free(call);
    qwen3vl_client_free(c);
}

static void test_connection_wait_counts_towards_timeout_only(void) {
    /* One connection: the first call holds it for 900 ms; a stream with a 300 ms idle limit waits
       for it and ends well (the wait is not idleness); a call with a 300 ms total limit times out
       waiting, before the first is done. */
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("slow:900,ok", uid, "\"max_connections\":1");
    qwen3vl_call *first = qwen3vl_call_start(c, HELLO, NULL, NULL);
    qwen3vl_call *idle = qwen3vl_call_start(c, HELLO, "{\"stream\": true, \"idle_timeout_ms\": 300}", NULL);
    qwen3vl_call *total = qwen3vl_call_start(c, HELLO, "{\"timeout_ms\": 300}", NULL);
    CHECK(next_done(c, 5000) == total);
    CHECK(next_done(c, 5000) == first);
    CHECK(next_done(c, 5000) == idle);
    CHECK_STATUS(qwen3vl_call_result(total), QWEN3VL_ERR_TIMEOUT);
    CHECK_CONTAINS(qwen3vl_result_error(qwen3vl_call_result(total)), "timeout_ms");
    CHECK_STATUS(qwen3vl_call_result(first), QWEN3VL_OK);
    CHECK_STATUS(qwen3vl_call_result(idle), QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(qwen3vl_call_result(idle)), "echo: Hello there");
    /* The server saw the second request only once the first was answered. */
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 2);
    double a = json_real_value(json_object_get(json_array_get(reqs, 0), "time"));
    double b = json_real_value(json_object_get(json_array_get(reqs, 1), "time"));
    CHECK(b - a >= 0.85);
    json_decref(reqs);
    qwen3vl_call_free(first);
    qwen3vl_call_free(idle);
    qwen3vl_call_free(total);
    qwen3vl_client_free(c);
}

static void test_forked_child_asks_for_a_new_descriptor(void) {
    if (T_UNDER_TSAN) return; /* ThreadSanitizer refuses to start threads in a child forked from a threaded process. */
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    int fd = qwen3vl_client_event_fd(c);
    qwen3vl_call *warm = qwen3vl_call_start(c, HELLO, NULL, NULL);
    CHECK(next_done(c, 5000) == warm);
    qwen3vl_call_free(warm);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int own = qwen3vl_client_event_fd(c);
        qwen3vl_call *call = qwen3vl_call_start(c, HELLO, NULL, NULL);
        struct pollfd p = {own, POLLIN, 0};
        int readable = poll(&p, 1, (int)(5000 * t_slow)) == 1; /* the child's descriptor says so */
        qwen3vl_event *ev = qwen3vl_client_next_event(c, 0);
        _exit(own >= 0 && own != fd && readable && ev && qwen3vl_event_call(ev) == call &&
                      qwen3vl_result_status(qwen3vl_call_result(call)) == QWEN3VL_OK
                  ? 0
                  : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(qwen3vl_client_event_fd(c) == fd); /* the parent's stays */
    qwen3vl_client_free(c);
}

int main(int argc, char **argv) {
    static const test_case tests[] = {
        {"null_events_and_one_descriptor", test_null_events_and_one_descriptor},
        {"result_only_once_done_is_taken", test_result_only_once_done_is_taken},
        {"taken_events_outlive_their_call", test_taken_events_outlive_their_call},
        {"free_drops_untaken_events_and_stops_the_transfer", test_free_drops_untaken_events_and_stops_the_transfer},
        {"cancel_keeps_the_text_so_far", test_cancel_keeps_the_text_so_far},
        {"deltas_keep_their_nuls", test_deltas_keep_their_nuls},
        {"cancel_while_waiting", test_cancel_while_waiting},
        {"stream_endings_as_for_blocking_calls", test_stream_endings_as_for_blocking_calls},
        {"cancel_all_reaches_calls_in_flight", test_cancel_all_reaches_calls_in_flight},
        {"next_event_waits_as_told", test_next_event_waits_as_told},
        {"many_takers_each_event_once", test_many_takers_each_event_once},
        {"local_files_on_the_io_thread", test_local_files_on_the_io_thread},
        {"call_options_refused_with_the_key", test_call_options_refused_with_the_key},
        {"call_start_sends_the_calls_headers_and_query", test_call_start_sends_the_calls_headers_and_query},
        {"retries_as_for_blocking_calls", test_retries_as_for_blocking_calls},
        {"idle_limits_as_for_blocking_calls", test_idle_limits_as_for_blocking_calls},
        {"paused_call_has_no_idle_limit", test_paused_call_has_no_idle_limit},
        {"connection_wait_counts_towards_timeout_only", test_connection_wait_counts_towards_timeout_only},
        {"forked_child_asks_for_a_new_descriptor", test_forked_child_asks_for_a_new_descriptor},
    };
    return RUN_TESTS("call_promises", tests);
}
