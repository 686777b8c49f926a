"""qwen3vl.ray.ImageChat: rows in and out and the bound on calls in flight, called as Ray calls it;
then a real local Ray (ray.init(num_cpus=2)) mapping 200 generated images (as bytes, and 50 of them
as paths) through two actors against the stand-in. The Ray test is skipped where Ray is not installed (scripts/test.sh installs it in a
virtualenv of its own, build/rayvenv, for its Ray step)."""
from __future__ import annotations

import base64
import json
import os
import urllib.request
import zlib
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from qwen3vl import pixels_data_uri
from qwen3vl.ray import ImageChat


def png(width: int, height: int, rgb: bytes) -> bytes:
    """A PNG of one colour, made by the library itself."""
    return base64.b64decode(pixels_data_uri(rgb * (width * height), width, height, format="RGB").split(",", 1)[1])


def echo(prompt: str, data: bytes) -> str:
    """The stand-in's answer to a prompt with these image bytes."""
    return "echo: %s [image_url image/png %d %08x]" % (prompt, len(data), zlib.crc32(data))


def recorded(port: int, uid: str) -> List[Dict[str, Any]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_requests/{uid}") as r:
        records: List[Dict[str, Any]] = json.load(r)
    return records


def test_rows_in_and_out(base: Callable[..., str], tmp_path: Path) -> None:
    data = [png(4, 4, bytes([i, 2, 3])) for i in range(3)]
    (tmp_path / "a.png").write_bytes(data[0])
    chat = ImageChat("Caption", client_options={"base_url": base()}, max_tokens=20)
    batch = {"id": [1, 2, 3, 4, 5], "image": [str(tmp_path / "a.png"), data[1], "https://example.com/c.png",
                                             str(tmp_path / "missing.png"), 3.5]}
    out = chat(batch)
    assert out["id"] == [1, 2, 3, 4, 5] and out["image"] == batch["image"]
    assert out["text"][:3] == [echo("Caption", data[0]), echo("Caption", data[1]),
                               "echo: Caption [image_url https://example.com/c.png]"]
    assert out["error"][:3] == [None, None, None]
    assert out["usage"][0] == {"prompt_tokens": 11, "completion_tokens": len(out["text"][0]) // 4,
                               "total_tokens": 11 + len(out["text"][0]) // 4}
    assert out["text"][3] is None and out["usage"][3] is None
    assert out["error"][3].startswith("QWEN3VL_ERR_FILE: ") and "missing.png" in out["error"][3]
    assert out["error"][4].startswith("QWEN3VL_ERR_INVALID_ARGUMENT: an image must be") and out["text"][4] is None


def test_per_row_prompts_and_pixel_arrays(base: Callable[..., str]) -> None:
    np = pytest.importorskip("numpy", reason="pixel arrays need numpy")
    pixels = np.zeros((2, 3, 3), dtype=np.uint8)
    pixels[..., 0] = 255
    chat = ImageChat(prompt_column="question", client_options={"base_url": base()})
    out = chat({"question": np.array(["What colour?", "How big?"]), "image": [pixels, png(1, 1, b"\0\0\0")]})
    assert out["error"] == [None, None]
    assert out["text"][0].startswith("echo: What colour? [image_url image/png ")
    assert out["text"][1] == echo("How big?", png(1, 1, b"\0\0\0"))


def test_in_flight_bounded_per_actor(base: Callable[..., str]) -> None:
    # The stand-in answers 429 to a call arriving while 4 are being answered; without retries, any
    # call beyond the bound would come back as an error row.
    images = [png(2, 2, bytes([i, 0, 0])) for i in range(12)]
    options = {"base_url": base("busy:4:150"), "max_retries": 0}
    out = ImageChat("x", max_in_flight=4, client_options=options)({"image": images})
    assert out["error"] == [None] * 12
    # The same with room for 8: the stand-in does see too many at once.
    options = {"base_url": base("busy:4:150"), "max_retries": 0}
    out = ImageChat("x", max_in_flight=8, client_options=options)({"image": images})
    assert any(e and e.startswith("QWEN3VL_ERR_RATE_LIMIT") for e in out["error"])


def test_arguments() -> None:
    with pytest.raises(ValueError):
        ImageChat()
    with pytest.raises(ValueError):
        ImageChat("x", prompt_column="q")
    with pytest.raises(ValueError):
        ImageChat("x", max_in_flight=0)


def test_local_ray_cluster(port: int, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is not installed here: the Ray step of scripts/test.sh installs it "
                                            "(pip install ray[data]) into build/rayvenv and runs this test there")
    images = {f"img{i:03d}.png": png(6, 6, bytes([i, 255 - i, 7])) for i in range(200)}
    for name, data in images.items():
        (tmp_path / name).write_bytes(data)
    # Two actors with 4 calls each in flight against a server that refuses a ninth call at once (and
    # no retries): no row may fail. All 200 rows as bytes (read_binary_files), then 50 as paths. The
    # actors mostly wait on the network: half a CPU each leaves the reading tasks room on two CPUs.
    uid = "ray%d" % os.getpid()
    options = {"base_url": f"http://127.0.0.1:{port}/s/busy:8:50/{uid}/v1", "max_retries": 0}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        pool = ray.data.ActorPoolStrategy(size=2)
        by_bytes = ray.data.read_binary_files(str(tmp_path), include_paths=True).map_batches(
            ImageChat, compute=pool, num_cpus=0.5, batch_size=20, fn_constructor_kwargs={
                "prompt": "Caption this image", "image_column": "bytes", "max_in_flight": 4, "client_options": options})
        rows = by_bytes.take_all()
        by_path = ray.data.from_items([{"path": str(tmp_path / n)} for n in list(images)[:50]]).map_batches(
            ImageChat, compute=pool, num_cpus=0.5, batch_size=10, fn_constructor_kwargs={
                "prompt": "Caption this image", "image_column": "path", "max_in_flight": 4, "client_options": options})
        rows += by_path.take_all()
    finally:
        ray.shutdown()
    assert len(rows) == 250
    for row in rows:
        assert row["error"] is None, row["error"]
        assert row["text"] == echo("Caption this image", images[Path(row["path"]).name])
        assert row["usage"]["total_tokens"] > 0
    assert len(recorded(port, uid)) == 250
