/* SPDX-License-Identifier: MIT */
/* C tests of streaming (qwen3vl_chat_stream) and cancellation, against the stand-in's SSE streams:
 * random small pieces, CR/CRLF, comments, multi-line data, no [DONE], tool calls, error events,
 * cut and stalled streams, callback and cross-thread cancellation, freeing a busy client. */
#include "harness.h"

#include <pthread.h>

#define UNICODE_PROMPT "Ça va? 猫 🐈 — ok"
static const char *STREAM_REQ = "{\"messages\":[{\"role\":\"user\",\"content\":\"" UNICODE_PROMPT "\"}]}";
static const char *WANT_TEXT = "echo: " UNICODE_PROMPT;

typedef struct {
    char text[1 << 16];
    size_t len;
    int calls;
    int bad_utf8;
    int bad_json;
    int stop_after;        /* return non-zero on this call (0: never) */
    qwen3vl_cancel *trigger_on_first; /* trigger this token from inside the first callback */
} collector;

/* 1 if s[0..n) is whole UTF-8: no split sequence at either end. */
static int valid_utf8(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        int len = p[i] < 0x80 ? 1 : (p[i] >> 5) == 6 ? 2 : (p[i] >> 4) == 14 ? 3 : (p[i] >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n) return 0;
        for (int k = 1; k < len; k++) if ((p[i + k] & 0xC0) != 0x80) return 0;
        i += len;
    }
    return 1;
}

static int on_delta(const char *text, size_t len, const char *chunk_json, void *user) {
    collector *c = user;
    c->calls++;
    if (strlen(text) != len || !valid_utf8(text, len)) c->bad_utf8++;
    json_t *j = json_loads(chunk_json, 0, NULL);
    if (!j) c->bad_json++;
    json_decref(j);
    if (c->len + len < sizeof c->text) {
        memcpy(c->text + c->len, text, len);
        c->len += len;
        c->text[c->len] = 0;
    }
    if (c->trigger_on_first && c->calls == 1) qwen3vl_cancel_trigger(c->trigger_on_first);
    return c->stop_after && c->calls >= c->stop_after;
}

static qwen3vl_result *stream(const char *scenario, const char *extra, collector *col) {
    qwen3vl_client *c = client_for(scenario, new_uid(), extra);
    memset(col, 0, sizeof *col);
    qwen3vl_result *r = qwen3vl_chat_stream(c, STREAM_REQ, on_delta, col);
    qwen3vl_client_free(c);
    return r;
}

static void check_whole_reply(qwen3vl_result *r, const collector *col, const char *label) {
    if (qwen3vl_result_status(r) != QWEN3VL_OK) fprintf(stderr, "    (stream %s)\n", label);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(col->text, WANT_TEXT);
    CHECK(col->bad_utf8 == 0);
    CHECK(col->bad_json == 0);
    CHECK_STR(qwen3vl_result_text(r), WANT_TEXT);
    CHECK_STR(qwen3vl_result_finish_reason(r), "stop");
    CHECK_STR(qwen3vl_result_request_id(r), "inf-sse");
    CHECK(qwen3vl_result_http_status(r) == 200);
    CHECK(qwen3vl_result_attempts(r) == 1);
}

