/* Peak resident memory growth while sending one local image: image_memory BASE_URL IMAGE_PATH */
#include <qwen3vl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* VmHWM: the process's peak resident set so far. */
static long peak_rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) v = atol(line + 6);
    if (f) fclose(f);
    return v;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    char opts[512], req[1024];
    snprintf(opts, sizeof opts, "{\"base_url\":\"%s\",\"api_key\":\"k\"}", argv[1]);
    qwen3vl_client *c = qwen3vl_client_new(opts, NULL, 0);
    qwen3vl_result_free(qwen3vl_chat(c, "{\"messages\":[{\"role\":\"user\",\"content\":\"warm\"}]}"));
    long before = peak_rss_kib();
    snprintf(req, sizeof req, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
             "\"image_url\":{\"url\":\"%s\"}}]}]}", argv[2]);
    double t0 = now_ms();
    qwen3vl_result *r = qwen3vl_chat(c, req);
    double took = now_ms() - t0;
    printf("%s %s\npeak RSS %ld KiB before, %ld KiB after: growth %ld KiB; %.0f ms\n",
           qwen3vl_status_name(qwen3vl_result_status(r)), qwen3vl_result_text(r), before, peak_rss_kib(),
           peak_rss_kib() - before, took);
    int rc = qwen3vl_result_status(r) == QWEN3VL_OK ? 0 : 1;
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    return rc;
}
