/* SPDX-License-Identifier: MIT */
/*
 * qwen3vl.h: the C interface of libqwen3vl.
 *
 * libqwen3vl calls the vision-language model Qwen3-VL-32B-Instruct through an OpenAI-compatible
 * chat-completions endpoint: the AI/ML API service by default, or any compatible server (vLLM,
 * DashScope compatible mode, llama.cpp, Ollama) by base URL.
 *
 * Rules that hold for every function below:
 *   - Any pointer argument may be NULL: the function then reports an error (or does nothing, for
 *     the _free functions). Nothing in this library aborts the process on bad input.
 *   - Strings passed in are NUL-terminated UTF-8, borrowed for the duration of the call only.
 *     Invalid UTF-8 is an error.
 *   - Strings returned are owned by the object that returned them and stay valid until that object
 *     is freed. They are never NULL: "" stands for "none".
 *   - Calls block the calling thread and run their callbacks on it, except the non-blocking calls
 *     (qwen3vl_call_start and its events), which never block and never call back (but for the
 *     log function of qwen3vl_client_set_log).
 *   - A client may be used by many threads at once. A result belongs to one thread at a time.
 *   - Nothing is printed, no signal handler is installed. libcurl is initialised once, thread-safely,
 *     by the library itself (OpenSSL without its exit-time cleanup when the library is the first to
 *     initialise it).
 *   - fork(): a client inherited by a child process may be used there. The child never touches the
 *     parent's pooled connections (they are left alone, neither used nor closed, so the parent's TLS
 *     sessions are undisturbed) and opens its own; both processes may go on calling at once.
 *   - exit() while other threads are inside calls is safe: the library's exit handler (atexit,
 *     registered at the first qwen3vl_client_new, so it runs before OpenSSL's own) cancels the calls
 *     in flight, refuses new ones, waits up to 250 ms for them to leave libcurl, and leaves TLS
 *     connections unclosed from then on.
 *
 * Typical use:
 *
 *     qwen3vl_client *c = qwen3vl_client_new(NULL, err, sizeof err);   // key from AIML_API_KEY
 *     qwen3vl_result *r = qwen3vl_chat(c,
 *         "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
 *     if (qwen3vl_result_status(r) == QWEN3VL_OK) puts(qwen3vl_result_text(r));
 *     else fprintf(stderr, "%s\n", qwen3vl_result_error(r));
 *     qwen3vl_result_free(r);
 *     qwen3vl_client_free(c);
 */
#ifndef QWEN3VL_H
#define QWEN3VL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header and of the library built with it, the one place it is written: the
   library takes it from here, and every copy elsewhere (package metadata, bindings) is tested
   against it. Compare QWEN3VL_VERSION_NUMBER, known when compiling, with qwen3vl_version_number(),
   the library's at run time, as with zstd and SQLite. */
#define QWEN3VL_VERSION_MAJOR 0
#define QWEN3VL_VERSION_MINOR 1
#define QWEN3VL_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH: 100 for 0.1.0, 10203 for 1.2.3. */
#define QWEN3VL_VERSION_NUMBER (QWEN3VL_VERSION_MAJOR * 10000 + QWEN3VL_VERSION_MINOR * 100 + QWEN3VL_VERSION_PATCH)
#define QWEN3VL_QUOTE_(x) #x
#define QWEN3VL_QUOTE(x) QWEN3VL_QUOTE_(x)
/* "0.1.0" */
#define QWEN3VL_VERSION_STRING QWEN3VL_QUOTE(QWEN3VL_VERSION_MAJOR.QWEN3VL_VERSION_MINOR.QWEN3VL_VERSION_PATCH)

/* ---- Status codes ------------------------------------------------------------------------ */

#define QWEN3VL_OK                   0  /* success */
#define QWEN3VL_ERR_INVALID_ARGUMENT 1  /* NULL handle or argument; unknown or ill-typed option */
#define QWEN3VL_ERR_INVALID_REQUEST  2  /* request JSON unparsable or invalid; message names the JSON path */
#define QWEN3VL_ERR_FILE             3  /* a local image or video unreadable, too large or of no known type */
#define QWEN3VL_ERR_CONNECT          4  /* DNS, TCP, TLS handshake or certificate failure; connection lost before a reply */
#define QWEN3VL_ERR_TIMEOUT          5  /* connect, total (timeout_ms) or idle (idle_timeout_ms) timeout */
#define QWEN3VL_ERR_AUTH             6  /* HTTP 401 or 403 */
#define QWEN3VL_ERR_RATE_LIMIT       7  /* HTTP 429, after the retries */
#define QWEN3VL_ERR_BAD_REQUEST      8  /* any other HTTP 4xx */
#define QWEN3VL_ERR_SERVER           9  /* HTTP 5xx, after the retries */
#define QWEN3VL_ERR_PROTOCOL        10  /* reply not as the protocol promises: bad JSON, wrong shape, cut short */
#define QWEN3VL_ERR_TOO_LARGE       11  /* reply larger than max_response_bytes */
#define QWEN3VL_ERR_CANCELLED       12  /* stream callback returned non-zero, or cancelled from another thread */
#define QWEN3VL_ERR_INTERNAL        13  /* out of memory, or a bug */

