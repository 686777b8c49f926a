#!/usr/bin/env python3
"""Python asyncio with many calls in flight: qwen3vl.AsyncClient against openai.AsyncOpenAI.

    py_concurrent.py qwen3vl|openai BASE call|stream N TOTAL

TOTAL calls, N at a time (a semaphore), on one event loop and one client. Prints one JSON line
with wall and CPU time and calls per second."""
import asyncio
import json
import resource
import sys
import time

who, base, mode, n, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
MESSAGES = [{"role": "user", "content": "Describe the image."}]
MODEL = "alibaba/qwen3-vl-32b-instruct"


async def main() -> int:
    if who == "qwen3vl":
        import qwen3vl
        client = qwen3vl.AsyncClient(api_key="k", base_url=base, max_retries=0, max_connections=n)

        async def one() -> bool:
            if mode == "call":
                return bool((await client.chat(MESSAGES, model=MODEL)).text)
            return bool("".join([d async for d in client.stream(MESSAGES, model=MODEL)]))
    else:
        import openai
        try:  # the HTTP client openai is built on: httpx2 in openai 3, httpx before
            import httpx2 as httpx
        except ImportError:
            import httpx  # type: ignore[no-redef]
        # A long timeout: on a busy machine its 256 connects can outlast the default 5 s connect timeout.
        oc = openai.AsyncOpenAI(api_key="k", base_url=base, max_retries=0, timeout=600,
                                http_client=httpx.AsyncClient(limits=httpx.Limits(max_connections=n), timeout=600))

        async def one() -> bool:
            if mode == "call":
                r = await oc.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore
                return bool(r.choices[0].message.content)
            parts = []
            async for c in await oc.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True):  # type: ignore
                if c.choices:
                    parts.append(c.choices[0].delta.content or "")
            return bool("".join(parts))

    gate = asyncio.Semaphore(n)

    async def gated() -> bool:
        async with gate:
            return await one()
    results = await asyncio.gather(*(gated() for _ in range(total)))
    return sum(results)


cpu0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
ok = asyncio.run(main())
wall = (time.perf_counter() - t0) * 1e3
cpu1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime) * 1e3
print(json.dumps({"contender": {"qwen3vl": "AsyncClient", "openai": "AsyncOpenAI"}[who], "case": "py-concurrent-" + mode,
                  "n": n, "calls": total, "ok": ok, "wall_ms": round(wall, 1), "cpu_ms": round(cpu, 1),
                  "calls_per_s": round(total / wall * 1e3)}))
