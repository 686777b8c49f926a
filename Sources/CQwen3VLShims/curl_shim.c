/* libcurl doors for the Swift core: see qwen3vl_shims.h for why they exist. */
#define _GNU_SOURCE
#include "qwen3vl_shims.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

/* OpenSSL registers an atexit handler that tears its state down while other threads may still be
 * in a handshake (a host's daemon threads at exit): a crash in someone else's exit(). Initialising
 * it first with OPENSSL_INIT_NO_ATEXIT leaves its state to the end of the process instead. The
 * library is already loaded (libcurl needs it), so it is looked up rather than linked: nothing is
 * added to our run-time dependencies, and other TLS backends are left alone. Too late, and then
 * harmless, if the host has initialised OpenSSL itself. */
static void openssl_without_atexit(void) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (!v || !v->ssl_version || strncmp(v->ssl_version, "OpenSSL/", 8) != 0) return;
    static const char *const names[] = {"libcrypto.so.3", "libcrypto.so.1.1"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *lib = dlopen(names[i], RTLD_LAZY | RTLD_NOLOAD);
        if (!lib) continue;
        int (*init)(uint64_t, const void *) = (int (*)(uint64_t, const void *))dlsym(lib, "OPENSSL_init_crypto");
        if (init) init(0x00080000L /* OPENSSL_INIT_NO_ATEXIT */, NULL);
        dlclose(lib);
        return;
    }
}

static void global_init_once(void) {
    openssl_without_atexit();
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int q3v_curl_global_init(void) {
    pthread_once(&global_once, global_init_once);
    return (int)global_rc;
}

void q3v_on_exit(void (*fn)(void)) { atexit(fn); }

void q3v_block_signals(void) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
}

int q3v_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

void q3v_eventfd_signal(int fd) {
    uint64_t one = 1;
    while (write(fd, &one, sizeof one) < 0 && errno == EINTR) {}
}

void q3v_eventfd_drain(int fd) {
    uint64_t n;
    while (read(fd, &n, sizeof n) < 0 && errno == EINTR) {}
}

void q3v_wait_readable(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    (void)poll(&p, 1, timeout_ms);
}

CURLcode q3v_easy_setopt_long(CURL *h, CURLoption opt, long value) { return curl_easy_setopt(h, opt, value); }
CURLcode q3v_easy_setopt_off(CURL *h, CURLoption opt, curl_off_t value) { return curl_easy_setopt(h, opt, value); }
CURLMcode q3v_multi_setopt_long(CURLM *m, CURLMoption opt, long value) { return curl_multi_setopt(m, opt, value); }
CURLcode q3v_easy_setopt_ptr(CURL *h, CURLoption opt, const void *value) { return curl_easy_setopt(h, opt, value); }

CURLcode q3v_easy_set_sinks(CURL *h, q3v_data_fn on_body, q3v_data_fn on_header, void *user) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_WRITEDATA, user);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_HEADERDATA, user);
    return rc;
}

CURLcode q3v_easy_set_reader(CURL *h, q3v_data_fn on_read, q3v_seek_fn on_seek, void *user) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_READDATA, user);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_SEEKDATA, user);
    return rc;
}

struct curl_slist *q3v_slist_append_bearer(struct curl_slist *list, const char *token) {
    static const char prefix[] = "Authorization: Bearer ";
    size_t n = strlen(token);
    if (n > SIZE_MAX - sizeof prefix) return NULL;
    char *line = malloc(sizeof prefix + n);
    if (!line) return NULL;
    memcpy(line, prefix, sizeof prefix - 1);
    memcpy(line + sizeof prefix - 1, token, n + 1);
    struct curl_slist *grown = curl_slist_append(list, line);
    explicit_bzero(line, sizeof prefix + n);
    free(line);
    return grown;
}

void q3v_slist_free_wiped(struct curl_slist *list) {
    for (struct curl_slist *l = list; l; l = l->next) {
        if (l->data) explicit_bzero(l->data, strlen(l->data));
    }
    curl_slist_free_all(list);
}

const char *q3v_accept_encoding(void) {
    /* What CURLOPT_ACCEPT_ENCODING "" would send (every decoder this libcurl has, in its order). */
    static const char *const by_decoders[8] = {
        "", "deflate, gzip", "br", "deflate, gzip, br", "zstd", "deflate, gzip, zstd", "br, zstd",
        "deflate, gzip, br, zstd",
    };
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (!v) return "";
    int i = (v->libz_version ? 1 : 0) | ((v->features & CURL_VERSION_BROTLI) ? 2 : 0) |
            ((v->features & CURL_VERSION_ZSTD) ? 4 : 0);
    return by_decoders[i];
}

CURLcode q3v_easy_set_redirects(CURL *h, long max_redirects, int https_only) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_MAXREDIRS, max_redirects);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https_only ? "https" : "http,https");
    return rc;
}

