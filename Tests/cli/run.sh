#!/usr/bin/env bash
# The qwen3vl command (build/bin/qwen3vl, `make cli`) against the stand-in server: help and usage
# errors; chat streamed, whole, as JSON, with options, failing and interrupted; batch finding images
# by content, one whole line each, resumed (done skipped, torn last line redone, failures only with
# --retry-failed), pacing 429s, stopping on a refused key or on a used-up quota, Ctrl-C once and
# twice, progress on a terminal and off it, --dry-run's vision tokens, and --resize. Prints "ok - NAME" per case.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/stand-in.sh
Q=$PWD/build/bin/qwen3vl
[[ -x $Q ]] || { echo "no $Q: make cli"; exit 1; }
T=$(mktemp -d)
trap 'kill $STAND_IN_PID 2>/dev/null; rm -rf "$T"' EXIT
export AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1"
IMAGES="python3 Tests/cli/make_images.py"
CHECK="python3 Tests/cli/check_results.py"

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }
url() { echo "http://127.0.0.1:$STAND_IN_PORT/s/$1/$2/v1"; }                       # url SCENARIO UID
recorded() {  # recorded UID EXPR: EXPR over the stand-in's records of the uid (recs; r: the first body)
  python3 -c "import json, sys, urllib.request as u
recs = json.load(u.urlopen(sys.argv[1])); r = json.loads(recs[0]['body']) if recs else None; print($2)" \
    "http://127.0.0.1:$STAND_IN_PORT/_requests/$1"
}
requests() { recorded "$1" "len(recs)"; }
body() { recorded "$1" "$2"; }  # body UID EXPR: EXPR of the first request's body (r)
ms() { date +%s%3N; }
echo_of() {  # the stand-in's echo of an image file
  python3 -c "import sys, zlib; d = open(sys.argv[1], 'rb').read(); print('[image_url image/png %d %08x]' % (len(d), zlib.crc32(d)))" "$1"
}

help_and_usage() {
  $Q --help | grep -q "^Commands:" && $Q chat --help | grep -q -- "--no-stream" &&
    $Q batch --help | grep -q -- "--retry-failed" && $Q help batch | grep -q -- "--dry-run" &&
    $Q --version | grep -q "^qwen3vl 0.1.0 (libqwen3vl " || fail "help texts"
  local args
  for args in "" "frobnicate" "chat" "chat --bogus x" "chat one two" "chat -t abc x" "chat -r yaml x" \
              "batch $T" "batch $T --prompt x" "batch /nonexistent --prompt x --out $T/o" \
              "batch $T --prompt x --prompt-file $T/p --out $T/o" "batch $T --prompt x --out $T/o -c 0" \
              "batch $T --prompt x --out"; do
    # shellcheck disable=SC2086
    $Q $args >/dev/null 2>&1; [[ $? == 2 ]] || fail "qwen3vl $args: exit $? (usage errors are 2)"
  done
  if command -v groff >/dev/null; then
    [[ -z $(groff -man -ww -z cli/qwen3vl.1 2>&1) ]] || fail "the man page has warnings"
  fi
  ok "help, usage errors (exit 2), man page"
}

