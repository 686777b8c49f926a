#!/usr/bin/env python3
"""A chat-completions server that answers every call after a fixed delay, for batch benchmarks.

    delay_server.py MS   ->  prints "PORT n"; POST /v1/chat/completions answered after MS ms

HTTP/1.1 keep-alive on 127.0.0.1 only, the request read whole (Content-Length), a canned
chat.completion as the reply. Written on asyncio's protocols, not a thread per connection, so that
a thousand calls a second cost it little of the machine. Exits when stdin closes."""
import asyncio
import json
import sys

DELAY = int(sys.argv[1]) / 1000.0
BODY = json.dumps({
    "id": "chatcmpl-delay", "object": "chat.completion", "created": 1764000000, "model": "qwen3-vl-32b-instruct",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "A small square of one colour."},
                 "finish_reason": "stop", "logprobs": None}],
    "usage": {"prompt_tokens": 79, "completion_tokens": 8, "total_tokens": 87}}).encode()
REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-inference-id: delay\r\nContent-Length: %d\r\n\r\n"
         % len(BODY)) + BODY


class Connection(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buf = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            length = 0
            for line in head.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    length = int(line[15:])
                elif line.startswith(b"expect:") and b"100-continue" in line and len(self.buf) == end + 4:
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if len(self.buf) < end + 4 + length:
                return
            del self.buf[:end + 4 + length]
            asyncio.get_running_loop().call_later(DELAY, self.reply)

    def reply(self) -> None:
        if not self.transport.is_closing():
            self.transport.write(REPLY)


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Connection, "127.0.0.1", 0, backlog=1024)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until whoever started us goes away


asyncio.run(main())
