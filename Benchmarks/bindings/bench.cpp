// One non-streamed call at a time through the C++ binding, as floor.c does it from C:
//   bench_cpp BASE N [nonblocking]   -> one JSON line: wall and CPU time per call
// nonblocking: each call started with Client::start and its DONE taken with next_event, the path
// the Node.js and LuaJIT bindings take, so their rows can be told apart from the library's own.
#include <qwen3vl.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

static double ms(clockid_t clock) {
    timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int n = std::atoi(argv[2]), ok = 0;
    bool nonblocking = argc > 3 && std::string(argv[3]) == "nonblocking";
    qwen3vl::Client client{std::string(R"({"api_key": "k", "max_retries": 0, "base_url": ")") + argv[1] + "\"}"};
    const char *request = R"({"model":"alibaba/qwen3-vl-32b-instruct","messages":[{"role":"user","content":"Describe the image."}]})";
    double t0 = 0, c0 = 0;
    for (int i = -5; i < n; i++) {  // five warm-up calls
        if (i == 0) t0 = ms(CLOCK_MONOTONIC), c0 = ms(CLOCK_PROCESS_CPUTIME_ID);
        if (nonblocking) {
            qwen3vl::Call call = client.start(request);
            while (!client.next_event(-1).is_done()) {}
            ok += i >= 0 && call.result().ok() && !call.result().text().empty();
        } else {
            qwen3vl::Reply r = client.chat(request);
            ok += i >= 0 && r.ok() && !r.text().empty();
        }
    }
    std::printf("{\"contender\":\"%s\",\"us_per_op\":%.2f,\"cpu_us_per_op\":%.2f,\"ok\":%d,\"n\":%d}\n",
                nonblocking ? "C++ (non-blocking call)" : "C++", (ms(CLOCK_MONOTONIC) - t0) * 1000 / n,
                (ms(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1000 / n, ok, n);
}
