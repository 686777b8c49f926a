#!/usr/bin/env python3
"""Writes the benchmark report (Markdown) and its chart from Benchmarks/run.sh's results.

    report.py RESULTS.jsonl OUT.md OUT.png

Per-repetition ratios: within each repetition the contender's figure is divided by the floor's (the
median of a repetition's runs first, where a case runs more than once per repetition); the report
gives the median of those ratios and their spread (min-max)."""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

results, out_md, out_png = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
meta = next((r for r in rows if r["case"] == "meta"), {})
loads = [r["loadavg"] for r in rows if r["case"] == "load"]
footprint = next((r for r in rows if r["case"] == "footprint"), None)
instr = {(r["case"], r["contender"]): r["ir_per_op"] for r in rows if "ir_per_op" in r}

# (case, contender) -> rep -> [run, ...]
timed: dict = defaultdict(lambda: defaultdict(list))
for r in rows:
    if r.get("rep", 0) > 0 and ("us_per_op" in r or "calls_per_s" in r):
        case = r["case"] + (f"/{r['n']}" if "calls_per_s" in r and r["case"].startswith(("concurrent", "py-concurrent")) else "")
        timed[(case, r["contender"])][r["rep"]].append(r)

FLOOR, LIB = "floor", "libqwen3vl"
PY, OA = "Python binding", "openai package"


def per_rep(case: str, who: str, key: str) -> dict:
    """rep -> the median of that repetition's runs."""
    return {rep: statistics.median(x[key] for x in runs) for rep, runs in timed[(case, who)].items() if all(key in x for x in runs)}


def values(case: str, who: str, key: str) -> list:
    return list(per_rep(case, who, key).values())


def ratios(case: str, num: str, den: str, key: str) -> list:
    a, b = per_rep(case, num, key), per_rep(case, den, key)
    return [a[k] / b[k] for k in a if k in b and b[k]]


