/* Typed, non-variadic doors into libcurl and jansson for Swift, which cannot call C varargs
 * functions or C function-like macros. Internal to libqwen3vl: the linker version script keeps
 * every q3v_* symbol out of the shared library's exports. */
#ifndef QWEN3VL_SHIMS_H
#define QWEN3VL_SHIMS_H

#include <stddef.h>
#include <curl/curl.h>
#include <jansson.h>

/* ---- libcurl ---- */

/* curl_global_init exactly once per process, whatever thread gets here first. Returns a CURLcode. */
int q3v_curl_global_init(void);

/* atexit(fn): from a shared library it also runs at dlclose. */
void q3v_on_exit(void (*fn)(void));

/* For the library's own thread: every signal blocked, so that the host's signals go to its own
 * threads (and SIGPIPE from a dead peer never reaches the process through ours). */
void q3v_block_signals(void);

/* getpid(), without a system call: cached, and renewed in the child of every fork(). */
int q3v_getpid(void);

/* memmem(3): where needle first occurs in haystack, or NULL. */
const void *q3v_memmem(const void *haystack, size_t len, const void *needle, size_t needle_len);

/* The event descriptor of a client: an eventfd that is readable while its counter is not zero. */
int q3v_eventfd(void);
void q3v_eventfd_signal(int fd);
void q3v_eventfd_drain(int fd);
/* Waits until fd is readable or timeout_ms (-1: no limit) has passed; returns early on a signal. */
void q3v_wait_readable(int fd, int timeout_ms);

CURLcode q3v_easy_setopt_long(CURL *h, CURLoption opt, long value);
CURLcode q3v_easy_setopt_off(CURL *h, CURLoption opt, curl_off_t value);
CURLMcode q3v_multi_setopt_long(CURLM *m, CURLMoption opt, long value);
CURLcode q3v_easy_setopt_ptr(CURL *h, CURLoption opt, const void *value);

