/* libqwen3vl_sqlite.so: SQL functions that ask Qwen3-VL, as a SQLite loadable extension.
 *
 *   sqlite3 photos.db
 *   sqlite> .load libqwen3vl_sqlite
 *   sqlite> SELECT qwen3vl_config('{"model": "alibaba/qwen3-vl-32b-instruct", "timeout_ms": 60000}');
 *   sqlite> UPDATE photos SET caption = qwen3vl_chat('Caption this image', image);
 *
 *   qwen3vl_chat(prompt [, image])  the answer's text; image is a BLOB (an encoded image: PNG,
 *                                   JPEG, ...) or TEXT (a local path, or an http(s):// or data:
 *                                   URL); without it (or NULL) the question is text only
 *   qwen3vl_chat_json(request)      the whole chat.completion for a chat-completions request body
 *   qwen3vl_image_tokens(w, h [, min_pixels, max_pixels])
 *                                   the vision tokens a w x h image costs
 *   qwen3vl_config(options)         replaces this connection's client by one with these client
 *                                   options (those of qwen3vl_client_new); 'ok'
 *
 * Each connection that loads the extension has its own client, made at its first call (key and
 * base URL from AIML_API_KEY and AIML_API_BASE) and freed when the connection closes. A failed
 * call is an SQL error: "qwen3vl_chat: QWEN3VL_ERR_TIMEOUT: ...". A NULL prompt or request gives
 * NULL. Calls block the statement that makes them, bounded by the client's timeout_ms. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <qwen3vl.h>
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

/* A connection's client; every function registered on the connection holds a reference. */
struct state {
    qwen3vl_client *client;
    int refs;
};

static void release(void *p) {
    struct state *s = p;
    if (--s->refs > 0) return;
    qwen3vl_client_free(s->client);
    free(s);
}

static void fail(sqlite3_context *ctx, int status, const char *message) {
    char *m = sqlite3_mprintf("%s: %s", qwen3vl_status_name(status), message);
    if (m) sqlite3_result_error(ctx, m, -1); else sqlite3_result_error_nomem(ctx);
    sqlite3_free(m);
}

static qwen3vl_client *client_of(sqlite3_context *ctx) {
    struct state *s = sqlite3_user_data(ctx);
    if (!s->client) {
        char err[512];
        if (!(s->client = qwen3vl_client_new(NULL, err, sizeof err))) fail(ctx, QWEN3VL_ERR_INVALID_ARGUMENT, err);
    }
    return s->client;
}

/* Runs a request; the result (the caller's) on success, else NULL with the SQL error set. */
static qwen3vl_result *ask(sqlite3_context *ctx, const char *request) {
    qwen3vl_client *c = client_of(ctx);
    if (!c) return NULL;
    qwen3vl_result *r = qwen3vl_chat(c, request);
    if (!r) {
        sqlite3_result_error_nomem(ctx);
    } else if (qwen3vl_result_status(r) != QWEN3VL_OK) {
        fail(ctx, qwen3vl_result_status(r), qwen3vl_result_error(r));
        qwen3vl_result_free(r);
        r = NULL;
    }
    return r;
}

/* The URL of an image argument: a BLOB as a data: URI (the library's string: qwen3vl_free), an
   existing local file by its absolute path (so that "a:b.png" is not taken for a URL), any other
   text as given (SQLite's strings: sqlite3_free). NULL with the error set. */
static char *image_url(sqlite3_context *ctx, sqlite3_value *v, int *from_library) {
    *from_library = sqlite3_value_type(v) == SQLITE_BLOB;
    if (*from_library) {
        char err[512], *uri;
        int status = qwen3vl_image_data_uri(sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v), &uri, NULL, err,
                                            sizeof err);
        if (status != QWEN3VL_OK) fail(ctx, status, err);
        return uri;
    }
    const char *text = (const char *)sqlite3_value_text(v);
    char cwd[PATH_MAX];
    char *out = text && text[0] != '/' && access(text, F_OK) == 0 && getcwd(cwd, sizeof cwd)
                    ? sqlite3_mprintf("%s/%s", cwd, text)
                    : sqlite3_mprintf("%s", text ? text : "");
    if (!out) sqlite3_result_error_nomem(ctx);
    return out;
}

