#!/usr/bin/env bash
# Runs every benchmark against nginx on 127.0.0.1 (a canned chat.completion and a canned 500-chunk
# stream), every contender of a case in the same repetition, one after the other, and writes
# docs/BENCHMARKS.md and docs/benchmarks.png from the results.
#
#   REPS=N         repetitions of the timed cases (default 3; about 10 minutes in all at 3)
#   CASES="..."    a subset of: single concurrent python instructions footprint (default all)
#   OUT=DIR        where results go (default build/bench); the report is written only for all cases
#
# Timed cases give wall and CPU time per operation; the ratio to the floor is taken within each
# repetition and reported as the median with its spread. Instruction counts (callgrind) do not move
# with the machine's load and are the stable figure.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
CASES=${CASES:-single concurrent python instructions footprint}
out=${OUT:-build/bench}
has() { [[ " $CASES " == *" $1 "* ]]; }

./scripts/deps.sh
make lib >/dev/null
rm -rf "$out" && mkdir -p "$out/nginx" && chmod 755 "$out" "$out/nginx"
CC=(cc -O2 -Wall -Wextra -Werror -Iinclude)
QLIB=(-Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl)
"${CC[@]}" Benchmarks/floor.c -lcurl -ljansson -o "$out/floor"
"${CC[@]}" Benchmarks/qwen_c.c "${QLIB[@]}" -lpthread -o "$out/qwen_c"
"${CC[@]}" Benchmarks/cold.c -ldl -o "$out/cold" # links neither libqwen3vl nor libcurl
"${CC[@]}" Benchmarks/concurrent.c "${QLIB[@]}" -lcurl -ljansson -o "$out/concurrent"
"${CC[@]}" Benchmarks/handover.c -lpthread -o "$out/handover"
python3 -c "import os, sys; h = b'\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR' + (4000).to_bytes(4, 'big') + (3000).to_bytes(4, 'big') + bytes(9); open(sys.argv[1], 'wb').write(h + os.urandom(20 * 2**20 - 1 - len(h)))" "$out/20mib.png"
# The Python contenders in a virtualenv kept between runs: the binding as users install it, openai.
venv=build/bench-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check openai matplotlib wheel "setuptools>=61"
has python && "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps ./bindings/python
py=$venv/bin/python

port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
python3 Benchmarks/canned.py "$out/nginx" "$port"
sed -i 's/worker_connections 1024/worker_connections 4096/' "$out/nginx/nginx.conf"
nginx -c "$PWD/$out/nginx/nginx.conf" -p "$PWD/$out/nginx" 2>/dev/null
trap 'kill $(cat "$out/nginx/nginx.pid") 2>/dev/null || true' EXIT
sleep 0.3
plain=http://127.0.0.1:$port/plain/v1
stream=http://127.0.0.1:$port/stream/v1
lib=$PWD/build/lib/libqwen3vl.so.0
res=$out/results.jsonl
: > "$res"

rep=0
rec() {  # rec COMMAND...: its result line, tagged with the repetition; a failure is recorded, not fatal
  local line
  if line=$("$@"); then
    sed "s/}$/,\"rep\":$rep}/" <<<"$line" >> "$res"
  else
    echo "failed: $*" >&2
    echo "{\"case\":\"failed\",\"command\":\"${*//\"/}\",\"rep\":$rep}" >> "$res"
  fi
}
load() { rec echo "{\"case\":\"load\",\"contender\":\"machine\",\"loadavg\":$(cut -d' ' -f1 /proc/loadavg),\"at\":\"$1\"}"; }
{
  echo "{\"case\":\"meta\",\"date\":\"$(date -u +%Y-%m-%dT%H:%MZ)\",\"commit\":\"$(git log -1 --format=%h -- Sources include Package.swift Benchmarks)$(git diff --quiet HEAD -- Sources include Package.swift Benchmarks || echo +changes)\","
  echo "\"reps\":$REPS,\"cpu\":\"$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores\",\"kernel\":\"$(uname -r)\","
  echo "\"cc\":\"$(cc --version | head -1)\",\"swift\":\"$(swift --version 2>&1 | grep -o 'Swift version [0-9.]*')\","
  echo "\"libcurl\":\"$(curl --version | head -1 | grep -oE 'libcurl/[0-9.]+ [A-Za-z]+/[0-9.a-z]+')\","
  echo "\"jansson\":\"$(pkg-config --modversion jansson)\",\"nginx\":\"$(nginx -v 2>&1 | sed 's/.*: //')\","
  echo "\"python\":\"$("$py" --version)\",\"openai\":\"$("$py" -c 'import openai; print(openai.__version__)')\",\"valgrind\":\"$(valgrind --version)\"}"
} | tr -d '\n' >> "$res"; echo >> "$res"

