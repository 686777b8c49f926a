/*
 * qwen3vl.hpp: the C++17 interface of libqwen3vl, header-only, over qwen3vl.h.
 *
 *     qwen3vl::Client client{R"({"timeout_ms": 60000})"};   // throws qwen3vl::Error if the options are bad
 *     qwen3vl::Reply r = client.chat(R"({"messages":[{"role":"user","content":"Hello"}]})");
 *     if (r.ok()) std::cout << r.text() << '\n'; else std::cerr << r.error() << '\n';
 *     client.stream(request_json, [](std::string_view delta) { std::cout << delta; return true; });
 *
 * Every handle (Client, Reply, Cancel, Call, Event) owns its C object and frees it in its destructor;
 * all are move-only. A failed call is not an exception: its Reply says so (ok(), status(), error()),
 * and Reply::check() turns it into a qwen3vl::Error when that is what the caller wants. Exceptions
 * come from constructors and Client::start (bad client options, out of memory), check() and the
 * image helpers; an exception thrown by a stream callback stops the call and is rethrown from
 * stream() once the library has returned (it never crosses the C library's frames).
 * Thread-safety is the C library's: a Client may be used by many threads at once (its methods are
 * const); a Reply, an Event or a Call belongs to one thread at a time; Cancel::trigger and
 * Call::cancel may come from any thread.
 * Build: c++ -std=c++17 app.cpp $(pkg-config --cflags --libs qwen3vl)
 */
#ifndef QWEN3VL_HPP
#define QWEN3VL_HPP

#include "qwen3vl.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace qwen3vl {

/* The library's version, "0.1.0". */
inline const char *version() noexcept { return qwen3vl_version(); }

/* The name of a status code, e.g. "QWEN3VL_ERR_TIMEOUT". */
inline const char *status_name(int status) noexcept { return qwen3vl_status_name(status); }

/* A failed call or a refused client: the library's status code (QWEN3VL_ERR_*), its message (what()),
   and for calls the last HTTP status (0 if none) and the request id ("" if none). */
class Error : public std::runtime_error {
public:
    Error(int status, const std::string &message, int http_status = 0, std::string request_id = {})
        : std::runtime_error(message), status_(status), http_status_(http_status), request_id_(std::move(request_id)) {}
    int status() const noexcept { return status_; }
    const char *status_name() const noexcept { return qwen3vl_status_name(status_); }
    int http_status() const noexcept { return http_status_; }
    const std::string &request_id() const noexcept { return request_id_; }

private:
    int status_;
    int http_status_;
    std::string request_id_;
};

/* A NUL-terminated string argument taken as either a C string or a std::string without a copy;
   nullptr stands for "none" where the C function allows NULL. It only lives for one call. */
class Text {
public:
    Text(std::nullptr_t) noexcept : p_(nullptr) {}  // NOLINT: implicit on purpose
    Text(const char *s) noexcept : p_(s) {}        // NOLINT
    Text(const std::string &s) noexcept : p_(s.c_str()) {}  // NOLINT
    const char *c_str() const noexcept { return p_; }

private:
    const char *p_;
};

