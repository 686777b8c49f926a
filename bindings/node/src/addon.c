/* The native half of the Node binding: the library's non-blocking calls, their events taken on the
 * Node thread when the client's event descriptor turns readable (a uv_poll_t on Node's own loop),
 * so no call ever blocks JavaScript. index.js is the other half.
 *
 *   open(optionsJSON | null, dispatch) -> client handle, or the error message (string)
 *   start(client, requestJSON, callOptionsJSON | null, id) -> call handle, or null if closed
 *   cancel(call), release(call)         the call ends CANCELLED / is freed, its events dropped
 *   close(client)                       cancels and frees every call, frees the client
 *   version()                           the library's version, "0.1.0"
 *   imageDataUri(bytes), imagePartJson(bytes, detail), pixelsDataUri(pixels, w, h, stride, format),
 *   imageSize(path), imageSizeFromBytes(bytes), imageTokens(w, h, min, max), groundingParse(text, w, h)
 *                                       the image helpers, synchronous (no I/O but an image header's);
 *                                       a failure throws an Error with qwen3vlStatus set
 *
 * dispatch(batch) gets the events taken in one go, flat: [id, 1, delta, ..., id, 2, result, ...];
 * a DONE's result is a plain object of the call's outcome, and the call is freed as it is taken.
 * Empty deltas (chunks without text) are left out. The descriptor is watched from the first call
 * until the client is closed, but keeps the loop alive only while calls are in flight, so an idle
 * client keeps neither the loop nor itself alive. */
#define _GNU_SOURCE /* uv.h needs the POSIX types (pthread_rwlock_t, struct addrinfo) */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <stdlib.h>
#include <string.h>

#include <qwen3vl.h>

typedef struct client_state client_state;

typedef struct call_box {
    qwen3vl_call *call; /* NULL once its DONE was taken or it was released */
    client_state *cs;
    double id;
    struct call_box *prev, *next; /* the client's calls in flight */
} call_box;

struct client_state {
    napi_env env;
    qwen3vl_client *c;  /* NULL once closed */
    uv_poll_t *poll;    /* made at the first call; closed with the client */
    napi_ref dispatch;  /* index.js's dispatch function (held by the JS client too); strong while
                           calls are in flight, so that the JS client, which it refers to, stays */
    napi_async_context async_context;
    int inflight;
    int refs;           /* the JS client's handle, and each call handle */
    call_box *live;
};

/* Takes at most this many events per readable turn, so that other work on the loop gets its turn;
   the descriptor stays readable while more wait. */
#define BATCH_MAX 4096