chat() {
  $IMAGES "$T/c" 1 && local img=$T/c/img0000.png out
  out=$($Q chat "What is this?" -i "$img") && [[ $out == "echo: What is this? $(echo_of "$img")" ]] || fail "chat printed: $out"
  # Streamed: the first piece arrives long before the end (ten characters, 150 ms apart).
  python3 - "$Q" "$(url sse:delay=150:text=abcdefghij stream)" <<'PY' || fail "chat did not stream"
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen([sys.argv[1], "chat", "--base-url", sys.argv[2], "hi"], stdout=subprocess.PIPE)
first = p.stdout.read(1)
t1 = time.monotonic()
rest = p.stdout.read()
t2 = time.monotonic()
assert p.wait() == 0 and first + rest == b"abcdefghij\n", first + rest
assert t1 - t0 < (t2 - t0) / 2, (t1 - t0, t2 - t0)
PY
  out=$($Q chat --no-stream -m my-model -s "Be brief." -t 7 -r json --base-url "$(url ok whole)" "Hi") &&
    [[ $out == "echo: Hi" ]] || fail "chat --no-stream printed: $out"
  [[ $(body whole "'stream' in r, r['model'], r['max_tokens'], r['response_format'], r['messages'][0]") == \
     "False my-model 7 {'type': 'json_object'} {'role': 'system', 'content': 'Be brief.'}" ]] || fail "chat's request: $(body whole r)"
  out=$($Q chat --json "Hi" -i "$img") &&
    python3 -c "import json, sys; r = json.loads(sys.argv[1]); assert r['object'] == 'chat.completion' and r['choices'][0]['message']['content'].startswith('echo: Hi [image_url image/png')" "$out" ||
    fail "chat --json printed: $out"
  out=$(echo "From stdin?" | $Q chat -) && [[ $out == "echo: From stdin?" ]] || fail "chat - printed: $out"
  out=$($Q chat --base-url "$(url status:400 bad)" "Hi" 2>&1); [[ $? == 1 && $out == *"QWEN3VL_ERR_BAD_REQUEST"* ]] || fail "chat, 400: $out"
  out=$($Q chat "Hi" -i "$T/missing.png" 2>&1); [[ $? == 1 && $out == *"QWEN3VL_ERR_FILE"*"missing.png"* ]] || fail "chat, no file: $out"
  # Ctrl-C mid-stream: the call is cancelled, the text so far stays, exit 130 well within a second.
  $Q chat --base-url "$(url sse:delay=200:text=abcdefghijklmnopqrst int)" "Hi" >"$T/int.out" 2>&1 & local pid=$!
  for _ in {1..100}; do [[ -s $T/int.out ]] && break; sleep 0.02; done
  local t0 rc; t0=$(ms); kill -INT $pid; wait $pid; rc=$?
  (( rc == 130 && $(ms) - t0 < 1000 )) || fail "chat, Ctrl-C: exit $rc after $(( $(ms) - t0 )) ms"
  [[ $(head -c 1 "$T/int.out") == a && $(wc -c <"$T/int.out") -lt 20 ]] || fail "chat, Ctrl-C printed: $(cat "$T/int.out")"
  ok "chat: streamed, --no-stream, --json, options in the request, stdin, errors (exit 1), Ctrl-C (exit 130)"
}

# A tree with 13 images: nested, one without an extension, one named "a:b c.png", a text file named
# like an image, a FIFO, a symbolic link looping back, and one directory given twice.
make_tree() {
  $IMAGES "$1" 10 && $IMAGES "$1/sub/deeper" 1 && mv "$1/sub/deeper/img0000.png" "$1/sub/deeper/no-extension" &&
    $IMAGES "$1/sub" 2 && mv "$1/sub/img0001.png" "$1/sub/a:b c.png" && echo "not a picture" >"$1/sub/fake.jpg" &&
    mkfifo "$1/sub/fifo" && ln -s .. "$1/sub/loop"
}

