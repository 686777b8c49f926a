/* SPDX-License-Identifier: MIT */
/* Three Qwen3-VL calls at once from a plain poll() loop that also watches stdin.
 *
 *   cc examples/poll_loop.c $(pkg-config --cflags --libs qwen3vl) -o poll_loop
 *   AIML_API_KEY=... ./poll_loop            (type a line and Enter to cancel what still runs)
 *
 * The key and base URL come from the environment (AIML_API_KEY, AIML_API_BASE).
 * The calls run on the client's I/O thread; this thread never blocks on them and nothing calls it
 * back. The client's event descriptor turns readable when events wait, and the loop takes them
 * here, between its other work (here: reading stdin). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include <qwen3vl.h>

struct job {
    const char *name;
    const char *request;   /* fixed texts here; build requests with a JSON library to escape input */
    const char *options;   /* per-call options, as qwen3vl_chat_v2 takes them */
    qwen3vl_call *call;
};

static int line_open;  /* a streamed reply is being printed and its line is not finished yet */

static void end_line(void) {
    if (line_open) putchar('\n');
    line_open = 0;
}

/* One event of any call: a streamed piece, or a call's end with its result. Returns 1 on DONE. */
static int handle(qwen3vl_event *ev, int *failed) {
    struct job *job = qwen3vl_event_user_data(ev);
    if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DELTA) {
        size_t len;
        const char *text = qwen3vl_event_text(ev, &len);   /* may hold NULs: write len bytes */
        if (!line_open) printf("%s (streaming): ", job->name);
        line_open = 1;
        fwrite(text, 1, len, stdout);
        fflush(stdout);
        return 0;
    }
    /* DONE is a call's last event. Its result belongs to the call: read it now, never free it. */
    qwen3vl_result *r = qwen3vl_call_result(qwen3vl_event_call(ev));
    int status = qwen3vl_result_status(r);
    end_line();
    if (status == QWEN3VL_OK)
        printf("%s: %s\n", job->name, qwen3vl_result_text(r));
    else
        printf("%s: %s: %s\n", job->name, qwen3vl_status_name(status), qwen3vl_result_error(r));
    *failed |= status != QWEN3VL_OK;
    return 1;
}

int main(void) {
    struct job jobs[] = {
        {"picture", "{\"messages\":[{\"role\":\"user\",\"content\":["
                    "{\"type\":\"text\",\"text\":\"Describe this picture.\"},"
                    "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                    "\"https://upload.wikimedia.org/wikipedia/commons/3/3a/Cat03.jpg\"}}]}]}",
         "{\"stream\": true}", NULL},
        {"capital", "{\"messages\":[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}",
         NULL, NULL},
        {"haiku", "{\"messages\":[{\"role\":\"user\",\"content\":\"Write a haiku about rain.\"}],"
                  "\"max_tokens\":64}",
         "{\"timeout_ms\": 30000, \"max_retries\": 1}", NULL},
    };
    const int n = sizeof jobs / sizeof jobs[0];

    char err[512];
    qwen3vl_client *client = qwen3vl_client_new(NULL, err, sizeof err);
    if (!client) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    int fd = qwen3vl_client_event_fd(client);
    if (fd < 0) {
        fprintf(stderr, "client: no event descriptor\n");
        qwen3vl_client_free(client);
        return 1;
    }
    int running = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        /* Bad requests and failures come back as the call's DONE event; NULL is only out of memory. */
        jobs[i].call = qwen3vl_call_start(client, jobs[i].request, jobs[i].options, &jobs[i]);
        running += jobs[i].call != NULL;
        failed |= jobs[i].call == NULL;
    }

    /* poll() skips entries with a negative fd: stdin's is set to -1 once it ends. */
    struct pollfd fds[2] = {{fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    while (running > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;   /* a signal (or SIGSTOP/SIGCONT) is no failure */
            perror("poll");
            failed = 1;
            break;
        }
        if (fds[1].revents) {
            char line[256];
            if (read(STDIN_FILENO, line, sizeof line) > 0) {
                /* Each cancelled call still ends with its DONE event (QWEN3VL_ERR_CANCELLED). */
                for (int i = 0; i < n; i++) qwen3vl_call_cancel(jobs[i].call);
            } else {
                fds[1].fd = -1;
            }
        }
        if (fds[0].revents) {
            /* Take every waiting event: the descriptor stays readable until none is left, and a
               call whose events pile up (about 1 MiB) is paused until they are taken. */
            qwen3vl_event *ev;
            while ((ev = qwen3vl_client_next_event(client, 0))) {
                running -= handle(ev, &failed);
                qwen3vl_event_free(ev);
            }
        }
    }

    for (int i = 0; i < n; i++) qwen3vl_call_free(jobs[i].call);   /* also frees its result */
    qwen3vl_client_free(client);
    return failed;
}
