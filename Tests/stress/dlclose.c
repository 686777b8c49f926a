/* SPDX-License-Identifier: MIT */
/* What stays behind when a host loads and unloads libqwen3vl over and over (a plugin host that
 * dlopen()s and dlclose()s its plugins), against the local stand-in server.
 *
 *   dlclose LIBRARY BASE_URL CYCLES [load]
 *
 * Each cycle: dlopen(LIBRARY), a client, one call and one stream to BASE_URL, a non-blocking call
 * (so the client's I/O thread starts), the client freed, dlclose; with "load", only dlopen,
 * qwen3vl_version and dlclose. Prints, every 100 cycles, the
 * process's resident memory, open descriptors, threads and whether the library is still mapped;
 * then the growth per 100 cycles after the first 100 (the first load's own costs left out).
 * Exit status 0 when every call went through and nothing but memory stays: no descriptor, no
 * thread, no mapping of the library, no handler of its own (a fork() afterwards works); and at most
 * 1 MiB of memory per 100 cycles (what the static Swift runtime allocates per load and never frees:
 * docs/HOSTS.md). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qwen3vl.h>

#include "proc_stats.h"

static int mapped(const char *name) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    int found = 0;
    while (f && fgets(line, sizeof line, f)) if (strstr(line, name)) found = 1;
    if (f) fclose(f);
    return found;
}

static int on_delta(const char *text, size_t len, const char *chunk, void *user) {
    (void)text, (void)chunk;
    *(size_t *)user += len;
    return 0;
}

/* One cycle; 0 when every call went through. */
static int cycle(const char *library, const char *base_url, int load_only) {
    void *h = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    if (load_only) {
        __typeof__(qwen3vl_version) *version = (__typeof__(qwen3vl_version) *)dlsym(h, "qwen3vl_version");
        int bad = !version || strcmp(version(), QWEN3VL_VERSION_STRING) != 0;
        return dlclose(h) != 0 || bad;
    }
#define SYM(name) __typeof__(name) *p_##name = (__typeof__(name) *)dlsym(h, #name)
    SYM(qwen3vl_client_new); SYM(qwen3vl_client_free); SYM(qwen3vl_chat); SYM(qwen3vl_chat_stream);
    SYM(qwen3vl_result_status); SYM(qwen3vl_result_free); SYM(qwen3vl_call_start); SYM(qwen3vl_client_next_event);
    SYM(qwen3vl_event_kind); SYM(qwen3vl_event_free); SYM(qwen3vl_call_result); SYM(qwen3vl_event_call);
    SYM(qwen3vl_call_free);
#undef SYM
    char options[512], err[256];
    snprintf(options, sizeof options, "{\"base_url\":\"%s\",\"api_key\":\"k\"}", base_url);
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"cycle\"}]}";
    int bad = 0;
    qwen3vl_client *c = p_qwen3vl_client_new(options, err, sizeof err);
    if (!c) { fprintf(stderr, "client: %s\n", err); dlclose(h); return 1; }
    qwen3vl_result *r = p_qwen3vl_chat(c, req);
    bad |= p_qwen3vl_result_status(r) != QWEN3VL_OK;
    p_qwen3vl_result_free(r);
    size_t got = 0;
    r = p_qwen3vl_chat_stream(c, req, on_delta, &got);
    bad |= p_qwen3vl_result_status(r) != QWEN3VL_OK || got == 0;
    p_qwen3vl_result_free(r);
    qwen3vl_call *call = p_qwen3vl_call_start(c, req, NULL, NULL);
    for (qwen3vl_event *ev; call && (ev = p_qwen3vl_client_next_event(c, 5000));) {
        int done = p_qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE;
        if (done) bad |= p_qwen3vl_result_status(p_qwen3vl_call_result(p_qwen3vl_event_call(ev))) != QWEN3VL_OK;
        p_qwen3vl_event_free(ev);
        if (done) break;
    }
    p_qwen3vl_call_free(call);
    p_qwen3vl_client_free(c);
    if (dlclose(h) != 0) { fprintf(stderr, "dlclose: %s\n", dlerror()); return 1; }
    return bad;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "load"))) {
        fprintf(stderr, "usage: %s LIBRARY BASE_URL CYCLES [load]\n", argv[0]);
        return 2;
    }
    int cycles = atoi(argv[3]), load_only = argc == 5;
    const char *base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    long rss100 = 0, fds100 = 0, threads100 = 0;
    int ok = 1;
    printf("%7s %10s %5s %8s %7s %s\n", "cycles", "RSS KiB", "fds", "threads", "mapped", "still mapped");
    for (int i = 1; i <= cycles; i++) {
        if (cycle(argv[1], argv[2], load_only)) { fprintf(stderr, "cycle %d failed\n", i); return 1; }
        if (i % 100 == 0) {
            long rss = status_field("VmRSS:"), threads = status_field("Threads:");
            int fds = open_fds();
            int still = mapped(base);
            printf("%7d %10ld %5d %8ld %7s %s%s%s\n", i, rss, fds, threads, still ? "yes" : "no",
                   mapped("libcurl") ? " libcurl" : "", mapped("libcrypto") ? " libcrypto" : "", mapped("libjansson") ? " libjansson" : "");
            ok &= !still;
            if (i == 100) rss100 = rss, fds100 = fds, threads100 = threads;
            else if (i == cycles) {
                double per100 = (rss - rss100) * 100.0 / (i - 100);
                printf("per 100 cycles after the first 100: %+.1f KiB RSS, %+.2f fds, %+.2f threads\n",
                       per100, (fds - fds100) * 100.0 / (i - 100), (threads - threads100) * 100.0 / (i - 100));
                ok &= fds == fds100 && threads == threads100 && per100 <= 1024;
            }
        }
    }
    /* A pthread_atfork or atexit handler left behind by an unloaded library would crash here. */
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    int wstatus = 0;
    if (pid < 0 || waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        fprintf(stderr, "fork after the cycles: the child did not exit cleanly (status %d)\n", wstatus);
        ok = 0;
    }
    return ok ? 0 : 1;
}