typedef size_t (*q3v_data_fn)(char *data, size_t size, size_t nmemb, void *user);
typedef int (*q3v_xfer_fn)(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
/* Installs the body and header sinks (and their user pointer) in one go. */
CURLcode q3v_easy_set_sinks(CURL *h, q3v_data_fn on_body, q3v_data_fn on_header, void *user);
/* Installs a reader for the request body (READFUNCTION, READDATA) and a seeker that can go back
 * to the start (SEEKFUNCTION, SEEKDATA), which libcurl needs to resend a body. */
typedef int (*q3v_seek_fn)(void *user, curl_off_t offset, int origin);
enum q3v_seek_result { Q3V_SEEK_OK = CURL_SEEKFUNC_OK, Q3V_SEEK_CANTSEEK = CURL_SEEKFUNC_CANTSEEK };
CURLcode q3v_easy_set_reader(CURL *h, q3v_data_fn on_read, q3v_seek_fn on_seek, void *user);

/* Authorization as bearer credentials, which libcurl never sends to another host on a redirect. */
/* list with "Authorization: Bearer <token>" appended (NULL when memory ran out; list is kept),
 * formatted here so that the key never passes through a Swift string; a list that may hold it is
 * freed with q3v_slist_free_wiped, which clears every line first. The header goes in the fixed
 * list instead of CURLOPT_XOAUTH2_BEARER, which libcurl formats anew for every request; libcurl
 * drops a given Authorization header on a redirect to another host as it does its own. */
struct curl_slist *q3v_slist_append_bearer(struct curl_slist *list, const char *token);
void q3v_slist_free_wiped(struct curl_slist *list);
/* The Accept-Encoding value CURLOPT_ACCEPT_ENCODING "" would send, for the fixed header list
 * (libcurl formats its own anew for every request; with the option still set, it decodes). */
const char *q3v_accept_encoding(void);
/* Follow up to max_redirects redirects over http(s) only (https only when https_only), keeping
 * POST as POST. */
CURLcode q3v_easy_set_redirects(CURL *h, long max_redirects, int https_only);
/* "7.88.1": the libcurl this process runs with. */
const char *q3v_curl_version(void);

CURLcode q3v_easy_getinfo_off(CURL *h, CURLINFO info, curl_off_t *out);
/* The sockets of an easy handle (or of all the handles of one multi handle), followed through
 * libcurl's open and close callbacks. Freed only after the easy and multi handles, whose cleanup
 * still closes sockets through it. */
typedef struct q3v_sockets q3v_sockets;
q3v_sockets *q3v_sockets_new(void);
void q3v_sockets_free(q3v_sockets *s);
CURLcode q3v_easy_track_sockets(CURL *h, q3v_sockets *s);
/* Bytes sent on those sockets that the peer has not yet acknowledged (SIOCOUTQ). A request body
 * sits in the kernel's buffers long after libcurl handed it over; while this number falls, the
 * upload is still making progress. */
long q3v_sockets_unacked(const q3v_sockets *s);

/* A share handle for DNS and TLS sessions, with its own pthread locks so that many easy handles on
 * many threads may use it at once. Connections are deliberately not shared (libcurl documents the
 * shared connection cache as unsafe across concurrent threads). */
typedef struct q3v_share q3v_share;
q3v_share *q3v_share_new(void);
CURLSH *q3v_share_handle(q3v_share *s);
void q3v_share_free(q3v_share *s);

/* SIGPIPE guard for the calling thread, for the libcurl builds that need one. A peer that resets a
 * TLS connection makes the TLS library write to a dead socket (close-notify when the connection is
 * closed, say), and CURLOPT_NOSIGNAL means libcurl will not touch signal dispositions for us, which
 * we must not do either in someone else's process. libcurl 7.88 and later on OpenSSL write through
 * their own BIO with send(MSG_NOSIGNAL), so no SIGPIPE can come from them; with anything else, block
 * SIGPIPE in this thread while libcurl runs, and swallow any SIGPIPE that our own writes left
 * pending. Which build this is is decided once per process. */
typedef struct { int active; int was_blocked; int was_pending; } q3v_sigpipe_state;
/* Holds SIGPIPE (q3v_sigpipe_hold) if the running libcurl needs it; q3v_sigpipe_release after. */
void q3v_sigpipe_guard(q3v_sigpipe_state *st);
void q3v_sigpipe_release(const q3v_sigpipe_state *st);
/* Whether a libcurl of this version (curl_version_info's version_num) and TLS library (its
 * ssl_version, NULL for none) needs the guard: the rule q3v_sigpipe_guard applies. */
int q3v_sigpipe_guard_needed(unsigned int version_num, const char *ssl_version);
/* The guard itself, whatever the build: SIGPIPE blocked in this thread until q3v_sigpipe_release. */
void q3v_sigpipe_hold(q3v_sigpipe_state *st);
/* curl_multi_cleanup under the guard: it closes the cached connections, TLS ones with a write. */
void q3v_multi_cleanup(CURLM *m);

/* ---- the processor (cpu_features.c) ---- */

/* Whether this CPU (and OS) runs AVX2; decided once; 0 elsewhere than x86-64. */
int q3v_cpu_has_avx2(void);

/* ---- base64 (base64_avx2.c) ---- */

/* Encodes a whole number of 24-byte blocks from the start of in (n bytes) into out, leaving at
 * least 4 bytes of in unread; returns how many bytes of in it encoded (0 when n < 28), having
 * written 4/3 as many characters. Only where q3v_cpu_has_avx2(). */
size_t q3v_base64_encode_avx2(const unsigned char *in, size_t n, char *out);

/* ---- qwen3vl.h: its facts for Swift, which cannot expand its function-like macros ---- */

/* QWEN3VL_VERSION_STRING and QWEN3VL_VERSION_NUMBER. */
const char *q3v_version_string(void);
int q3v_version_number(void);
/* "QWEN3VL_" #name of the status whose value is status (QWEN3VL_STATUS_MAP); "QWEN3VL_ERR_UNKNOWN"
 * for no status. */
const char *q3v_status_name(int status);

/* ---- jansson ---- */
void q3v_json_decref(json_t *j);
json_t *q3v_json_incref(json_t *j);
int q3v_json_typeof(const json_t *j);   /* json_type, or -1 for NULL */

#endif

