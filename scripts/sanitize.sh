#!/usr/bin/env bash
# The C tests over a sanitizer build of the library:
#   scripts/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer)
#   scripts/sanitize.sh tsan   ThreadSanitizer, over the multi-threaded tests and the stress run
# The library is built with Swift's -sanitize=... (C shims with clang's -fsanitize=...), and the
# tests with the same clang, so that both use one sanitizer runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-asan}
./scripts/deps.sh
CLANG=$(dirname "$(command -v swiftc)")/clang
extra=()
c_extra=()
swiftlib=$(dirname "$(command -v swiftc)")/../lib/swift/linux
case $mode in
  asan) swift_san=address; c_san=address,undefined ;;
  tsan) swift_san=thread; c_san=thread; extra=(-Xlinker -ldispatch -Xlinker -lBlocksRuntime)  # the TSan runtime wants libdispatch
        c_extra=(-L"$swiftlib" -Wl,-rpath,"$swiftlib" -ldispatch -lBlocksRuntime) ;;
  *) echo "usage: $0 asan|tsan" >&2; exit 2 ;;
esac
scratch=.build-$mode
swift build -c release --product qwen3vl --scratch-path "$scratch" -Xswiftc -sanitize=$swift_san -Xcc -fsanitize=$swift_san \
  ${extra[@]+"${extra[@]}"} >/dev/null
out=build/$mode
mkdir -p "$out/lib"
cp "$scratch/release/libqwen3vl.so" "$out/lib/libqwen3vl.so.0"
ln -sf libqwen3vl.so.0 "$out/lib/libqwen3vl.so"
build() {  # build SOURCE NAME
  "$CLANG" -fuse-ld=lld -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=$c_san -fno-omit-frame-pointer -fno-sanitize-recover=all \
    -Wall -Wextra -Werror -Iinclude "$1" -L"$out/lib" -lqwen3vl -lcurl -ljansson -lpthread \
    -Wl,-rpath,"$PWD/$out/lib" ${c_extra[@]+"${c_extra[@]}"} -o "$out/$2" 2> >(grep -v "Cannot export local symbol" >&2)
}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=66
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$PWD/Tests/tsan.supp"
rc=0
if [[ $mode == asan ]]; then
  for t in Tests/c/test_*.c; do
    name=$(basename "$t" .c)
    build "$t" "$name"
    QWEN3VL_TEST_SLOW=3 "$out/$name" || rc=1
  done
  # The stress run too: LeakSanitizer checks at exit that cancelled calls left nothing behind.
  build Tests/stress/soak.c soak
  (source scripts/stand-in.sh
   "$out/soak" stress "http://127.0.0.1:$STAND_IN_PORT/s/sse:pieces=256:delay=1/asan/v1" 32 10) || rc=1
else
  for t in test_core test_stream test_faults test_calls test_call_promises test_resize; do
    build "Tests/c/$t.c" "$t"
  done
  QWEN3VL_TEST_SLOW=4 "$out/test_core" many_threads || rc=1
  QWEN3VL_TEST_SLOW=4 "$out/test_stream" || rc=1
  QWEN3VL_TEST_SLOW=4 "$out/test_calls" || rc=1  # the I/O thread against the host's threads
  QWEN3VL_TEST_SLOW=4 "$out/test_call_promises" || rc=1  # many takers; calls freed on their threads
  QWEN3VL_TEST_SLOW=4 "$out/test_resize" || rc=1  # and the preparer thread
  build Tests/stress/soak.c soak
  (source scripts/stand-in.sh
   "$out/soak" stress "http://127.0.0.1:$STAND_IN_PORT/s/sse:pieces=256:delay=1/tsan/v1" 32 10) || rc=1
fi
exit $rc
