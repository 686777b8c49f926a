/* Time per call for N keep-alive calls on one client: keepalive_calls BASE_URL [N] */
#include <qwen3vl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    char opts[512];
    snprintf(opts, sizeof opts, "{\"base_url\":\"%s\",\"api_key\":\"k\"}", argv[1]);
    qwen3vl_client *c = qwen3vl_client_new(opts, NULL, 0);
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    for (int i = 0; i < 10; i++) qwen3vl_result_free(qwen3vl_chat(c, req)); /* warm: connect once */
    int ok = 0;
    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
        qwen3vl_result *r = qwen3vl_chat(c, req);
        ok += qwen3vl_result_status(r) == QWEN3VL_OK;
        qwen3vl_result_free(r);
    }
    double took = now_ms() - t0;
    printf("%d/%d calls ok, %.1f us per call\n", ok, n, took * 1000 / n);
    qwen3vl_client_free(c);
    return ok == n ? 0 : 1;
}