/* Every status above, in order of value (0, 1, 2, ...), for code that wants a table of them, as
 * libuv's UV_ERRNO_MAP: X(name) for each, where QWEN3VL_##name is its value and "QWEN3VL_" #name
 * the name qwen3vl_status_name gives. For example:
 *
 *     #define CASE(name) case QWEN3VL_##name: return MY_##name;
 *     switch (status) { QWEN3VL_STATUS_MAP(CASE) }
 */
#define QWEN3VL_STATUS_MAP(X) \
    X(OK)                     \
    X(ERR_INVALID_ARGUMENT)   \
    X(ERR_INVALID_REQUEST)    \
    X(ERR_FILE)               \
    X(ERR_CONNECT)            \
    X(ERR_TIMEOUT)            \
    X(ERR_AUTH)               \
    X(ERR_RATE_LIMIT)         \
    X(ERR_BAD_REQUEST)        \
    X(ERR_SERVER)             \
    X(ERR_PROTOCOL)           \
    X(ERR_TOO_LARGE)          \
    X(ERR_CANCELLED)          \
    X(ERR_INTERNAL)

/* Token kinds for qwen3vl_result_tokens. */
#define QWEN3VL_TOKENS_PROMPT     0
#define QWEN3VL_TOKENS_COMPLETION 1
#define QWEN3VL_TOKENS_TOTAL      2

/* The library's version, "0.1.0" (its QWEN3VL_VERSION_STRING), which may differ from the header's
   a program was compiled with. Static storage; thread-safe. */
const char *qwen3vl_version(void);

/* The library's QWEN3VL_VERSION_NUMBER, to compare at run time with the QWEN3VL_VERSION_NUMBER a
   program was compiled with. Thread-safe. */
int qwen3vl_version_number(void);

/* The name of a status code, e.g. "QWEN3VL_ERR_TIMEOUT"; unknown codes give "QWEN3VL_ERR_UNKNOWN".
   Static storage; thread-safe. */
const char *qwen3vl_status_name(int status);

/* ---- Clients ----------------------------------------------------------------------------- */

typedef struct qwen3vl_client qwen3vl_client;
typedef struct qwen3vl_result qwen3vl_result;

/* Creates a client. options_json is NULL or a JSON object; every key is optional:
 *
 *   api_key             string  env AIML_API_KEY, then AIMLAPI_API_KEY; sent as "Authorization: Bearer".
 *                               Never logged, never part of an error message. Without any key no
 *                               Authorization header is sent (for local servers).
 *   base_url            string  env AIML_API_BASE, then AIMLAPI_API_BASE, then https://api.aimlapi.com/v1;
 *                               "/chat/completions" is appended. http:// or https:// only.
 *   model               string  "alibaba/qwen3-vl-32b-instruct"; used when a request names none.
 *   timeout_ms          integer 600000; the whole call, retries and their waits included (>= 1).
 *   connect_timeout_ms  integer 5000; each connection attempt (>= 1).
 *   idle_timeout_ms     integer 60000; longest time without progress in either direction (0 = no
 *                               limit): reply bytes arriving, or request bytes going out, counted
 *                               until the server has acknowledged them (so a large image on a slow
 *                               uplink is not silence). A plain call starts counting once its upload
 *                               or its reply has begun (a model may think for minutes); a stream
 *                               from the start of the attempt.
 *   max_retries         integer 2; retries after connect errors, HTTP 408, 409, 429 and 5xx (0..100).
 *                               Backoff 0.5 s * 2^n capped at 8 s with jitter; a server's
 *                               retry-after-ms / Retry-After is honoured when it is at most 60 s.
 *   max_connections     integer 64; most connections the non-blocking calls open to the server at
 *                               once (1..100000). Over HTTP/2 (offered over TLS, taken when the
 *                               server agrees) up to 100 calls share one connection; over HTTP/1.1
 *                               further calls wait for a free connection (that wait counts towards
 *                               timeout_ms, not idle_timeout_ms).
 *   max_response_bytes  integer 64 MiB; a larger reply fails with QWEN3VL_ERR_TOO_LARGE, checked
 *                               while it arrives (>= 1).
 *   headers             object  {}; extra request headers, name -> string value. Names must be HTTP
 *                               tokens; values must not contain CR or LF.
 *   allow_insecure_http boolean false; plain http:// is refused unless the host is loopback
 *                               (localhost, 127.0.0.0/8, [::1]) or this is true.
 *   insecure_skip_verify boolean false; turns off TLS certificate and host-name checks (tests only).
 *   ca_file, ca_path    string  a CA bundle file / directory to verify servers with.
 *   proxy               string  a proxy URL; without it libcurl's proxy environment variables apply
 *                               (http_proxy, https_proxy, no_proxy, ...).
 *   (media options: see "Images and videos" below)
 *
 * Security policy: TLS verification is on unless insecure_skip_verify says otherwise; the key goes
 * as libcurl credentials, so a redirect to another host never carries it; an https:// base URL
 * never follows a redirect to plain http; the key never appears in error messages or logs, and the
 * library's own copy is wiped from memory when the client is freed.
 *
 * An unknown key, or a value of the wrong type or range, fails with a message naming the key.
 * On failure returns NULL and, when errbuf is not NULL and errbuf_size > 0, writes a NUL-terminated
 * message of at most errbuf_size bytes (truncated on a UTF-8 boundary).
 * The client owns a pool of connections that are kept alive and reused between calls.
 * Thread-safety: the returned client may be used by any number of threads at once. */
