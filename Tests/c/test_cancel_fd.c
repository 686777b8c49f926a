/* SPDX-License-Identifier: MIT */
/* qwen3vl_cancel_watch_fd: a blocking call whose token watches a descriptor ends CANCELLED as soon
 * as the descriptor turns readable (a pipe written by another thread, a signal handler's
 * self-pipe, a writer that hangs up), during the transfer and during a wait before a retry, and
 * the library never reads the descriptor. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/time.h>

typedef struct {
    int fd;          /* the pipe's write end */
    int delay_ms;
    int close_it;    /* hang up instead of writing */
    double done_at;  /* when the write (or close) happened */
} poker;

static void *poke_later(void *p) {
    poker *k = p;
    usleep((useconds_t)k->delay_ms * 1000);
    k->done_at = now_ms();
    if (k->close_it) close(k->fd);
    else if (write(k->fd, "x", 1) != 1) abort();
    return NULL;
}

/* One qwen3vl_chat_v2 against `scenario`, its token watching a pipe that another thread writes to
   (or closes) after delay_ms; how long after that the call returned is in *took. */
static qwen3vl_result *call_poked(const char *scenario, const char *uid, int close_it, double *took,
                                  qwen3vl_cancel **tok_out) {
    int p[2];
    if (pipe(p) != 0) abort();
    qwen3vl_client *c = client_for(scenario, uid, "\"max_retries\":2");
    qwen3vl_cancel *tok = qwen3vl_cancel_new();
    char err[128] = "unset";
    CHECK(qwen3vl_cancel_watch_fd(tok, p[0], err, sizeof err) == QWEN3VL_OK);
    CHECK_STR(err, "");
    poker k = {.fd = p[1], .delay_ms = (int)(300 * t_slow), .close_it = close_it};
    pthread_t th;
    pthread_create(&th, NULL, poke_later, &k);
    qwen3vl_result *r = qwen3vl_chat_v2(c, HELLO, NULL, tok, NULL, NULL);
    double returned = now_ms();
    pthread_join(th, NULL);
    *took = returned - k.done_at;
    if (!close_it) {
        char b[4];
        CHECK(read(p[0], b, sizeof b) == 1); /* the byte is still there: the library never reads */
        close(p[1]);
    }
    close(p[0]);
    qwen3vl_client_free(c);
    *tok_out = tok;
    return r;
}

static void test_pipe_written_by_another_thread(void) {
    double took;
    qwen3vl_cancel *tok;
    const char *uid = new_uid();
    qwen3vl_result *r = call_poked("hang:10", uid, 0, &took, &tok);
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    CHECK(took >= 0 && took < 50 * t_slow);
    CHECK(qwen3vl_cancel_is_triggered(tok) == 1); /* the token fired, for good */
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 1); /* sent once, not retried */
    json_decref(reqs);
    qwen3vl_result_free(r);
    qwen3vl_cancel_free(tok);
}

static void test_writer_hanging_up(void) {
    double took;
    qwen3vl_cancel *tok;
    qwen3vl_result *r = call_poked("hang:10", new_uid(), 1, &took, &tok);
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    CHECK(took >= 0 && took < 50 * t_slow);
    qwen3vl_result_free(r);
    qwen3vl_cancel_free(tok);
}

static void test_waiting_to_retry(void) {
    double took;
    qwen3vl_cancel *tok;
    const char *uid = new_uid();
    qwen3vl_result *r = call_poked("status:429:ra=30", uid, 0, &took, &tok);
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    CHECK_CONTAINS(qwen3vl_result_error(r), "waiting to retry");
    CHECK(took >= 0 && took < 50 * t_slow);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 1);
    json_decref(reqs);
    qwen3vl_result_free(r);
    qwen3vl_cancel_free(tok);
}

/* ---- a signal handler's self-pipe, the way Python's signal.set_wakeup_fd works ---- */

static int self_pipe_w = -1;
static volatile sig_atomic_t signalled;

static void on_alarm(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(self_pipe_w, &b, 1);
    (void)n;
    signalled = 1;
    errno = saved;
}

