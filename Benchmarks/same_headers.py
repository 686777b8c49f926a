"""Checks that `concurrent floor-sdk` sends the request header lines libqwen3vl sends (plain and
streamed), so that its instruction count is the floor's plus what an SDK's request costs libcurl.
    same_headers.py CONCURRENT     exits 1, naming the lines that differ, if they are not the same
Listens on 127.0.0.1 only, answers each request with a canned reply, and stops by itself."""
import json
import socket
import subprocess
import sys
import threading

REPLY = json.dumps({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                                 "finish_reason": "stop"}]}).encode()


def serve(listener: socket.socket, seen: list) -> None:
    try:
        conn, _ = listener.accept()
    except OSError:  # no request came (timed out, or closed)
        return
    with conn:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")[1:]
        length = next(int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length:"))
        while len(body) < length:
            body += conn.recv(65536)
        seen.append(sorted(l for l in lines if not l.lower().startswith("host:")))  # each run has its port
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(REPLY) + REPLY)


def headers(concurrent: str, who: str, mode: str) -> list:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)
    seen: list = []
    t = threading.Thread(target=serve, args=(listener, seen))
    t.start()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    # A plain reply ends a streamed call too (the library accepts it; the floor finds no chunk).
    subprocess.run([concurrent, who, base, mode, "1", "1"], stdout=subprocess.DEVNULL, timeout=20)
    t.join(20)
    listener.close()
    return seen[0] if seen else []


failed = False
for mode in ("call", "stream"):
    lib, sdk = headers(sys.argv[1], "qwen", mode), headers(sys.argv[1], "floor-sdk", mode)
    if not lib or lib != sdk:
        failed = True
        print(f"{mode}: libqwen3vl sends {lib}, floor-sdk {sdk}", file=sys.stderr)
sys.exit(1 if failed else 0)
