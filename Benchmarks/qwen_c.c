/* libqwen3vl from C, the same work as floor.c:
 *   qwen_c BASE call N | stream N | image PATH N | threads T N
 * Prints one JSON line per run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qwen3vl.h>

#include "measure.h"

static const char *REQ = "{\"messages\":[{\"role\":\"user\",\"content\":\"Describe the image.\"}]}";
static int count(const char *t, size_t n, const char *j, void *u) { (void)t; (void)j; *(size_t *)u += n; return 0; }

typedef struct { qwen3vl_client *c; int n; int ok; } job;
static void *worker(void *p) {
    job *j = p;
    for (int i = 0; i < j->n; i++) {
        qwen3vl_result *r = qwen3vl_chat(j->c, REQ);
        j->ok += qwen3vl_result_status(r) == QWEN3VL_OK;
        qwen3vl_result_free(r);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *base = argv[1], *mode = argv[2];
    char opts[512];
    snprintf(opts, sizeof opts, "{\"base_url\":\"%s\",\"api_key\":\"k\",\"max_retries\":0}", base);
    qwen3vl_client *c = qwen3vl_client_new(opts, NULL, 0);
    for (int i = 0; i < 5; i++) qwen3vl_result_free(qwen3vl_chat(c, REQ));
    if (!strcmp(mode, "threads")) {
        int t = atoi(argv[3]), n = atoi(argv[4]);
        pthread_t th[64];
        job jobs[64];
        double t0 = now_ms(), c0 = cpu_ms();
        for (int i = 0; i < t && i < 64; i++) { jobs[i] = (job){c, n / t, 0}; pthread_create(&th[i], NULL, worker, &jobs[i]); }
        int ok = 0;
        for (int i = 0; i < t && i < 64; i++) { pthread_join(th[i], NULL); ok += jobs[i].ok; }
        double took = now_ms() - t0, cpu = cpu_ms() - c0;
        printf("{\"case\":\"threads-%d\",\"contender\":\"libqwen3vl\",\"us_per_op\":%.2f,\"cpu_us_per_op\":%.2f,\"calls_per_s\":%.0f,"
               "\"ok\":%d,\"n\":%d}\n", t, took * 1000 / ok, cpu * 1000 / ok, ok / (took / 1000), ok, n / t * t);
        qwen3vl_client_free(c);
        return 0;
    }
    int image = !strcmp(mode, "image"), stream = !strcmp(mode, "stream");
    int n = atoi(argv[image ? 4 : 3]);
    char req[1024];
    if (image) snprintf(req, sizeof req, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}}]}]}", argv[3]);
    long rss0 = peak_rss_kib();
    int ok = 0;
    double t0 = now_ms(), c0 = cpu_ms();
    for (int i = 0; i < n; i++) {
        size_t got = 0;
        qwen3vl_result *r = stream ? qwen3vl_chat_stream(c, REQ, count, &got) : qwen3vl_chat(c, image ? req : REQ);
        ok += qwen3vl_result_status(r) == QWEN3VL_OK && (!stream || got > 0) && qwen3vl_result_text(r)[0];
        qwen3vl_result_free(r);
    }
    double took = now_ms() - t0, cpu = cpu_ms() - c0;
    printf("{\"case\":\"%s\",\"contender\":\"libqwen3vl\",\"us_per_op\":%.2f,\"cpu_us_per_op\":%.2f,\"ok\":%d,\"n\":%d,"
           "\"rss_kib\":%ld,\"rss_growth_kib\":%ld}\n", mode, took * 1000 / n, cpu * 1000 / n, ok, n, rss_kib(), peak_rss_kib() - rss0);
    qwen3vl_client_free(c);
    return 0;
}
