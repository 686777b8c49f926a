/* The options chat and batch share, the request JSON they send, and the client they send it with. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

int request_option(int opt, const char *arg, struct request_opts *o) {
    switch (opt) {
    case 'm': o->model = arg; return check_utf8("--model", arg) ? -1 : 1;
    case 's': o->system = arg; return check_utf8("--system", arg) ? -1 : 1;
    case 'b': o->base_url = arg; return check_utf8("--base-url", arg) ? -1 : 1;
    case 'r':
        if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0) {
            complain("--response-format is json or text, not \"%s\"", arg);
            return -1;
        }
        o->response_format = arg;
        return 1;
    case 't': {
        char *end;
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno || *end || end == arg || v < 1 || v > INT_MAX) {
            complain("--max-tokens takes a whole number from 1, not \"%s\"", arg);
            return -1;
        }
        o->max_tokens = v;
        return 1;
    }
    default: return 0;
    }
}

/* Sets key to a new value; the reference is stolen, and a NULL value (out of memory) is an error. */
static int put(json_t *obj, const char *key, json_t *value) {
    return value ? json_object_set_new(obj, key, value) : -1;
}

static int push(json_t *array, json_t *value) {
    return value ? json_array_append_new(array, value) : -1;
}

static json_t *message(const char *role, json_t *content) {
    json_t *m = json_object();
    if (!m || put(m, "role", json_string(role)) || put(m, "content", content)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

char *request_json(const struct request_opts *o, const char *prompt, char *const *images, size_t n_images) {
    json_t *body = json_object(), *messages = json_array(), *content = json_array();
    int bad = !body || !messages || !content || put(body, "messages", json_incref(messages));
    if (!bad && o->model) bad = put(body, "model", json_string(o->model));
    if (!bad && o->max_tokens) bad = put(body, "max_tokens", json_integer(o->max_tokens));
    if (!bad && o->response_format && strcmp(o->response_format, "json") == 0)
        bad = put(body, "response_format", json_pack("{s:s}", "type", "json_object"));
    if (!bad && o->system) bad = push(messages, message("system", json_string(o->system)));
    /* Images first, then the question: the order Qwen's own examples use. */
    for (size_t i = 0; !bad && i < n_images; i++)
        bad = push(content, json_pack("{s:s, s:{s:s}}", "type", "image_url", "image_url", "url", images[i]));
    if (!bad) bad = push(content, json_pack("{s:s, s:s}", "type", "text", "text", prompt));
    if (!bad) bad = push(messages, message("user", json_incref(content)));
    char *out = bad ? NULL : json_dumps(body, JSON_COMPACT);
    json_decref(content);
    json_decref(messages);
    json_decref(body);
    return out;
}

int check_utf8(const char *what, const char *text) {
    json_t *s = json_string(text);  /* NULL for text that is not UTF-8 */
    json_decref(s);
    if (!s) complain("%s is not valid UTF-8", what);
    return s ? 0 : -1;
}

char *absolute_path(const char *path) {
    if (path[0] == '/') return strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return strdup(path);  /* the library then says what is wrong */
    size_t a = strlen(cwd), b = strlen(path);
    char *out = malloc(a + b + 2);
    if (!out) return NULL;
    memcpy(out, cwd, a);
    out[a] = '/';
    memcpy(out + a + 1, path, b + 1);
    return out;
}

qwen3vl_client *client_open(const struct request_opts *o, int max_connections) {
    json_t *opts = json_pack("{s:i}", "max_connections", max_connections);
    if (opts && o->base_url && put(opts, "base_url", json_string(o->base_url))) {
        json_decref(opts);
        opts = NULL;
    }
    char *text = opts ? json_dumps(opts, JSON_COMPACT) : NULL;
    json_decref(opts);
    if (!text) {
        complain("out of memory");
        return NULL;
    }
    char err[512];
    qwen3vl_client *c = qwen3vl_client_new(text, err, sizeof err);
    free(text);
    if (!c) complain("%s", err);
    return c;
}

char *read_text_file(const char *path) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        complain("%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    for (size_t n; buf; len += n) {
        if (cap - len < 2) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) { free(buf); buf = NULL; break; }
            buf = bigger;
            cap *= 2;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        if (n == 0) break;
    }
    int failed = ferror(f);
    if (f != stdin) fclose(f);
    if (!buf || failed) {
        complain("%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    while (len > 0 && strchr(" \t\r\n", buf[len - 1])) len--;
    buf[len] = '\0';
    return buf;
}
