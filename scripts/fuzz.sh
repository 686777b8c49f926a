#!/usr/bin/env bash
# Runs each libFuzzer target (Fuzz/) for SECONDS seconds (default 60), starting from the seed corpora
# in Fuzz/corpus/<target> (new finds are kept in $FUZZ_OUT/<target>, crashes in $FUZZ_OUT/crashes;
# FUZZ_OUT defaults to build/fuzz).
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: request reply stream grounding sniff image
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(request reply stream grounding sniff image)
./scripts/deps.sh
# -Xswiftc/-Xcc reach the library's own targets too (--sanitize alone instruments only Fuzz/'s).
(cd Fuzz && swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
   -Xcc -fsanitize=fuzzer-no-link,address 2> >(grep -v "Cannot export local symbol" >&2) >/dev/null)
bin=Fuzz/.build/release/qwen3vl-fuzz
out=${FUZZ_OUT:-build/fuzz}
mkdir -p "$out/crashes"
rc=0
for t in "${targets[@]}"; do
  mkdir -p "$out/$t"
  if QWEN3VL_FUZZ_TARGET=$t "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$out/crashes/$t-" -print_final_stats=1 "$out/$t" "Fuzz/corpus/$t" \
       > "$out/$t.log" 2>&1; then
    echo "fuzz $t: $(grep -E '^stat::number_of_executed_units' "$out/$t.log" | awk '{print $2}') executions in ${seconds}s," \
         "coverage $(grep -oE 'cov: [0-9]+' "$out/$t.log" | tail -1), no findings"
  else
    echo "fuzz $t: FAILED, see $out/$t.log"; tail -30 "$out/$t.log"; rc=1
  fi
done
exit $rc