namespace detail {
inline std::string_view view(const char *s) noexcept { return s ? std::string_view(s) : std::string_view(); }

/* The accessors shared by a Reply (which owns its result) and a ResultRef (a call's, borrowed). */
template <class Self>
class ResultAccess {
public:
    bool ok() const noexcept { return status() == QWEN3VL_OK; }
    int status() const noexcept { return qwen3vl_result_status(r()); }
    const char *status_name() const noexcept { return qwen3vl_status_name(status()); }
    std::string_view error() const noexcept { return view(qwen3vl_result_error(r())); }
    int http_status() const noexcept { return qwen3vl_result_http_status(r()); }
    /* The whole text, NUL bytes included ("\u0000" in a reply is valid JSON). */
    std::string_view text() const noexcept {
        const char *t = qwen3vl_result_text(r());
        return t ? std::string_view(t, qwen3vl_result_text_len(r())) : std::string_view();
    }
    std::string_view finish_reason() const noexcept { return view(qwen3vl_result_finish_reason(r())); }
    std::string_view json() const noexcept { return view(qwen3vl_result_json(r())); }
    std::string_view request_id() const noexcept { return view(qwen3vl_result_request_id(r())); }
    std::string_view tool_calls_json() const noexcept { return view(qwen3vl_result_tool_calls_json(r())); }
    /* QWEN3VL_TOKENS_PROMPT, _COMPLETION or _TOTAL; -1 if unknown. */
    std::int64_t tokens(int kind) const noexcept { return qwen3vl_result_tokens(r(), kind); }
    int attempts() const noexcept { return qwen3vl_result_attempts(r()); }
    double elapsed_ms() const noexcept { return qwen3vl_result_elapsed_ms(r()); }
    /* Throws the failure as a qwen3vl::Error; returns the object itself when it is OK. */
    const Self &check() const {
        if (!ok()) throw Error(status(), std::string(error()), http_status(), std::string(request_id()));
        return static_cast<const Self &>(*this);
    }

private:
    const qwen3vl_result *r() const noexcept { return static_cast<const Self *>(this)->get(); }
};
}  // namespace detail

