/* Cold start, in a process that links neither libqwen3vl nor libcurl (as a host loading a plugin):
 *   cold qwen LIBPATH BASE   dlopen libqwen3vl (which brings libcurl, jansson and the rest) and
 *                            qwen3vl_client_new
 *   cold curl BASE           dlopen libcurl, curl_global_init and curl_easy_init: the same for a
 *                            plain libcurl program
 * Times that (wall and CPU), then makes one plain call through what it loaded and reports the
 * resident memory after it. Prints one JSON line. */
#include <curl/curl.h> /* constants and types only: libcurl is not linked */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"
#include "qwen3vl.h" /* the same: types only */

static void *sym(void *lib, const char *name) {
    void *p = dlsym(lib, name);
    if (!p) { fprintf(stderr, "%s\n", dlerror()); exit(1); }
    return p;
}

static size_t discard(char *d, size_t s, size_t n, void *u) { (void)d; (void)u; return s * n; }

static const char body[] = "{\"model\":\"alibaba/qwen3-vl-32b-instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"Describe the image.\"}]}";

/* What is timed (and what callgrind counts, --toggle-collect=start): loading and the first object. */
static __attribute__((noinline)) void *start(int qwen, const char *path, const char *opts, void **lib) {
    *lib = dlopen(qwen ? path : "libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!*lib) { fprintf(stderr, "%s\n", dlerror()); exit(1); }
    if (qwen) {
        __typeof__(qwen3vl_client_new) *client_new = sym(*lib, "qwen3vl_client_new");
        return client_new(opts, NULL, 0);
    }
    __typeof__(curl_global_init) *global_init = sym(*lib, "curl_global_init");
    __typeof__(curl_easy_init) *easy_init = sym(*lib, "curl_easy_init");
    global_init(CURL_GLOBAL_DEFAULT);
    return easy_init();
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int qwen = !strcmp(argv[1], "qwen");
    const char *base = argv[qwen ? 3 : 2];
    char opts[512], url[512];
    snprintf(opts, sizeof opts, "{\"base_url\":\"%s\",\"api_key\":\"k\",\"max_retries\":0}", base);
    snprintf(url, sizeof url, "%s/chat/completions", base);
    void *lib;
    double wall = now_ms(), cpu = cpu_ms();
    void *made = start(qwen, argv[2], opts, &lib);
    wall = now_ms() - wall, cpu = cpu_ms() - cpu;
    int ok;
    if (qwen) {
        __typeof__(qwen3vl_chat) *chat = sym(lib, "qwen3vl_chat");
        __typeof__(qwen3vl_result_status) *status = sym(lib, "qwen3vl_result_status");
        qwen3vl_result *r = made ? chat(made, body) : NULL;
        ok = r && status(r) == QWEN3VL_OK;
    } else {
        CURLcode (*setopt)(CURL *, CURLoption, ...) = sym(lib, "curl_easy_setopt"); /* a macro in curl.h */
        __typeof__(curl_easy_perform) *perform = sym(lib, "curl_easy_perform");
        setopt(made, CURLOPT_URL, url);
        setopt(made, CURLOPT_POSTFIELDS, body);
        setopt(made, CURLOPT_WRITEFUNCTION, discard);
        setopt(made, CURLOPT_NOSIGNAL, 1L);
        ok = made && perform(made) == CURLE_OK;
    }
    /* Resident memory in all, and the part of it that is the process's own (heap, stacks, written
       data) rather than pages of library files shared with every process that maps them. */
    printf("{\"case\":\"cold\",\"contender\":\"%s\",\"us_per_op\":%.1f,\"cpu_us_per_op\":%.1f,\"rss_kib\":%ld,"
           "\"rss_anon_kib\":%ld,\"ok\":%d,\"n\":1}\n",
           qwen ? "libqwen3vl" : "libcurl", wall * 1e3, cpu * 1e3, rss_kib(), status_kib("RssAnon:"), ok);
    return ok ? 0 : 1;
}