static void test_signal_handlers_self_pipe(void) {
    int p[2];
    if (pipe(p) != 0) abort();
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    self_pipe_w = p[1];
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &old); /* no SA_RESTART: poll() sees EINTR, as under Python */
    qwen3vl_client *c = client_for("hang:10", new_uid(), "\"max_retries\":0");
    qwen3vl_cancel *tok = qwen3vl_cancel_new();
    CHECK(qwen3vl_cancel_watch_fd(tok, p[0], NULL, 0) == QWEN3VL_OK);
    long us = (long)(300000 * t_slow);
    struct itimerval at = {.it_value = {.tv_sec = us / 1000000, .tv_usec = (suseconds_t)(us % 1000000)}};
    signalled = 0;
    double t0 = now_ms();
    setitimer(ITIMER_REAL, &at, NULL);
    qwen3vl_result *r = qwen3vl_chat_v2(c, HELLO, NULL, tok, NULL, NULL);
    double took = now_ms() - t0;
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    CHECK(signalled && took >= 290 * t_slow && took < 350 * t_slow);
    qwen3vl_result_free(r);
    qwen3vl_cancel_free(tok);
    qwen3vl_client_free(c);
    sigaction(SIGALRM, &old, NULL);
    close(p[0]);
    close(p[1]);
}

/* ---- a readable descriptor at the start; -1; errors ---- */

static void test_readable_at_the_start_and_unwatching(void) {
    int p[2];
    if (pipe(p) != 0) abort();
    if (write(p[1], "x", 1) != 1) abort();
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, NULL);
    qwen3vl_cancel *tok = qwen3vl_cancel_new();
    CHECK(qwen3vl_cancel_watch_fd(tok, p[0], NULL, 0) == QWEN3VL_OK);
    qwen3vl_result *r = qwen3vl_chat_cancellable(c, HELLO, tok);
    CHECK_STATUS(r, QWEN3VL_ERR_CANCELLED);
    CHECK(qwen3vl_result_attempts(r) == 0);
    qwen3vl_result_free(r);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 0); /* nothing was sent */
    json_decref(reqs);
    qwen3vl_cancel_free(tok);

    /* A fresh token that stopped watching (-1) ignores the readable pipe. */
    tok = qwen3vl_cancel_new();
    CHECK(qwen3vl_cancel_watch_fd(tok, p[0], NULL, 0) == QWEN3VL_OK);
    CHECK(qwen3vl_cancel_watch_fd(tok, -1, NULL, 0) == QWEN3VL_OK);
    r = qwen3vl_chat_v2(c, HELLO, NULL, tok, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(qwen3vl_cancel_is_triggered(tok) == 0);
    qwen3vl_result_free(r);
    qwen3vl_cancel_free(tok);
    qwen3vl_client_free(c);
    close(p[0]);
    close(p[1]);
}

static void test_arguments(void) {
    char err[128];
    CHECK(qwen3vl_cancel_watch_fd(NULL, 0, err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_STR(err, "cancel is NULL");
    qwen3vl_cancel *tok = qwen3vl_cancel_new();
    CHECK(qwen3vl_cancel_watch_fd(tok, -2, err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(err, "fd -2 is negative");
    int p[2];
    if (pipe(p) != 0) abort();
    close(p[0]);
    close(p[1]);
    CHECK(qwen3vl_cancel_watch_fd(tok, p[0], err, sizeof err) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(err, "is not an open descriptor");
    CHECK(qwen3vl_cancel_watch_fd(tok, p[0], NULL, 0) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(qwen3vl_cancel_is_triggered(tok) == 0);
    qwen3vl_cancel_free(tok);
}

int main(int argc, char **argv) {
    static const test_case tests[] = {
        {"pipe_written_by_another_thread", test_pipe_written_by_another_thread},
        {"writer_hanging_up", test_writer_hanging_up},
        {"waiting_to_retry", test_waiting_to_retry},
        {"signal_handlers_self_pipe", test_signal_handlers_self_pipe},
        {"readable_at_the_start_and_unwatching", test_readable_at_the_start_and_unwatching},
        {"arguments", test_arguments},
    };
    return RUN_TESTS("cancel_fd", tests);
}