#define CHECK_NAPI(env, call)                                                     \
    do {                                                                          \
        if ((call) != napi_ok) {                                                  \
            napi_throw_error((env), "QWEN3VL_ERR_INTERNAL", "qwen3vl: " #call " failed"); \
            return NULL;                                                          \
        }                                                                         \
    } while (0)

static void release_state(client_state *cs) {
    if (--cs->refs > 0) return;
    napi_delete_reference(cs->env, cs->dispatch);
    free(cs);
}

static void unlink_box(call_box *b) {
    client_state *cs = b->cs;
    if (b->prev) b->prev->next = b->next; else cs->live = b->next;
    if (b->next) b->next->prev = b->prev;
    b->prev = b->next = NULL;
}

/* One fewer call in flight: at none, the watch no longer keeps the loop alive, and the JS client
   may go. */
static void call_ended(client_state *cs) {
    if (--cs->inflight > 0) return;
    if (cs->poll) uv_unref((uv_handle_t *)cs->poll);
    uint32_t n;
    napi_reference_unref(cs->env, cs->dispatch, &n);
}

static void free_poll(uv_handle_t *h) { free(h); }

static void close_state(client_state *cs) {
    if (!cs->c) return;
    if (cs->poll) {
        uv_poll_stop(cs->poll);
        uv_close((uv_handle_t *)cs->poll, free_poll);
        cs->poll = NULL;
    }
    while (cs->live) {
        call_box *b = cs->live;
        qwen3vl_call_free(b->call);
        b->call = NULL;
        unlink_box(b);
    }
    if (cs->inflight > 0) {
        uint32_t n;
        napi_reference_unref(cs->env, cs->dispatch, &n);
        cs->inflight = 0;
    }
    qwen3vl_client_free(cs->c);
    cs->c = NULL;
    napi_async_destroy(cs->env, cs->async_context);
}

static void finalize_client(napi_env env, void *data, void *hint) {
    (void)env;
    (void)hint;
    close_state(data);
    release_state(data);
}

static void finalize_call(napi_env env, void *data, void *hint) {
    (void)env;
    (void)hint;
    call_box *b = data;
    if (b->call) { /* dropped while running (index.js releases calls, so only at exit) */
        qwen3vl_call_free(b->call);
        b->call = NULL;
        unlink_box(b);
        call_ended(b->cs);
    }
    release_state(b->cs);
    free(b);
}

/* A JS string argument as a malloc'ed C string; NULL for null/undefined (and *ok = 1), or on error. */
static char *string_arg(napi_env env, napi_value v, int *ok) {
    napi_valuetype t;
    *ok = 0;
    if (napi_typeof(env, v, &t) != napi_ok) return NULL;
    if (t == napi_null || t == napi_undefined) {
        *ok = 1;
        return NULL;
    }
    size_t len;
    if (t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
    char *s = malloc(len + 1);
    if (s && napi_get_value_string_utf8(env, v, s, len + 1, &len) == napi_ok) {
        *ok = 1;
        return s;
    }
    free(s);
    return NULL;
}

static napi_value str_value(napi_env env, const char *s, size_t len) {
    napi_value v;
    return napi_create_string_utf8(env, s ? s : "", s ? len : 0, &v) == napi_ok ? v : NULL;
}

static void set(napi_env env, napi_value obj, const char *name, napi_value v) {
    if (v) napi_set_named_property(env, obj, name, v);
}

static napi_value num(napi_env env, double d) {
    napi_value v;
    return napi_create_double(env, d, &v) == napi_ok ? v : NULL;
}

static napi_value cstr(napi_env env, const char *s) { return str_value(env, s, s ? strlen(s) : 0); }

/* The outcome of a finished call, as index.js turns it into a reply or an error. */
static napi_value result_object(napi_env env, const qwen3vl_result *r) {
    napi_value o;
    if (napi_create_object(env, &o) != napi_ok) return NULL;
    set(env, o, "status", num(env, r ? qwen3vl_result_status(r) : QWEN3VL_ERR_INTERNAL));
    set(env, o, "error", cstr(env, r ? qwen3vl_result_error(r) : "the call ended without a result"));
    set(env, o, "httpStatus", num(env, qwen3vl_result_http_status(r)));
    set(env, o, "text", str_value(env, qwen3vl_result_text(r), qwen3vl_result_text_len(r)));
    set(env, o, "finishReason", cstr(env, qwen3vl_result_finish_reason(r)));
    set(env, o, "json", cstr(env, qwen3vl_result_json(r)));
    set(env, o, "requestId", cstr(env, qwen3vl_result_request_id(r)));
    set(env, o, "toolCalls", cstr(env, qwen3vl_result_tool_calls_json(r)));
    set(env, o, "promptTokens", num(env, (double)qwen3vl_result_tokens(r, QWEN3VL_TOKENS_PROMPT)));
    set(env, o, "completionTokens", num(env, (double)qwen3vl_result_tokens(r, QWEN3VL_TOKENS_COMPLETION)));
    set(env, o, "totalTokens", num(env, (double)qwen3vl_result_tokens(r, QWEN3VL_TOKENS_TOTAL)));
    set(env, o, "attempts", num(env, qwen3vl_result_attempts(r)));
    set(env, o, "elapsedMs", num(env, qwen3vl_result_elapsed_ms(r)));
    return o;
}

/* The descriptor is readable: take what waits, hand it to JavaScript in one batch. */
static void on_readable(uv_poll_t *h, int status, int events) {
    (void)status;
    (void)events;
    client_state *cs = h->data;
    napi_env env = cs->env;
    napi_handle_scope scope;
    if (!cs->c || napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value batch, fn = NULL, global;
    uint32_t n = 0;
    qwen3vl_event *ev;
    if (napi_create_array(env, &batch) != napi_ok || napi_get_reference_value(env, cs->dispatch, &fn) != napi_ok || !fn) {
        uv_poll_stop(h); /* no JavaScript left to hand events to (cannot happen while index.js holds it) */
        fn = NULL;
    }
    while (fn && n < 3 * BATCH_MAX && (ev = qwen3vl_client_next_event(cs->c, 0))) {
        call_box *b = qwen3vl_event_user_data(ev);
        napi_value value = NULL;
        int kind = qwen3vl_event_kind(ev);
        if (kind == QWEN3VL_EVENT_DELTA) {
            size_t len = 0;
            const char *t = qwen3vl_event_text(ev, &len);
            if (len > 0) value = str_value(env, t, len);
        } else {
            value = result_object(env, qwen3vl_call_result(b->call));
            qwen3vl_call_free(b->call);
            b->call = NULL;
            unlink_box(b);
            call_ended(cs);
        }
        qwen3vl_event_free(ev);
        if (value) {
            napi_set_element(env, batch, n++, num(env, b->id));
            napi_set_element(env, batch, n++, num(env, kind));
            napi_set_element(env, batch, n++, value);
        }
    }
    if (fn && n > 0 && napi_get_global(env, &global) == napi_ok) {
        /* napi_make_callback runs the promise jobs the dispatch queued once it returns. */
        napi_value ret;
        if (napi_make_callback(env, cs->async_context, global, fn, 1, &batch, &ret) == napi_pending_exception) {
            napi_value err;
            if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
        }
    }
    napi_close_handle_scope(env, scope);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2], out, name;
    CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    int ok;
    char *options = string_arg(env, argv[0], &ok);
    if (!ok) {
        napi_throw_type_error(env, NULL, "qwen3vl: options must be a string or null");
        return NULL;
    }
    char err[512] = "";
    qwen3vl_client *c = qwen3vl_client_new(options, err, sizeof err);
    free(options);
    if (!c) return cstr(env, err);
    client_state *cs = calloc(1, sizeof *cs);
    if (!cs) {
        qwen3vl_client_free(c);
        napi_throw_error(env, "QWEN3VL_ERR_INTERNAL", "qwen3vl: out of memory");
        return NULL;
    }
    cs->env = env;
    cs->c = c;
    cs->refs = 1;
    if (napi_create_reference(env, argv[1], 0, &cs->dispatch) != napi_ok ||
        napi_create_string_utf8(env, "qwen3vl", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_async_init(env, NULL, name, &cs->async_context) != napi_ok ||
        napi_create_external(env, cs, finalize_client, NULL, &out) != napi_ok) {
        qwen3vl_client_free(c);
        free(cs);
        napi_throw_error(env, "QWEN3VL_ERR_INTERNAL", "qwen3vl: cannot make the client's handle");
        return NULL;
    }
    return out;
}

static void *external_arg(napi_env env, napi_value v) {
    void *p = NULL;
    napi_valuetype t;
    if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok) {
        napi_throw_type_error(env, NULL, "qwen3vl: not a handle");
        return NULL;
    }
    return p;
}

/* Watching the descriptor starts with the first call and goes on until the client is closed (no
   epoll_ctl per call); the watch keeps the loop alive only while calls are in flight. */
static int watch(napi_env env, client_state *cs) {
    if (cs->poll) {
        uv_ref((uv_handle_t *)cs->poll);
        return 0;
    }
    uv_loop_t *loop;
    int fd = qwen3vl_client_event_fd(cs->c);
    cs->poll = malloc(sizeof *cs->poll);
    if (!cs->poll || fd < 0 || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, cs->poll, fd) != 0) {
        free(cs->poll);
        cs->poll = NULL;
        return -1;
    }
    cs->poll->data = cs;
    return uv_poll_start(cs->poll, UV_READABLE, on_readable);
}

static napi_value js_start(napi_env env, napi_callback_info info) {
    size_t argc = 4;
    napi_value argv[4], out;
    CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    client_state *cs = external_arg(env, argv[0]);
    if (!cs) return NULL;
    if (!cs->c) {
        napi_get_null(env, &out);
        return out;
    }
    double id;
    int ok_req, ok_opts;
    CHECK_NAPI(env, napi_get_value_double(env, argv[3], &id));
    char *request = string_arg(env, argv[1], &ok_req), *options = string_arg(env, argv[2], &ok_opts);
    call_box *b = request && ok_opts ? calloc(1, sizeof *b) : NULL;
    if (b) {
        b->cs = cs;
        b->id = id;
        b->call = qwen3vl_call_start(cs->c, request, options, b);
    }
    free(request);
    free(options);
    if (!b || !b->call) {
        free(b);
        napi_throw_error(env, "QWEN3VL_ERR_INTERNAL", "qwen3vl: cannot start the call (out of memory)");
        return NULL;
    }
    if (napi_create_external(env, b, finalize_call, NULL, &out) != napi_ok) {
        qwen3vl_call_free(b->call);
        free(b);
        napi_throw_error(env, "QWEN3VL_ERR_INTERNAL", "qwen3vl: cannot make the call's handle");
        return NULL;
    }
    cs->refs++;
    b->next = cs->live;
    if (cs->live) cs->live->prev = b;
    cs->live = b;
    if (cs->inflight++ == 0) {
        uint32_t n;
        napi_reference_ref(env, cs->dispatch, &n);
        if (watch(env, cs) != 0) {
            napi_throw_error(env, "QWEN3VL_ERR_INTERNAL", "qwen3vl: cannot watch the client's event descriptor");
            return NULL;
        }
    }
    return out;
}

static call_box *call_arg(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
    return external_arg(env, argv[0]);
}

static napi_value js_cancel(napi_env env, napi_callback_info info) {
    call_box *b = call_arg(env, info);
    if (b && b->call) qwen3vl_call_cancel(b->call);
    return NULL;
}

static napi_value js_release(napi_env env, napi_callback_info info) {
    call_box *b = call_arg(env, info);
    if (b && b->call) {
        qwen3vl_call_free(b->call);
        b->call = NULL;
        unlink_box(b);
        call_ended(b->cs);
    }
    return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    client_state *cs = external_arg(env, argv[0]);
    if (cs) close_state(cs);
    return NULL;
}

/* ---- The image helpers -------------------------------------------------------------------------- */

/* Throws the helper's failure: an Error whose qwen3vlStatus index.js turns into its subclass. */
static napi_value throw_status(napi_env env, int status, const char *message) {
    napi_value msg, err, code;
    if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) == napi_ok && napi_create_error(env, NULL, msg, &err) == napi_ok &&
        napi_create_int32(env, status, &code) == napi_ok && napi_set_named_property(env, err, "qwen3vlStatus", code) == napi_ok)
        napi_throw(env, err);
    return NULL;
}

