#!/usr/bin/env bash
# qwen3vl batch against the same job on openai.AsyncOpenAI: 2,000 small images, a local server that
# answers each call after 50 ms, 64 calls in flight. REPS=N repetitions (default 3). Prints a table
# of medians (Benchmarks/batch.py); docs/BENCHMARKS-batch.md has the figures of a run.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
./scripts/deps.sh
make cli >/dev/null
venv=build/bench-batch-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check openai
python3 Benchmarks/batch.py "$PWD/build/bin/qwen3vl" "$venv/bin/python" "$REPS"
