/* Many calls in flight at once, on one thread, two ways:
 *   concurrent floor BASE call|stream N TOTAL   libcurl's multi interface and jansson used directly, as
 *                                               an expert would: N reused easy handles, each request
 *                                               built with jansson (as floor.c does), each reply parsed
 *                                               (every SSE chunk for streams), nothing else
 *   concurrent floor-sdk BASE ...               the floor, sending what libqwen3vl sends as an SDK
 *                                               does (Accept, User-Agent, Accept-Encoding with
 *                                               decoding on, "Expect:", a timeout per call): what
 *                                               those cost libcurl, apart from the library's own work
 *   concurrent qwen  BASE call|stream N TOTAL   libqwen3vl's non-blocking calls: N in flight, events
 *                                               taken on this thread
 * TOTAL calls in all, N at a time. Prints one JSON line: wall and CPU time, calls per second. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floor_sink.h"
#include "measure.h"
#include "qwen3vl.h"

static const char request[] = "{\"model\":\"alibaba/qwen3-vl-32b-instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
static const char stream_request[] = "{\"model\":\"alibaba/qwen3-vl-32b-instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                     "\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

/* ---- the floor ---- */

typedef struct { CURL *h; floor_sink s; char *body; } xfer;

/* The request, built per call with jansson as Benchmarks/floor.c builds it (a caller's requests
 * differ from call to call): the same bytes as request / stream_request. */
static void set_body(xfer *x, int stream) {
    free(x->body);
    json_t *req = stream ? json_pack("{s:s, s:[{s:s, s:s}], s:b, s:{s:b}}", "model", "alibaba/qwen3-vl-32b-instruct",
                                     "messages", "role", "user", "content", "hi", "stream", 1, "stream_options",
                                     "include_usage", 1)
                         : json_pack("{s:s, s:[{s:s, s:s}]}", "model", "alibaba/qwen3-vl-32b-instruct", "messages",
                                     "role", "user", "content", "hi");
    x->body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, x->body);
}

/* The header lines and options libqwen3vl adds to the floor's (Sources/Qwen3VL/Client.swift,
 * Transport.swift), its User-Agent and Accept-Encoding as it forms them for this libcurl
 * (Benchmarks/same_headers.py checks that the two send the same lines). */
static struct curl_slist *sdk_lines(struct curl_slist *hdrs, int stream) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    char ua[128], enc[64] = "Accept-Encoding: ";
    snprintf(ua, sizeof ua, "User-Agent: qwen3vl/%s libcurl/%s", QWEN3VL_VERSION_STRING, v->version);
    const char *codings[] = {v->libz_version ? "deflate, gzip" : NULL, v->features & CURL_VERSION_BROTLI ? "br" : NULL,
                             v->features & CURL_VERSION_ZSTD ? "zstd" : NULL};
    size_t bare = strlen(enc);
    for (size_t i = 0; i < sizeof codings / sizeof *codings; i++) {
        if (!codings[i]) continue;
        if (strlen(enc) > bare) strcat(enc, ", ");
        strcat(enc, codings[i]);
    }
    hdrs = curl_slist_append(hdrs, stream ? "Accept: text/event-stream" : "Accept: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    hdrs = curl_slist_append(hdrs, ua);
    return strlen(enc) > bare ? curl_slist_append(hdrs, enc) : hdrs;
}
/* Its per-call options: the library sets the call's timeouts for every call. */
static void sdk_call_options(CURL *h) {
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 600000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
}

static int run_floor(const char *url, int stream, int n, int total, int sdk) {
    CURLM *m = curl_multi_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Authorization: Bearer k");
    if (sdk) hdrs = sdk_lines(hdrs, stream);
    xfer *xs = calloc((size_t)n, sizeof *xs);
    int started = 0, finished = 0, ok = 0;
    for (int i = 0; i < n && started < total; i++, started++) {
        xfer *x = &xs[i];
        x->h = curl_easy_init();
        x->s.stream = stream;
        curl_easy_setopt(x->h, CURLOPT_URL, url);
        set_body(x, stream);
        curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, floor_sink_write);
        curl_easy_setopt(x->h, CURLOPT_WRITEDATA, &x->s);
        curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
        if (sdk) { /* decoding on, once per handle as the library does */
            curl_easy_setopt(x->h, CURLOPT_ACCEPT_ENCODING, "");
            sdk_call_options(x->h);
        }
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
            ok += msg->data.result == CURLE_OK && floor_sink_ok(&x->s);
            finished++;
            curl_multi_remove_handle(m, x->h);
            floor_sink_reset(&x->s);
            if (started < total) { /* same handle, warm connection */
                started++;
                set_body(x, stream);
                if (sdk) sdk_call_options(x->h);
                curl_multi_add_handle(m, x->h);
            }
        }
        if (finished < total) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    for (int i = 0; i < n; i++) { if (xs[i].h) curl_easy_cleanup(xs[i].h); free(xs[i].s.body); free(xs[i].body); }
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
    /* The floor's bodies: complete (model, stream options), so the library sends them as given. */
    const char *req = stream ? stream_request : request;
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
    if (argc != 6) { fprintf(stderr, "usage: concurrent floor|floor-sdk|qwen BASE call|stream N TOTAL\n"); return 2; }
    int sdk = !strcmp(argv[1], "floor-sdk"), floor = sdk || !strcmp(argv[1], "floor"), stream = !strcmp(argv[3], "stream");
    int n = atoi(argv[4]), total = atoi(argv[5]);
    char url[512];
    snprintf(url, sizeof url, "%s/chat/completions", argv[2]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    double w0 = now_ms(), c0 = cpu_ms();
    int ok = floor ? run_floor(url, stream, n, total, sdk) : run_qwen(argv[2], stream, n, total);
    double wall = now_ms() - w0, cpu = cpu_ms() - c0;
    printf("{\"contender\":\"%s\",\"case\":\"concurrent-%s\",\"n\":%d,\"calls\":%d,\"ok\":%d,\"wall_ms\":%.1f,\"cpu_ms\":%.1f,"
           "\"calls_per_s\":%.0f}\n", sdk ? "floor-multi-sdk" : floor ? "floor-multi" : "libqwen3vl", argv[3], n, total, ok, wall, cpu, total / wall * 1e3);
    curl_global_cleanup();
    return ok == total ? 0 : 1;
}
