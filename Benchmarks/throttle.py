#!/usr/bin/env python3
"""A bandwidth-limited loopback link: forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET, the upload
(client to server) paced at RATE bits per second with one budget shared by all connections (an
uplink), replies as fast as they come.

    throttle.py LISTEN TARGET RATE LIFETIME

Prints "READY" once listening; exits after LIFETIME seconds or when stdin closes, printing the
bytes it carried upstream."""
import asyncio
import sys
import time

CHUNK = 64 << 10
IDLE = 0.05


async def main() -> None:
    listen, target, rate, lifetime = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 8, float(sys.argv[4])
    state = {"next": time.monotonic(), "up": 0}

    async def paced(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(CHUNK):
            # The link is busy until `next`; this chunk takes len/rate after that. A wake-up that
            # came late is made up on the next chunks (the link only restarts from now after an idle
            # spell), so the rate holds on average however coarse the sleeps are.
            now = time.monotonic()
            if now - state["next"] > IDLE:
                state["next"] = now
            state["next"] += len(data) / rate
            await asyncio.sleep(max(0.0, state["next"] - now))
            state["up"] += len(data)
            writer.write(data)
            await writer.drain()
        writer.close()

    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def connection(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(paced(client_r, server_w), plain(server_r, client_w), return_exceptions=True)

    server = await asyncio.start_server(connection, "127.0.0.1", listen)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    await asyncio.wait([asyncio.ensure_future(stdin_closed), asyncio.ensure_future(asyncio.sleep(lifetime))],
                       return_when=asyncio.FIRST_COMPLETED)
    server.close()
    print(state["up"], flush=True)


if __name__ == "__main__":
    asyncio.run(main())