qwen3vl_client *qwen3vl_client_new(const char *options_json, char *errbuf, size_t errbuf_size);

/* Frees a client and closes its connections. NULL is a no-op.
   Calls still in flight on other threads (as when a garbage-collected host frees a client that
   is busy) are cancelled: they return QWEN3VL_ERR_CANCELLED within about 100 ms, and the client's
   memory is released when the last of them returns, as sqlite3_close_v2 does. Once this returns,
   the client's log function is never called again (it waits for lines in progress on other
   threads), so its user_data may be freed. Starting a new call on a client after freeing it is a
   use-after-free, as with any freed pointer. */
void qwen3vl_client_free(qwen3vl_client *client);

/* Log levels for qwen3vl_client_set_log. */
#define QWEN3VL_LOG_ERROR   0  /* a call failed */
#define QWEN3VL_LOG_WARNING 1  /* an attempt failed and is retried */
#define QWEN3VL_LOG_INFO    2  /* each attempt's HTTP status and time */
#define QWEN3VL_LOG_DEBUG   3  /* each request with its headers (Authorization redacted); each image resized */

/* Receives one log line; message is valid only during the call. */
typedef void (*qwen3vl_log_fn)(int level, const char *message, void *user_data);

/* Sends the client's log lines of max_level and more severe to fn (NULL: no logging, the default).
   fn runs on the thread of the call the line is about (for non-blocking calls, one of the client's
   threads; but a call that qwen3vl_call_start fails at once, such as a request under 64 KiB that
   is invalid or bad call options, logs its error line on the caller's thread, inside
   qwen3vl_call_start), possibly on several threads at once, so it must be thread-safe. May be
   called at any time from any thread, also from inside fn. Once it returns, the previous function
   is never called again: it waits until no other thread is inside it, so the old user_data may
   then be freed (and so it must not be called while holding a lock that the old fn takes). The API
   key, and a password in base_url, never appear. */
void qwen3vl_client_set_log(qwen3vl_client *client, qwen3vl_log_fn fn, int max_level, void *user_data);

/* Cancels every call in flight on this client, from any thread; each returns QWEN3VL_ERR_CANCELLED
   within about 100 ms with whatever text it had received. Cancellation is checked between events,
   not only between reads: once a call has seen it, no further on_delta starts, even for chunks that
   had already arrived. Calls started afterwards are not
   affected (use a qwen3vl_cancel token to stop one particular call). NULL is a no-op. */
void qwen3vl_client_cancel_all(qwen3vl_client *client);

/* ---- Chat -------------------------------------------------------------------------------- */

/* Sends a chat-completions request and waits for the whole reply.
 *
 * request_json is an OpenAI chat-completions request body. "model" may be left out (the client's
 * default is used). The request is parsed and checked before anything is sent: "messages" must be a
 * non-empty array of messages with a known role and a string or array-of-parts content, and known
 * parameters must have the right type and range; the error message then names the JSON path, such as
 * messages[1].content[0].image_url.url. Keys the library does not know are passed through untouched.
 * "stream": true is refused here; use qwen3vl_chat_stream.
 *
 * Failed attempts are retried as max_retries says; the whole call is bounded by timeout_ms.
 * Returns a result that the caller frees with qwen3vl_result_free, never NULL (NULL only if memory
 * for the result itself ran out). Check qwen3vl_result_status.
 * Thread-safety: any number of threads may call this on one client at once; each call uses its own
 * connection from the client's pool. */
qwen3vl_result *qwen3vl_chat(qwen3vl_client *client, const char *request_json);

/* Receives one piece of a streamed reply. text is the content delta (text_len bytes plus a NUL;
   "" for chunks without content) and chunk_json the raw chunk; both are valid only during the
   callback. Return 0 to go on, non-zero to stop. */
typedef int (*qwen3vl_delta_fn)(const char *text, size_t text_len, const char *chunk_json, void *user_data);

