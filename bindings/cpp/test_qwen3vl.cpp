// Tests of include/qwen3vl.hpp against the stand-in server (its port in STAND_IN_PORT).
// Prints one line per failed check and "N passed, N failed" last; exits non-zero on a failure.
#include <qwen3vl.hpp>

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

int failed_checks = 0;
#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "    FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            ++failed_checks;                                                          \
        }                                                                             \
    } while (0)

// What the type system promises: handles are move-only, moves and accessors never throw.
template <class T>
constexpr bool move_only_v = !std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T> &&
                             std::is_nothrow_move_constructible_v<T> && std::is_nothrow_move_assignable_v<T>;
static_assert(move_only_v<qwen3vl::Client> && move_only_v<qwen3vl::Reply> && move_only_v<qwen3vl::Cancel> &&
              move_only_v<qwen3vl::Call> && move_only_v<qwen3vl::Event>);
static_assert(noexcept(std::declval<qwen3vl::Reply &>().text()) && noexcept(std::declval<qwen3vl::Reply &>().status()) &&
              noexcept(std::declval<qwen3vl::Client &>().cancel_all()) &&
              noexcept(std::declval<qwen3vl::Client &>().next_event(0)) &&
              noexcept(std::declval<qwen3vl::Call &>().cancel()) && noexcept(std::declval<qwen3vl::Cancel &>().trigger()));
static_assert(!noexcept(std::declval<qwen3vl::Client &>().chat("")) && !noexcept(qwen3vl::Client(nullptr)));
static_assert(std::is_base_of_v<std::runtime_error, qwen3vl::Error>);

int port() {
    const char *p = std::getenv("STAND_IN_PORT");
    if (!p) throw std::runtime_error("STAND_IN_PORT is not set (source scripts/stand-in.sh)");
    return std::atoi(p);
}

int uid_counter = 0;
std::string options_for(const std::string &scenario, const std::string &extra = "") {
    return R"({"api_key": "k", "max_retries": 0, "base_url": "http://127.0.0.1:)" + std::to_string(port()) + "/s/" +
           scenario + "/cpp" + std::to_string(++uid_counter) + "/v1\"" + (extra.empty() ? "" : ", " + extra) + "}";
}

const char *const HELLO = R"({"messages": [{"role": "user", "content": "Hello there"}]})";

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void chat_ok() {
    qwen3vl::Client client{options_for("ok")};
    qwen3vl::Reply r = client.chat(HELLO);
    CHECK(r.ok() && r.status() == QWEN3VL_OK && r.error().empty());
    CHECK(r.text() == "echo: Hello there");
    CHECK(r.finish_reason() == "stop" && r.http_status() == 200 && r.attempts() == 1);
    CHECK(r.json().find("\"chat.completion\"") != std::string_view::npos);
    CHECK(!r.request_id().empty() && r.tokens(QWEN3VL_TOKENS_PROMPT) == 11);
    CHECK(&r.check() == &r);
    std::string request = HELLO;  // a std::string works as well as a C string
    CHECK(client.chat(request).text() == "echo: Hello there");
}

void chat_http_error() {
    qwen3vl::Client client{options_for("status:401")};
    qwen3vl::Reply r = client.chat(HELLO);
    CHECK(!r.ok() && r.status() == QWEN3VL_ERR_AUTH && r.http_status() == 401);
    CHECK(r.error().find("stand-in says 401") != std::string_view::npos);
    try {
        r.check();
        CHECK(!"check() threw");
    } catch (const qwen3vl::Error &e) {
        CHECK(e.status() == QWEN3VL_ERR_AUTH && e.http_status() == 401 && std::string(e.status_name()) == "QWEN3VL_ERR_AUTH");
        CHECK(std::string(e.what()).find("stand-in says 401") != std::string::npos);
    }
}

void invalid_request_names_the_path() {
    qwen3vl::Client client{options_for("ok")};
    qwen3vl::Reply r = client.chat(R"({"messages": [{"role": "user", "content": 5}]})");
    CHECK(r.status() == QWEN3VL_ERR_INVALID_REQUEST && r.error().find("messages[0].content") != std::string_view::npos);
}

void bad_options_throw() {
    try {
        qwen3vl::Client client{R"({"timeout_ms": "soon"})"};
        CHECK(!"the constructor threw");
    } catch (const qwen3vl::Error &e) {
        CHECK(e.status() == QWEN3VL_ERR_INVALID_ARGUMENT && std::string(e.what()).find("timeout_ms") != std::string::npos);
    }
}

void stream_assembles_deltas() {
    qwen3vl::Client client{options_for("sse")};
    std::string seen;
    int chunks = 0;
    qwen3vl::Reply r = client.stream(HELLO, [&](std::string_view delta) {
        seen += delta;
        ++chunks;
        return true;
    });
    CHECK(r.ok() && r.text() == "echo: Hello there" && seen == r.text() && chunks > 10);
    // The two-argument form gets each raw chunk; a callback returning void goes on to the end.
    std::vector<std::string> raw;
    qwen3vl::Reply r2 = client.stream(HELLO, [&](std::string_view, std::string_view chunk) { raw.emplace_back(chunk); });
    CHECK(r2.ok() && !raw.empty() && raw.front().find("chat.completion.chunk") != std::string::npos);
}