batch_runs() {
  make_tree "$T/tree" || fail "making the tree"
  local out=$T/tree.jsonl err
  err=$($Q batch "$T/tree" "$T/tree/sub" --prompt "Caption this" --out "$out" --base-url "$(url ok tree)" 2>&1) ||
    fail "batch: exit $?: $err"
  $CHECK "$out" 13 0 || fail "batch lines"
  [[ $err == *"13 done, 0 failed, 2 files skipped (not images)"* ]] || fail "batch summary: $err"
  [[ $(body tree "r['messages'][0]['content'][1]") == "{'type': 'text', 'text': 'Caption this'}" ]] || fail "batch request"
  # Again: nothing to do, nothing sent.
  err=$($Q batch "$T/tree" --prompt "Caption this" --out "$out" --base-url "$(url ok tree)" 2>&1) &&
    [[ $err == *"0 done, 0 failed, 13 done before"* && $(requests tree) == 13 ]] || fail "batch again: $err"
  # A torn last line (a run killed mid-write) is cut off and its image done again, with the one before.
  head -n 11 "$out" >"$T/torn" && printf '{"path":"%s","text":"ech' "$T/tree/img0" >>"$T/torn" && mv "$T/torn" "$out"
  err=$($Q batch "$T/tree" --prompt "Caption this" --out "$out" --base-url "$(url ok tree)" 2>&1) &&
    [[ $err == *"torn"* && $err == *"2 done, 0 failed, 11 done before"* ]] || fail "batch after a torn line: $err"
  $CHECK "$out" 13 0 || fail "batch lines after a torn line"
  # A damaged line before the last is not ours to cut: exit 2, the file untouched.
  sed -i '3s/.*/garbage/' "$out" && local sum; sum=$(md5sum <"$out")
  err=$($Q batch "$T/tree" --prompt "Caption this" --out "$out" 2>&1); [[ $? == 2 && $err == *"line 3"* && $(md5sum <"$out") == "$sum" ]] ||
    fail "batch on a damaged file: $err"
  ok "batch: images by content (links, FIFO, duplicates), whole lines, resumed, torn last line redone"
}

retry_failed() {
  $IMAGES "$T/r/a" 4 && $IMAGES "$T/r/b" 4 || fail "images"
  local out=$T/r.jsonl err rc
  $Q batch "$T/r/a" --prompt x --out "$out" --base-url "$(url ok ra)" 2>/dev/null || fail "retry: first run"
  err=$($Q batch "$T/r" --prompt x --out "$out" --base-url "$(url status:400 rb)" 2>&1); rc=$?
  [[ $rc == 1 && $err == *"0 done, 4 failed, 4 done before"* ]] || fail "retry: failing run, exit $rc: $err"
  $CHECK "$out" 4 4 || fail "retry: lines of the failing run"
  err=$($Q batch "$T/r" --prompt x --out "$out" --base-url "$(url ok rc)" 2>&1); rc=$?
  [[ $rc == 1 && $err == *"4 failed before (--retry-failed"* && $(requests rc) == 0 ]] || fail "retry: without --retry-failed, exit $rc: $err"
  err=$($Q batch "$T/r" --prompt x --out "$out" --retry-failed --base-url "$(url ok rd)" 2>&1) &&
    [[ $err == *"4 done, 0 failed, 4 done before"* && $(requests rd) == 4 ]] || fail "retry: --retry-failed: $err"
  $CHECK "$out" 8 0 || fail "retry: one line per image after --retry-failed"
  ok "batch: failures kept (exit 1), tried again only with --retry-failed"
}

rate_limits() {
  $IMAGES "$T/q" 40 || fail "images"
  local out=$T/q.jsonl err rc
  # A server taking 4 calls at once answers the rest 429: the run slows down and every image is done.
  err=$($Q batch "$T/q" --prompt x --out "$out" -c 16 --base-url "$(url busy:4:100 qa)" 2>&1) &&
    [[ $err == *"at most 8 calls at once now"* && $err == *"40 done, 0 failed"* ]] || fail "429s: $err"
  $CHECK "$out" 40 0 || fail "429s: lines"
  # A server answering nothing but 429 (a used-up quota): the run stops soon, leaving the rest for later.
  rm "$out"
  local t0; t0=$(ms)
  err=$($Q batch "$T/q" --prompt x --out "$out" -c 16 --base-url "$(url status:429:ra_ms=10 qb)" 2>&1); rc=$?
  [[ $rc == 1 && $err == *"nothing but 429"* && $err == *"not done"* ]] && (( $(ms) - t0 < 10000 )) || fail "only 429s, exit $rc: $err"
  err=$($Q batch "$T/q" --prompt x --out "$out" -c 16 --retry-failed --base-url "$(url ok qc)" 2>&1) && $CHECK "$out" 40 0 ||
    fail "after the 429s: $err"
  # A refused key stops the run at once and writes nothing, so that the right key does every image.
  rm "$out"
  err=$($Q batch "$T/q" --prompt x --out "$out" --base-url "$(url status:401 qd)" 2>&1); rc=$?
  [[ $rc == 1 && $err == *"refused the key"* && ! -s $out ]] || fail "401, exit $rc: $err"
  ok "batch: 429s lower the calls in flight, a used-up quota and a refused key stop the run"
}