/* The outcome of a blocking call: owns its qwen3vl_result. */
class Reply : public detail::ResultAccess<Reply> {
public:
    /* Takes ownership of r (as returned by qwen3vl_chat and its kin); throws std::bad_alloc for NULL,
       which the library returns only when memory for the result itself ran out. */
    explicit Reply(qwen3vl_result *r) : r_(r) {
        if (!r_) throw std::bad_alloc();
    }
    Reply(Reply &&o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
    Reply &operator=(Reply &&o) noexcept {
        if (this != &o) {
            qwen3vl_result_free(r_);
            r_ = std::exchange(o.r_, nullptr);
        }
        return *this;
    }
    Reply(const Reply &) = delete;
    Reply &operator=(const Reply &) = delete;
    ~Reply() { qwen3vl_result_free(r_); }
    const qwen3vl_result *get() const noexcept { return r_; }

private:
    qwen3vl_result *r_;
};

/* A call's result, borrowed from its Call (valid while the Call is). Before the call's DONE event was
   taken it refers to nothing: status() is QWEN3VL_ERR_INVALID_ARGUMENT, strings are empty. */
class ResultRef : public detail::ResultAccess<ResultRef> {
public:
    explicit ResultRef(const qwen3vl_result *r) noexcept : r_(r) {}
    explicit operator bool() const noexcept { return r_ != nullptr; }
    const qwen3vl_result *get() const noexcept { return r_; }

private:
    const qwen3vl_result *r_;
};

/* A one-shot switch that stops the calls it was given to, from any thread. */
class Cancel {
public:
    Cancel() : c_(qwen3vl_cancel_new()) {
        if (!c_) throw std::bad_alloc();
    }
    Cancel(Cancel &&o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
    Cancel &operator=(Cancel &&o) noexcept {
        if (this != &o) {
            qwen3vl_cancel_free(c_);
            c_ = std::exchange(o.c_, nullptr);
        }
        return *this;
    }
    Cancel(const Cancel &) = delete;
    Cancel &operator=(const Cancel &) = delete;
    ~Cancel() { qwen3vl_cancel_free(c_); }
    void trigger() const noexcept { qwen3vl_cancel_trigger(c_); }
    bool triggered() const noexcept { return qwen3vl_cancel_is_triggered(c_) != 0; }
    qwen3vl_cancel *get() const noexcept { return c_; }

private:
    qwen3vl_cancel *c_;
};

/* A non-blocking call (Client::start). Freeing it cancels it if it still runs. */
class Call {
public:
    explicit Call(qwen3vl_call *c) noexcept : c_(c) {}
    Call(Call &&o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
    Call &operator=(Call &&o) noexcept {
        if (this != &o) {
            qwen3vl_call_free(c_);
            c_ = std::exchange(o.c_, nullptr);
        }
        return *this;
    }
    Call(const Call &) = delete;
    Call &operator=(const Call &) = delete;
    ~Call() { qwen3vl_call_free(c_); }
    /* Any thread: the call ends with QWEN3VL_ERR_CANCELLED (its DONE event still comes). */
    void cancel() const noexcept { qwen3vl_call_cancel(c_); }
    /* True once the call's DONE event was taken. */
    bool done() const noexcept { return qwen3vl_call_result(c_) != nullptr; }
    ResultRef result() const noexcept { return ResultRef(qwen3vl_call_result(c_)); }
    qwen3vl_call *get() const noexcept { return c_; }

private:
    qwen3vl_call *c_;
};

/* One event of a non-blocking call (Client::next_event); empty when none came. */
class Event {
public:
    explicit Event(qwen3vl_event *e) noexcept : e_(e) {}
    Event(Event &&o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
    Event &operator=(Event &&o) noexcept {
        if (this != &o) {
            qwen3vl_event_free(e_);
            e_ = std::exchange(o.e_, nullptr);
        }
        return *this;
    }
    Event(const Event &) = delete;
    Event &operator=(const Event &) = delete;
    ~Event() { qwen3vl_event_free(e_); }
    explicit operator bool() const noexcept { return e_ != nullptr; }
    int kind() const noexcept { return qwen3vl_event_kind(e_); }
    bool is_delta() const noexcept { return kind() == QWEN3VL_EVENT_DELTA; }
    bool is_done() const noexcept { return kind() == QWEN3VL_EVENT_DONE; }
    /* DELTA: the content delta (NULs included), "" for none; DONE: "". */
    std::string_view text() const noexcept {
        std::size_t n = 0;
        const char *t = qwen3vl_event_text(e_, &n);
        return t ? std::string_view(t, n) : std::string_view();
    }
    std::string_view chunk_json() const noexcept { return detail::view(qwen3vl_event_chunk_json(e_)); }
    bool belongs_to(const Call &call) const noexcept { return e_ && qwen3vl_event_call(e_) == call.get(); }
    qwen3vl_call *call() const noexcept { return qwen3vl_event_call(e_); }
    void *user_data() const noexcept { return qwen3vl_event_user_data(e_); }
    qwen3vl_event *get() const noexcept { return e_; }

private:
    qwen3vl_event *e_;
};

namespace detail {
/* Carries a stream callback through the C library, and any exception it throws back out. */
template <class F>
struct DeltaSink {
    F &fn;
    std::exception_ptr error;

    static int call(const char *text, std::size_t len, const char *chunk, void *user_data) noexcept {
        auto *self = static_cast<DeltaSink *>(user_data);
        std::string_view delta(text, len), raw = view(chunk);
        try {
            if constexpr (std::is_invocable_v<F &, std::string_view, std::string_view>) {
                return go_on(self->fn, delta, raw) ? 0 : 1;
            } else {
                static_assert(std::is_invocable_v<F &, std::string_view>,
                              "a stream callback takes (std::string_view delta) or (delta, chunk_json)");
                return go_on(self->fn, delta) ? 0 : 1;
            }
        } catch (...) {
            self->error = std::current_exception();
            return 1;
        }
    }

