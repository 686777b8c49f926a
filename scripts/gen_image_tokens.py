#!/usr/bin/env python3
"""Writes Tests/data/image_tokens.tsv: vision tokens that Qwen3-VL's own image processor gives a
width x height image under min_pixels/max_pixels, for the tests of qwen3vl_image_tokens.

Run once, by hand, with Hugging Face transformers installed (`pip install --no-deps transformers`
is enough): the tests read the table and need no transformers. The resize is transformers' own
`smart_resize`, taken from the installed source of the image processor Qwen3-VL uses
(Qwen2VLImageProcessor) and run as it stands; the module itself is not imported, since it wants
torch. Qwen3-VL's preprocessor_config.json sets patch_size 16, merge_size 2, size.shortest_edge
65536 and size.longest_edge 16777216.

    python3 scripts/gen_image_tokens.py > Tests/data/image_tokens.tsv
"""
import ast
import importlib.util
import math
import pathlib
import random

PATCH_SIZE, MERGE_SIZE = 16, 2
MIN_PIXELS, MAX_PIXELS = 65536, 16777216


def load_smart_resize():
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("transformers is not installed: pip install --no-deps transformers")
    root = pathlib.Path(spec.submodule_search_locations[0])
    auto = (root / "models/auto/image_processing_auto.py").read_text()
    assert '("qwen3_vl", {"torchvision": "Qwen2VLImageProcessor"' in auto, "Qwen3-VL's image processor changed"
    path = root / "models/qwen2_vl/image_processing_qwen2_vl.py"
    tree = ast.parse(path.read_text())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "smart_resize")
    scope = {"math": math}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), str(path), "exec"), scope)
    return scope["smart_resize"]


def tokens(smart_resize, width, height, min_pixels, max_pixels):
    """As Qwen2VLImageProcessor.get_number_of_image_patches, divided by merge_size**2 as
    Qwen3VLProcessor counts image tokens; -1 where the processor raises."""
    try:
        h, w = smart_resize(height, width, PATCH_SIZE * MERGE_SIZE, min_pixels=min_pixels, max_pixels=max_pixels)
    except ValueError:  # "absolute aspect ratio must be smaller than 200"
        return -1
    return (h // PATCH_SIZE) * (w // PATCH_SIZE) // MERGE_SIZE**2


def sizes():
    small = [1, 2, 7, 15, 16, 17, 31, 32, 33, 48, 80, 112, 144]
    out = [(w, h) for w in small for h in small]
    int_max = 2**31 - 1
    out += [
        (200, 1), (201, 1), (1, 200), (1, 201), (3000, 15), (3000, 16), (3200, 16), (3201, 16), (16, 3200),
        (6400, 32), (6401, 32), (16, 112), (112, 16), (200 * 77, 77), (200 * 77 + 1, 77),
        (640, 480), (1920, 1080), (1080, 1920), (4000, 3000), (3000, 4000), (1000, 1000), (1000, 500),
        (100, 80), (8000, 40), (100, 20000), (7680, 4320), (1024, 768), (1280, 720), (224, 224), (448, 448),
        (4096, 4096), (4097, 4097), (10000, 10000), (65535, 65535), (46341, 46341), (100000, 100000),
        (int_max, int_max), (int_max, int_max // 200), (int_max, int_max // 200 + 1), (int_max, 1),
        (2**30, 2**30), (int_max, 123456789), (99999999, 100000000),
    ]
    rng = random.Random(20250101)
    for _ in range(150):  # widths from 1 px to 2^31 - 1 and aspect ratios to 250, evenly on log scales
        w = int(math.exp(rng.uniform(0, math.log(int_max))))
        h = int(w * math.exp(rng.uniform(-math.log(250), math.log(250))))
        out.append((max(1, w), min(int_max, max(1, h))))
    for _ in range(60):  # huge, within the aspect ratio: width x height beyond 2^53
        w = rng.randint(10**7, int_max)
        out.append((w, rng.randint(max(1, w // 199), min(int_max, w * 199))))
    return list(dict.fromkeys(out))  # each size once, in order


LIMITS = [
    (MIN_PIXELS, MAX_PIXELS),  # the model's own, the library's defaults
    (4 * 32 * 32, MAX_PIXELS),  # qwen-vl-utils' minimum
    (MIN_PIXELS, 1003520),
    (1000000, MAX_PIXELS),
    (1, 1),
    (3000, 5000),
    (123457, 123457),
    (MIN_PIXELS, 2**62),
    (2**40, 2**62),
    (1, 2**63 - 1),
]


def main():
    smart_resize = load_smart_resize()
    print("# width\theight\tmin_pixels\tmax_pixels\ttokens (-1: refused); from transformers' smart_resize, "
          "by scripts/gen_image_tokens.py")
    for w, h in sizes():
        for lo, hi in LIMITS:
            print(f"{w}\t{h}\t{lo}\t{hi}\t{tokens(smart_resize, w, h, lo, hi)}")


if __name__ == "__main__":
    main()