static void test_stream_basic(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("sse", uid, NULL);
    collector col = {0};
    qwen3vl_result *r = qwen3vl_chat_stream(c, STREAM_REQ, on_delta, &col);
    qwen3vl_client_free(c);
    check_whole_reply(r, &col, "basic");
    /* One callback per chunk: role, each character, finish, usage. */
    CHECK(col.calls >= 20);
    CHECK(qwen3vl_result_tokens(r, QWEN3VL_TOKENS_PROMPT) == 11);
    CHECK(qwen3vl_result_tokens(r, QWEN3VL_TOKENS_TOTAL) > 11);
    CHECK_STR(qwen3vl_result_tool_calls_json(r), "");

    /* The assembled result is a proper chat.completion with usage and the vendor's meta. */
    json_t *j = json_loads(qwen3vl_result_json(r), 0, NULL);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "object")), "chat.completion");
    CHECK_STR(json_string_value(json_object_get(j, "id")), "chatcmpl-sse");
    json_t *choice = json_array_get(json_object_get(j, "choices"), 0);
    CHECK_STR(json_string_value(json_object_get(json_object_get(choice, "message"), "content")), WANT_TEXT);
    CHECK_STR(json_string_value(json_object_get(json_object_get(choice, "message"), "role")), "assistant");
    CHECK_STR(json_string_value(json_object_get(choice, "finish_reason")), "stop");
    CHECK(json_integer_value(json_object_get(json_object_get(j, "usage"), "prompt_tokens")) == 11);
    CHECK(json_integer_value(json_object_get(json_object_get(json_object_get(j, "meta"), "usage"), "credits_used")) == 7);
    json_decref(j);
    qwen3vl_result_free(r);

    /* What was sent: a streaming request that asks for usage, accepting an event stream. */
    json_t *reqs = server_requests(uid);
    json_t *body = request_body(reqs, 0);
    CHECK(json_is_true(json_object_get(body, "stream")));
    CHECK(json_is_true(json_object_get(json_object_get(body, "stream_options"), "include_usage")));
    CHECK_STR(request_header(reqs, 0, "accept"), "text/event-stream");
    json_decref(body);
    json_decref(reqs);
}

static void test_stream_variants(void) {
    static const char *variants[] = {
        "sse:pieces=1", "sse:pieces=2", "sse:pieces=64", "sse:crlf", "sse:cr", "sse:crlf:pieces=1", "sse:cr:pieces=1",
        "sse:comments", "sse:nospace", "sse:nodone", "sse:nofinalblank", "sse:nofinalblank:crlf:pieces=1",
        "sse:comments:crlf:nospace:nodone",
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        collector col;
        qwen3vl_result *r = stream(variants[i], NULL, &col);
        check_whole_reply(r, &col, variants[i]);
        qwen3vl_result_free(r);
    }
    /* Multi-line data: several data: lines joined with "\n" make one JSON chunk. */
    qwen3vl_client *c = client_for("sse:multiline:pieces=3", new_uid(), NULL);
    collector col = {0};
    qwen3vl_result *r = qwen3vl_chat_stream(c, "{\"messages\":[{\"role\":\"user\",\"content\":\"plain words\"}]}", on_delta, &col);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "echo: plain words");
    CHECK_STR(col.text, "echo: plain words");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

static void test_stream_keeps_stream_options(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("sse", uid, NULL);
    collector col = {0};
    qwen3vl_result *r = qwen3vl_chat_stream(c, "{\"stream_options\":{\"include_usage\":false},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", on_delta, &col);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    json_t *reqs = server_requests(uid);
    json_t *body = request_body(reqs, 0);
    CHECK(json_is_false(json_object_get(json_object_get(body, "stream_options"), "include_usage")));
    json_decref(body);
    json_decref(reqs);
}

static void test_stream_tool_calls(void) {
    collector col;
    qwen3vl_result *r = stream("sse:tools:pieces=3", NULL, &col);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "");
    CHECK_STR(qwen3vl_result_finish_reason(r), "tool_calls");
    json_t *calls = json_loads(qwen3vl_result_tool_calls_json(r), 0, NULL);
    CHECK(json_array_size(calls) == 2);
    json_t *first = json_array_get(calls, 0), *second = json_array_get(calls, 1);
    CHECK_STR(json_string_value(json_object_get(first, "id")), "call_abc");
    CHECK_STR(json_string_value(json_object_get(first, "type")), "function");
    CHECK_STR(json_string_value(json_object_get(json_object_get(first, "function"), "name")), "locate");
    CHECK_STR(json_string_value(json_object_get(json_object_get(first, "function"), "arguments")), "{\"object\":\"cat\"}");
    CHECK_STR(json_string_value(json_object_get(json_object_get(second, "function"), "name")), "zoom");
    json_decref(calls);
    json_t *j = json_loads(qwen3vl_result_json(r), 0, NULL);
    json_t *msg = json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message");
    CHECK(json_is_null(json_object_get(msg, "content")));
    CHECK(json_array_size(json_object_get(msg, "tool_calls")) == 2);
    json_decref(j);
    qwen3vl_result_free(r);
}