for rep in $(seq "$REPS"); do
  echo "repetition $rep/$REPS" >&2
  load start
  if has single; then
    rec "$out/floor" "$plain" call 2000
    rec "$out/qwen_c" "$plain" call 2000
    rec "$out/floor" "$stream" stream 200
    rec "$out/qwen_c" "$stream" stream 200
    rec "$out/floor" "$plain" image "$out/20mib.png" 10
    rec "$out/qwen_c" "$plain" image "$out/20mib.png" 10
    rec "$out/qwen_c" "$plain" threads 1 4000
    rec "$out/qwen_c" "$plain" threads 16 4000
    for _ in 1 2 3; do  # a fresh process each: the median of three per repetition
      rec "$out/cold" curl "$plain"
      rec "$out/cold" qwen "$lib" "$plain"
    done
  fi
  if has python; then
    rec "$py" Benchmarks/py_bench.py qwen3vl "$plain" call 1000
    rec "$py" Benchmarks/py_bench.py openai "$plain" call 300
    rec "$py" Benchmarks/py_bench.py qwen3vl "$stream" stream 100
    rec "$py" Benchmarks/py_bench.py openai "$stream" stream 20
    rec "$py" Benchmarks/py_bench.py qwen3vl "$plain" cold
    rec "$py" Benchmarks/py_bench.py openai "$plain" cold
    for n in 16 256; do  # openai's async client manages some 30-100 calls a second here: few calls
      rec "$py" Benchmarks/py_concurrent.py qwen3vl "$plain" call $n $((n < 64 ? 128 : n * 2))
      rec "$py" Benchmarks/py_concurrent.py openai "$plain" call $n $((n < 64 ? 128 : n * 2))
    done
    rec "$py" Benchmarks/py_concurrent.py qwen3vl "$stream" stream 16 32
    rec "$py" Benchmarks/py_concurrent.py openai "$stream" stream 16 32
  fi
  if has concurrent; then  # N calls in flight on one thread until TOTAL have ended
    rec "$out/handover" 5000 # the machine's thread-to-thread round trip, which bounds N = 1
    for n in 1 16 256 1000; do
      # Enough that starting the thread and opening N connections is a small part of the time.
      calls=$((n * 8 > 2000 ? n * 8 : 2000)); streams=$((n * 2 > 100 ? n * 2 : 100))
      for who in floor qwen; do
        rec "$out/concurrent" $who "$plain" call $n $calls
        rec "$out/concurrent" $who "$stream" stream $n $streams
      done
    done
  fi
  load end
done

# Instructions per operation: callgrind's count for a run of 2T operations less that of T, so that
# start-up cancels out. On the shipped (stripped) library, which valgrind reads.
if has instructions; then
  echo "instruction counts (callgrind)" >&2
  ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
  per_op() {  # per_op CASE CONTENDER T COMMAND-BEFORE-T... -- COMMAND-AFTER-T...
    local case=$1 who=$2 t=$3; shift 3
    local pre=() post=()
    while [[ $1 != -- ]]; do pre+=("$1"); shift; done; shift
    post=("$@")
    local a b
    a=$(ir "${pre[@]}" "$t" "${post[@]}"); b=$(ir "${pre[@]}" $((2 * t)) "${post[@]}")
    echo "{\"case\":\"$case\",\"contender\":\"$who\",\"ir_per_op\":$(((b - a) / t))}" >> "$res"
  }
  rep=0
  per_op call floor 200 "$out/floor" "$plain" call --
  per_op call libqwen3vl 200 "$out/qwen_c" "$plain" call --
  per_op stream floor 5 "$out/floor" "$stream" stream --
  per_op stream libqwen3vl 5 "$out/qwen_c" "$stream" stream --
  per_op image floor 1 "$out/floor" "$plain" image "$out/20mib.png" --
  per_op image libqwen3vl 1 "$out/qwen_c" "$plain" image "$out/20mib.png" --
  per_op concurrent-call floor-multi 1000 "$out/concurrent" floor "$plain" call 16 --
  python3 Benchmarks/same_headers.py "$out/concurrent" # floor-sdk sends what the library sends, or the run stops
  per_op concurrent-call floor-multi-sdk 1000 "$out/concurrent" floor-sdk "$plain" call 16 --
  per_op concurrent-call libqwen3vl 1000 "$out/concurrent" qwen "$plain" call 16 --
  per_op concurrent-stream floor-multi 20 "$out/concurrent" floor "$stream" stream 4 --
  per_op concurrent-stream libqwen3vl 20 "$out/concurrent" qwen "$stream" stream 4 --
  # Cold start: only what runs inside start() (loading, initialising, the client or handle).
  for who in curl qwen; do
    args=("$plain"); [[ $who == qwen ]] && args=("$lib" "$plain")
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect=start "$out/cold" $who "${args[@]}" 2>&1 >/dev/null |
        sed -n 's/.*Collected : //p')
    echo "{\"case\":\"cold\",\"contender\":\"$([[ $who == qwen ]] && echo libqwen3vl || echo libcurl)\",\"ir_per_op\":$n}" >> "$res"
  done
fi

if has footprint; then
  so=$(readlink -f "$lib")
  text=$(size -A "$so" | awk '$1 == ".text" { print $2 }')
  relocs=$(readelf -rW "$so" | grep -c 'R_X86_64_' || true)
  relative=$(readelf -rW "$so" | grep -c 'R_X86_64_RELATIVE' || true)
  echo "{\"case\":\"footprint\",\"so_bytes\":$(stat -c %s "$so"),\"text_bytes\":$text,\"relocations\":$relocs,\"relative_relocations\":$relative}" >> "$res"
fi

if [[ $CASES == "single concurrent python instructions footprint" ]]; then
  "$py" Benchmarks/report.py "$res" docs/BENCHMARKS.md docs/benchmarks.png
else
  "$py" Benchmarks/report.py "$res" "$out/BENCHMARKS.md" "$out/benchmarks.png"
fi
