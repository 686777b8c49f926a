/* The floors' reply handling (Benchmarks/floor.c, Benchmarks/concurrent.c): the least a caller of
 * libcurl and jansson must do with a reply. A plain reply is collected and parsed for its text;
 * a stream is split into lines and every data: chunk parsed for its delta, as it arrives.
 * A sink is reset between calls, never zeroed (its buffer for a line split between two pieces is
 * 64 KiB). */
#ifndef FLOOR_SINK_H
#define FLOOR_SINK_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int stream;
    char *body;
    size_t n, cap;
    size_t text; /* bytes of streamed content */
    size_t ln;
    char line[1 << 16];
} floor_sink;

static void floor_sink_reset(floor_sink *s) { s->n = s->ln = s->text = 0; }

/* One line of the stream: a data: line other than [DONE] is a chunk, parsed for its delta. */
static void floor_sink_line(floor_sink *s, const char *p, size_t n) {
    if (n > 6 && !memcmp(p, "data: ", 6) && (n != 12 || memcmp(p + 6, "[DONE]", 6))) {
        json_t *j = json_loadb(p + 6, n - 6, 0, NULL);
        json_t *c = json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta"), "content");
        if (json_is_string(c)) s->text += json_string_length(c);
        json_decref(j);
    }
}

/* CURLOPT_WRITEFUNCTION with CURLOPT_WRITEDATA = the sink. Stream lines are taken where libcurl put
 * them; only a line split between two pieces is copied. */
static size_t floor_sink_write(char *d, size_t sz, size_t nm, void *u) {
    floor_sink *s = u;
    size_t n = sz * nm;
    if (s->stream) {
        const char *p = d, *end = d + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t k = (size_t)((nl ? nl : end) - p);
            if (s->ln || !nl) { /* the start of a line came in an earlier piece, or its end will come in a later one */
                size_t take = k < sizeof s->line - s->ln ? k : sizeof s->line - s->ln;
                memcpy(s->line + s->ln, p, take);
                s->ln += take;
                if (!nl) break;
                floor_sink_line(s, s->line, s->ln);
                s->ln = 0;
            } else {
                floor_sink_line(s, p, k);
            }
            p = nl + 1;
        }
        return n;
    }
    if (s->n + n > s->cap) {
        s->cap = (s->n + n) * 2;
        s->body = realloc(s->body, s->cap);
    }
    memcpy(s->body + s->n, d, n);
    s->n += n;
    return n;
}

/* After the transfer: did the reply carry text (the whole reply parsed, for a plain one)? */
static int floor_sink_ok(floor_sink *s) {
    if (s->stream) return s->text > 0;
    json_t *j = json_loadb(s->body, s->n, 0, NULL);
    json_t *c = json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"), "content");
    int ok = json_is_string(c);
    json_decref(j);
    return ok;
}

#endif
