# SPDX-License-Identifier: MIT
"""Three Qwen3-VL calls at once on one asyncio loop: one streamed as it arrives, two awaited.

    make lib && pip install bindings/python
    AIML_API_KEY=... python3 examples/asyncio_loop.py        (Ctrl-C cancels the calls)

The key and base URL come from the environment (AIML_API_KEY, AIML_API_BASE).
No call holds the loop: while one reply streams in, the others are in flight too, and the loop is
free for anything else the program does. Cancelling a task (as Ctrl-C does) cancels its request.
"""
import asyncio
import sys

import qwen3vl

PICTURE = "https://upload.wikimedia.org/wikipedia/commons/3/3a/Cat03.jpg"


async def describe(client: qwen3vl.AsyncClient) -> str:
    """Prints the reply as it streams in and returns it whole."""
    pieces: list[str] = []
    print("picture (streaming): ", end="", flush=True)
    try:
        async for delta in client.stream("Describe this picture.", images=[PICTURE]):
            print(delta, end="", flush=True)
            pieces.append(delta)
    finally:
        print()
    return "".join(pieces)


async def main() -> int:
    async with qwen3vl.AsyncClient() as client:  # leaving the block cancels whatever still runs
        try:
            picture, capital, haiku = await asyncio.gather(
                describe(client),
                client.chat("What is the capital of France?"),
                client.chat("Write a haiku about rain.", max_tokens=64),
            )
        except qwen3vl.Qwen3VLError as e:  # the first failure; closing the client stops the others
            print(f"{type(e).__name__}: {e}", file=sys.stderr)
            return 1
    print(f"picture: {picture}")
    print(f"capital: {capital.text}")
    print(f"haiku: {haiku.text}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:  # asyncio.run has cancelled the tasks, and with them the requests
        sys.exit(130)
