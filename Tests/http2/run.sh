#!/usr/bin/env bash
# HTTP/2 and connection limits of the non-blocking calls, against nginx on loopback with a
# certificate made here: 200 calls in flight on one client share one or two HTTP/2 connections,
# and an HTTP/1.1 server sees no more than max_connections. Prints the connection counts.
set -euo pipefail
cd "$(dirname "$0")/../.."
./scripts/deps.sh  # nginx-light among the rest
out=$(mktemp -d)
chmod 755 "$out"  # nginx workers (another user) read the canned replies
trap 'kill $(cat "$out/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$out"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$out/key.pem" -out "$out/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
ports=($(python3 -c "
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(('127.0.0.1', 0))
print(*[s.getsockname()[1] for s in socks])"))
python3 Benchmarks/canned.py "$out" "${ports[0]}" "$out/cert.pem" "$out/key.pem" "${ports[1]}" "${ports[2]}"
nginx -c "$out/nginx.conf" -p "$out" 2> >(grep -v "could not open error log" >&2 || true)
sleep 0.3
cc -std=c11 -Wall -Wextra -Werror -Iinclude Tests/http2/many_calls.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lqwen3vl -o "$out/many_calls"
connections() { awk '{print $1}' "$1" | sort -u | wc -l; }
rc=0
# up to 100 calls share one connection (libcurl's streams-per-connection limit); beyond that it opens
# more, each before it knows it multiplexes, and max_connections bounds them.
h2_case() {  # h2_case KIND N MAX_CONNECTIONS_OPTION MOST_CONNECTIONS
  : > "$out/h2.log"
  "$out/many_calls" "https://127.0.0.1:${ports[1]}/$1/v1" "$2" $3 || rc=1
  local h2 proto
  h2=$(connections "$out/h2.log"); proto=$(awk '{print $2}' "$out/h2.log" | sort -u | tr '\n' ' ')
  echo "HTTP/2 listener: $2 $1 calls ${3:-(default options)} over $h2 connection(s), protocol $proto"
  [[ $proto == "HTTP/2.0 " && $h2 -le $4 ]] || { echo "calls were not multiplexed"; rc=1; }
}
h2_case plain 90 "" 1
h2_case stream 90 "" 1
h2_case plain 400 '"max_connections":4' 4
h2_case stream 400 '"max_connections":4' 4
"$out/many_calls" "https://127.0.0.1:${ports[2]}/plain/v1" 200 '"max_connections":8' || rc=1
h1=$(connections "$out/h1.log")
echo "HTTP/1.1 listener, max_connections 8: 200 calls over $h1 connection(s)"
[[ $h1 -le 8 ]] || { echo "more connections than max_connections"; rc=1; }
exit $rc