/* Streams the reply (server-sent events), calling on_delta on the calling thread for every chunk as
 * it arrives. "stream": true and "stream_options": {"include_usage": true} are added to the request
 * unless it says otherwise. Non-zero from on_delta stops the call: it returns QWEN3VL_ERR_CANCELLED
 * with the text so far. The returned result holds the whole reply assembled as if it had not been
 * streamed: text, finish reason, tool calls, usage, and a chat.completion in qwen3vl_result_json.
 *
 * The stream is complete when [DONE] arrives (any data starting with "[DONE]", as openai-python
 * reads it), or when a finish_reason has arrived and the connection
 * then ends cleanly. A stream cut before that is QWEN3VL_ERR_PROTOCOL; an error event or error object
 * in the stream is QWEN3VL_ERR_PROTOCOL with the server's message; in both cases the text received
 * so far stays in the result. Failed attempts are retried only before the first chunk reached
 * on_delta, so no delta is ever delivered twice. idle_timeout_ms bounds the silence between bytes
 * (from the start of the attempt); timeout_ms bounds the whole call. on_delta must not be NULL.
 * A server that answers with a plain chat.completion instead of a stream is accepted: on_delta then
 * gets its whole text as one chunk. Text may contain NUL bytes ("\u0000" is valid JSON): on_delta's
 * text_len and qwen3vl_result_text_len count them. */
qwen3vl_result *qwen3vl_chat_stream(qwen3vl_client *client, const char *request_json,
                                    qwen3vl_delta_fn on_delta, void *user_data);

/* ---- Cancellation ------------------------------------------------------------------------ */

/* A one-shot switch that another thread flips to stop the calls it was given to, e.g. a GUI's
 * "Stop" button or a Python generator that the caller abandoned. One token may serve many calls,
 * at once or one after another; once triggered it stays triggered, and a call started with a
 * triggered token returns QWEN3VL_ERR_CANCELLED at once. All functions are thread-safe.
 * A token in use by a call may be freed: the call keeps it alive until it returns. */
typedef struct qwen3vl_cancel qwen3vl_cancel;

/* A new, untriggered token; NULL only if memory ran out. Free with qwen3vl_cancel_free. */
qwen3vl_cancel *qwen3vl_cancel_new(void);
/* Triggers the token: every call using it returns QWEN3VL_ERR_CANCELLED within about 100 ms,
   keeping what it had received; no on_delta starts after the call has seen it. NULL is a no-op. */
void qwen3vl_cancel_trigger(qwen3vl_cancel *cancel);
/* 1 once triggered, else 0 (also for NULL). */
int  qwen3vl_cancel_is_triggered(const qwen3vl_cancel *cancel);
void qwen3vl_cancel_free(qwen3vl_cancel *cancel);
/* Makes the token also fire when fd turns readable, for hosts that learn of a cancellation through
 * a descriptor: a signal handler's self-pipe (Python's signal.set_wakeup_fd), an eventfd, a pipe
 * from a GUI thread. A blocking call given the token (qwen3vl_chat_v2 and the *_cancellable calls)
 * waits on fd beside its transfer and its waits before a retry; once fd is readable (or hung up,
 * or closed) the token is triggered and the call returns QWEN3VL_ERR_CANCELLED at once, as with
 * qwen3vl_cancel_trigger. A call started while fd is readable returns it without sending anything.
 * The library only polls fd, never reads, writes or closes it: draining it is the host's job, and
 * so is keeping it open while calls watch it. fd -1 stops watching. Calls started after this
 * returns watch the new fd; calls already running keep the one they started with. Non-blocking
 * calls (qwen3vl_call_start) take no token. Thread-safe. Returns QWEN3VL_OK, or
 * QWEN3VL_ERR_INVALID_ARGUMENT for a NULL cancel or an fd that is below -1 or not open, with the
 * message in errbuf as for the image helpers ("" on success; errbuf may be NULL). */
int  qwen3vl_cancel_watch_fd(qwen3vl_cancel *cancel, int fd, char *errbuf, size_t errbuf_size);

/* qwen3vl_chat and qwen3vl_chat_stream with a cancellation token; cancel may be NULL (no token). */
qwen3vl_result *qwen3vl_chat_cancellable(qwen3vl_client *client, const char *request_json,
                                         qwen3vl_cancel *cancel);
qwen3vl_result *qwen3vl_chat_stream_cancellable(qwen3vl_client *client, const char *request_json,
                                                qwen3vl_delta_fn on_delta, void *user_data,
                                                qwen3vl_cancel *cancel);

/* ---- Per-call options: the preferred blocking call ------------------------------------------ */