static void test_stream_failures(void) {
    collector col;
    qwen3vl_result *r = stream("sse:nofinish", NULL, &col);
    CHECK_STATUS(r, QWEN3VL_ERR_PROTOCOL);
    CHECK_CONTAINS(qwen3vl_result_error(r), "finish_reason");
    CHECK_STR(qwen3vl_result_text(r), WANT_TEXT); /* what arrived stays */
    qwen3vl_result_free(r);

    r = stream("sse:cut", "\"max_retries\":2", &col);
    CHECK_STATUS(r, QWEN3VL_ERR_PROTOCOL);
    CHECK(qwen3vl_result_attempts(r) == 1); /* deltas were delivered: never replayed */
    CHECK(strlen(qwen3vl_result_text(r)) > 0);
    CHECK(strncmp(WANT_TEXT, qwen3vl_result_text(r), strlen(qwen3vl_result_text(r))) == 0);
    CHECK_STR(qwen3vl_result_text(r), col.text);
    qwen3vl_result_free(r);

    r = stream("sse:errorevent", NULL, &col);
    CHECK_STATUS(r, QWEN3VL_ERR_PROTOCOL);
    CHECK_CONTAINS(qwen3vl_result_error(r), "model overloaded");
    CHECK_STR(qwen3vl_result_text(r), "ec");
    qwen3vl_result_free(r);

    r = stream("sse:errorobj:crlf", NULL, &col);
    CHECK_STATUS(r, QWEN3VL_ERR_PROTOCOL);
    CHECK_CONTAINS(qwen3vl_result_error(r), "upstream failed mid-stream");
    CHECK_STR(qwen3vl_result_text(r), "ec");
    qwen3vl_result_free(r);

    double t0 = now_ms();
    r = stream("sse:stall=5", "\"idle_timeout_ms\":300", &col);
    CHECK_STATUS(r, QWEN3VL_ERR_TIMEOUT);
    CHECK_CONTAINS(qwen3vl_result_error(r), "idle_timeout_ms");
    CHECK_STR(qwen3vl_result_text(r), "ec");
    CHECK(now_ms() - t0 < 2000 * t_slow);
    qwen3vl_result_free(r);

    /* A stream whose server never sends a byte is idle from the start. */
    t0 = now_ms();
    r = stream("hang:5", "\"idle_timeout_ms\":300", &col);
    CHECK_STATUS(r, QWEN3VL_ERR_TIMEOUT);
    CHECK(now_ms() - t0 < 2000 * t_slow);
    qwen3vl_result_free(r);

    r = stream("sse:bigline:pieces=65536", "\"max_response_bytes\":1000000", &col);
    CHECK_STATUS(r, QWEN3VL_ERR_TOO_LARGE);
    qwen3vl_result_free(r);

    r = stream("status:401", NULL, &col);
    CHECK_STATUS(r, QWEN3VL_ERR_AUTH);
    CHECK_CONTAINS(qwen3vl_result_error(r), "stand-in says 401");
    CHECK(col.calls == 0);
    qwen3vl_result_free(r);
}

static void test_stream_retries_before_first_delta(void) {
    collector col;
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("status:503:ra=0,drop,sse", uid, NULL);
    memset(&col, 0, sizeof col);
    qwen3vl_result *r = qwen3vl_chat_stream(c, STREAM_REQ, on_delta, &col);
    qwen3vl_client_free(c);
    CHECK_STATUS(r, QWEN3VL_OK);
    /* libcurl itself resends once when a kept-alive connection turns out closed, so the drop may
       cost no attempt of ours; the server saw all three requests either way. */
    CHECK(qwen3vl_result_attempts(r) >= 2);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 3);
    json_decref(reqs);
    CHECK_STR(col.text, WANT_TEXT); /* each delta once */
    qwen3vl_result_free(r);
}

static void test_stream_plain_json_reply(void) {
    collector col;
    qwen3vl_result *r = stream("json-for-stream", NULL, &col);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(col.calls == 1);
    CHECK_STR(col.text, WANT_TEXT);
    CHECK_STR(qwen3vl_result_text(r), WANT_TEXT);
    qwen3vl_result_free(r);
}

