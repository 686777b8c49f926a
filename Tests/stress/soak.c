/* Soak and concurrency stress on one client, against the local stand-in server.
 *
 *   soak BASE_URL CALLS STREAMS      CALLS plain calls and STREAMS streams; fails if resident memory
 *                                    at the end is more than 2 MiB above where it was after the
 *                                    first 1,000 calls, or if the number of open descriptors changed
 *   stress BASE_URL THREADS STREAMS  THREADS threads stream STREAMS times each on one client while
 *                                    two more cancel at random (tokens and cancel_all); every call
 *                                    must end OK or CANCELLED
 * Prints what it measured; exit status 0 when the run is within bounds. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qwen3vl.h>

#include "proc_stats.h"

static const char *REQ = "{\"messages\":[{\"role\":\"user\",\"content\":\"soak\"}]}";

static int ignore(const char *t, size_t n, const char *j, void *u) { (void)t; (void)n; (void)j; (void)u; return 0; }

static int soak(qwen3vl_client *c, int calls, int streams) {
    long rss_1000 = 0;
    int fds_1000 = 0, bad = 0;
    for (int i = 0; i < calls; i++) {
        qwen3vl_result *r = qwen3vl_chat(c, REQ);
        bad += qwen3vl_result_status(r) != QWEN3VL_OK;
        qwen3vl_result_free(r);
        if (i == 999) { rss_1000 = status_field("VmRSS:"); fds_1000 = open_fds(); }
    }
    for (int i = 0; i < streams; i++) {
        qwen3vl_result *r = qwen3vl_chat_stream(c, REQ, ignore, NULL);
        bad += qwen3vl_result_status(r) != QWEN3VL_OK;
        qwen3vl_result_free(r);
    }
    long rss_end = status_field("VmRSS:");
    int fds_end = open_fds();
    printf("soak: %d calls + %d streams, %d failed; RSS after 1000 calls %ld KiB, at the end %ld KiB (%+ld KiB); "
           "open descriptors %d -> %d\n", calls, streams, bad, rss_1000, rss_end, rss_end - rss_1000, fds_1000, fds_end);
    return bad == 0 && rss_end - rss_1000 <= 2048 && fds_end == fds_1000 ? 0 : 1;
}

/* Guards the workers' current tokens: a canceller must not trigger one its worker has freed. */
static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct { qwen3vl_client *c; int streams; int ok, cancelled, other; qwen3vl_cancel *token; } worker;

static void *streamer(void *p) {
    worker *w = p;
    for (int i = 0; i < w->streams; i++) {
        qwen3vl_cancel *tok = qwen3vl_cancel_new();
        pthread_mutex_lock(&token_lock);
        w->token = tok;
        pthread_mutex_unlock(&token_lock);
        qwen3vl_result *r = qwen3vl_chat_stream_cancellable(w->c, REQ, ignore, NULL, tok);
        pthread_mutex_lock(&token_lock);
        w->token = NULL;
        pthread_mutex_unlock(&token_lock);
        int s = qwen3vl_result_status(r);
        if (s == QWEN3VL_OK) w->ok++; else if (s == QWEN3VL_ERR_CANCELLED) w->cancelled++; else w->other++;
        qwen3vl_result_free(r);
        qwen3vl_cancel_free(tok);
    }
    return NULL;
}

typedef struct { worker *workers; int n; int stop; unsigned seed; } canceller_arg;

static void *canceller(void *p) {
    canceller_arg *a = p;
    while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
        /* Mostly one call's token; now and then every call at once. */
        int k = (int)(rand_r(&a->seed) % (unsigned)(a->n * 20));
        if (k >= a->n * 20 - 1) {
            qwen3vl_client_cancel_all(a->workers[0].c);
        } else if (k < a->n) {
            pthread_mutex_lock(&token_lock);
            if (a->workers[k].token) qwen3vl_cancel_trigger(a->workers[k].token);
            pthread_mutex_unlock(&token_lock);
        }
        usleep(200 + rand_r(&a->seed) % 1000);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: soak|stress BASE_URL N M\n"); return 2; }
    char opts[512];
    snprintf(opts, sizeof opts, "{\"base_url\":\"%s\",\"api_key\":\"k\",\"max_retries\":0}", argv[2]);
    qwen3vl_client *c = qwen3vl_client_new(opts, NULL, 0);
    if (!c) return 2;
    int rc;
    if (!strcmp(argv[1], "soak")) {
        rc = soak(c, atoi(argv[3]), atoi(argv[4]));
    } else {
        int n = atoi(argv[3]), streams = atoi(argv[4]);
        worker *w = calloc((size_t)n, sizeof *w);
        pthread_t *th = calloc((size_t)n, sizeof *th), cth[2];
        canceller_arg ca[2] = {{w, n, 0, 1}, {w, n, 0, 2}};
        long fds0 = open_fds();
        for (int i = 0; i < n; i++) { w[i].c = c; w[i].streams = streams; pthread_create(&th[i], NULL, streamer, &w[i]); }
        for (int i = 0; i < 2; i++) pthread_create(&cth[i], NULL, canceller, &ca[i]);
        int ok = 0, cancelled = 0, other = 0;
        for (int i = 0; i < n; i++) { pthread_join(th[i], NULL); ok += w[i].ok; cancelled += w[i].cancelled; other += w[i].other; }
        for (int i = 0; i < 2; i++) { __atomic_store_n(&ca[i].stop, 1, __ATOMIC_RELEASE); pthread_join(cth[i], NULL); }
        printf("stress: %d threads x %d streams: %d completed, %d cancelled, %d other; open descriptors %ld -> %d\n",
               n, streams, ok, cancelled, other, fds0, open_fds());
        rc = other == 0 && ok + cancelled == n * streams && cancelled > 0 && ok > 0 ? 0 : 1;
        free(w);
        free(th);
    }
    qwen3vl_client_free(c);
    return rc;
}
