/* SPDX-License-Identifier: MIT */
/* C tests of network faults: resets before and during a reply, a Content-Length that lies, broken
 * chunked encoding, an HTTP/1.0 close-delimited reply, a server that never answers, and a server
 * killed and restarted between calls. Each ends in the right status within its time, and the
 * client goes on working. */
#include "harness.h"

static qwen3vl_result *call(const char *scenario, const char *extra, double *took) {
    qwen3vl_client *c = client_for(scenario, new_uid(), extra);
    double t0 = now_ms();
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    if (took) *took = now_ms() - t0;
    qwen3vl_client_free(c);
    return r;
}

static void test_resets(void) {
    qwen3vl_result *r = call("reset", "\"max_retries\":1", NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_CONNECT);
    CHECK_CONTAINS(qwen3vl_result_error(r), "connection lost before a reply");
    qwen3vl_result_free(r);
    r = call("reset,ok", NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    r = call("resetmid", NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_PROTOCOL);
    CHECK_CONTAINS(qwen3vl_result_error(r), "cut short");
    CHECK(qwen3vl_result_attempts(r) == 1); /* a reply had begun: not replayed */
    qwen3vl_result_free(r);
}

static void test_lying_and_broken_framing(void) {
    /* A Content-Length shorter than the body: the reply is cut, and the rest of the body left on
       the connection must not poison the next call on the same client. */
    qwen3vl_client *c = client_for("shortlength,ok", new_uid(), NULL);
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_PROTOCOL);
    qwen3vl_result_free(r);
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "echo: Hello there");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    r = call("badchunked", NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_PROTOCOL);
    qwen3vl_result_free(r);
    /* An HTTP/1.0 reply ended by closing the connection is a whole reply. */
    r = call("http10", NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "echo: Hello there");
    qwen3vl_result_free(r);
}

static void test_never_answers(void) {
    double took;
    qwen3vl_result *r = call("hang:10", "\"timeout_ms\":400", &took);
    CHECK_STATUS(r, QWEN3VL_ERR_TIMEOUT);
    CHECK(took < 1500 * t_slow);
    qwen3vl_result_free(r);
}

static void test_server_restarted_between_calls(void) {
    int port = 0;
    pid_t pid;
    FILE *in;
    if (spawn_stand_in(NULL, NULL, &port, &pid, &in) != 0) { CHECK(0); return; }
    char opts[200];
    snprintf(opts, sizeof opts, "{\"base_url\":\"http://127.0.0.1:%d/v1\",\"api_key\":\"k\",\"max_retries\":1}", port);
    qwen3vl_client *c = qwen3vl_client_new(opts, NULL, 0);
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    /* The pooled connection now points at a dead server. */
    stop_stand_in(pid, in);
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_CONNECT);
    qwen3vl_result_free(r);
    int again = port;
    if (spawn_stand_in(NULL, NULL, &again, &pid, &in) != 0) { CHECK(0); qwen3vl_client_free(c); return; }
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "echo: Hello there");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    stop_stand_in(pid, in);
}

int main(int argc, char **argv) {
    static const test_case tests[] = {
        {"resets", test_resets},
        {"lying_and_broken_framing", test_lying_and_broken_framing},
        {"never_answers", test_never_answers},
        {"server_restarted_between_calls", test_server_restarted_between_calls},
    };
    return RUN_TESTS("faults", tests);
}
