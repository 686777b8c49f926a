#!/usr/bin/env python3
"""The Python contenders, the same work as floor.c and qwen_c.c:

    py_bench.py qwen3vl|openai BASE call N | stream N | cold

Prints one JSON line. Both keep one client (and so one keep-alive connection) for all calls."""
import json
import sys
import time

who, base, mode = sys.argv[1], sys.argv[2], sys.argv[3]
MESSAGES = [{"role": "user", "content": "Describe the image."}]
MODEL = "alibaba/qwen3-vl-32b-instruct"
name = {"qwen3vl": "Python binding", "openai": "openai package"}[who]

if mode == "cold":
    t0, c0 = time.perf_counter(), time.process_time()
    if who == "qwen3vl":
        import qwen3vl
        qwen3vl.Client(api_key="k", base_url=base)
    else:
        import openai
        openai.OpenAI(api_key="k", base_url=base)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"case": "cold", "contender": name, "us_per_op": took * 1e6, "cpu_us_per_op": cpu * 1e6, "ok": 1, "n": 1}))
    sys.exit(0)

n = int(sys.argv[4])
if who == "qwen3vl":
    import qwen3vl
    client = qwen3vl.Client(api_key="k", base_url=base, max_retries=0)

    def call() -> bool:
        return bool(client.chat(MESSAGES, model=MODEL).text)

    def stream() -> bool:
        return bool("".join(client.stream(MESSAGES, model=MODEL)))
else:
    import openai
    oc = openai.OpenAI(api_key="k", base_url=base, max_retries=0)

    def call() -> bool:
        return bool(oc.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content)  # type: ignore

    def stream() -> bool:
        return bool("".join(c.choices[0].delta.content or "" for c in oc.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True) if c.choices))  # type: ignore

fn = call if mode == "call" else stream
for _ in range(5):
    fn()
ok = 0
t0, c0 = time.perf_counter(), time.process_time()  # CPU time of every thread of the process
for _ in range(n):
    ok += fn()
took, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"case": mode, "contender": name, "us_per_op": took * 1e6 / n, "cpu_us_per_op": cpu * 1e6 / n,
                  "ok": ok, "n": n}))