def spread(xs: list, fmt: str = "{:.2f}") -> str:
    if not xs:
        return "–"
    med = fmt.format(statistics.median(xs))
    return med if len(xs) == 1 else f"{med} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def duration(us: float) -> str:
    return f"{us / 1000:.1f} ms" if us >= 10000 else (f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs")


def kilo(n: float) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e6 else f"{n / 1e3:.1f} k"


def median_or_none(xs: list):
    return statistics.median(xs) if xs else None


lines = ["# Benchmarks", "",
         "What a call costs through libqwen3vl compared with the least a C program must do for the same call with",
         "libcurl and jansson directly (**the floor**: one reused handle, the request built with jansson, the reply",
         "parsed, for a stream every chunk parsed as it arrives; `Benchmarks/floor.c`, `Benchmarks/floor_sink.h`),",
         "and what the Python binding costs compared with the `openai` package. The server is nginx on 127.0.0.1",
         "serving a canned `chat.completion` and a canned 500-chunk SSE stream, so the figures are the client's",
         "own cost, not a model's.", "",
         "## How to rerun", "",
         "```sh",
         "./Benchmarks/run.sh            # REPS=3 by default, about 10 minutes; regenerates this file and the chart",
         "REPS=5 ./Benchmarks/run.sh",
         "CASES=concurrent ./Benchmarks/run.sh   # a subset (single concurrent python instructions footprint),",
         "                                       # reported in build/bench/BENCHMARKS.md",
         "```", "",
         "Every contender of a case runs in the same repetition, one after the other. Wall time moves with",
         "whatever else the machine is doing; CPU time (the whole process, every thread) moves less; the number",
         "of instructions executed per operation (`valgrind --tool=callgrind`, the run of 2T operations less",
         "the run of T, so start-up cancels out) does not move and is the figure to compare across runs.", ""]

lines += ["## This run", "", "| | |", "| --- | --- |"]
for key, label in (("date", "date (UTC)"), ("commit", "commit (the last to change the code measured)"), ("reps", "repetitions"), ("cpu", "machine"),
                   ("kernel", "kernel"), ("cc", "C compiler"), ("swift", "Swift"), ("libcurl", "libcurl"),
                   ("jansson", "jansson"), ("nginx", "nginx"), ("python", "Python"), ("openai", "openai package"),
                   ("valgrind", "valgrind")):
    if key in meta:
        lines.append(f"| {label} | {meta[key]} |")
failed = [r["command"] for r in rows if r["case"] == "failed"]
if failed:
    lines.append(f"| runs that failed (left out) | {'; '.join('`' + c + '`' for c in failed)} |")
if loads:
    lines.append(f"| load average (1 min) during the run | {min(loads):.1f}–{max(loads):.1f} (sampled at the start and end of each repetition) |")
lines.append("")

# ---- one operation at a time ----
single = [("call", "non-streamed call", FLOOR), ("stream", "500-chunk stream", FLOOR),
          ("image", "20 MiB local image (PNG) sent as base64", FLOOR), ("cold", "cold start: load + first client", "libcurl")]
SHORT = {"call": "call", "stream": "stream", "image": "20 MiB image", "cold": "cold start"}
# The image's copies are made by libcurl in the floor and by the kernel (pread) in libqwen3vl, and
# callgrind counts only the first: its instruction ratio would mislead.
NO_IR_RATIO = {"image"}
lines += ["## One operation at a time", "",
          "Median per operation (spread over the repetitions); the ratio is libqwen3vl's figure over the floor's.",
          "The image floor posts the same bytes, base64-encoded before the clock starts; libqwen3vl reads the",
          "file and encodes it while sending. Cold start runs in a fresh process that links neither library:",
          "`dlopen` of libqwen3vl plus `qwen3vl_client_new`, against `dlopen` of libcurl plus `curl_global_init`",
          "and `curl_easy_init` (`Benchmarks/cold.c`); its instructions are those of that part only. The",
          "image's instructions are not compared: the floor's copies of the body are libcurl's (counted), the",
          "library's are the kernel's `pread` (not counted by callgrind).", "",
          "| case | contender | wall | CPU | instructions | RSS after |", "| --- | --- | --- | --- | --- | --- |"]
for case, label, floor in single:
    for who in (floor, LIB):
        wall, cpu = values(case, who, "us_per_op"), values(case, who, "cpu_us_per_op")
        if not wall:
            continue
        rss = values(case, who, "rss_kib")
        ir = instr.get((case, who))
        lines.append(f"| {label} | {'floor' if who == FLOOR else who} | {duration(statistics.median(wall))} | "
                     f"{duration(statistics.median(cpu)) if cpu else '–'} | {kilo(ir) if ir else '–'} | "
                     f"{f'{statistics.median(rss) / 1024:.1f} MiB' if rss else '–'} |")
    r_wall, r_cpu = ratios(case, LIB, floor, "us_per_op"), ratios(case, LIB, floor, "cpu_us_per_op")
    if r_wall:
        ir_l, ir_f = instr.get((case, LIB)), instr.get((case, floor))
        ir_text = f"{ir_l / ir_f:.2f}" if ir_l and ir_f and case not in NO_IR_RATIO else "–"
        lines.append(f"| {label} | **ratio** | **{spread(r_wall)}** | **{spread(r_cpu)}** | **{ir_text}** | |")
growth = values("image", LIB, "rss_growth_kib")
if growth:
    lines += ["", f"Peak memory growth while sending the 20 MiB image: {spread([g / 1024 for g in growth])} MiB "
              "(the encoded body is 27 MiB)."]
t1, t16 = values("threads-1", LIB, "calls_per_s"), values("threads-16", LIB, "calls_per_s")
if t1 and t16:
    lines += ["", f"Blocking calls on one client from 16 threads: {statistics.median(t16):.0f} calls/s, against "
              f"{statistics.median(t1):.0f} from one thread ({spread([a / b for a, b in zip(t16, t1)])}×)."]
lines.append("")

# ---- Python ----
if timed[("call", PY)]:
    lines += ["## Python", "",
              "The binding (`bindings/python`) against the `openai` package, each with one client kept for all",
              "calls; the ratio is openai's time over the binding's (higher is better for the binding).", "",
              "| case | binding wall | binding CPU | openai wall | openai CPU | openai / binding |",
              "| --- | --- | --- | --- | --- | --- |"]
    for case, label in (("call", "non-streamed call"), ("stream", "500-chunk stream"), ("cold", "import + client")):
        pw, ow = values(case, PY, "us_per_op"), values(case, OA, "us_per_op")
        if pw and ow:
            pc, oc = values(case, PY, "cpu_us_per_op"), values(case, OA, "cpu_us_per_op")
            lines.append(f"| {label} | {duration(statistics.median(pw))} | {duration(statistics.median(pc)) if pc else '–'} | "
                         f"{duration(statistics.median(ow))} | {duration(statistics.median(oc)) if oc else '–'} | "
                         f"{spread(ratios(case, OA, PY, 'us_per_op'))} |")
    pyc = sorted({c for c, _ in timed if c.startswith("py-concurrent")}, key=lambda c: (c.split("/")[0], int(c.split("/")[1])))
    if pyc:
        lines += ["", "`AsyncClient` against `openai.AsyncOpenAI`, N calls in flight on one event loop "
                  "(`Benchmarks/py_concurrent.py`):", "",
                  "| case | N | AsyncClient calls/s | AsyncOpenAI calls/s | AsyncClient / AsyncOpenAI |", "| --- | --- | --- | --- | --- |"]
        for c in pyc:
            q, o = values(c, "AsyncClient", "calls_per_s"), values(c, "AsyncOpenAI", "calls_per_s")
            if q and o:
                lines.append(f"| {c.split('/')[0][14:]} | {c.split('/')[1]} | {statistics.median(q):.0f} | {statistics.median(o):.0f} | "
                             f"{spread(ratios(c, 'AsyncClient', 'AsyncOpenAI', 'calls_per_s'))} |")
    lines.append("")

# ---- many in flight ----
conc = sorted({c for c, _ in timed if c.startswith("concurrent")}, key=lambda c: (c.split("/")[0], int(c.split("/")[1])))
if conc:
    lines += ["## Many calls in flight", "",
              "One thread keeps N calls in flight until the larger of 2,000 and 8·N (streams: of 100 and 2·N) have",
              "ended: libqwen3vl's non-blocking calls (`qwen3vl_call_start`, `qwen3vl_client_next_event`) against a floor",
              "written on libcurl's multi interface and jansson (N reused easy handles, each request built with jansson",
              "as the single-call floor does, every reply and every chunk parsed; `Benchmarks/concurrent.c`). Both send",
              "the same complete request body. The ratio is the floor's",
              "throughput over libqwen3vl's; CPU time is the whole process's (libqwen3vl's includes its I/O thread).", "",
              "| case | N | floor calls/s | libqwen3vl calls/s | floor / libqwen3vl | CPU ms floor / libqwen3vl |",
              "| --- | --- | --- | --- | --- | --- |"]
    for c in conc:
        f, q = values(c, "floor-multi", "calls_per_s"), values(c, LIB, "calls_per_s")
        fc, qc = values(c, "floor-multi", "cpu_ms"), values(c, LIB, "cpu_ms")
        if f and q:
            lines.append(f"| {c.split('/')[0][11:]} | {c.split('/')[1]} | {statistics.median(f):.0f} | {statistics.median(q):.0f} | "
                         f"{spread(ratios(c, 'floor-multi', LIB, 'calls_per_s'))} | {statistics.median(fc):.0f} / {statistics.median(qc):.0f} |")
    # At N = 1 a call makes one thread-to-thread round trip more than the single-threaded floor.
    hand = {r["rep"]: r for r in rows if r["case"] == "handover" and r.get("rep", 0) > 0}
    floor1 = per_rep("concurrent-call/1", "floor-multi", "calls_per_s")
    if hand and floor1:
        same = [h["same_cpu_us"] for h in hand.values()]
        two = [h["two_cpus_us"] for h in hand.values()]
        bound = [(1e6 / floor1[k] + hand[k]["two_cpus_us"]) * floor1[k] / 1e6 for k in hand if floor1.get(k)]
        lines.append(f"\nOne hand-over between two threads and back, with no work on either side (two eventfds, each "
                     f"thread blocking in `poll`; `Benchmarks/handover.c`) takes {spread(same, '{:.1f}')} µs with both "
                     f"threads on one CPU and {spread(two, '{:.1f}')} µs on two, where the other CPU sleeps and must be "
                     f"woken. A plain call at N = 1 makes that round trip once more than the single-threaded floor (its "
                     f"start handed to the I/O thread, its DONE back): the floor's time per call plus one round trip "
                     f"across CPUs alone is a ratio of {spread(bound)}.")
    for case, label in (("concurrent-call", "plain call, N = 16"), ("concurrent-stream", "500-chunk stream, N = 4")):
        f, q = instr.get((case, "floor-multi")), instr.get((case, LIB))
        sdk = instr.get((case, "floor-multi-sdk"))
        if f and q:
            lines.append(f"\nInstructions per {label}: floor {kilo(f)}, libqwen3vl {kilo(q)} ({q / f:.2f}×)."
                         + (f" The floor sending the header lines and options libqwen3vl sends (`concurrent floor-sdk`: "
                            f"Accept, User-Agent, Accept-Encoding with decoding on, `Expect:`, a timeout per call): "
                            f"{kilo(sdk)}; libqwen3vl is {q / sdk:.2f}× that." if sdk else ""))
    lines.append("")

# ---- goals ----
def goal_ratio(case: str, den: str, key: str):
    return median_or_none(ratios(case, LIB, den, key))


def ir_ratio(case: str, den: str):
    a, b = instr.get((case, LIB)), instr.get((case, den))
    return a / b if a and b else None


goals = []  # (goal, [(measure name, value, ok)])
le = lambda x, limit: x is not None and x <= limit
ge = lambda x, limit: x is not None and x >= limit
for case, label in (("call", "non-streamed call ≤ 1.10× the floor"), ("stream", "500-chunk stream ≤ 1.10× the floor")):
    i, c = ir_ratio(case, FLOOR), goal_ratio(case, FLOOR, "cpu_us_per_op")
    goals.append((label, [("instructions", i, le(i, 1.10)), ("CPU", c, le(c, 1.10))]))
w, c = goal_ratio("image", FLOOR, "us_per_op"), goal_ratio("image", FLOOR, "cpu_us_per_op")
goals.append(("20 MiB image ≤ 1.2× the floor", [("wall", w, le(w, 1.2)), ("CPU", c, le(c, 1.2))]))
g = median_or_none([x / 1024 for x in growth]) if growth else None
goals.append(("20 MiB image: peak memory growth < 1 MiB", [("MiB", g, g is not None and g < 1)]))
for case, label, limit in (("call", "Python per call ≥ 15× faster than openai", 15), ("stream", "Python stream ≥ 20× faster than openai", 20)):
    r = median_or_none(ratios(case, OA, PY, "us_per_op"))
    if r is not None:
        goals.append((label, [("wall", r, ge(r, limit))]))
worst = [median_or_none(ratios(c, "floor-multi", LIB, "calls_per_s")) for c in conc]
worst = [x for x in worst if x is not None]
if worst:
    goals.append(("many in flight: throughput within 1.2× of the floor (worst N)", [("wall", max(worst), max(worst) <= 1.2)]))
pyw = [median_or_none(ratios(c, "AsyncClient", "AsyncOpenAI", "calls_per_s")) for c in {c for c, _ in timed if c.startswith("py-concurrent")}]
pyw = [x for x in pyw if x is not None]
if pyw:
    goals.append(("AsyncClient ≥ 5× openai.AsyncOpenAI's throughput (worst N)", [("wall", min(pyw), min(pyw) >= 5)]))
if goals:
    lines += ["## Goals", "", "Medians of this run, against the goals the project set itself.", "",
              "| goal | measured | met |", "| --- | --- | --- |"]
    for label, measures in goals:
        got = ", ".join(f"{v:.2f} ({m})" for m, v, _ in measures if v is not None)
        ok = all(o for _, _, o in measures)
        lines.append(f"| {label} | {got or '–'} | {'yes' if ok else '**no**'} |")
    lines.append("")

if footprint:
    cold_wall, cold_rss = values("cold", LIB, "us_per_op"), values("cold", LIB, "rss_kib")
    curl_wall, curl_rss = values("cold", "libcurl", "us_per_op"), values("cold", "libcurl", "rss_kib")
    lines += ["## Library footprint", "",
              "| | libqwen3vl | plain libcurl program |", "| --- | --- | --- |",
              f"| file size | {footprint['so_bytes'] / 2**20:.2f} MiB | |",
              f"| .text | {footprint['text_bytes'] / 2**20:.2f} MiB | |",
              f"| load-time relocations (of which relative) | {footprint['relocations']:,} ({footprint['relative_relocations']:,}) | |"]
    if cold_wall and curl_wall:
        lines.append(f"| cold start (wall, median) | {duration(statistics.median(cold_wall))} | {duration(statistics.median(curl_wall))} |")
    if instr.get(("cold", LIB)) and instr.get(("cold", "libcurl")):
        lines.append(f"| cold start (instructions) | {kilo(instr[('cold', LIB)])} | {kilo(instr[('cold', 'libcurl')])} |")
    if cold_rss and curl_rss:
        lines.append(f"| resident memory after one call | {statistics.median(cold_rss) / 1024:.1f} MiB | {statistics.median(curl_rss) / 1024:.1f} MiB |")
    cold_anon, curl_anon = values("cold", LIB, "rss_anon_kib"), values("cold", "libcurl", "rss_anon_kib")
    if cold_anon and curl_anon:
        lines.append(f"| of which the process's own (not library file pages) | {statistics.median(cold_anon) / 1024:.1f} MiB | "
                     f"{statistics.median(curl_anon) / 1024:.1f} MiB |")
    lines.append("")

lines += [f"![chart]({out_png.name})", "",
          "Other benchmarks: each binding's call beside the C floor ([BENCHMARKS-bindings.md](BENCHMARKS-bindings.md),",
          "`Benchmarks/bindings.sh`), `qwen3vl batch` against the same job on openai.AsyncOpenAI",
          "([BENCHMARKS-batch.md](BENCHMARKS-batch.md), `Benchmarks/batch.sh`), and the client-side resize over a",
          "20 Mbit/s uplink ([BENCHMARKS-resize.md](BENCHMARKS-resize.md), `Benchmarks/resize.sh`).", ""]
notes = Path(__file__).with_name("NOTES.md")
if notes.exists():
    lines += [notes.read_text().rstrip(), ""]
out_md.write_text("\n".join(lines))

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib missing: no chart", file=sys.stderr)
    sys.exit(0)

fig, axes = plt.subplots(2, 2, figsize=(13, 9))
ax = axes[0][0]
cases = [(c, SHORT[c], f) for c, _, f in single if ratios(c, LIB, f, "us_per_op")]
width = 0.27
for k, (key, name, color) in enumerate((("us_per_op", "wall", "#7aa"), ("cpu_us_per_op", "CPU", "#2a7"), ("ir", "instructions", "#27a"))):
    xs, ys, lo, hi = [], [], [], []
    for i, (c, _, f) in enumerate(cases):
        if key == "ir":
            v = ir_ratio(c, f)
            if v is None or c in NO_IR_RATIO:
                continue
            xs.append(i + (k - 1) * width); ys.append(v); lo.append(0); hi.append(0)
        else:
            rs = ratios(c, LIB, f, key)
            if not rs:
                continue
            m = statistics.median(rs)
            xs.append(i + (k - 1) * width); ys.append(m); lo.append(m - min(rs)); hi.append(max(rs) - m)
    ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=name, color=color)