/* The blocking call every other one is a special case of; prefer it in new code.
 *
 * call_options_json is NULL or a JSON object overriding the client's options for this call only:
 *   stream           boolean  stream the reply; default: true when on_delta is given, else false
 *   timeout_ms       integer  as the client option, for this call
 *   idle_timeout_ms  integer  as the client option, for this call
 *   max_retries      integer  as the client option, for this call
 *   headers          object   extra request headers (after the client's), name -> string
 *   query            object   query parameters added to the URL, name -> string (percent-encoded here)
 *   resize           string   as the client option ("off", "model" or {"max_pixels": N}), for this call
 *   response_headers boolean  keep the reply's header lines for qwen3vl_result_headers (default false;
 *                             an HTTP error's are kept either way)
 * Unknown keys, wrong types and ranges give a QWEN3VL_ERR_INVALID_ARGUMENT result naming the key.
 * cancel may be NULL; on_delta may be NULL (no deltas; with "stream": true the reply is still
 * streamed and assembled). Otherwise as qwen3vl_chat_stream_cancellable: same result, same rules. */
qwen3vl_result *qwen3vl_chat_v2(qwen3vl_client *client, const char *request_json, const char *call_options_json,
                                qwen3vl_cancel *cancel, qwen3vl_delta_fn on_delta, void *user_data);

/* ---- Non-blocking calls ---------------------------------------------------------------------
 *
 * For hosts that must never block their loop thread (GUI toolkits, game engines, Node, Lua,
 * asyncio, a plugin inside someone else's event loop) and for batch work with many calls in flight.
 * Each client has one I/O thread, started by its first qwen3vl_call_start, that drives all of its
 * calls on one libcurl multi handle; retries, backoff, timeouts, idle limits, file inlining and
 * stream assembly behave exactly as in the blocking calls. A second thread of the client, started
 * by the first call that needs it, prepares the calls whose preparation takes long: requests of
 * 64 KiB and more, and those with images while "resize" is on. No callback ever runs on them:
 * the host takes the calls' events on its own thread, when the client's event descriptor says some
 * are waiting. A typical loop:
 *
 *     qwen3vl_call *call = qwen3vl_call_start(c, request_json, "{\"stream\": true}", my_data);
 *     struct pollfd p = {qwen3vl_client_event_fd(c), POLLIN, 0};
 *     for (int done = 0; !done; ) {
 *         poll(&p, 1, -1);                          // alongside the host's other descriptors
 *         qwen3vl_event *ev;
 *         while ((ev = qwen3vl_client_next_event(c, 0))) {
 *             if (qwen3vl_event_kind(ev) == QWEN3VL_EVENT_DELTA) {
 *                 size_t n; const char *t = qwen3vl_event_text(ev, &n); fwrite(t, 1, n, stdout);
 *             } else {                              // DONE: the result is ready
 *                 qwen3vl_result *r = qwen3vl_call_result(qwen3vl_event_call(ev));
 *                 printf("\n%s\n", qwen3vl_status_name(qwen3vl_result_status(r)));
 *                 done = 1;
 *             }
 *             qwen3vl_event_free(ev);
 *         }
 *     }
 *     qwen3vl_call_free(call);
 *
 * Backpressure: a call whose untaken events pass about 1 MiB is paused until the host takes them,
 * so a slow host costs bounded memory (and a paused call's idle limit does not run).
 * qwen3vl_client_free cancels what is in flight, joins the I/O thread and drops every waiting event:
 * no event is delivered after it returns. After fork(), a client used in the child starts its own
 * thread and connections there (and its event descriptor is a new one: ask for it again). */
typedef struct qwen3vl_call  qwen3vl_call;
typedef struct qwen3vl_event qwen3vl_event;

#define QWEN3VL_EVENT_DELTA 1   /* a streamed chunk of a call started with "stream": true */
#define QWEN3VL_EVENT_DONE  2   /* the call ended; its result is ready */

/* Starts a call and returns at once; the transfer runs on the client's I/O thread. A request under
   64 KiB is checked on the calling thread (microseconds); a larger one, or one with images while
   "resize" is on (decoding and encoding an image takes tens of milliseconds), is copied and
   prepared on the client's preparer thread. Never NULL unless client or request_json is NULL or
   memory ran out: an invalid request, bad call options, a missing file, an image that cannot be
   decoded or any other failure arrives as the call's DONE event with the result's status.
   qwen3vl_call_cancel stops a call under preparation before it is sent (CANCELLED).
   call_options_json: NULL or the object qwen3vl_chat_v2 takes ("stream" defaults to false here).
   user_data comes back on every event. Free the call with qwen3vl_call_free (any thread, once). */
qwen3vl_call  *qwen3vl_call_start(qwen3vl_client *client, const char *request_json,
                                  const char *call_options_json, void *user_data);

/* A descriptor that is readable while events wait (an eventfd). Never read or close it yourself;
   watch it with poll/epoll/libuv/asyncio/QSocketNotifier/g_unix_fd_add, and when it is readable take
   events with timeout 0 until none is left: it may be readable for a moment with none waiting (as
   when another thread took them), and a take that finds none makes it unreadable again. The same
   for the client's life (in one process). -1 if client is NULL or the descriptor cannot be made. */
