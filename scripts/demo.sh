#!/usr/bin/env bash
# The newcomer's first command: install what is needed, build libqwen3vl.so, build the C example and
# ask Qwen3-VL about a picture. With AIML_API_KEY set it talks to the real service; without, to the
# bundled local stand-in server, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
make lib
cc -std=c11 -Wall -Wextra -Werror examples/chat.c -Iinclude -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" \
   -lqwen3vl -ljansson -o build/chat
if [[ -z ${AIML_API_KEY:-} && -z ${AIMLAPI_API_KEY:-} ]]; then
  source scripts/stand-in.sh
  echo "demo: AIML_API_KEY is not set, so this runs against the LOCAL STAND-IN server on 127.0.0.1:$STAND_IN_PORT," >&2
  echo "demo: which echoes your question back. Set AIML_API_KEY to ask the real Qwen3-VL." >&2
  AIML_API_KEY=stand-in-key AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" build/chat "$@"
else
  echo "demo: asking the real service at ${AIML_API_BASE:-https://api.aimlapi.com/v1}" >&2
  build/chat "$@"
fi
