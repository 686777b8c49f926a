/* The floor: the same work done with libcurl and jansson directly, as lean as C allows.
 *   floor BASE call N           build the body, POST on a reused connection, parse, take the text
 *   floor BASE stream N         the same for an SSE stream, every chunk parsed
 *   floor BASE image PATH N     POST the same bytes a 20 MiB image request is (body prepared beforehand)
 * Prints one JSON line per run. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "floor_sink.h"
#include "measure.h"


int main(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *base = argv[1], *mode = argv[2];
    int image = !strcmp(mode, "image"), stream = !strcmp(mode, "stream");
    int n = atoi(argv[image ? 4 : 3]);
    char url[512];
    snprintf(url, sizeof url, "%s/chat/completions", base);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Authorization: Bearer k");
    hdr = curl_slist_append(hdr, "Expect:");
    char *image_body = NULL;
    size_t image_len = 0;
    if (image) { /* the request as it goes over the wire, made once, outside the timing */
        FILE *f = fopen(argv[3], "rb");
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        unsigned char *raw = malloc(len);
        if (fread(raw, 1, len, f) != (size_t)len) return 1;
        fclose(f);
        static const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *pre = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,";
        const char *post = "\"}}]}]}";
        image_body = malloc(strlen(pre) + (len + 2) / 3 * 4 + strlen(post) + 1);
        char *o = image_body + sprintf(image_body, "%s", pre);
        for (long i = 0; i < len; i += 3) {
            unsigned v = raw[i] << 16 | (i + 1 < len ? raw[i + 1] << 8 : 0) | (i + 2 < len ? raw[i + 2] : 0);
            *o++ = b64[v >> 18]; *o++ = b64[(v >> 12) & 63];
            *o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
            *o++ = i + 2 < len ? b64[v & 63] : '=';
        }
        o += sprintf(o, "%s", post);
        image_len = o - image_body;
        free(raw);
    }
    static floor_sink s; /* reused: reset per call, not zeroed */
    s.stream = stream;
    /* What does not change between calls is set once, on the one handle kept for all of them. */
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, floor_sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (image) {
        curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024); /* 27 MiB in large writes, as libqwen3vl sends it */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, image_body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)image_len);
    }
    int ok = 0;
    double wall = 0, cpu = 0;
    for (int i = -5; i < n; i++) { /* five warm-up rounds */
        if (i == 0) wall = now_ms(), cpu = cpu_ms();
        floor_sink_reset(&s);
        char *body = NULL;
        if (!image) { /* the request is built per call, as a caller's would be */
            json_t *req = json_pack("{s:s, s:[{s:s, s:s}], s:b}", "model", "alibaba/qwen3-vl-32b-instruct", "messages",
                                    "role", "user", "content", "Describe the image.", "stream", stream);
            body = json_dumps(req, JSON_COMPACT);
            json_decref(req);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        }
        if (curl_easy_perform(h) == CURLE_OK && floor_sink_ok(&s) && i >= 0) ok++;
        free(body);
    }
    wall = now_ms() - wall, cpu = cpu_ms() - cpu;
    printf("{\"case\":\"%s\",\"contender\":\"floor\",\"us_per_op\":%.2f,\"cpu_us_per_op\":%.2f,\"ok\":%d,\"n\":%d,\"rss_kib\":%ld}\n",
           mode, wall * 1000 / n, cpu * 1000 / n, ok, n, rss_kib());
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    free(image_body);
    free(s.body);
    return 0;
}
