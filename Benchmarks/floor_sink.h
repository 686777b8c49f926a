/* The floors' reply handling (Benchmarks/floor.c, Benchmarks/concurrent.c): the least a caller of
 * libcurl and jansson must do with a reply. A plain reply is collected and parsed for its text;
 * a stream is split into lines and every data: chunk parsed for its delta, as it arrives.
 * A sink is reset between calls, never zeroed (its line buffer is 64 KiB). */
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

static void floor_sink_line(floor_sink *s) {
    if (s->ln > 6 && !memcmp(s->line, "data: ", 6) && (s->ln != 12 || memcmp(s->line + 6, "[DONE]", 6))) {
        json_t *j = json_loadb(s->line + 6, s->ln - 6, 0, NULL);
        json_t *c = json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta"), "content");
        if (json_is_string(c)) s->text += json_string_length(c);
        json_decref(j);
    }
    s->ln = 0;
}

/* CURLOPT_WRITEFUNCTION with CURLOPT_WRITEDATA = the sink. */
static size_t floor_sink_write(char *d, size_t sz, size_t nm, void *u) {
    floor_sink *s = u;
    size_t n = sz * nm;
    if (s->stream) {
        for (size_t i = 0; i < n; i++) {
            if (d[i] == '\n') floor_sink_line(s);
            else if (s->ln < sizeof s->line) s->line[s->ln++] = d[i];
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
