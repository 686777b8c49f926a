#!/usr/bin/env bash
# One non-streamed call at a time through each binding (C++, Rust, Go, Node.js, LuaJIT; Go, Node and
# Lua both with JSON text and with their own value built per call) against nginx's canned reply on
# loopback, beside the C floor (libcurl + jansson, Benchmarks/floor.c), libqwen3vl from C, and C++
# on the non-blocking calls (the path Node and Lua take), all alternating in one run. REPS=N repetitions (default 5), CALLS=N calls per run (default 2000).
# Prints, and writes to docs/BENCHMARKS-bindings.md, the medians over the repetitions of wall and
# CPU time per call (the whole process's CPU, the library's I/O thread included), their spread, and
# the median (min-max) of each repetition's ratio to the floor of the same repetition.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
CALLS=${CALLS:-2000}
./scripts/deps.sh
make lib >/dev/null
out=$PWD/build/bench-bindings
rm -rf "$out" && mkdir -p "$out/nginx"
export PKG_CONFIG_PATH=$PWD/build/lib/pkgconfig GOFLAGS=-mod=mod GOPROXY=off CARGO_TARGET_DIR=$out/rust
export LUA_PATH="$PWD/bindings/lua/?.lua;;" LD_LIBRARY_PATH=$PWD/build/lib
command -v cargo >/dev/null || PATH="$HOME/.cargo/bin:$PATH"
link=(-Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl)
cc -O2 Benchmarks/floor.c -lcurl -ljansson -o "$out/floor"
cc -O2 -Iinclude Benchmarks/qwen_c.c "${link[@]}" -lpthread -ldl -o "$out/qwen_c"
c++ -std=c++17 -O2 -Iinclude Benchmarks/bindings/bench.cpp "${link[@]}" -o "$out/cpp"
(cd Benchmarks/bindings/rust && cargo build --offline --release -q) && cp "$out/rust/release/qwen3vl-bench" "$out/rust-bench"
(cd Benchmarks/bindings/go && go build -o "$out/go-bench" .)
bindings/node/build.sh

port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
python3 Benchmarks/canned.py "$out/nginx" "$port"
nginx -c "$out/nginx/nginx.conf" -p "$out/nginx" 2>/dev/null
trap 'kill $(cat "$out/nginx/nginx.pid") 2>/dev/null || true' EXIT
sleep 0.3
base=http://127.0.0.1:$port/plain/v1
res=$out/results.jsonl
: > "$res"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$REPS"); do
  echo "repetition $rep/$REPS" >&2
  {
    "$out/floor" "$base" call "$CALLS"
    "$out/qwen_c" "$base" call "$CALLS"
    "$out/cpp" "$base" "$CALLS"
    "$out/cpp" "$base" "$CALLS" nonblocking
    "$out/rust-bench" "$base" "$CALLS"
    "$out/go-bench" "$base" "$CALLS" text
    "$out/go-bench" "$base" "$CALLS" map
    node Benchmarks/bindings/bench.js "$base" "$CALLS" text
    node Benchmarks/bindings/bench.js "$base" "$CALLS" object
    luajit Benchmarks/bindings/bench.lua "$base" "$CALLS" text
    luajit Benchmarks/bindings/bench.lua "$base" "$CALLS" table
  } | sed "s/}$/,\"rep\":$rep}/" >> "$res"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p docs
python3 - "$res" "$REPS" "$CALLS" "$load_before" "$load_after" <<'PY' | tee docs/BENCHMARKS-bindings.md
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
floor = "floor (libcurl + jansson)"
names = list(dict.fromkeys(r["contender"] for r in rows))
by = {(r["contender"], r["rep"]): r for r in rows}
reps = sorted({r["rep"] for r in rows})
bad = [r for r in rows if r["ok"] != r["n"]]
print("# Bindings: one call, against the C floor\n")
print(f"Produced by `./Benchmarks/bindings.sh` on this machine (2 cores shared with nginx): {sys.argv[3]} non-streamed")
print(f"calls one after another per run, a canned chat.completion from nginx on 127.0.0.1, every contender in each of")
print(f"{sys.argv[2]} repetitions, alternating. Median over the repetitions, (min-max) the spread; the ratio is each")
print("repetition's time over the floor's in the same repetition. CPU is the whole process's (user + system, the")
print("library's I/O thread included) per call; nginx's is not counted. Load average (1, 5, 15 min) before the run")
print(f"{sys.argv[4]}, after {sys.argv[5]}: wall times move with it, CPU times much less.\n")
print("| contender | µs per call | / floor | CPU µs per call | CPU / floor |")
print("| --- | --- | --- | --- | --- |")
for name in names:
    rs = [by[(name, k)] for k in reps if (name, k) in by]
    us = [r["us_per_op"] for r in rs]
    cpu = [r["cpu_us_per_op"] for r in rs]
    ratio = [by[(name, k)]["us_per_op"] / by[(floor, k)]["us_per_op"] for k in reps if (name, k) in by and (floor, k) in by]
    cratio = [by[(name, k)]["cpu_us_per_op"] / by[(floor, k)]["cpu_us_per_op"] for k in reps if (name, k) in by and (floor, k) in by]
    print(f"| {name} | {statistics.median(us):.0f} ({min(us):.0f}-{max(us):.0f}) | {statistics.median(ratio):.2f} "
          f"({min(ratio):.2f}-{max(ratio):.2f}) | {statistics.median(cpu):.0f} ({min(cpu):.0f}-{max(cpu):.0f}) | "
          f"{statistics.median(cratio):.2f} |")
if bad:
    print("\nRuns with failed calls: " + ", ".join(f"{r['contender']} (rep {r['rep']}: {r['ok']}/{r['n']})" for r in bad))
PY