wait_lines() {  # wait_lines FILE N: until FILE has N lines (4 s at most)
  for _ in {1..200}; do [[ -f $1 && $(wc -l <"$1") -ge $2 ]] && return; sleep 0.02; done
}

interrupted() {
  $IMAGES "$T/i" 30 || fail "images"
  local out=$T/i.jsonl err rc t0 n
  $Q batch "$T/i" --prompt x --out "$out" -c 4 --base-url "$(url slow:400 ia)" 2>"$T/i.err" & local pid=$!
  wait_lines "$out" 4
  t0=$(ms); kill -INT $pid; wait $pid; rc=$?
  (( rc == 130 && $(ms) - t0 < 1000 )) || fail "Ctrl-C: exit $rc after $(( $(ms) - t0 )) ms: $(cat "$T/i.err")"
  n=$(wc -l <"$out")
  grep -q "interrupted; $n done, 0 failed, $((30 - n)) not done" "$T/i.err" || fail "Ctrl-C summary: $(cat "$T/i.err")"
  $CHECK "$out" "$n" 0 || fail "Ctrl-C: lines"
  err=$($Q batch "$T/i" --prompt x --out "$out" --base-url "$(url ok ib)" 2>&1) && $CHECK "$out" 30 0 &&
    [[ $(requests ib) == $((30 - n)) ]] || fail "after Ctrl-C: $err"
  # A second Ctrl-C exits at once, even while the first one's clean-up is stuck: here stderr is a
  # full pipe that nobody reads, so the first one's message blocks. The lines written are whole.
  rm "$out"
  mkfifo "$T/full" && exec 3<>"$T/full" &&
    python3 -c "import os; os.set_blocking(3, False); exec('try:\n while True: os.write(3, bytes(4096))\nexcept BlockingIOError: pass')" ||
    fail "a full pipe"
  $Q batch "$T/i" --prompt x --out "$out" -c 4 --base-url "$(url slow:400 ic)" 2>"$T/full" & pid=$!
  wait_lines "$out" 4
  kill -INT $pid; sleep 0.3
  kill -0 $pid 2>/dev/null || fail "the first Ctrl-C did not get stuck writing to a full pipe"
  t0=$(ms); kill -INT $pid; wait $pid; rc=$?
  exec 3>&-
  (( rc == 130 && $(ms) - t0 < 300 )) && $CHECK "$out" "$(wc -l <"$out")" 0 || fail "second Ctrl-C: exit $rc after $(( $(ms) - t0 )) ms"
  ok "batch: Ctrl-C cancels, keeps whole lines, exits 130 within a second; a second Ctrl-C exits at once"
}

progress() {
  $IMAGES "$T/p" 12 || fail "images"
  local err
  # Not a terminal: plain lines every two seconds.
  err=$($Q batch "$T/p" --prompt x --out "$T/p1.jsonl" -c 2 --base-url "$(url slow:450 pa)" 2>&1) &&
    grep -Eq "^qwen3vl batch: [0-9]+/12, 0 failed, [0-9.]+/s, [0-9]+ tokens, ETA [0-9]+:[0-9]{2}$" <<<"$err" ||
    fail "progress lines: $err"
  # A terminal: a bar redrawn in place.
  script -qefc "$Q batch $T/p --prompt x --out $T/p2.jsonl -c 4 --base-url $(url slow:100 pb)" /dev/null >"$T/tty.out" 2>&1 ||
    fail "batch under a terminal: $(cat "$T/tty.out")"
  grep -q $'\r\\[###*\\.*\\] [0-9]*/12, ' "$T/tty.out" && grep -q $'\\] 12/12, 0 failed' "$T/tty.out" ||
    fail "progress bar: $(cat -v "$T/tty.out")"
  ok "batch: progress as plain lines, and as a bar on a terminal"
}

