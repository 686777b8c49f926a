/* Times qwen3vl_grounding_parse on a megabyte of answer: all boxes (the most work per byte), and
 * the hostile shapes of Tests/c/test_vision.c. Prints the median of 9 runs with the spread, wall and
 * CPU time. Build and run:
 *   cc -O2 -Iinclude Benchmarks/grounding.c -Lbuild/lib -Wl,-rpath,$PWD/build/lib -lqwen3vl -o build/grounding_bench
 *   build/grounding_bench [SHAPE [RUNS]]      (one shape, e.g. under valgrind --tool=callgrind: "boxes" 1)
 */
#include <qwen3vl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *repeated(const char *head, const char *unit, size_t size) {
    char *t = malloc(size + 1);
    size_t h = strlen(head), u = strlen(unit), n = h;
    memcpy(t, head, h);
    while (n + u <= size) { memcpy(t + n, unit, u); n += u; }
    t[n] = 0;
    return t;
}

int main(int argc, char **argv) {
    static const struct { const char *name, *head, *unit; } shapes[] = {
        {"boxes", "[", "{\"bbox_2d\":[1,2,3,4],\"label\":\"c\"},"},
        {"boxes, spaced", "```json\n[\n", "  {\"bbox_2d\": [120, 45, 380, 600], \"label\": \"cat\"},\n"},
        {"nested arrays", "[", "0,0,0,0,0,0,0,["},
        {"open objects", "", "{\"a\":"},
        {"item keys", "", "{\"bbox_2d\":0}"},
        {"open strings", "", "[\""},
    };
    enum { MAX_RUNS = 99 };
    int runs = argc > 2 ? atoi(argv[2]) : 9;
    if (runs < 1 || runs > MAX_RUNS) runs = 9;
    printf("%-15s %8s %15s %8s %8s\n", "1 MiB of", "items", "wall ms (min-max)", "cpu ms", "MB/s");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (argc > 1 && strcmp(argv[1], shapes[i].name) != 0) continue;
        char *text = repeated(shapes[i].head, shapes[i].unit, 1u << 20), err[128];
        size_t len = strlen(text);
        double wall[MAX_RUNS], cpu[MAX_RUNS];
        size_t items = 0;
        for (int r = 0; r < runs; r++) {
            double w0 = ms(CLOCK_MONOTONIC), c0 = ms(CLOCK_PROCESS_CPUTIME_ID);
            char *got = NULL;
            int status = qwen3vl_grounding_parse(text, len, 1920, 1080, &got, NULL, err, sizeof err);
            wall[r] = ms(CLOCK_MONOTONIC) - w0;
            cpu[r] = ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if (status != QWEN3VL_OK) { fprintf(stderr, "%s: %s\n", shapes[i].name, err); return 1; }
            items = 0;
            for (const char *p = got; (p = strstr(p, "_2d\"")); p++) items++;
            qwen3vl_free(got);
        }
        qsort(wall, runs, sizeof wall[0], cmp);
        qsort(cpu, runs, sizeof cpu[0], cmp);
        printf("%-15s %8zu %6.1f (%.1f-%.1f) %8.1f %8.0f\n", shapes[i].name, items, wall[runs / 2], wall[0],
               wall[runs - 1], cpu[runs / 2], 1.0 / (wall[runs / 2] / 1e3));
        free(text);
    }
    return 0;
}