ax.axhline(1.0, color="#444", lw=0.8)
ax.set_xticks(range(len(cases)))
ax.set_xticklabels([n for _, n, _ in cases])
ax.set_ylabel("libqwen3vl / floor (median, min–max)")
ax.set_title("One operation at a time, from C")
ax.legend()

ax = axes[0][1]
pcases = [c for c in ("call", "stream") if values(c, PY, "us_per_op") and values(c, OA, "us_per_op")]
for k, (who, color) in enumerate(((FLOOR, "#888"), (LIB, "#2a7"), (PY, "#27a"), (OA, "#c44"))):
    xs = [i + (k - 1.5) * 0.2 for i, c in enumerate(pcases) if values(c, who, "us_per_op")]
    ys = [statistics.median(values(c, who, "us_per_op")) / 1000 for c in pcases if values(c, who, "us_per_op")]
    ax.bar(xs, ys, 0.2, label={FLOOR: "floor (C)", LIB: "libqwen3vl (C)"}.get(who, who), color=color)
ax.set_yscale("log")
ax.set_xticks(range(len(pcases)))
ax.set_xticklabels(pcases)
ax.set_ylabel("ms per operation (median, log scale)")
ax.set_title("C and Python against the openai package")
ax.legend()

for ax, kind in ((axes[1][0], "concurrent-call"), (axes[1][1], "concurrent-stream")):
    ns = sorted(int(c.split("/")[1]) for c in conc if c.startswith(kind + "/"))
    for who, color, name in (("floor-multi", "#888", "floor (curl multi)"), (LIB, "#2a7", "libqwen3vl")):
        ys = [statistics.median(values(f"{kind}/{n}", who, "calls_per_s")) for n in ns]
        ax.plot(ns, ys, marker="o", color=color, label=name)
    ax.set_xscale("log")
    ax.set_xticks(ns)
    ax.set_xticklabels([str(n) for n in ns])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("calls in flight (N)")
    ax.set_ylabel("calls per second (median)" if kind.endswith("call") else "streams per second (median)")
    ax.set_title("Many in flight: " + ("plain calls" if kind.endswith("call") else "500-chunk streams"))
    ax.legend()
fig.tight_layout()
fig.savefig(out_png, dpi=100)
print(f"wrote {out_md} and {out_png}", file=sys.stderr)