void stream_stopped_by_callback() {
    qwen3vl::Client client{options_for("sse")};
    std::string seen;
    qwen3vl::Reply r = client.stream(HELLO, [&](std::string_view delta) {
        seen += delta;
        return seen.size() < 4;
    });
    CHECK(r.status() == QWEN3VL_ERR_CANCELLED && seen == "echo" && r.text() == "echo");
}

void stream_callback_exception_is_rethrown() {
    qwen3vl::Client client{options_for("sse")};
    int calls = 0;
    try {
        client.stream(HELLO, [&](std::string_view delta) -> bool {
            if (!delta.empty() && ++calls == 2) throw std::out_of_range("boom");
            return true;
        });
        CHECK(!"stream() rethrew");
    } catch (const std::out_of_range &e) {
        CHECK(std::string(e.what()) == "boom" && calls == 2);
    }
    CHECK(client.stream(HELLO, [](std::string_view) { return true; }).ok());  // the client is fine afterwards
}

void cancel_from_another_thread() {
    qwen3vl::Client client{options_for("slow:3000")};
    qwen3vl::Cancel cancel;
    auto t0 = std::chrono::steady_clock::now();
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        cancel.trigger();
    });
    qwen3vl::Reply r = client.chat(HELLO, cancel);
    stopper.join();
    CHECK(r.status() == QWEN3VL_ERR_CANCELLED && cancel.triggered() && ms_since(t0) < 1500);
    // A triggered token stops a stream at once, and per-call options reach the library.
    qwen3vl::Reply s = client.stream(HELLO, [](std::string_view) { return true; }, cancel);
    CHECK(s.status() == QWEN3VL_ERR_CANCELLED);
    qwen3vl::Cancel fresh;
    qwen3vl::Reply bad = client.chat(HELLO, fresh, R"({"timeout_ms": -1})");
    CHECK(bad.status() == QWEN3VL_ERR_INVALID_ARGUMENT && bad.error().find("timeout_ms") != std::string_view::npos);
}

void moves_keep_the_handle() {
    qwen3vl::Client a{options_for("ok")};
    qwen3vl::Client b = std::move(a);
    qwen3vl::Reply r = b.chat(HELLO);
    std::string_view text = r.text();
    qwen3vl::Reply moved = std::move(r);
    CHECK(moved.text().data() == text.data() && moved.text() == "echo: Hello there");
    CHECK(a.get() == nullptr && a.chat(HELLO).status() == QWEN3VL_ERR_INVALID_ARGUMENT);  // NOLINT: use after move on purpose
    a = std::move(b);
    CHECK(a.chat(HELLO).ok());
}

// Non-blocking calls: three at once (one streamed), their events taken on this thread when the
// client's descriptor says so; each event is told apart by its call (and user_data).
void nonblocking_calls() {
    qwen3vl::Client client{options_for("ok")};  // streams when asked to, else a plain reply
    int tags[3] = {0, 1, 2};
    std::vector<qwen3vl::Call> calls;
    calls.push_back(client.start(R"({"messages": [{"role": "user", "content": "one"}]})", R"({"stream": true})", &tags[0]));
    calls.push_back(client.start(R"({"messages": [{"role": "user", "content": "two"}]})", nullptr, &tags[1]));
    calls.push_back(client.start(R"({"messages": [{"role": "user", "content": "three"}]})", nullptr, &tags[2]));
    CHECK(!calls[0].done() && !calls[0].result() && calls[0].result().status() == QWEN3VL_ERR_INVALID_ARGUMENT);
    std::string streamed;
    int done = 0, deltas_of_others = 0;
    pollfd p{client.event_fd(), POLLIN, 0};
    CHECK(p.fd >= 0);
    auto t0 = std::chrono::steady_clock::now();
    while (done < 3 && ms_since(t0) < 10000) {
        ::poll(&p, 1, 1000);
        while (qwen3vl::Event ev = client.next_event(0)) {
            int tag = *static_cast<int *>(ev.user_data());
            CHECK(ev.belongs_to(calls[tag]) && ev.call() == calls[tag].get());
            if (ev.is_delta()) {
                if (tag == 0) streamed += ev.text(); else ++deltas_of_others;
                CHECK(!ev.chunk_json().empty());
            } else {
                CHECK(ev.is_done() && ev.text().empty() && calls[tag].done());
                ++done;
            }
        }
    }
    CHECK(done == 3 && deltas_of_others == 0);
    CHECK(calls[0].result().ok() && calls[0].result().text() == "echo: one" && streamed == "echo: one");
    CHECK(calls[1].result().text() == "echo: two" && calls[2].result().text() == "echo: three");
}