int            qwen3vl_client_event_fd(qwen3vl_client *client);

/* Takes the next event of any call on this client, waiting up to timeout_ms (0: don't wait,
   -1: wait until one comes). NULL when none came. Events of one call come in order, DONE last.
   Any thread; each event is handed to one taker. Free it with qwen3vl_event_free. */
qwen3vl_event *qwen3vl_client_next_event(qwen3vl_client *client, int timeout_ms);

int            qwen3vl_event_kind(const qwen3vl_event *ev);       /* QWEN3VL_EVENT_*; 0 for NULL */
/* The call the event belongs to: the pointer qwen3vl_call_start returned (valid while the event is). */
qwen3vl_call  *qwen3vl_event_call(const qwen3vl_event *ev);
void          *qwen3vl_event_user_data(const qwen3vl_event *ev);
/* DELTA: the content delta ("" for chunks without content), its length in *len when len is not
   NULL (the text may contain NULs). DONE: "". Valid until the event is freed. */
const char    *qwen3vl_event_text(const qwen3vl_event *ev, size_t *len);
const char    *qwen3vl_event_chunk_json(const qwen3vl_event *ev);        /* DELTA: the raw chunk; "" for DONE */
void           qwen3vl_event_free(qwen3vl_event *ev);

/* Takes waiting events in one go, for hosts whose every call into the library is costly (an
   interpreter's foreign-function interface): as qwen3vl_client_next_event (waiting up to
   timeout_ms for the first), but every waiting event that fits in buf (cap bytes), in order, each
   as a record of native-endian fields: uint64 user_data, uint64 call (as qwen3vl_event_call; valid
   until the host frees the call), uint32 kind (QWEN3VL_EVENT_*), uint32 0, uint64 text_len, uint64
   chunk_len, then text_len bytes of text (qwen3vl_event_text) and chunk_len bytes of chunk JSON
   (qwen3vl_event_chunk_json), zero-padded to a multiple of 8 bytes. Returns the number of events
   taken and sets *used (when used is not NULL) to the bytes written. Returns 0 when none came, or
   when the first waiting event alone needs more than cap: then *used is its size and it stays
   waiting (take it with a larger buffer or with qwen3vl_client_next_event). Any thread; one
   taker at a time keeps a call's events in order. */
size_t         qwen3vl_client_take_events(qwen3vl_client *client, int timeout_ms, void *buf, size_t cap,
                                          size_t *used);

/* Cancels the call from any thread: it ends with QWEN3VL_ERR_CANCELLED (its DONE still comes,
   with the text so far); no DELTA is produced after the I/O thread has seen the cancel. */
void            qwen3vl_call_cancel(qwen3vl_call *call);
/* The call's result: NULL until its DONE event was taken; owned by the call (do not free it). */
qwen3vl_result *qwen3vl_call_result(qwen3vl_call *call);
/* Frees the call, cancelling it if it still runs; its events not yet taken are dropped (an event
   already taken stays valid until freed). Also fine after the client was freed. */
void            qwen3vl_call_free(qwen3vl_call *call);

/* ---- Results ----------------------------------------------------------------------------- */
/* Accessors accept NULL (giving QWEN3VL_ERR_INVALID_ARGUMENT, "", 0 or -1). Returned strings live
   as long as the result. */

int         qwen3vl_result_status(const qwen3vl_result *r);        /* QWEN3VL_OK or an error code */
const char *qwen3vl_result_error(const qwen3vl_result *r);         /* human-readable; "" when OK */
int         qwen3vl_result_http_status(const qwen3vl_result *r);   /* last HTTP status; 0 if none */
const char *qwen3vl_result_text(const qwen3vl_result *r);          /* assistant content; "" if none */
/* Length in bytes of qwen3vl_result_text. The text may itself contain NUL bytes (a reply may carry
   "\u0000", which is valid JSON and passed through as is): C code that must see all of it uses this
   length rather than strlen. qwen3vl_result_json keeps such NULs escaped, so it is always whole. */
size_t      qwen3vl_result_text_len(const qwen3vl_result *r);
const char *qwen3vl_result_finish_reason(const qwen3vl_result *r); /* "stop", "length", "tool_calls", ... */
const char *qwen3vl_result_json(const qwen3vl_result *r);          /* the whole chat.completion object; "" if none */
const char *qwen3vl_result_request_id(const qwen3vl_result *r);    /* x-inference-id / x-request-id header, else the reply's id */
int64_t     qwen3vl_result_tokens(const qwen3vl_result *r, int kind); /* QWEN3VL_TOKENS_*; -1 if unknown */
int         qwen3vl_result_attempts(const qwen3vl_result *r);      /* HTTP attempts made, retries included */
/* The reply's tool calls as a JSON array ("[{\"id\":..,\"type\":\"function\",\"function\":{..}}]"); "" if none. */
const char *qwen3vl_result_tool_calls_json(const qwen3vl_result *r);
/* Wall-clock time the call took, in milliseconds, retries and waits included. */
double      qwen3vl_result_elapsed_ms(const qwen3vl_result *r);
/* The last reply's header lines, "Name: value\n" each as received (no status line), when the
   reply was an HTTP error (4xx, 5xx) or the call asked with the call option "response_headers";
   "" otherwise. A secret the server echoed back is redacted, as in error messages. */
