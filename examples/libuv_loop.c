/* SPDX-License-Identifier: MIT */
/* Streamed Qwen3-VL calls inside a libuv loop, with a progress line from a timer.
 *
 *   cc examples/libuv_loop.c $(pkg-config --cflags --libs qwen3vl libuv) -o libuv_loop
 *   AIML_API_KEY=... ./libuv_loop            (Ctrl-C cancels the calls)
 *
 * The key and base URL come from the environment (AIML_API_KEY, AIML_API_BASE). Debian: libuv1-dev.
 * libuv watches the client's event descriptor like any socket (a uv_poll_t); the calls' events are
 * taken in its callback, on the loop's thread. The timer keeps ticking while replies stream in,
 * because nothing here ever waits for the network. */
#define _POSIX_C_SOURCE 200809L   /* uv.h needs POSIX types (pthread_rwlock_t) that -std=c11 hides */
#include <stdio.h>

#include <qwen3vl.h>
#include <uv.h>

struct job {
    const char *name;
    const char *request;   /* fixed texts here; build requests with a JSON library to escape input */
    qwen3vl_call *call;
    size_t received;       /* bytes of reply text so far */
};

static struct job jobs[] = {
    {"picture", "{\"messages\":[{\"role\":\"user\",\"content\":["
                "{\"type\":\"text\",\"text\":\"Describe this picture.\"},"
                "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                "\"https://upload.wikimedia.org/wikipedia/commons/3/3a/Cat03.jpg\"}}]}]}", NULL, 0},
    {"capital", "{\"messages\":[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}", NULL, 0},
};
#define NJOBS (sizeof jobs / sizeof jobs[0])

static qwen3vl_client *client;
static uv_poll_t events;
static uv_timer_t heartbeat;
static uv_signal_t interrupt;
static uint64_t started;
static size_t running;
static int failed;

static void on_heartbeat(uv_timer_t *timer) {
    printf("[%.1f s]", (double)(uv_now(timer->loop) - started) / 1000.0);
    for (size_t i = 0; i < NJOBS; i++) printf("%s %s %zu bytes", i ? "," : "", jobs[i].name, jobs[i].received);
    printf("\n");
    fflush(stdout);
}

static void on_interrupt(uv_signal_t *signal, int signum) {
    (void)signal; (void)signum;
    /* Each cancelled call still ends with its DONE event (QWEN3VL_ERR_CANCELLED). */
    for (size_t i = 0; i < NJOBS; i++) qwen3vl_call_cancel(jobs[i].call);
}

static void close_handles(void) {   /* uv_run returns once they are closed */
    uv_close((uv_handle_t *)&events, NULL);
    uv_close((uv_handle_t *)&heartbeat, NULL);
    uv_close((uv_handle_t *)&interrupt, NULL);
}

static void on_events(uv_poll_t *poll, int status, int flags) {
    (void)poll; (void)flags;
    if (status < 0) {
        fprintf(stderr, "uv_poll: %s\n", uv_strerror(status));
        failed = 1;
        running = 0;
    }
    /* Take every waiting event: the descriptor stays readable until none is left, and a call whose
       events pile up (about 1 MiB) is paused until they are taken. */
    qwen3vl_event *ev;
    while (running > 0 && (ev = qwen3vl_client_next_event(client, 0))) {
        struct job *job = qwen3vl_event_user_data(ev);
        if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DELTA) {
            size_t len;
            qwen3vl_event_text(ev, &len);
            job->received += len;
        } else {   /* DONE, the call's last event; the result is the call's: read it, don't free it */
            qwen3vl_result *r = qwen3vl_call_result(qwen3vl_event_call(ev));
            int st = qwen3vl_result_status(r);
            printf("%s: %s in %.0f ms: %s\n", job->name, qwen3vl_status_name(st), qwen3vl_result_elapsed_ms(r),
                   st == QWEN3VL_OK ? qwen3vl_result_text(r) : qwen3vl_result_error(r));
            failed |= st != QWEN3VL_OK;
            running--;
        }
        qwen3vl_event_free(ev);
    }
    if (running == 0) close_handles();
}

int main(void) {
    char err[512];
    client = qwen3vl_client_new(NULL, err, sizeof err);
    int fd = qwen3vl_client_event_fd(client);
    if (fd < 0) {
        fprintf(stderr, "client: %s\n", client ? "no event descriptor" : err);
        qwen3vl_client_free(client);
        return 1;
    }
    uv_loop_t *loop = uv_default_loop();
    int rc = uv_poll_init(loop, &events, fd);
    if (rc != 0) {
        fprintf(stderr, "uv_poll_init: %s\n", uv_strerror(rc));
        qwen3vl_client_free(client);
        return 1;
    }
    uv_poll_start(&events, UV_READABLE, on_events);
    uv_timer_init(loop, &heartbeat);
    uv_timer_start(&heartbeat, on_heartbeat, 100, 100);
    uv_signal_init(loop, &interrupt);
    uv_signal_start(&interrupt, on_interrupt, SIGINT);

    started = uv_now(loop);
    for (size_t i = 0; i < NJOBS; i++) {
        /* Bad requests and failures come back as the call's DONE event; NULL is only out of memory. */
        jobs[i].call = qwen3vl_call_start(client, jobs[i].request, "{\"stream\": true}", &jobs[i]);
        running += jobs[i].call != NULL;
        failed |= jobs[i].call == NULL;
    }
    if (running == 0) close_handles();
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);

    /* Only now, with libuv no longer watching the descriptor: the client owns it and closes it. */
    for (size_t i = 0; i < NJOBS; i++) qwen3vl_call_free(jobs[i].call);   /* also frees its result */
    qwen3vl_client_free(client);
    return failed;
}
