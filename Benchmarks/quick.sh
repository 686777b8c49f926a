#!/usr/bin/env bash
# Quick figures against the local stand-in server (a Python server, so it bounds the call rate):
# time per keep-alive call, and peak memory growth while sending a 20 MiB local image.
set -euo pipefail
cd "$(dirname "$0")/.."
make lib >/dev/null
mkdir -p build/bench
cc -O2 -Iinclude Benchmarks/qwen_c.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl -lpthread -ldl -o build/bench/qwen_c
python3 -c "import os, sys; h = b'\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR' + (4000).to_bytes(4, 'big') + (3000).to_bytes(4, 'big') + bytes(9); open(sys.argv[1], 'wb').write(h + os.urandom(20 * 2**20 - 1 - len(h)))" build/bench/20mib.png
source scripts/stand-in.sh
build/bench/qwen_c "http://127.0.0.1:$STAND_IN_PORT/v1" call 1000
build/bench/qwen_c "http://127.0.0.1:$STAND_IN_PORT/v1" image build/bench/20mib.png 1
