#!/usr/bin/env python3
"""The batch benchmark: 2,000 small images against a server that answers each call after 50 ms.

    batch.py QWEN3VL VENV_PYTHON REPS

Runs `qwen3vl batch --concurrency 64` and Benchmarks/batch_openai.py (openai.AsyncOpenAI with an
asyncio.Semaphore(64)), alternating, REPS times each; checks that every run wrote 2,000 successful
lines; prints a Markdown table of medians: wall time (and min-max), its ratio to the ideal
2,000 x 50 ms / 64, CPU time and peak RSS of the process."""
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "cli"))
from make_images import png  # noqa: E402

N, CONCURRENCY, DELAY_MS = 2000, 64, 50
IDEAL = N * DELAY_MS / 1000 / CONCURRENCY


def run(cmd, env, out):
    """Wall seconds, CPU seconds and peak RSS (KiB) of one run, after checking its results."""
    if out.exists():
        out.unlink()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode() if p.stderr else ""
    lines = out.read_text().splitlines() if out.exists() else []
    ok = sum('"error": null' in line or '"error":null' in line for line in lines)
    if status != 0 or ok != N:
        sys.exit("%s: exit status %d, %d of %d lines ok: %s" % (cmd[0], status, ok, N, err[-500:]))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def main() -> None:
    qwen3vl, python, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    work = ROOT / "build" / "bench-batch"
    shutil.rmtree(work, ignore_errors=True)
    images = work / "images"
    for i in range(N):  # 64 x 64 PNGs of one colour each, 100 to a directory
        d = images / ("d%02d" % (i // 100))
        d.mkdir(parents=True, exist_ok=True)
        (d / ("img%04d.png" % i)).write_bytes(png(64, 64, bytes([i % 256, i // 256, 99])))
    server = subprocess.Popen([sys.executable, str(ROOT / "Benchmarks" / "delay_server.py"), str(DELAY_MS)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        word, port = server.stdout.readline().split()
        assert word == b"PORT"
        base = "http://127.0.0.1:%d/v1" % int(port)
        env = dict(os.environ, AIML_API_KEY="k")
        contenders = {
            "qwen3vl batch --concurrency 64": [qwen3vl, "batch", str(images), "--prompt", "Caption this image",
                                               "--out", str(work / "qwen3vl.jsonl"), "--concurrency", str(CONCURRENCY),
                                               "--base-url", base],
            "openai.AsyncOpenAI + Semaphore(64)": [python, str(ROOT / "Benchmarks" / "batch_openai.py"), str(images),
                                                   str(work / "openai.jsonl"), base, str(CONCURRENCY)],
        }
        outs = {"qwen3vl batch --concurrency 64": work / "qwen3vl.jsonl",
                "openai.AsyncOpenAI + Semaphore(64)": work / "openai.jsonl"}
        results = {name: [] for name in contenders}
        for _ in range(reps):
            for name, cmd in contenders.items():
                results[name].append(run(cmd, env, outs[name]))
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    print("| contender | wall s, median (min-max) | / ideal %.2f s | CPU s | peak RSS MiB |" % IDEAL)
    print("| --- | --- | --- | --- | --- |")
    for name, rs in results.items():
        walls = [r[0] for r in rs]
        w = statistics.median(walls)
        print("| %s | %.2f (%.2f-%.2f) | %.2fx | %.2f | %.1f |" % (
            name, w, min(walls), max(walls), w / IDEAL, statistics.median(r[1] for r in rs),
            max(r[2] for r in rs) / 1024))
    q, o = (statistics.median(r[0] for r in rs) for rs in results.values())
    print("\nopenai / qwen3vl wall time: %.1fx (median of %d runs each)" % (o / q, reps))


if __name__ == "__main__":
    main()
