#!/usr/bin/env python3
"""Medians and ratios from results.jsonl, written to docs/BENCHMARKS.md with a chart."""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

results, out_md, out_png, command = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
runs = defaultdict(list)
extra = defaultdict(list)
for line in results.read_text().splitlines():
    r = json.loads(line)
    runs[(r["case"], r["contender"])].append(r["us_per_op"])
    if "rss_growth_kib" in r:
        extra[(r["case"], r["contender"])].append(r["rss_growth_kib"])
    if "calls_per_s" in r:
        extra[("cps", r["case"])].append(r["calls_per_s"])


def med(case: str, who: str) -> float:
    return statistics.median(runs[(case, who)])


FLOOR, C, PY, OA = "floor (libcurl + jansson)", "libqwen3vl from C", "Python binding", "openai package"
rows = []
targets = []


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


lines = ["# Benchmarks", "", "Produced by `" + command + "` on this machine (2 cores), against nginx on 127.0.0.1 serving a",
         "canned chat.completion and a canned 500-chunk SSE stream. Each case ran for every contender in the same run,",
         "alternating, %d repetitions; the figures are medians." % max(len(v) for v in runs.values()), "",
         "| case | contender | median per operation | runs |", "| --- | --- | --- | --- |"]
for (case, who), v in sorted(runs.items()):
    unit = "%.1f ms" % (statistics.median(v) / 1000) if statistics.median(v) > 10000 else "%.0f µs" % statistics.median(v)
    lines.append(f"| {case} | {who} | {unit} | {len(v)} |")

checks = []
if (("call", FLOOR) in runs) and (("call", C) in runs):
    checks.append(("non-streamed call from C vs floor", ratio(med("call", C), med("call", FLOOR)), "≤ 1.15", lambda x: x <= 1.15))
if (("stream", FLOOR) in runs) and (("stream", C) in runs):
    checks.append(("500-chunk stream from C vs floor", ratio(med("stream", C), med("stream", FLOOR)), "≤ 1.25", lambda x: x <= 1.25))
if (("call", OA) in runs) and (("call", PY) in runs):
    checks.append(("openai package vs Python binding, per call", ratio(med("call", OA), med("call", PY)), "≥ 5", lambda x: x >= 5))
if (("stream", OA) in runs) and (("stream", PY) in runs):
    checks.append(("openai package vs Python binding, stream", ratio(med("stream", OA), med("stream", PY)), "≥ 10", lambda x: x >= 10))
if (("image", FLOOR) in runs) and (("image", C) in runs):
    checks.append(("20 MiB image from C vs writing the same bytes with libcurl", ratio(med("image", C), med("image", FLOOR)), "≤ 1.2", lambda x: x <= 1.2))
    growth = statistics.median(extra[("image", C)]) / 1024
    checks.append(("20 MiB image: peak RSS growth (MiB, one image = 20)", growth, "< 20", lambda x: x < 20))
if extra[("cps", "threads-16")] and extra[("cps", "threads-1")]:
    checks.append(("16 threads vs 1 thread, calls per second", ratio(statistics.median(extra[("cps", "threads-16")]),
                   statistics.median(extra[("cps", "threads-1")])), "≥ 1.7", lambda x: x >= 1.7))
if ("cold", C) in runs:
    checks.append(("cold start from C: dlopen + client (ms)", med("cold", C) / 1000, "≤ 15", lambda x: x <= 15))
if ("cold", PY) in runs and ("cold", OA) in runs:
    checks.append(("cold start: import openai + client vs import qwen3vl + client", ratio(med("cold", OA), med("cold", PY)), "(info)", lambda x: True))

lines += ["", "## Targets", "", "| measure | value | target | met |", "| --- | --- | --- | --- |"]
for name, value, target, ok in checks:
    lines.append(f"| {name} | {value:.2f} | {target} | {'yes' if ok(value) else 'NO'} |")
lines += ["", f"![chart]({out_png.name})", ""]
notes = Path(__file__).with_name("NOTES.md")
if notes.exists():
    lines += [notes.read_text()]
out_md.write_text("\n".join(lines))

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cases = ["call", "stream", "image", "cold"]
    who_order = [FLOOR, C, PY, OA]
    fig, axes = plt.subplots(1, len(cases), figsize=(14, 4))
    for ax, case in zip(axes, cases):
        names = [w for w in who_order if (case, w) in runs]
        vals = [med(case, w) / 1000 for w in names]
        colors = {FLOOR: "#888", C: "#2a7", PY: "#27a", OA: "#c44"}
        ax.bar(range(len(names)), vals, color=[colors[w] for w in names])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([w.split(" (")[0].replace("libqwen3vl from C", "C lib") for w in names], rotation=30, ha="right")
        ax.set_title(case)
        ax.set_ylabel("ms per operation (median)")
        if case != "image":
            ax.set_yscale("log")  # the openai package is an order of magnitude away
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
except ImportError:
    print("matplotlib missing: no chart", file=sys.stderr)
print("\n".join(lines))