const char *qwen3vl_result_headers(const qwen3vl_result *r);
/* The body of the last reply when it was an HTTP error (4xx, 5xx), as received but with a secret
   the server echoed back redacted; its length in *len when len is not NULL. "" otherwise. */
const char *qwen3vl_result_error_body(const qwen3vl_result *r, size_t *len);
/* Frees a result and every string it returned. NULL is a no-op. */
void        qwen3vl_result_free(qwen3vl_result *r);

/* ---- Images and videos -------------------------------------------------------------------
 *
 * Local files need no extra call: in a request, an image_url.url (or video_url.url, or a frame of a
 * {"type": "video", "video": [...]} part) that is a file:// URL or a path without a scheme is read,
 * its type taken from its first bytes (JPEG, PNG, GIF, WEBP, BMP, TIFF, HEIC, AVIF; MP4, QuickTime,
 * WebM, Matroska, AVI for video_url), and sent as a base64 data: URI, encoded while the request is
 * sent so that no whole copy is held in memory. A file that is missing, unreadable, empty, damaged,
 * of no known type, or larger than max_image_bytes / max_video_bytes is QWEN3VL_ERR_FILE with the
 * JSON path and the file's path in the message; so is anything but a regular file (a directory, a
 * FIFO, a device), at once, without waiting for a writer. http(s):// URLs pass through; data: URIs are checked
 * to be well-formed base64 of a known type (else QWEN3VL_ERR_INVALID_REQUEST).
 *
 * Client options for media:
 *   max_image_bytes         integer 20 MiB; largest local image or frame.
 *   max_video_bytes         integer 256 MiB; largest local video.
 *   video_frames_as_images  boolean true; sends each frame list as successive image_url parts.
 *                           A frame list is Qwen's own form, not an OpenAI content part: servers
 *                           that do not know it (the AI/ML API, transformers serve) drop it
 *                           silently. false sends it as written, for servers that take it.
 *   resize                  string  "off"; "model" resizes each image part that is a local file or a
 *                           data: URI (JPEG, PNG or WEBP) before it is sent: decoded, turned upright
 *                           by its EXIF orientation and downscaled, with Pillow's bicubic filter, to
 *                           exactly the size Qwen3-VL's processor resizes it to under min_pixels and
 *                           max_pixels (so qwen3vl_image_tokens of the new size is that of the
 *                           original), then sent as a JPEG, or a PNG if it has alpha. An image the
 *                           processor would not shrink is sent untouched; none is scaled up.
 *                           {"max_pixels": N} (an object) does the same under a budget of N pixels,
 *                           for fewer tokens: the size sent is one the processor keeps as it is (its
 *                           qwen3vl_image_tokens are its pixels / 1024), with min_pixels to N pixels;
 *                           where smart_resize's rounding under N falls outside that, the sides are
 *                           the multiples of 32 in it nearest the original's aspect ratio. N under
 *                           min_pixels is QWEN3VL_ERR_INVALID_ARGUMENT (the model scales every image
 *                           up to min_pixels). http(s):// URLs are never touched. A damaged image is
 *                           QWEN3VL_ERR_FILE, as is a missing codec, loaded on first use and named
 *                           in the message (Debian: libjpeg62-turbo, libspng0, libwebp7 and
 *                           libwebpdemux2). Images over 178956970 pixels (Pillow's limit) are refused.
 *   min_pixels, max_pixels  integer 65536, 16777216; the pixel limits the model is served with (its
 *                           processor's shortest_edge and longest_edge), which resize follows.
 *   jpeg_quality            integer 90; the quality (1..100) of the JPEGs resize sends.
 *
 * The functions below are for hosts that hold images in memory, and for planning. None needs a
 * client; all are thread-safe. They share one convention:
 *   - Each returns QWEN3VL_OK or an error code: QWEN3VL_ERR_INVALID_ARGUMENT for a NULL, empty or
 *     out-of-range argument, QWEN3VL_ERR_FILE for bytes or a file that is no image of a known type
 *     (or whose header is damaged), QWEN3VL_ERR_INTERNAL when memory ran out. On failure a
 *     message is written into errbuf (when errbuf is not NULL and errbuf_size > 0: NUL-terminated,
 *     at most errbuf_size bytes, cut on a UTF-8 boundary); on success errbuf gets "".
 *   - Results come back through out-parameters, which are set on failure too (to NULL or 0).
 *     Text comes back as *out, a NUL-terminated string of *out_len bytes (the NUL not counted)
 *     that the caller owns and frees with qwen3vl_free. out must not be NULL; out_len and the
 *     other out-parameters may be NULL when their value is not wanted.
 *   - Every buffer comes with its length: bytes and text in as (pointer, length), text out as
 *     (out, out_len). Paths and keywords (path, detail) are NUL-terminated strings. */

