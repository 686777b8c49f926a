#!/usr/bin/env python3
"""Checks a results file of `qwen3vl batch` written against the stand-in server:

    check_results.py FILE OK FAILED

Every line is a whole JSON object with the documented keys, each path once; OK lines succeeded and
FAILED lines carry an error with a status name; each successful line's text is the stand-in's echo
of exactly the bytes of the file at its path (type, size and CRC-32), so no answer went to the
wrong image."""
import json
import sys
import zlib

KEYS = {"path", "text", "finish_reason", "usage", "request_id", "error"}


def main() -> int:
    path, want_ok, want_failed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    raw = open(path, "rb").read()
    if raw and not raw.endswith(b"\n"):
        print("%s: the last line has no newline" % path)
        return 1
    ok = failed = 0
    seen = set()
    for n, line in enumerate(raw.decode().splitlines(), 1):
        r = json.loads(line)
        if set(r) != KEYS:
            print("line %d: keys %s" % (n, sorted(r)))
            return 1
        if r["path"] in seen:
            print("line %d: %s a second time" % (n, r["path"]))
            return 1
        seen.add(r["path"])
        if r["error"] is None:
            data = open(r["path"], "rb").read()
            echo = "[image_url image/png %d %08x]" % (len(data), zlib.crc32(data))
            if not r["text"].endswith(echo) or r["finish_reason"] != "stop" or r["usage"]["total_tokens"] <= 0 \
                    or not r["request_id"]:
                print("line %d: %s does not answer %s" % (n, line, echo))
                return 1
            ok += 1
        else:
            if not r["error"]["status"].startswith("QWEN3VL_ERR_") or not r["error"]["message"]:
                print("line %d: error %s" % (n, r["error"]))
                return 1
            failed += 1
    if (ok, failed) != (want_ok, want_failed):
        print("%s: %d ok and %d failed lines, expected %d and %d" % (path, ok, failed, want_ok, want_failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
