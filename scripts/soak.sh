#!/usr/bin/env bash
# Soak (20,000 calls and 2,000 streams on one client: memory and descriptors must stay put) and
# concurrency stress (32 threads streaming on one client while others cancel at random), against
# the local stand-in. SOAK_CALLS, SOAK_STREAMS, STRESS_THREADS, STRESS_STREAMS override the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
make lib >/dev/null
mkdir -p build/tests
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Iinclude Tests/stress/soak.c -Lbuild/lib \
   -Wl,-rpath,"$PWD/build/lib" -lqwen3vl -lpthread -o build/tests/soak
source scripts/stand-in.sh
build/tests/soak soak "http://127.0.0.1:$STAND_IN_PORT/v1" "${SOAK_CALLS:-20000}" "${SOAK_STREAMS:-2000}"
build/tests/soak stress "http://127.0.0.1:$STAND_IN_PORT/s/sse:pieces=256:delay=1/stress/v1" \
  "${STRESS_THREADS:-32}" "${STRESS_STREAMS:-20}"
