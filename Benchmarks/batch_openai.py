#!/usr/bin/env python3
"""`qwen3vl batch`'s job written the usual Python way, for Benchmarks/batch.sh to compare with:
openai.AsyncOpenAI, an asyncio.Semaphore for the calls in flight, one JSONL line per image.

    batch_openai.py DIR OUT BASE_URL CONCURRENCY

Every image under DIR (recursively, typed by its first bytes), sent as a base64 data: URI with the
prompt; each result written as a line (path, text, finish_reason, usage, request_id, error)."""
import asyncio
import base64
import json
import os
import sys

import openai

MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}
PROMPT = "Caption this image"


def images(root: str):
    for d, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                head = f.read(16)
            mime = next((m for magic, m in MAGIC.items() if head.startswith(magic)), None)
            if mime:
                yield path, mime


async def main() -> None:
    root, out, base, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    client = openai.AsyncOpenAI(api_key="k", base_url=base)  # its own defaults, as a user writes it
    gate = asyncio.Semaphore(n)
    with open(out, "w") as f:
        async def one(path: str, mime: str) -> None:
            async with gate:
                with open(path, "rb") as img:
                    uri = "data:%s;base64,%s" % (mime, base64.b64encode(img.read()).decode())
                try:
                    r = await client.chat.completions.create(
                        model="alibaba/qwen3-vl-32b-instruct",
                        messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": uri}},
                                                               {"type": "text", "text": PROMPT}]}])
                    line = {"path": path, "text": r.choices[0].message.content,
                            "finish_reason": r.choices[0].finish_reason,
                            "usage": r.usage.model_dump() if r.usage else None, "request_id": r.id, "error": None}
                except openai.APIError as e:
                    line = {"path": path, "text": None, "finish_reason": None, "usage": None, "request_id": None,
                            "error": {"status": type(e).__name__, "message": str(e)}}
                f.write(json.dumps(line) + "\n")
        await asyncio.gather(*(one(p, m) for p, m in images(root)))


asyncio.run(main())