/* The bytes of a Uint8Array (a Buffer is one) argument. */
static int bytes_arg(napi_env env, napi_value v, const void **data, size_t *len) {
    napi_typedarray_type type;
    napi_value buffer;
    size_t offset;
    bool is;
    void *p = NULL;
    if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, v, &type, len, &p, &buffer, &offset) != napi_ok || type != napi_uint8_array) {
        napi_throw_type_error(env, NULL, "qwen3vl: bytes must be a Buffer or Uint8Array");
        return 0;
    }
    *data = p;
    return 1;
}

static int int_arg(napi_env env, napi_value v, int *out) {
    int32_t i;
    if (napi_get_value_int32(env, v, &i) != napi_ok) {
        napi_throw_type_error(env, NULL, "qwen3vl: a number was expected");
        return 0;
    }
    *out = i;
    return 1;
}

/* A helper's text result (freed here), or its failure thrown. */
static napi_value text_result(napi_env env, int status, char *out, size_t out_len, const char *err) {
    napi_value v = status == QWEN3VL_OK ? str_value(env, out, out_len) : throw_status(env, status, err);
    qwen3vl_free(out);
    return v;
}

static napi_value size_result(napi_env env, int status, int w, int h, const char *err) {
    if (status != QWEN3VL_OK) return throw_status(env, status, err);
    napi_value o;
    if (napi_create_object(env, &o) != napi_ok) return NULL;
    set(env, o, "width", num(env, w));
    set(env, o, "height", num(env, h));
    return o;
}