/* Pixel layouts for qwen3vl_pixels_data_uri: 8 bits per channel. */
#define QWEN3VL_PIXELS_GRAY8 0
#define QWEN3VL_PIXELS_RGB8  1
#define QWEN3VL_PIXELS_RGBA8 2
#define QWEN3VL_PIXELS_BGRA8 3
#define QWEN3VL_PIXELS_BGR8  4

/* Frees a string this library handed over (data URIs, parts, grounding JSON). NULL is a no-op. */
void qwen3vl_free(void *p);

/* Encoded image bytes (PNG, JPEG, ... as in a file), len of them, as "data:image/png;base64,..."
   in *out, with the type taken from the bytes. */
int qwen3vl_image_data_uri(const void *bytes, size_t len, char **out, size_t *out_len,
                           char *errbuf, size_t errbuf_size);

/* The same as a ready content part, {"type":"image_url","image_url":{"url":"data:...","detail":...}},
   to put into a request's "content" array. detail is NULL or "auto", "low", "high". */
int qwen3vl_image_part_json(const void *bytes, size_t len, const char *detail, char **out, size_t *out_len,
                            char *errbuf, size_t errbuf_size);

/* Raw pixels (a decoded frame, a screenshot) as a PNG data URI in *out: width × height pixels of
   the given QWEN3VL_PIXELS_* format, rows stride bytes apart (stride >= width × bytes per pixel;
   0: rows packed, stride = width × bytes per pixel), read from the pixels_len bytes at pixels,
   which must hold stride × (height - 1) + width × bytes per pixel. */
int qwen3vl_pixels_data_uri(const void *pixels, size_t pixels_len, int width, int height, size_t stride,
                            int format, char **out, size_t *out_len, char *errbuf, size_t errbuf_size);

/* Width and height of an image file read from its header, without decoding it. A file that cannot
   be read is QWEN3VL_ERR_FILE, at once for anything but a regular file (a FIFO included). */
int qwen3vl_image_size(const char *path, int *width, int *height, char *errbuf, size_t errbuf_size);

/* The same for encoded image bytes in memory, len of them. */
int qwen3vl_image_size_from_bytes(const void *bytes, size_t len, int *width, int *height,
                                  char *errbuf, size_t errbuf_size);

/* Vision tokens Qwen3-VL spends on a width × height image, in *tokens, as the model's own processor
   counts them (transformers' smart_resize with Qwen3-VL's published settings, followed exactly):
   both sides rounded to multiples of 32 px (halves to even), the image scaled to keep its pixel
   count within [min_pixels, max_pixels], one token per 32 × 32 block. 0 for min_pixels or
   max_pixels means the model's own limits, 65536 (64·32·32) and 16777216 (16384·32·32);
   qwen-vl-utils uses a minimum of 4096. A side of 16 px or less rounds to 0 and the image is then
   scaled up to min_pixels, as in transformers (3000 × 15 is 114 tokens). QWEN3VL_ERR_INVALID_ARGUMENT
   for sizes the model refuses (not positive, aspect ratio over 200, where transformers raises an
   error) and limits that make no sense (negative, or min_pixels over max_pixels). */
int qwen3vl_image_tokens(int width, int height, int64_t min_pixels, int64_t max_pixels, int64_t *tokens,
                         char *errbuf, size_t errbuf_size);

/* Boxes and points from a grounding answer, text_len bytes of UTF-8 at text (as
 * qwen3vl_result_text and qwen3vl_result_text_len give it): finds the bbox_2d / point_2d objects
 * (bare JSON, a ```json fence, or JSON amid prose; in an answer cut short, the objects completed
 * before the cut), and maps Qwen3-VL's 0-1000 relative coordinates to pixels of a width × height
 * image as Qwen's own cookbooks do, int(v / 1000 * size): in floating point, truncated (not
 * rounded), then clamped to the image. *out gets a JSON array of the objects as the model wrote
 * them with bbox_2d ([x1, y1, x2, y2], x1 <= x2, y1 <= y2) and point_2d ([x, y]) in pixels, e.g.
 * [{"bbox_2d":[77,28,243,384],"label":"cat"}]; "[]" when there are none. Time grows in proportion
 * to the text's length, whatever the text holds. */
int qwen3vl_grounding_parse(const char *text, size_t text_len, int width, int height, char **out, size_t *out_len,
                            char *errbuf, size_t errbuf_size);

#ifdef __cplusplus
}
#endif

#endif /* QWEN3VL_H */
