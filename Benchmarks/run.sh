#!/usr/bin/env bash
# Runs every benchmark case for every contender in one run, alternating, and writes
# docs/BENCHMARKS.md and docs/benchmarks.png. REPS=N sets the repetitions (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
./scripts/deps.sh
command -v nginx >/dev/null || { sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo; $sudo apt-get install -y -qq nginx-light >/dev/null; }
make lib >/dev/null
out=build/bench
mkdir -p "$out"
cc -O2 Benchmarks/floor.c -lcurl -ljansson -o "$out/floor"
cc -O2 -Iinclude Benchmarks/qwen_c.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl -lpthread -ldl -o "$out/qwen_c"
# Python contenders in a virtualenv of their own: the binding as users install it, and openai.
venv=$out/venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check openai matplotlib wheel "setuptools>=61"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps ./bindings/python
python3 -c "import os, sys; h = b'\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR' + (4000).to_bytes(4, 'big') + (3000).to_bytes(4, 'big') + bytes(9); open(sys.argv[1], 'wb').write(h + os.urandom(20 * 2**20 - 1 - len(h)))" "$out/20mib.png"

port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
rm -rf "$out/nginx" && mkdir -p "$out/nginx"
python3 Benchmarks/canned.py "$out/nginx" "$port"
nginx -c "$PWD/$out/nginx/nginx.conf" -p "$PWD/$out/nginx"
trap 'kill $(cat "$out/nginx/nginx.pid") 2>/dev/null || true' EXIT
sleep 0.3
plain=http://127.0.0.1:$port/plain/v1
stream=http://127.0.0.1:$port/stream/v1
res=$out/results.jsonl
: > "$res"
for rep in $(seq "$REPS"); do
  echo "repetition $rep/$REPS" >&2
  "$out/floor" "$plain" call 2000 >> "$res"
  "$out/qwen_c" "$plain" call 2000 >> "$res"
  "$venv/bin/python" Benchmarks/py_bench.py qwen3vl "$plain" call 1000 >> "$res"
  "$venv/bin/python" Benchmarks/py_bench.py openai "$plain" call 300 >> "$res"
  "$out/floor" "$stream" stream 200 >> "$res"
  "$out/qwen_c" "$stream" stream 200 >> "$res"
  "$venv/bin/python" Benchmarks/py_bench.py qwen3vl "$stream" stream 100 >> "$res"
  "$venv/bin/python" Benchmarks/py_bench.py openai "$stream" stream 20 >> "$res"
  "$out/floor" "$plain" image "$out/20mib.png" 5 >> "$res"
  "$out/qwen_c" "$plain" image "$out/20mib.png" 5 >> "$res"
  "$out/qwen_c" "$plain" threads 1 4000 >> "$res"
  "$out/qwen_c" "$plain" threads 16 4000 >> "$res"
  LD_LIBRARY_PATH=build/lib "$out/qwen_c" "$plain" cold >> "$res"
  "$venv/bin/python" Benchmarks/py_bench.py qwen3vl "$plain" cold >> "$res"
  "$venv/bin/python" Benchmarks/py_bench.py openai "$plain" cold >> "$res"
done
mkdir -p docs
"$venv/bin/python" Benchmarks/report.py "$res" docs/BENCHMARKS.md docs/benchmarks.png "./Benchmarks/run.sh"
