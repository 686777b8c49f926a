#!/usr/bin/env bash
# Runs each libFuzzer target (Fuzz/) for SECONDS seconds (default 60), starting from the seed corpora
# in Fuzz/corpus/<target> (new finds are kept in build/fuzz/<target>, crashes in build/fuzz/crashes).
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: request reply stream grounding sniff
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(request reply stream grounding sniff)
./scripts/deps.sh
(cd Fuzz && swift build -c release --sanitize=fuzzer --sanitize=address 2> >(grep -v "Cannot export local symbol" >&2) >/dev/null)
bin=Fuzz/.build/release/qwen3vl-fuzz
mkdir -p build/fuzz/crashes
rc=0
for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/$t"
  if QWEN3VL_FUZZ_TARGET=$t "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="build/fuzz/crashes/$t-" -print_final_stats=1 "build/fuzz/$t" "Fuzz/corpus/$t" \
       > "build/fuzz/$t.log" 2>&1; then
    echo "fuzz $t: $(grep -E '^stat::number_of_executed_units' "build/fuzz/$t.log" | awk '{print $2}') executions in ${seconds}s, no findings"
  else
    echo "fuzz $t: FAILED, see build/fuzz/$t.log"; tail -30 "build/fuzz/$t.log"; rc=1
  fi
done
exit $rc
