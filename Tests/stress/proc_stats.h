/* What this process holds, from /proc: for the stress programs' checks that nothing piles up. */
#ifndef PROC_STATS_H
#define PROC_STATS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A field of /proc/self/status ("VmRSS:", "Threads:"), or -1. */
static long status_field(const char *name) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f)) if (!strncmp(line, name, n)) v = atol(line + n);
    if (f) fclose(f);
    return v;
}

/* Open descriptors, less the listing's own (".", ".." and the directory's descriptor). */
static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d)) n++;
    if (d) closedir(d);
    return n - 3;
}

#endif
