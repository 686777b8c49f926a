/* Starts N non-blocking calls at once on one client (streamed when the URL has /stream/), takes their
 * events until all are done, and prints "ok K of N". For the HTTP/2 and connection-limit checks
 * in scripts/test.sh, which count the connections the server saw.
 *     many_calls BASE_URL N [CLIENT_OPTIONS_JSON_MEMBERS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qwen3vl.h"

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int n = atoi(argv[2]);
    char opts[1024], err[256];
    snprintf(opts, sizeof opts, "{\"base_url\":\"%s\",\"api_key\":\"k\",\"insecure_skip_verify\":true%s%s}", argv[1],
             argc > 3 ? "," : "", argc > 3 ? argv[3] : "");
    qwen3vl_client *c = qwen3vl_client_new(opts, err, sizeof err);
    if (!c || n <= 0) { fprintf(stderr, "%s\n", err); return 2; }
    qwen3vl_call **calls = calloc((size_t)n, sizeof *calls);
    if (!calls) return 2;
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    const char *call_opts = strstr(argv[1], "/stream/") ? "{\"stream\":true}" : NULL;
    for (int i = 0; i < n; i++) calls[i] = qwen3vl_call_start(c, req, call_opts, NULL);
    int done = 0, ok = 0;
    while (done < n) {
        qwen3vl_event *ev = qwen3vl_client_next_event(c, 30000);
        if (!ev) break;
        if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DONE) {
            done++;
            qwen3vl_result *r = qwen3vl_call_result(qwen3vl_event_call(ev));
            if (qwen3vl_result_status(r) == QWEN3VL_OK) ok++;
            else if (done - ok <= 3) fprintf(stderr, "%s: %s\n", qwen3vl_status_name(qwen3vl_result_status(r)), qwen3vl_result_error(r));
        }
        qwen3vl_event_free(ev);
    }
    for (int i = 0; i < n; i++) qwen3vl_call_free(calls[i]);
    free(calls);
    qwen3vl_client_free(c);
    printf("ok %d of %d\n", ok, n);
    return ok == n ? 0 : 1;
}