dry_run() {
  $IMAGES "$T/d" 3 1000 500 || fail "images"
  local out
  out=$($Q batch "$T/d" --prompt x --dry-run --base-url "$(url ok dry)") &&
    [[ $(grep -c "^     496   1000x500    $T/d/img000[0-2].png$" <<<"$out") == 3 && $(tail -n 1 <<<"$out") == "    1488  vision tokens for 3 images" &&
       $(requests dry) == 0 ]] || fail "dry run printed: $out"
  $Q batch "$T/d/img0000.png" --prompt x --out "$T/d.jsonl" --base-url "$(url ok dry)" 2>/dev/null &&
    out=$($Q batch "$T/d" --prompt x --out "$T/d.jsonl" --dry-run) && [[ $(tail -n 1 <<<"$out") == *"992  vision tokens for 2 images (1 more done before)" ]] ||
    fail "dry run after a run printed: $out"
  ok "batch --dry-run: vision tokens per image and in all, nothing sent"
}

resize_flag() {
  $IMAGES "$T/z" 2 1000 490 || fail "images"
  # The image each request carried: its type and size (PNG's IHDR, or a JPEG's SOF).
  sent() { recorded "$1" "(lambda b: (b[:4] == b'\x89PNG' and ('png', int.from_bytes(b[16:20], 'big'), int.from_bytes(b[20:24], 'big')))
    or next(('jpeg', int.from_bytes(b[i+7:i+9], 'big'), int.from_bytes(b[i+5:i+7], 'big')) for i in range(2, len(b)) if b[i] == 0xff and b[i+1] in (0xc0, 0xc2)))(
    __import__('base64').b64decode(r['messages'][0]['content'][0]['image_url']['url'].split(',', 1)[1]))"; }
  local mode want err
  for mode in "model ('jpeg', 992, 480)" "200000 ('jpeg', 608, 288)" "off ('png', 1000, 490)"; do
    want=${mode#* }; mode=${mode%% *}
    err=$($Q batch "$T/z" --prompt x --out "$T/z-$mode.jsonl" --resize "$mode" --base-url "$(url ok "z$mode")" 2>&1) &&
      [[ $err == *"2 done, 0 failed"* && $(requests "z$mode") == 2 && $(sent "z$mode") == "$want" ]] ||
      fail "batch --resize $mode sent $(sent "z$mode"), wanted $want"
  done
  local out
  out=$($Q batch "$T/z" --prompt x --dry-run --resize 200000) && [[ $(tail -n 1 <<<"$out") == "     342  vision tokens for 2 images" ]] ||
    fail "dry run with --resize printed: $out"
  out=$($Q batch "$T/z" --prompt x --out "$T/z.jsonl" --resize 1000 2>&1); [[ $? == 2 && $out == *"from 65536"* ]] ||
    fail "batch --resize 1000: $out"
  ok "batch --resize model|N|off: each image sent at the size asked for; the dry run counts the budget's tokens"
}

no_leaks() {
  $IMAGES "$T/v" 20 || fail "images"
  local vg=(valgrind -q --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite --error-exitcode=9)
  "${vg[@]}" "$Q" batch "$T/v" --prompt x --out "$T/v.jsonl" -c 8 --base-url "$(url slow:20 va)" 2>"$T/v.err" &&
    $CHECK "$T/v.jsonl" 20 0 && "${vg[@]}" "$Q" chat x -i "$T/v/img0000.png" >/dev/null 2>>"$T/v.err" ||
    fail "under valgrind: $(cat "$T/v.err")"
  ok "batch and chat under valgrind: no errors, no definite leaks"
}

help_and_usage
chat
batch_runs
retry_failed
rate_limits
interrupted
progress
dry_run
resize_flag
no_leaks