#define ARGS(n)                                                           \
    size_t argc = (n);                                                    \
    napi_value argv[(n) > 0 ? (n) : 1];                                   \
    CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL)); \
    char err[512] = "";                                                   \
    (void)err

static napi_value js_image_data_uri(napi_env env, napi_callback_info info) {
    ARGS(1);
    const void *data;
    size_t len, n = 0;
    char *out = NULL;
    if (!bytes_arg(env, argv[0], &data, &len)) return NULL;
    int status = qwen3vl_image_data_uri(data, len, &out, &n, err, sizeof err);
    return text_result(env, status, out, n, err);
}

static napi_value js_image_part_json(napi_env env, napi_callback_info info) {
    ARGS(2);
    const void *data;
    size_t len, n = 0;
    char *out = NULL;
    int ok;
    if (!bytes_arg(env, argv[0], &data, &len)) return NULL;
    char *detail = string_arg(env, argv[1], &ok);
    if (!ok) return throw_status(env, QWEN3VL_ERR_INVALID_ARGUMENT, "qwen3vl: detail must be a string");
    int status = qwen3vl_image_part_json(data, len, detail, &out, &n, err, sizeof err);
    free(detail);
    return text_result(env, status, out, n, err);
}

static napi_value js_pixels_data_uri(napi_env env, napi_callback_info info) {
    ARGS(5);
    const void *data;
    size_t len, n = 0;
    char *out = NULL;
    int w, h, stride, format;
    if (!bytes_arg(env, argv[0], &data, &len) || !int_arg(env, argv[1], &w) || !int_arg(env, argv[2], &h) ||
        !int_arg(env, argv[3], &stride) || !int_arg(env, argv[4], &format))
        return NULL;
    if (stride < 0) return throw_status(env, QWEN3VL_ERR_INVALID_ARGUMENT, "qwen3vl: stride is negative");
    int status = qwen3vl_pixels_data_uri(data, len, w, h, (size_t)stride, format, &out, &n, err, sizeof err);
    return text_result(env, status, out, n, err);
}

