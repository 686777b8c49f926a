/* The client side of Benchmarks/resize.sh: sends each image of a list, one call after another,
 * as a local file in an image_url part, with the given client options, and prints one JSON line
 * per image (wall and thread CPU time of the call, and the resize's own CPU time as the library's
 * debug log reports it) and a last line with the totals and the process's peak RSS.
 *
 *     resize_client OPTIONS_JSON LIST_FILE      (OPTIONS_JSON: the client's, base_url included)
 */
#define _GNU_SOURCE
#include <qwen3vl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* "... resized to ... in 84.1 ms of CPU": the resize's CPU time, from the debug log. */
static void on_log(int level, const char *message, void *user) {
    (void)level;
    const char *at = strstr(message, " resized to ");
    const char *in = at ? strstr(at, " in ") : NULL;
    if (in) *(double *)user = atof(in + 4);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s OPTIONS_JSON LIST_FILE\n", argv[0]); return 2; }
    char err[512];
    qwen3vl_client *c = qwen3vl_client_new(argv[1], err, sizeof err);
    if (!c) { fprintf(stderr, "client: %s\n", err); return 1; }
    double resize_ms = -1;
    qwen3vl_client_set_log(c, on_log, QWEN3VL_LOG_DEBUG, &resize_ms);
    FILE *list = fopen(argv[2], "r");
    if (!list) { perror(argv[2]); return 1; }
    char path[4096], request[8192];
    int failed = 0, n = 0;
    double start = now_ms(CLOCK_MONOTONIC);
    while (fgets(path, sizeof path, list)) {
        path[strcspn(path, "\n")] = 0;
        if (!*path) continue;
        snprintf(request, sizeof request,
                 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Describe this photo.\"},"
                 "{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}}]}]}", path);
        resize_ms = -1;
        double wall = now_ms(CLOCK_MONOTONIC), cpu = now_ms(CLOCK_THREAD_CPUTIME_ID);
        qwen3vl_result *r = qwen3vl_chat(c, request);
        wall = now_ms(CLOCK_MONOTONIC) - wall;
        cpu = now_ms(CLOCK_THREAD_CPUTIME_ID) - cpu;
        int status = qwen3vl_result_status(r);
        if (status != QWEN3VL_OK) { failed++; fprintf(stderr, "%s: %s\n", path, qwen3vl_result_error(r)); }
        printf("{\"image\": %d, \"status\": %d, \"wall_ms\": %.1f, \"cpu_ms\": %.1f, \"resize_cpu_ms\": %.1f}\n", n++, status,
               wall, cpu, resize_ms);
        fflush(stdout);
        qwen3vl_result_free(r);
    }
    fclose(list);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"total_wall_s\": %.2f, \"failed\": %d, \"maxrss_kb\": %ld}\n", (now_ms(CLOCK_MONOTONIC) - start) / 1e3, failed,
           ru.ru_maxrss);
    qwen3vl_client_free(c);
    return failed ? 1 : 0;
}
