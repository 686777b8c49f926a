#!/usr/bin/env bash
# Sourced by other scripts: starts the local stand-in server on a free 127.0.0.1 port and sets
# STAND_IN_PORT; the server stops when the sourcing shell exits (its stdin pipe closes).
_stand_in_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
coproc STAND_IN { exec python3 "$_stand_in_dir/Tests/server/stand_in.py" --lifetime 3600; }
read -r _word STAND_IN_PORT <&"${STAND_IN[0]}"
[[ $_word == PORT ]] || { echo "stand-in server did not start" >&2; exit 1; }
trap 'kill $STAND_IN_PID 2>/dev/null' EXIT
