#!/usr/bin/env bash
# Many calls in flight on one thread: libqwen3vl's non-blocking calls against a floor written
# directly on libcurl's multi interface and jansson (Benchmarks/concurrent.c), alternating in one
# run against nginx's canned replies on loopback. N = 1, 16, 256, 1000 calls in flight; plain calls
# and 500-chunk streams. REPS=N repetitions (default 5). Prints a table of medians: throughput, CPU
# time, and the median (min-max) of the per-repetition ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
./scripts/deps.sh
make lib >/dev/null
out=build/bench-concurrent
rm -rf "$out" && mkdir -p "$out/nginx" && chmod 755 "$out" "$out/nginx"
cc -O2 -Wall -Wextra -Iinclude Benchmarks/concurrent.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl -lcurl -ljansson -o "$out/concurrent"
port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
python3 Benchmarks/canned.py "$out/nginx" "$port"
sed -i 's/worker_connections 1024/worker_connections 4096/' "$out/nginx/nginx.conf"
nginx -c "$PWD/$out/nginx/nginx.conf" -p "$PWD/$out/nginx" 2>/dev/null
trap 'kill $(cat "$out/nginx/nginx.pid") 2>/dev/null || true' EXIT
sleep 0.3
res=$out/results.jsonl
: > "$res"
for rep in $(seq "$REPS"); do
  for n in 1 16 256 1000; do
    calls=$((n < 16 ? 2000 : n * 8)); streams=$((n < 16 ? 100 : n * 2))
    for who in floor qwen; do
      "$out/concurrent" $who "http://127.0.0.1:$port/plain/v1" call $n $calls | sed "s/}$/,\"rep\":$rep}/" >> "$res"
      "$out/concurrent" $who "http://127.0.0.1:$port/stream/v1" stream $n $streams | sed "s/}$/,\"rep\":$rep}/" >> "$res"
    done
  done
done
python3 - "$res" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| case | N | floor calls/s | libqwen3vl calls/s | floor / libqwen3vl, median (min-max) | CPU ms floor / libqwen3vl |")
print("| --- | --- | --- | --- | --- | --- |")
for case in ("concurrent-call", "concurrent-stream"):
    for n in sorted({r["n"] for r in rows}):
        f = {r["rep"]: r for r in rows if r["case"] == case and r["n"] == n and r["contender"] == "floor-multi"}
        q = {r["rep"]: r for r in rows if r["case"] == case and r["n"] == n and r["contender"] == "libqwen3vl"}
        ratios = [f[k]["calls_per_s"] / q[k]["calls_per_s"] for k in f if k in q]
        med = lambda rs, key: statistics.median(r[key] for r in rs.values())
        print(f"| {case[11:]} | {n} | {med(f, 'calls_per_s'):.0f} | {med(q, 'calls_per_s'):.0f} | "
              f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) | {med(f, 'cpu_ms'):.0f} / {med(q, 'cpu_ms'):.0f} |")
PY