static void test_stream_arguments(void) {
    qwen3vl_client *c = client_for("sse", new_uid(), NULL);
    qwen3vl_result *r = qwen3vl_chat_stream(c, STREAM_REQ, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(qwen3vl_result_error(r), "on_delta");
    qwen3vl_result_free(r);
    collector col = {0};
    r = qwen3vl_chat_stream(c, "{\"messages\":[]}", on_delta, &col);
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_REQUEST);
    CHECK(col.calls == 0);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

/* ---- cancellation ---- */

static void test_callback_cancels(void) {
    qwen3vl_client *c = client_for("sse:delay=20", new_uid(), NULL);
    collector col = {0};
    col.stop_after = 4;
    double t0 = now_ms();
    qwen3vl_result *r = qwen3vl_chat_stream(c, STREAM_REQ, on_delta, &col);
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    CHECK(col.calls == 4);
    CHECK_STR(qwen3vl_result_text(r), "ech"); /* role chunk, then e, c, h */
    CHECK(now_ms() - t0 < 1000 * t_slow);
    qwen3vl_result_free(r);
    /* The client is still good for the next call. */
    memset(&col, 0, sizeof col);
    r = qwen3vl_chat_stream(c, STREAM_REQ, on_delta, &col);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

typedef struct {
    qwen3vl_client *client;
    qwen3vl_cancel *cancel;
    const char *request;
    int streamed;
    qwen3vl_result *result;
    double returned_at;
    collector col;
} call_arg;

static void *call_thread(void *p) {
    call_arg *a = p;
    a->result = a->streamed ? qwen3vl_chat_stream_cancellable(a->client, a->request, on_delta, &a->col, a->cancel)
                            : qwen3vl_chat_cancellable(a->client, a->request, a->cancel);
    a->returned_at = now_ms();
    return NULL;
}

/* Starts a call on another thread, cancels it after wait_ms in the given way, and returns how long
   the call took to notice. */
enum how { BY_TOKEN, BY_CANCEL_ALL, BY_FREE };

static double cancel_after(const char *scenario, int streamed, int wait_ms, enum how how, call_arg *a) {
    memset(a, 0, sizeof *a);
    a->client = client_for(scenario, new_uid(), NULL);
    a->cancel = qwen3vl_cancel_new();
    a->request = STREAM_REQ;
    a->streamed = streamed;
    pthread_t th;
    pthread_create(&th, NULL, call_thread, a);
    usleep(wait_ms * 1000);
    double at = now_ms();
    if (how == BY_TOKEN) qwen3vl_cancel_trigger(a->cancel);
    else if (how == BY_CANCEL_ALL) qwen3vl_client_cancel_all(a->client);
    else qwen3vl_client_free(a->client);
    pthread_join(th, NULL);
    if (how != BY_FREE) qwen3vl_client_free(a->client);
    qwen3vl_cancel_free(a->cancel);
    return a->returned_at - at;
}

static void test_cross_thread_cancel(void) {
    call_arg a;
    /* A slow stream, cancelled with a token mid-way: back within 100 ms, partial text kept. */
    double took = cancel_after("sse:delay=50", 1, 400, BY_TOKEN, &a);
    CHECK_STATUS(a.result, QWEN3VL_ERR_CANCELLED);
    CHECK(took < 100 * t_slow);
    CHECK(strlen(qwen3vl_result_text(a.result)) > 0);
    CHECK_STR(qwen3vl_result_text(a.result), a.col.text);
    qwen3vl_result_free(a.result);

    /* A plain call to a server that never answers. */
    took = cancel_after("hang:10", 0, 300, BY_TOKEN, &a);
    CHECK_STATUS(a.result, QWEN3VL_ERR_CANCELLED);
    CHECK(took < 100 * t_slow);
    qwen3vl_result_free(a.result);

    /* A call waiting out a Retry-After. */
    took = cancel_after("status:429:ra=30", 0, 300, BY_CANCEL_ALL, &a);
    CHECK_STATUS(a.result, QWEN3VL_ERR_CANCELLED);
    CHECK(took < 100 * t_slow);
    qwen3vl_result_free(a.result);

    /* cancel_all on a stream. */
    took = cancel_after("sse:stall=10", 1, 300, BY_CANCEL_ALL, &a);
    CHECK_STATUS(a.result, QWEN3VL_ERR_CANCELLED);
    CHECK(took < 100 * t_slow);
    CHECK_STR(qwen3vl_result_text(a.result), "ec");
    qwen3vl_result_free(a.result);

    /* A token that already fired stops a call before it sends anything. */
    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    qwen3vl_cancel *tok = qwen3vl_cancel_new();
    CHECK(qwen3vl_cancel_is_triggered(tok) == 0);
    qwen3vl_cancel_trigger(tok);
    CHECK(qwen3vl_cancel_is_triggered(tok) == 1);
    qwen3vl_result *r = qwen3vl_chat_cancellable(c, HELLO, tok);
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    CHECK(qwen3vl_result_attempts(r) == 0);
    qwen3vl_result_free(r);
    /* NULL token: an ordinary call. */
    r = qwen3vl_chat_cancellable(c, HELLO, NULL);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    /* Cancelling from inside the callback through the token works too. */
    qwen3vl_cancel *tok2 = qwen3vl_cancel_new();
    collector col = {0};
    col.trigger_on_first = tok2;
    qwen3vl_client *s = client_for("sse:delay=20", new_uid(), NULL);
    r = qwen3vl_chat_stream_cancellable(s, STREAM_REQ, on_delta, &col, tok2);
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    qwen3vl_result_free(r);
    qwen3vl_client_free(s);
    qwen3vl_cancel_free(tok2);
    qwen3vl_cancel_free(tok);
    qwen3vl_client_free(c);
    qwen3vl_cancel_trigger(NULL);
    qwen3vl_cancel_free(NULL);
    qwen3vl_client_cancel_all(NULL);
    CHECK(qwen3vl_cancel_is_triggered(NULL) == 0);
}

static void test_free_busy_client(void) {
    call_arg a;
    /* A garbage-collected host frees the client while another thread streams on it. */
    double took = cancel_after("sse:delay=50", 1, 300, BY_FREE, &a);
    CHECK_STATUS(a.result, QWEN3VL_ERR_CANCELLED);
    CHECK(took < 100 * t_slow);
    CHECK(strlen(qwen3vl_result_text(a.result)) > 0);
    qwen3vl_result_free(a.result);

    took = cancel_after("hang:10", 0, 200, BY_FREE, &a);
    CHECK_STATUS(a.result, QWEN3VL_ERR_CANCELLED);
    CHECK(took < 100 * t_slow);
    qwen3vl_result_free(a.result);
}

enum { STREAM_THREADS = 6, STREAMS_PER_THREAD = 10 };

static void *stream_worker(void *p) {
    call_arg *a = p;
    for (int i = 0; i < STREAMS_PER_THREAD; i++) {
        memset(&a->col, 0, sizeof a->col);
        qwen3vl_result *r = qwen3vl_chat_stream(a->client, STREAM_REQ, on_delta, &a->col);
        if (qwen3vl_result_status(r) == QWEN3VL_OK && strcmp(a->col.text, WANT_TEXT) == 0 &&
            strcmp(qwen3vl_result_text(r), WANT_TEXT) == 0) a->streamed++;
        qwen3vl_result_free(r);
    }
    return NULL;
}

static void test_streams_on_many_threads(void) {
    qwen3vl_client *c = client_for("sse:pieces=5", new_uid(), NULL);
    pthread_t th[STREAM_THREADS];
    static call_arg args[STREAM_THREADS];
    for (int i = 0; i < STREAM_THREADS; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].client = c;
        pthread_create(&th[i], NULL, stream_worker, &args[i]);
    }
    int ok = 0;
    for (int i = 0; i < STREAM_THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += args[i].streamed;
    }
    CHECK(ok == STREAM_THREADS * STREAMS_PER_THREAD);
    qwen3vl_client_free(c);
}

int main(int argc, char **argv) {
    static const test_case tests[] = {
        {"stream_basic", test_stream_basic},
        {"stream_variants", test_stream_variants},
        {"stream_keeps_stream_options", test_stream_keeps_stream_options},
        {"stream_tool_calls", test_stream_tool_calls},
        {"stream_failures", test_stream_failures},
        {"stream_retries_before_first_delta", test_stream_retries_before_first_delta},
        {"stream_plain_json_reply", test_stream_plain_json_reply},
        {"stream_arguments", test_stream_arguments},
        {"callback_cancels", test_callback_cancels},
        {"cross_thread_cancel", test_cross_thread_cancel},
        {"free_busy_client", test_free_busy_client},
        {"streams_on_many_threads", test_streams_on_many_threads},
    };
    return RUN_TESTS("stream", tests);
}
