/* The clocks and memory figures every benchmark program reports, read the same way in each. */
#ifndef MEASURE_H
#define MEASURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* CPU time of the whole process (every thread, user and system). */
static inline double cpu_ms(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

/* A line of /proc/self/status in KiB: "VmRSS:" (resident now) or "VmHWM:" (the peak). */
static inline long status_kib(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, n)) v = atol(line + n);
    if (f) fclose(f);
    return v;
}
static inline long rss_kib(void) { return status_kib("VmRSS:"); }
static inline long peak_rss_kib(void) { return status_kib("VmHWM:"); }

#endif
