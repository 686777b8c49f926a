#!/usr/bin/env bash
# The SQLite extension (build/lib/libqwen3vl_sqlite.so, `make sqlite`) through the stock sqlite3
# shell against the stand-in server: every function, errors as SQL errors with the status name,
# per-connection options, a 1,000-row UPDATE with image BLOBs, a failing row rolling its statement
# back, and closing connections (the client freed: valgrind sees no leak) and loading again.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/stand-in.sh
ROOT=$PWD
EXT=$ROOT/build/lib/libqwen3vl_sqlite
[[ -f $EXT.so ]] || { echo "no $EXT.so: make sqlite"; exit 1; }
T=$(mktemp -d)
trap 'kill $STAND_IN_PID 2>/dev/null; rm -rf "$T"' EXIT
export AIML_API_KEY=k AIML_API_BASE="http://127.0.0.1:$STAND_IN_PORT/v1"
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }
url() { echo "http://127.0.0.1:$STAND_IN_PORT/s/$1/$2/v1"; }
python3 Tests/cli/make_images.py "$T/img" 2 && cd "$T" || fail "images"
ECHO=$(python3 -c "import zlib; d = open('img/img0001.png', 'rb').read(); print('[image_url image/png %d %08x]' % (len(d), zlib.crc32(d)))")

functions() {
  local out
  out=$(sqlite3 :memory: 2>&1 <<SQL
.load $EXT
SELECT qwen3vl_chat('Caption this', 'img/img0001.png');
SELECT qwen3vl_chat('Caption this', readfile('img/img0001.png'));
SELECT qwen3vl_chat('Text only');
SELECT qwen3vl_chat(NULL, 'img/img0001.png') IS NULL, qwen3vl_chat('Null image', NULL);
SELECT json_extract(qwen3vl_chat_json('{"messages": [{"role": "user", "content": "hey"}], "max_tokens": 5}'),
                    '\$.object', '\$.choices[0].message.content');
SELECT qwen3vl_image_tokens(1000, 500), qwen3vl_image_tokens(3000, 15), qwen3vl_image_tokens(64, 64, 4096, 0);
SQL
) || fail "sqlite3 exited $?: $out"
  [[ $out == "echo: Caption this $ECHO
echo: Caption this $ECHO
echo: Text only
1|echo: Null image
[\"chat.completion\",\"echo: hey\"]
496|114|4" ]] || fail "functions printed: $out"
  ok "qwen3vl_chat (path, BLOB, text only, NULLs), qwen3vl_chat_json, qwen3vl_image_tokens"
}

errors_and_config() {
  local out
  out=$(sqlite3 :memory: 2>&1 <<SQL
.load $EXT
SELECT qwen3vl_config('{"base_url": "$(url status:503 err)", "max_retries": 0}');
SELECT qwen3vl_chat('fails');
SELECT qwen3vl_chat('not an image', x'00112233');
SELECT qwen3vl_chat_json('{"messages": 3}');
SELECT qwen3vl_image_tokens(0, 5);
SELECT qwen3vl_config('{"bogus": 1}');
SELECT qwen3vl_config('{"base_url": "$(url ok cfg)", "model": "from-config"}');
SELECT qwen3vl_chat('configured');
SQL
)
  grep -q "QWEN3VL_ERR_SERVER: HTTP 503: stand-in says 503" <<<"$out" &&
    grep -q "QWEN3VL_ERR_FILE: the bytes are not an image of a known type" <<<"$out" &&
    grep -q "QWEN3VL_ERR_INVALID_REQUEST: messages must be an array" <<<"$out" &&
    grep -q "QWEN3VL_ERR_INVALID_ARGUMENT: Qwen3-VL takes no 0 × 5 image" <<<"$out" &&
    grep -q 'QWEN3VL_ERR_INVALID_ARGUMENT: unknown option "bogus"' <<<"$out" &&
    grep -qx "echo: configured" <<<"$out" || fail "errors and config printed: $out"
  python3 -c "import json, sys, urllib.request as u; r = json.load(u.urlopen(sys.argv[1]))
assert len(r) == 1 and json.loads(r[0]['body'])['model'] == 'from-config', r" "http://127.0.0.1:$STAND_IN_PORT/_requests/cfg" ||
    fail "qwen3vl_config's model was not used"
  ok "errors are SQL errors with the status name; qwen3vl_config replaces the connection's client"
}

thousand_rows() {
  python3 -c "
import sqlite3, sys
sys.path.insert(0, '$ROOT/Tests/cli')
from make_images import png
db = sqlite3.connect('photos.db')
db.execute('CREATE TABLE photos (id INTEGER PRIMARY KEY, image BLOB, caption TEXT)')
db.executemany('INSERT INTO photos (id, image) VALUES (?, ?)', [(i, png(8, 8, bytes([i % 256, i // 256, 9]))) for i in range(1000)])
db.commit()" || fail "making photos.db"
  # A row whose image is no image fails the statement: no row is changed.
  local out
  out=$(sqlite3 photos.db 2>&1 <<SQL
.load $EXT
UPDATE photos SET caption = qwen3vl_chat('Caption this image', CASE WHEN id = 500 THEN x'00' ELSE image END);
SELECT count(*) FROM photos WHERE caption IS NOT NULL;
SQL
)
  [[ $out == *"QWEN3VL_ERR_FILE"* && $(tail -n 1 <<<"$out") == 0 ]] || fail "a failing row: $out"
  local t0; t0=$(date +%s%3N)
  out=$(sqlite3 photos.db 2>&1 <<SQL
.load $EXT
UPDATE photos SET caption = qwen3vl_chat('Caption this image', image);
SELECT count(*) FROM photos WHERE caption IS NOT NULL;
SQL
) && [[ $out == 1000 ]] || fail "1,000-row UPDATE: $out"
  echo "  1,000-row UPDATE: $(( $(date +%s%3N) - t0 )) ms"
  python3 -c "
import sqlite3, zlib
for i, image, caption in sqlite3.connect('photos.db').execute('SELECT id, image, caption FROM photos'):
    want = 'echo: Caption this image [image_url image/png %d %08x]' % (len(image), zlib.crc32(image))
    assert caption == want, (i, caption, want)" || fail "captions do not answer their rows' images"
  ok "a 1,000-row UPDATE captions every row from its own BLOB; a failing row changes none"
}

closing_and_loading_again() {
  # Three connections in one process, each closed by .open: each client is freed (valgrind: no
  # definite leak, no error) and a new connection loads the extension again.
  local out
  out=$(valgrind -q --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite --error-exitcode=9 \
          --suppressions="$ROOT/Tests/sqlite/valgrind.supp" sqlite3 :memory: 2>&1 <<SQL
.load $EXT
SELECT qwen3vl_chat('one', readfile('img/img0001.png'));
SELECT qwen3vl_config('{"max_retries": 1}');
.open :memory:
.load $EXT
SELECT qwen3vl_chat('two');
.open :memory:
.load $EXT
.load $EXT
SELECT qwen3vl_chat('three');
SQL
) && [[ $out == "echo: one $ECHO
ok
echo: two
echo: three" ]] || fail "closing and loading again (exit $?): $out"
  ok "connections closed and the extension loaded again (twice in one connection too), under valgrind"
}

functions
errors_and_config
thousand_rows
closing_and_loading_again