static void chat_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *prompt = (const char *)sqlite3_value_text(argv[0]);
    if (!prompt) return;  /* NULL in, NULL out */
    int with_image = argc > 1 && sqlite3_value_type(argv[1]) != SQLITE_NULL, from_library = 0;
    char *url = with_image ? image_url(ctx, argv[1], &from_library) : NULL;
    if (with_image && !url) return;
    json_t *body = url ? json_pack("{s:[{s:s, s:[{s:s, s:{s:s}}, {s:s, s:s}]}]}", "messages", "role", "user", "content",
                                   "type", "image_url", "image_url", "url", url, "type", "text", "text", prompt)
                       : json_pack("{s:[{s:s, s:s}]}", "messages", "role", "user", "content", prompt);
    if (from_library) qwen3vl_free(url); else sqlite3_free(url);
    char *request = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!request) {
        fail(ctx, QWEN3VL_ERR_INVALID_ARGUMENT, "the prompt or the image's path is not valid UTF-8");
        return;
    }
    qwen3vl_result *r = ask(ctx, request);
    free(request);
    if (!r) return;
    sqlite3_result_text(ctx, qwen3vl_result_text(r), (int)qwen3vl_result_text_len(r), SQLITE_TRANSIENT);
    qwen3vl_result_free(r);
}

static void chat_json_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    const char *request = (const char *)sqlite3_value_text(argv[0]);
    if (!request) return;
    qwen3vl_result *r = ask(ctx, request);
    if (!r) return;
    sqlite3_result_text(ctx, qwen3vl_result_json(r), -1, SQLITE_TRANSIENT);
    qwen3vl_result_free(r);
}

static void image_tokens_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return;
    sqlite3_int64 w = sqlite3_value_int64(argv[0]), h = sqlite3_value_int64(argv[1]);
    sqlite3_int64 lo = argc > 2 ? sqlite3_value_int64(argv[2]) : 0, hi = argc > 3 ? sqlite3_value_int64(argv[3]) : 0;
    int64_t tokens = 0;
    char err[256] = "width and height must fit in an int";
    int status = w >= INT_MIN && h >= INT_MIN && w <= INT_MAX && h <= INT_MAX
                     ? qwen3vl_image_tokens((int)w, (int)h, lo, hi, &tokens, err, sizeof err)
                     : QWEN3VL_ERR_INVALID_ARGUMENT;
    if (status != QWEN3VL_OK) {
        fail(ctx, status, err);
        return;
    }
    sqlite3_result_int64(ctx, tokens);
}

static void config_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    struct state *s = sqlite3_user_data(ctx);
    char err[512];
    qwen3vl_client *c = qwen3vl_client_new((const char *)sqlite3_value_text(argv[0]), err, sizeof err);
    if (!c) {
        fail(ctx, QWEN3VL_ERR_INVALID_ARGUMENT, err);
        return;
    }
    qwen3vl_client_free(s->client);
    s->client = c;
    sqlite3_result_text(ctx, "ok", -1, SQLITE_STATIC);
}

__attribute__((visibility("default"))) int sqlite3_qwenvlsqlite_init(sqlite3 *db, char **errmsg,
                                                                      const sqlite3_api_routines *api) {
    SQLITE_EXTENSION_INIT2(api);
    static const struct {
        const char *name;
        int args;
        void (*fn)(sqlite3_context *, int, sqlite3_value **);
        int deterministic;
    } fns[] = {
        {"qwen3vl_chat", 1, chat_fn, 0},           {"qwen3vl_chat", 2, chat_fn, 0},
        {"qwen3vl_chat_json", 1, chat_json_fn, 0}, {"qwen3vl_image_tokens", 2, image_tokens_fn, 1},
        {"qwen3vl_image_tokens", 4, image_tokens_fn, 1}, {"qwen3vl_config", 1, config_fn, 0},
    };
    struct state *s = calloc(1, sizeof *s);
    if (!s) return SQLITE_NOMEM;
    s->refs = 1;  /* this function's, until the functions hold theirs */
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof fns / sizeof fns[0]; i++) {
        s->refs++;
        int flags = SQLITE_UTF8 | (fns[i].deterministic ? SQLITE_DETERMINISTIC : 0);
        /* On failure SQLite calls release itself, so the reference is given up either way. */
        rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].args, flags, s, fns[i].fn, NULL, NULL, release);
    }
    if (rc != SQLITE_OK && errmsg) *errmsg = sqlite3_mprintf("qwen3vl: cannot register the functions: %s", sqlite3_errstr(rc));
    release(s);
    return rc;
}