    /* A callback returning void goes on; one returning bool goes on while it says true. */
    template <class... A>
    static bool go_on(F &fn, A... a) {
        if constexpr (std::is_void_v<std::invoke_result_t<F &, A...>>) {
            fn(a...);
            return true;
        } else {
            return static_cast<bool>(fn(a...));
        }
    }
};
}  // namespace detail

/* A connection pool and its settings. Options are JSON text as qwen3vl_client_new takes it (nullptr:
   all defaults, the key and base URL from the environment). */
class Client {
public:
    explicit Client(Text options_json = nullptr) {
        char err[512] = "";
        c_ = qwen3vl_client_new(options_json.c_str(), err, sizeof err);
        if (!c_) throw Error(QWEN3VL_ERR_INVALID_ARGUMENT, err);
    }
    Client(Client &&o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
    Client &operator=(Client &&o) noexcept {
        if (this != &o) {
            qwen3vl_client_free(c_);
            c_ = std::exchange(o.c_, nullptr);
        }
        return *this;
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    ~Client() { qwen3vl_client_free(c_); }

    /* Sends a chat-completions request (JSON text) and waits for the whole reply. */
    Reply chat(Text request_json) const { return Reply(qwen3vl_chat(c_, request_json.c_str())); }

    /* The same with a cancellation token and per-call options (qwen3vl_chat_v2's JSON, or nullptr). */
    Reply chat(Text request_json, const Cancel &cancel, Text call_options_json = nullptr) const {
        return Reply(qwen3vl_chat_v2(c_, request_json.c_str(), call_options_json.c_str(), cancel.get(), nullptr, nullptr));
    }

    /* Streams the reply: on_delta(std::string_view delta) (or (delta, chunk_json)) runs on this thread
       for every chunk; returning false stops the call (QWEN3VL_ERR_CANCELLED). Returns the whole
       reply, assembled. */
    template <class F>
    Reply stream(Text request_json, F &&on_delta) const {
        return stream_v2(request_json, on_delta, nullptr, nullptr);
    }

    template <class F>
    Reply stream(Text request_json, F &&on_delta, const Cancel &cancel, Text call_options_json = nullptr) const {
        return stream_v2(request_json, on_delta, cancel.get(), call_options_json);
    }

    /* Cancels every call in flight on this client, from any thread. */
    void cancel_all() const noexcept { qwen3vl_client_cancel_all(c_); }

    /* Starts a non-blocking call (call options as for chat; "stream": true for DELTA events). Its
       events come from next_event, on the thread that takes them. */
    Call start(Text request_json, Text call_options_json = nullptr, void *user_data = nullptr) const {
        qwen3vl_call *call = qwen3vl_call_start(c_, request_json.c_str(), call_options_json.c_str(), user_data);
        if (!call) {
            if (!c_ || !request_json.c_str()) throw Error(QWEN3VL_ERR_INVALID_ARGUMENT, "qwen3vl: no client or no request");
            throw std::bad_alloc();
        }
        return Call(call);
    }

    /* Readable while events wait: watch it in the host's loop, never read or close it. -1 on failure. */
    int event_fd() const noexcept { return qwen3vl_client_event_fd(c_); }

    /* The next event of any of this client's calls, waiting up to timeout_ms (0: don't wait, -1: until
       one comes); an empty Event when none came. */
    Event next_event(int timeout_ms = 0) const noexcept { return Event(qwen3vl_client_next_event(c_, timeout_ms)); }

    qwen3vl_client *get() const noexcept { return c_; }

private:
    template <class F>
    Reply stream_v2(Text request_json, F &on_delta, qwen3vl_cancel *cancel, Text call_options_json) const {
        detail::DeltaSink<F> sink{on_delta, nullptr};
        Reply r(qwen3vl_chat_v2(c_, request_json.c_str(), call_options_json.c_str(), cancel, &detail::DeltaSink<F>::call,
                                &sink));
        if (sink.error) std::rethrow_exception(sink.error);
        return r;
    }

    qwen3vl_client *c_;
};

/* ---- Images and grounding: for hosts that hold images in memory, and for planning ------------
 * No client needed; thread-safe. Each throws qwen3vl::Error with the library's status and message
 * (QWEN3VL_ERR_FILE for bytes or a file that is no image of a known type, QWEN3VL_ERR_INVALID_ARGUMENT
 * for a bad argument). Bytes are taken as (pointer, length) or as a std::string_view. */

/* Size of an image in pixels. */
struct ImageSize {
    int width;
    int height;
};

namespace detail {
struct Freed {
    void operator()(char *p) const noexcept { qwen3vl_free(p); }
};

/* The text a helper handed over (freed here), or its failure thrown. */
inline std::string take(int status, char *out, std::size_t out_len, const char *err) {
    std::unique_ptr<char, Freed> owned(out);
    if (status != QWEN3VL_OK) throw Error(status, err);
    return std::string(out, out_len);
}

inline void check(int status, const char *err) {
    if (status != QWEN3VL_OK) throw Error(status, err);
}
}  // namespace detail

/* Encoded image bytes (PNG, JPEG, ...) as "data:image/png;base64,...", the type taken from the bytes. */
inline std::string image_data_uri(const void *bytes, std::size_t len) {
    char err[512], *out = nullptr;
    std::size_t n = 0;
    int status = qwen3vl_image_data_uri(bytes, len, &out, &n, err, sizeof err);
    return detail::take(status, out, n, err);
}
inline std::string image_data_uri(std::string_view bytes) { return image_data_uri(bytes.data(), bytes.size()); }

/* The same as a content part, {"type":"image_url","image_url":{"url":"data:...",...}}; detail is
   nullptr, "auto", "low" or "high". */
inline std::string image_part_json(const void *bytes, std::size_t len, Text detail = nullptr) {
    char err[512], *out = nullptr;
    std::size_t n = 0;
    int status = qwen3vl_image_part_json(bytes, len, detail.c_str(), &out, &n, err, sizeof err);
    return detail::take(status, out, n, err);
}
inline std::string image_part_json(std::string_view bytes, Text detail = nullptr) {
    return image_part_json(bytes.data(), bytes.size(), detail);
}

/* Raw pixels (QWEN3VL_PIXELS_*, 8 bits a channel) as a PNG data URI; stride 0 for packed rows. */
inline std::string pixels_data_uri(const void *pixels, std::size_t pixels_len, int width, int height, int format,
                                   std::size_t stride = 0) {
    char err[512], *out = nullptr;
    std::size_t n = 0;
    int status = qwen3vl_pixels_data_uri(pixels, pixels_len, width, height, stride, format, &out, &n, err, sizeof err);
    return detail::take(status, out, n, err);
}

/* Width and height of an image file, read from its header. */
inline ImageSize image_size(Text path) {
    char err[512];
    ImageSize size{0, 0};
    detail::check(qwen3vl_image_size(path.c_str(), &size.width, &size.height, err, sizeof err), err);
    return size;
}

/* Width and height of encoded image bytes. */
inline ImageSize image_size_from_bytes(const void *bytes, std::size_t len) {
    char err[512];
    ImageSize size{0, 0};
    detail::check(qwen3vl_image_size_from_bytes(bytes, len, &size.width, &size.height, err, sizeof err), err);
    return size;
}
inline ImageSize image_size_from_bytes(std::string_view bytes) { return image_size_from_bytes(bytes.data(), bytes.size()); }

/* Vision tokens Qwen3-VL spends on a width x height image (0 for a limit: the model's own). */
inline std::int64_t image_tokens(int width, int height, std::int64_t min_pixels = 0, std::int64_t max_pixels = 0) {
    char err[512];
    std::int64_t tokens = 0;
    detail::check(qwen3vl_image_tokens(width, height, min_pixels, max_pixels, &tokens, err, sizeof err), err);
    return tokens;
}

/* The boxes and points of a grounding answer in pixels of a width x height image, as a JSON array. */
inline std::string grounding_parse(std::string_view text, int width, int height) {
    char err[512], *out = nullptr;
    std::size_t n = 0;
    int status = qwen3vl_grounding_parse(text.data() ? text.data() : "", text.size(), width, height, &out, &n, err, sizeof err);
    return detail::take(status, out, n, err);
}

}  // namespace qwen3vl

#endif /* QWEN3VL_HPP */