static napi_value js_image_size(napi_env env, napi_callback_info info) {
    ARGS(1);
    int ok, w = 0, h = 0;
    char *path = string_arg(env, argv[0], &ok);
    if (!path) return throw_status(env, QWEN3VL_ERR_INVALID_ARGUMENT, "qwen3vl: the path must be a string");
    int status = qwen3vl_image_size(path, &w, &h, err, sizeof err);
    free(path);
    return size_result(env, status, w, h, err);
}

static napi_value js_image_size_from_bytes(napi_env env, napi_callback_info info) {
    ARGS(1);
    const void *data;
    size_t len;
    int w = 0, h = 0;
    if (!bytes_arg(env, argv[0], &data, &len)) return NULL;
    int status = qwen3vl_image_size_from_bytes(data, len, &w, &h, err, sizeof err);
    return size_result(env, status, w, h, err);
}

static napi_value js_image_tokens(napi_env env, napi_callback_info info) {
    ARGS(4);
    int w, h;
    int64_t min_pixels, max_pixels, tokens = 0;
    if (!int_arg(env, argv[0], &w) || !int_arg(env, argv[1], &h)) return NULL;
    if (napi_get_value_int64(env, argv[2], &min_pixels) != napi_ok || napi_get_value_int64(env, argv[3], &max_pixels) != napi_ok) {
        napi_throw_type_error(env, NULL, "qwen3vl: a number was expected");
        return NULL;
    }
    int status = qwen3vl_image_tokens(w, h, min_pixels, max_pixels, &tokens, err, sizeof err);
    return status == QWEN3VL_OK ? num(env, (double)tokens) : throw_status(env, status, err);
}

static napi_value js_grounding_parse(napi_env env, napi_callback_info info) {
    ARGS(3);
    size_t len, n = 0;
    char *out = NULL;
    int w, h;
    if (!int_arg(env, argv[1], &w) || !int_arg(env, argv[2], &h)) return NULL;
    /* The text's length goes with it: it may hold NUL characters. */
    if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) {
        napi_throw_type_error(env, NULL, "qwen3vl: the text must be a string");
        return NULL;
    }
    char *text = malloc(len + 1);
    if (!text) return throw_status(env, QWEN3VL_ERR_INTERNAL, "qwen3vl: out of memory");
    napi_get_value_string_utf8(env, argv[0], text, len + 1, &len);
    int status = qwen3vl_grounding_parse(text, len, w, h, &out, &n, err, sizeof err);
    free(text);
    return text_result(env, status, out, n, err);
}

static napi_value js_version(napi_env env, napi_callback_info info) {
    (void)info;
    return cstr(env, qwen3vl_version());
}

NAPI_MODULE_INIT() {
    napi_property_descriptor fns[] = {
        {"version", NULL, js_version, NULL, NULL, NULL, napi_enumerable, NULL},
        {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
        {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
        {"cancel", NULL, js_cancel, NULL, NULL, NULL, napi_enumerable, NULL},
        {"release", NULL, js_release, NULL, NULL, NULL, napi_enumerable, NULL},
        {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
        {"imageDataUri", NULL, js_image_data_uri, NULL, NULL, NULL, napi_enumerable, NULL},
        {"imagePartJson", NULL, js_image_part_json, NULL, NULL, NULL, napi_enumerable, NULL},
        {"pixelsDataUri", NULL, js_pixels_data_uri, NULL, NULL, NULL, napi_enumerable, NULL},
        {"imageSize", NULL, js_image_size, NULL, NULL, NULL, napi_enumerable, NULL},
        {"imageSizeFromBytes", NULL, js_image_size_from_bytes, NULL, NULL, NULL, napi_enumerable, NULL},
        {"imageTokens", NULL, js_image_tokens, NULL, NULL, NULL, napi_enumerable, NULL},
        {"groundingParse", NULL, js_grounding_parse, NULL, NULL, NULL, napi_enumerable, NULL},
    };
    if (napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) != napi_ok) return NULL;
    return exports;
}
