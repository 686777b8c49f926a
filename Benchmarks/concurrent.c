/* Many calls in flight at once, on one thread, two ways:
 *   concurrent floor BASE call|stream N TOTAL   libcurl's multi interface and jansson used directly, as
 *                                               an expert would: N reused easy handles, each reply parsed
 *                                               (every SSE chunk for streams), nothing else
 *   concurrent qwen  BASE call|stream N TOTAL   libqwen3vl's non-blocking calls: N in flight, events
 *                                               taken on this thread
 * TOTAL calls in all, N at a time. Prints one JSON line: wall and CPU time, calls per second. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "qwen3vl.h"

static const char request[] = "{\"model\":\"alibaba/qwen3-vl-32b-instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
static const char stream_request[] = "{\"model\":\"alibaba/qwen3-vl-32b-instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                     "\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }

static double cpu_ms(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

/* ---- the floor ---- */

typedef struct { CURL *h; int stream; char *body; size_t n, cap; char line[1 << 16]; size_t ln; size_t text; } xfer;

static void sse_line(xfer *x) {
    if (x->ln > 6 && !memcmp(x->line, "data: ", 6) && strcmp(x->line + 6, "[DONE]")) {
        json_t *j = json_loadb(x->line + 6, x->ln - 6, 0, NULL);
        json_t *c = json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta"), "content");
        if (json_is_string(c)) x->text += json_string_length(c);
        json_decref(j);
    }
    x->ln = 0;
}

static size_t on_data(char *d, size_t sz, size_t nm, void *u) {
    xfer *x = u;
    size_t n = sz * nm;
    if (x->stream) {
        for (size_t i = 0; i < n; i++) {
            if (d[i] == '\n') sse_line(x);
            else if (x->ln < sizeof x->line - 1) x->line[x->ln++] = d[i];
        }
        return n;
    }
    if (x->n + n > x->cap) { x->cap = (x->n + n) * 2; x->body = realloc(x->body, x->cap); }
    memcpy(x->body + x->n, d, n);
    x->n += n;
    return n;
}

static int floor_done(xfer *x) { /* parse the whole reply, as a caller needs its text */
    if (x->stream) return x->text > 0;
    json_t *j = json_loadb(x->body, x->n, 0, NULL);
    json_t *c = json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"), "content");
    int ok = json_is_string(c);
    json_decref(j);
    return ok;
}

static int run_floor(const char *url, int stream, int n, int total) {
    CURLM *m = curl_multi_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Authorization: Bearer k");
    xfer *xs = calloc((size_t)n, sizeof *xs);
    int started = 0, finished = 0, ok = 0;
    for (int i = 0; i < n && started < total; i++, started++) {
        xfer *x = &xs[i];
        x->h = curl_easy_init();
        x->stream = stream;
        curl_easy_setopt(x->h, CURLOPT_URL, url);
        curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, stream ? stream_request : request);
        curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
        curl_multi_add_handle(m, x->h);
    }
    while (finished < total) {
        int running;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            xfer *x;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            ok += msg->data.result == CURLE_OK && floor_done(x);
            finished++;
            curl_multi_remove_handle(m, x->h);
            x->n = x->ln = x->text = 0;
            if (started < total) { started++; curl_multi_add_handle(m, x->h); } /* same handle, warm connection */
        }
        if (finished < total) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    for (int i = 0; i < n; i++) { if (xs[i].h) curl_easy_cleanup(xs[i].h); free(xs[i].body); }
    free(xs);
    curl_slist_free_all(hdrs);
    curl_multi_cleanup(m);
    return ok;
}

/* ---- libqwen3vl ---- */

static int run_qwen(const char *base, int stream, int n, int total) {
    char opts[512];
    snprintf(opts, sizeof opts, "{\"base_url\":\"%s\",\"api_key\":\"k\",\"max_connections\":%d}", base, n);
    qwen3vl_client *c = qwen3vl_client_new(opts, NULL, 0);
    const char *call_opts = stream ? "{\"stream\":true}" : NULL;
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    int started = 0, finished = 0, ok = 0;
    for (; started < n && started < total; started++) qwen3vl_call_start(c, req, call_opts, NULL);
    while (finished < total) {
        qwen3vl_event *ev = qwen3vl_client_next_event(c, -1);
        if (!ev) break;
        if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE) {
            qwen3vl_call *call = qwen3vl_event_call(ev);
            qwen3vl_result *r = qwen3vl_call_result(call);
            ok += qwen3vl_result_status(r) == QWEN3VL_OK && qwen3vl_result_text_len(r) > 0;
            finished++;
            qwen3vl_event_free(ev);
            qwen3vl_call_free(call);
            if (started < total) { started++; qwen3vl_call_start(c, req, call_opts, NULL); }
        } else {
            qwen3vl_event_free(ev);
        }
    }
    qwen3vl_client_free(c);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: concurrent floor|qwen BASE call|stream N TOTAL\n"); return 2; }
    int floor = !strcmp(argv[1], "floor"), stream = !strcmp(argv[3], "stream");
    int n = atoi(argv[4]), total = atoi(argv[5]);
    char url[512];
    snprintf(url, sizeof url, "%s/chat/completions", argv[2]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    double w0 = now_ms(), c0 = cpu_ms();
    int ok = floor ? run_floor(url, stream, n, total) : run_qwen(argv[2], stream, n, total);
    double wall = now_ms() - w0, cpu = cpu_ms() - c0;
    printf("{\"contender\":\"%s\",\"case\":\"concurrent-%s\",\"n\":%d,\"calls\":%d,\"ok\":%d,\"wall_ms\":%.1f,\"cpu_ms\":%.1f,"
           "\"calls_per_s\":%.0f}\n", floor ? "floor-multi" : "libqwen3vl", argv[3], n, total, ok, wall, cpu, total / wall * 1e3);
    curl_global_cleanup();
    return ok == total ? 0 : 1;
}