const char *q3v_curl_version(void) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return v && v->version ? v->version : "unknown";
}

CURLcode q3v_easy_getinfo_off(CURL *h, CURLINFO info, curl_off_t *out) { return curl_easy_getinfo(h, info, out); }

/* A growable set: one handle's sockets, or (for the non-blocking engine, whose connections move
 * between easy handles through the multi handle's cache) every socket of one multi handle. */
struct q3v_sockets {
    int n, cap;
    curl_socket_t *fds;
};

q3v_sockets *q3v_sockets_new(void) { return calloc(1, sizeof(q3v_sockets)); }
void q3v_sockets_free(q3v_sockets *s) {
    if (s) free(s->fds);
    free(s);
}

static int socket_opened(void *user, curl_socket_t fd, curlsocktype purpose) {
    q3v_sockets *s = user;
    if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKOPT_OK;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        curl_socket_t *grown = cap > 0 ? realloc(s->fds, (size_t)cap * sizeof *grown) : NULL;
        if (!grown) return CURL_SOCKOPT_OK; /* untracked: its upload progress is libcurl's count only */
        s->fds = grown;
        s->cap = cap;
    }
    s->fds[s->n++] = fd;
    return CURL_SOCKOPT_OK;
}

static int socket_closing(void *user, curl_socket_t fd) {
    q3v_sockets *s = user;
    for (int i = 0; i < s->n; i++) {
        if (s->fds[i] == fd) { s->fds[i] = s->fds[--s->n]; break; }
    }
    return close(fd);
}

CURLcode q3v_easy_track_sockets(CURL *h, q3v_sockets *s) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, socket_opened);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, s);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, socket_closing);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, s);
    return rc;
}

long q3v_sockets_unacked(const q3v_sockets *s) {
    long total = 0;
    for (int i = 0; s && i < s->n; i++) {
        int queued = 0;
        if (ioctl(s->fds[i], SIOCOUTQ, &queued) == 0 && queued > 0) total += queued;
    }
    return total;
}

struct q3v_share {
    CURLSH *sh;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user) {
    (void)h; (void)access;
    struct q3v_share *s = user;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST) pthread_mutex_lock(&s->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user) {
    (void)h;
    struct q3v_share *s = user;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST) pthread_mutex_unlock(&s->locks[data]);
}

q3v_share *q3v_share_new(void) {
    struct q3v_share *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&s->locks[i], NULL);
    s->sh = curl_share_init();
    if (!s->sh ||
        curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        curl_share_setopt(s->sh, CURLSHOPT_USERDATA, s) != CURLSHE_OK ||
        curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
        curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        q3v_share_free(s);
        return NULL;
    }
    return s;
}

CURLSH *q3v_share_handle(q3v_share *s) { return s ? s->sh : NULL; }

void q3v_share_free(q3v_share *s) {
    if (!s) return;
    if (s->sh) curl_share_cleanup(s->sh);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&s->locks[i]);
    free(s);
}

int q3v_sigpipe_guard_needed(unsigned int version_num, const char *ssl_version) {
    if (!ssl_version || !*ssl_version) return 0; /* no TLS: libcurl's own send() passes MSG_NOSIGNAL */
    return version_num < 0x075800 || strncmp(ssl_version, "OpenSSL/", 8) != 0;
}

static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;
static int sigpipe_guard;

static void sigpipe_decide(void) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    sigpipe_guard = !v || q3v_sigpipe_guard_needed(v->version_num, v->ssl_version);
}

void q3v_sigpipe_hold(q3v_sigpipe_state *st) {
    sigset_t pipe, old, pending;
    st->active = 0;
    st->was_blocked = 0;
    st->was_pending = 0;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipe, &old) != 0) return;
    st->active = 1;
    st->was_blocked = sigismember(&old, SIGPIPE) == 1;
    if (sigpending(&pending) == 0) st->was_pending = sigismember(&pending, SIGPIPE) == 1;
}

void q3v_sigpipe_release(const q3v_sigpipe_state *st) {
    sigset_t pipe, pending;
    if (!st->active) return;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    /* Swallow a SIGPIPE raised by our own writes, never one the host had pending already. */
    if (!st->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR) {}
    }
    if (!st->was_blocked) pthread_sigmask(SIG_UNBLOCK, &pipe, NULL);
}

void q3v_sigpipe_guard(q3v_sigpipe_state *st) {
    pthread_once(&sigpipe_once, sigpipe_decide);
    if (sigpipe_guard) q3v_sigpipe_hold(st);
    else st->active = 0;
}

void q3v_multi_cleanup(CURLM *m) {
    q3v_sigpipe_state st;
    q3v_sigpipe_guard(&st);
    curl_multi_cleanup(m);
    q3v_sigpipe_release(&st);
}