void nonblocking_cancel_and_free() {
    qwen3vl::Client client{options_for("slow:3000")};
    qwen3vl::Call kept = client.start(HELLO);
    { qwen3vl::Call dropped = client.start(HELLO); }  // freed while running: cancelled, its events dropped
    auto t0 = std::chrono::steady_clock::now();
    kept.cancel();
    qwen3vl::Event ev = client.next_event(5000);
    CHECK(ev && ev.belongs_to(kept) && ev.is_done());
    CHECK(kept.result().status() == QWEN3VL_ERR_CANCELLED && ms_since(t0) < 1500);
    CHECK(!client.next_event(200));  // nothing of the dropped call
    CHECK(!qwen3vl::Event(nullptr) && qwen3vl::Event(nullptr).kind() == 0);
}

// The header of a PNG of width x height: what the library reads an image's type and size from.
std::string png_header(int width, int height) {
    std::string h("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    for (int v : {width, height})
        for (int shift = 24; shift >= 0; shift -= 8) h += static_cast<char>((v >> shift) & 0xff);
    return h + std::string(17, '\0');
}

void images_and_grounding() {
    std::string png = png_header(1000, 500);
    qwen3vl::ImageSize size = qwen3vl::image_size_from_bytes(png);
    CHECK(size.width == 1000 && size.height == 500);
    std::string uri = qwen3vl::image_data_uri(png);
    CHECK(uri.rfind("data:image/png;base64,iVBORw0KGgo", 0) == 0 && uri.size() == 22 + (png.size() + 2) / 3 * 4);
    CHECK(qwen3vl::image_part_json(png, "low").find(R"("detail":"low")") != std::string::npos);
    CHECK(qwen3vl::image_tokens(1000, 500) == 496);
    std::string path = "/tmp/qwen3vl-cpp-test-" + std::to_string(uid_counter) + ".png";
    if (std::FILE *f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(png.data(), 1, png.size(), f);
        std::fclose(f);
    }
    size = qwen3vl::image_size(path);
    std::remove(path.c_str());
    CHECK(size.width == 1000 && size.height == 500);
    unsigned char rgb[2 * 2 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
    std::string pixels = qwen3vl::pixels_data_uri(rgb, sizeof rgb, 2, 2, QWEN3VL_PIXELS_RGB8);
    CHECK(pixels.rfind("data:image/png;base64,", 0) == 0);
    std::string boxes = qwen3vl::grounding_parse("```json\n[{\"bbox_2d\": [100, 200, 500, 800], \"label\": \"cat\"}]\n```", 1000, 500);
    boxes.erase(std::remove(boxes.begin(), boxes.end(), ' '), boxes.end());  // the model's spacing is kept
    CHECK(boxes == R"([{"bbox_2d":[100,100,500,400],"label":"cat"}])");
    CHECK(qwen3vl::grounding_parse("", 10, 10) == "[]");
    // Failures are thrown with the library's status and message.
    auto status_of = [](auto &&fn) {
        try {
            fn();
        } catch (const qwen3vl::Error &e) {
            return e.what()[0] ? e.status() : -1;
        }
        return 0;
    };
    CHECK(status_of([] { qwen3vl::image_data_uri("not an image"); }) == QWEN3VL_ERR_FILE);
    CHECK(status_of([] { qwen3vl::image_size("/nonexistent/cat.png"); }) == QWEN3VL_ERR_FILE);
    CHECK(status_of([] { qwen3vl::image_tokens(0, 10); }) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(status_of([&] { qwen3vl::pixels_data_uri(rgb, 3, 2, 2, QWEN3VL_PIXELS_RGB8); }) == QWEN3VL_ERR_INVALID_ARGUMENT);
}

}  // namespace

int main() {
    struct {
        const char *name;
        void (*fn)();
    } tests[] = {
        {"chat_ok", chat_ok},
        {"chat_http_error", chat_http_error},
        {"invalid_request_names_the_path", invalid_request_names_the_path},
        {"bad_options_throw", bad_options_throw},
        {"stream_assembles_deltas", stream_assembles_deltas},
        {"stream_stopped_by_callback", stream_stopped_by_callback},
        {"stream_callback_exception_is_rethrown", stream_callback_exception_is_rethrown},
        {"cancel_from_another_thread", cancel_from_another_thread},
        {"moves_keep_the_handle", moves_keep_the_handle},
        {"nonblocking_calls", nonblocking_calls},
        {"nonblocking_cancel_and_free", nonblocking_cancel_and_free},
        {"images_and_grounding", images_and_grounding},
    };
    int passed = 0, failed = 0;
    for (auto &t : tests) {
        int before = failed_checks;
        try {
            t.fn();
        } catch (const std::exception &e) {
            std::fprintf(stderr, "    FAIL %s threw: %s\n", t.name, e.what());
            ++failed_checks;
        }
        bool ok = failed_checks == before;
        std::printf("%s %s\n", ok ? "ok  " : "FAIL", t.name);
        (ok ? passed : failed)++;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
