#!/usr/bin/env python3
"""The client-side resize (client/call option "resize") end to end, through the C API against the
stand-in server ($STAND_IN_PORT): a table of originals generated here with Pillow/numpy/pypng is
sent, as local files and as data: URIs; the image the server received is decoded and checked for
its size (what transformers' smart_resize gives, computed here independently), its fidelity to
Pillow's own BICUBIC resize of the same original (PSNR >= 35 dB or SSIM >= 0.98; bit for bit where
the output is lossless PNG), and its vision tokens (those of the original). Damaged images give
QWEN3VL_ERR_FILE, never a crash; http(s) URLs pass untouched; a 50-megapixel photo is resized in
bounded memory. Usage: test_resize.py (with the library in build/lib)."""
import base64
import ctypes
import io
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

import numpy as np
import png
from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIB = ctypes.CDLL(os.path.join(ROOT, "build/lib/libqwen3vl.so.0"))
LIB.qwen3vl_client_new.restype = ctypes.c_void_p
LIB.qwen3vl_client_new.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
LIB.qwen3vl_client_free.argtypes = [ctypes.c_void_p]
LIB.qwen3vl_chat_v2.restype = ctypes.c_void_p
LIB.qwen3vl_chat_v2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
LIB.qwen3vl_result_status.argtypes = [ctypes.c_void_p]
LIB.qwen3vl_result_error.restype = ctypes.c_char_p
LIB.qwen3vl_result_error.argtypes = [ctypes.c_void_p]
LIB.qwen3vl_result_free.argtypes = [ctypes.c_void_p]
LIB.qwen3vl_image_tokens.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64,
                                     ctypes.POINTER(ctypes.c_int64), ctypes.c_char_p, ctypes.c_size_t]
OK, ERR_INVALID_ARGUMENT, ERR_FILE = 0, 1, 3
PORT = os.environ["STAND_IN_PORT"]
MIN_PIXELS, MAX_PIXELS = 64 * 32 * 32, 16384 * 32 * 32
TMP = tempfile.mkdtemp(prefix="qwen3vl-resize-")
RNG = np.random.default_rng(20261125)
failures = []
uid_counter = [0]


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


# ---- the reference: transformers' smart_resize for Qwen3-VL, as the model's processor has it ----

def smart_resize(height, width, factor=32, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS):
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def tokens(w, h, lo=0, hi=0):
    out = ctypes.c_int64(-1)
    rc = LIB.qwen3vl_image_tokens(w, h, lo, hi, ctypes.byref(out), None, 0)
    return out.value if rc == OK else None


# ---- fidelity ----

def psnr(a, b):
    d = (a.astype(np.int32) - b.astype(np.int32)).ravel()
    mse = float(np.dot(d, d)) / d.size
    return 99.0 if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def ssim(a, b):
    """Mean SSIM of the luminance, 7x7 uniform windows (as scikit-image computes it by default)."""
    def grey(x):
        x = x.astype(np.float64)
        if x.ndim == 2 or x.shape[2] <= 2:  # grey, grey + alpha: the grey
            return x if x.ndim == 2 else x[..., 0]
        return x[..., :3] @ [0.299, 0.587, 0.114]
    x, y = grey(a), grey(b)

    def box(z):
        c = np.pad(z, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
        return (c[7:, 7:] - c[:-7, 7:] - c[7:, :-7] + c[:-7, :-7]) / 49.0
    mx, my = box(x), box(y)
    vx, vy, cxy = box(x * x) - mx * mx, box(y * y) - my * my, box(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


# ---- originals ----

def photo(w, h, noise=3, seed=0):
    """Photo-like content: gradients, a disc, soft texture and a little sensor noise (a tile of it,
    repeated: cheap for tens of megapixels)."""
    x = np.arange(w, dtype=np.float32)
    y = np.arange(h, dtype=np.float32)[:, None]
    img = np.empty((h, w, 3), np.uint8)
    img[..., 0] = (x / w * 220 + 20).astype(np.uint8)
    img[..., 1] = (y / h * 200 + 30).astype(np.uint8)
    img[..., 2] = (128 + 60 * np.sin(x / 41.0) * np.cos(y / 29.0)).astype(np.uint8)
    disc = (x - w * 0.4) ** 2 + (y - h * 0.45) ** 2 < (min(w, h) * 0.22) ** 2
    img[disc] = [205, 60, 45]
    tile = np.random.default_rng(seed).integers(-noise, noise + 1, (256, 256, 3), dtype=np.int16)
    for y0 in range(0, h, 256):
        for x0 in range(0, w, 256):
            block = img[y0:y0 + 256, x0:x0 + 256]
            block[...] = np.clip(block + tile[:block.shape[0], :block.shape[1]], 0, 255)
    return img


def save(name, im, **kw):
    path = os.path.join(TMP, name)
    im.save(path, **kw)
    return path


def exif(orientation):
    e = Image.Exif()
    e[0x0112] = orientation
    return e


def write_png16(name, rgb16):
    path = os.path.join(TMP, name)
    h, w, c = rgb16.shape
    with open(path, "wb") as f:
        png.Writer(w, h, greyscale=False, alpha=c == 4, bitdepth=16).write(f, rgb16.reshape(h, -1).tolist())
    return path


def reference(path, size):
    """What the model's processor would make of the original: Pillow opens it (first frame),
    turns it upright, converts it, and resizes it with BICUBIC."""
    im = ImageOps.exif_transpose(Image.open(path))
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode not in ("RGB", "RGBA", "L", "LA"):
        im = im.convert("RGB")
    return np.asarray(im.resize(size, Image.BICUBIC))


# ---- sending ----

def client(options):
    err = ctypes.create_string_buffer(512)
    c = LIB.qwen3vl_client_new(json.dumps(options).encode(), err, len(err))
    return c, err.value.decode()


def send(url, options=None, call_options=None, extra_parts=()):
    """Sends one image part; returns (status, error, received urls)."""
    uid_counter[0] += 1
    uid = "resize-%d-%d" % (os.getpid(), uid_counter[0])
    opts = {"base_url": "http://127.0.0.1:%s/s/ok/%s/v1" % (PORT, uid), "api_key": "k", "max_retries": 0}
    opts.update(options or {})
    c, err = client(opts)
    assert c, err
    parts = [{"type": "text", "text": "what is it?"}, {"type": "image_url", "image_url": {"url": url}}] + list(extra_parts)
    req = json.dumps({"messages": [{"role": "user", "content": parts}]}).encode()
    r = LIB.qwen3vl_chat_v2(c, req, json.dumps(call_options).encode() if call_options else None, None, None, None)
    status, error = LIB.qwen3vl_result_status(r), LIB.qwen3vl_result_error(r).decode()
    LIB.qwen3vl_result_free(r)
    LIB.qwen3vl_client_free(c)
    records = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_requests/%s" % (PORT, uid)))
    urls = []
    for rec in records:
        for p in json.loads(rec["body"])["messages"][0]["content"]:
            if p.get("type") == "image_url":
                urls.append(p["image_url"]["url"])
    return status, error, urls


def data_uri(path):
    with open(path, "rb") as f:
        raw = f.read()
    kind = Image.open(io.BytesIO(raw)).format.lower()
    return "data:image/%s;base64,%s" % (kind, base64.b64encode(raw).decode())


def received(url):
    head, _, payload = url.partition(",")
    return head, base64.b64decode(payload)


# ---- the table ----

def cases():
    """(name, path, how it is sent, options, call options, expected format, lossless?)"""
    a = photo(1600, 1200, seed=1)
    rgba = np.dstack([a, np.clip(np.mgrid[0:1200, 0:1600][1] // 6, 0, 255).astype(np.uint8)])
    huge = photo(6000, 4500, noise=2, seed=2)
    out = [
        ("huge JPEG (27 MP)", save("huge.jpg", Image.fromarray(huge), quality=92), "file", {}, None, "jpeg", False),
        ("huge JPEG, budget of 1 MP per call (DCT-scaled decode)", os.path.join(TMP, "huge.jpg"), "file", {},
         {"resize": {"max_pixels": 1 << 20}}, "jpeg", False),
        ("odd aspect PNG (4100 x 130)", save("odd.png", Image.fromarray(photo(4100, 130, seed=3))), "data", {}, None, "jpeg", False),
        ("progressive JPEG", save("progressive.jpg", Image.fromarray(a), quality=92, progressive=True), "file",
         {"max_pixels": 1 << 20}, None, "jpeg", False),
        ("grey JPEG", save("grey.jpg", Image.fromarray(a).convert("L"), quality=92), "data", {"max_pixels": 1 << 20}, None, "jpeg", False),
        ("CMYK JPEG", save("cmyk.jpg", Image.fromarray(a).convert("CMYK"), quality=92), "file", {"max_pixels": 1 << 20}, None, "jpeg", False),
        ("RGBA PNG", save("rgba.png", Image.fromarray(rgba, "RGBA")), "file", {"max_pixels": 1 << 20}, None, "png", True),
        ("grey + alpha PNG", save("la.png", Image.fromarray(rgba[..., [1, 3]], "LA")), "data", {"max_pixels": 1 << 20}, None, "png", True),
        ("palette PNG", save("palette.png", Image.fromarray(a).quantize(256, dither=Image.Dither.NONE)), "file",
         {"max_pixels": 1 << 20}, None, "jpeg", False),
        ("16-bit RGB PNG", write_png16("rgb16.png", a.astype(np.uint16) * 257), "file", {"max_pixels": 1 << 20}, None, "jpeg", False),
        ("16-bit RGBA PNG", write_png16("rgba16.png", rgba.astype(np.uint16) * 257 + 100), "data", {"max_pixels": 1 << 20}, None, "png", True),
        ("lossy WEBP", save("lossy.webp", Image.fromarray(a), quality=92), "data", {"max_pixels": 1 << 20}, None, "jpeg", False),
        ("WEBP with alpha, budget reduced by libwebp", save("alpha.webp", Image.fromarray(rgba, "RGBA"), lossless=True), "file", {},
         {"resize": {"max_pixels": 200000}}, "png", False),
        ("animated WEBP (first frame)", save("anim.webp", Image.fromarray(a), save_all=True, lossless=True, duration=80,
                                             append_images=[Image.fromarray(255 - a)]), "file", {"max_pixels": 1 << 20}, None, "jpeg", False),
    ]
    for o in (2, 3, 4, 5, 6, 7, 8):
        fmt = "JPEG" if o in (3, 6, 8) else "PNG"
        ext = "jpg" if fmt == "JPEG" else "png"
        kw = {"quality": 92} if fmt == "JPEG" else {}
        out.append(("EXIF orientation %d (%s)" % (o, fmt), save("rot%d.%s" % (o, ext), Image.fromarray(a), exif=exif(o), **kw),
                    "file", {"max_pixels": 1 << 20}, None, "jpeg", False))
    # An alpha PNG turned upright: lossless, so bit for bit (the passes run in Pillow's order).
    out.append(("EXIF orientation 6, RGBA PNG", save("rot6.png", Image.fromarray(rgba, "RGBA"), exif=exif(6)), "data",
                {"max_pixels": 1 << 20}, None, "png", True))
    return out


def test_table():
    for name, path, how, options, call, fmt, lossless in cases():
        opts = {"resize": "model"}
        opts.update(options)
        url = path if how == "file" else data_uri(path)
        status, error, urls = send(url, opts, call)
        if not check(status == OK and len(urls) == 1, "%s: %s %s" % (name, status, error)):
            continue
        head, raw = received(urls[0])
        got = Image.open(io.BytesIO(raw))
        got.load()
        upright = ImageOps.exif_transpose(Image.open(path)).size
        budget = (call or {}).get("resize", {}).get("max_pixels") if call else None
        hi = min(opts.get("max_pixels", MAX_PIXELS), budget or MAX_PIXELS)
        lo = min(opts.get("min_pixels", MIN_PIXELS), hi)
        h, w = smart_resize(upright[1], upright[0], min_pixels=lo, max_pixels=hi)
        check(head == "data:image/%s;base64" % fmt and got.format.lower() == fmt, "%s: sent as %s" % (name, head))
        check(got.size == (w, h), "%s: %s sent at %s, expected %s" % (name, upright, got.size, (w, h)))
        if got.size != (w, h):
            continue
        # The processor counts the same tokens for what was sent as for the original, at the limits
        # it was resized for (a budget lowers them on purpose).
        check(tokens(w, h, lo, hi) == tokens(upright[0], upright[1], lo, hi) == (w // 32) * (h // 32),
              "%s: tokens %s vs %s" % (name, tokens(w, h, lo, hi), tokens(upright[0], upright[1], lo, hi)))
        ref = reference(path, (w, h))
        mine = np.asarray(got)
        if mine.shape != ref.shape:
            check(False, "%s: received %s pixels, the reference %s" % (name, mine.shape, ref.shape))
            continue
        p = psnr(mine, ref)
        s = ssim(mine, ref) if p < 35 else None  # the second test, needed only when the first fails
        if lossless:
            check(np.array_equal(mine, ref), "%s: not bit for bit Pillow's (PSNR %.1f)" % (name, p))
        else:
            check(p >= 35 or s >= 0.98, "%s: PSNR %.1f dB, SSIM %s" % (name, p, s))
        print("  %-54s %-4s %9s -> %-9s %8d bytes  PSNR %5.1f dB%s" % (name, how, "%dx%d" % upright, "%dx%d" % got.size,
              len(raw), p, "" if s is None else ", SSIM %.4f" % s))


def test_untouched():
    """Images the processor keeps, http(s) URLs, resize off, and per-call overrides."""
    tiny = save("tiny.jpg", Image.fromarray(photo(50, 40)), quality=90)
    with open(tiny, "rb") as f:
        tiny_bytes = f.read()
    status, error, urls = send(tiny, {"resize": "model"})
    check(status == OK and received(urls[0])[1] == tiny_bytes, "a tiny image (below min_pixels) is sent as it is: %s" % error)
    fits = save("fits.png", Image.fromarray(photo(640, 480)))  # 640 x 480 is already on the grid
    with open(fits, "rb") as f:
        fits_bytes = f.read()
    status, error, urls = send(data_uri(fits), {"resize": "model"})
    check(status == OK and received(urls[0])[1] == fits_bytes, "an image of the model's own size is sent as it is")
    big = save("big.png", Image.fromarray(photo(1600, 1200)))
    web = "https://example.com/cat.jpg"
    status, error, urls = send(big, {"resize": "model", "max_pixels": 1 << 20},
                               extra_parts=[{"type": "image_url", "image_url": {"url": web}}])
    check(status == OK and len(urls) == 2 and urls[1] == web, "an https URL passes untouched: %s" % urls[1:])
    h, w = smart_resize(1200, 1600, max_pixels=1 << 20)
    check(Image.open(io.BytesIO(received(urls[0])[1])).size == (w, h), "the local image beside it is resized")
    status, _, urls = send(big, {"max_pixels": 1 << 20})
    check(Image.open(io.BytesIO(received(urls[0])[1])).size == (1600, 1200), "resize is off by default")
    status, _, urls = send(big, {"max_pixels": 1 << 20}, {"resize": "model"})
    check(Image.open(io.BytesIO(received(urls[0])[1])).size == (w, h), "a call turns resize on")
    status, _, urls = send(big, {"resize": "model", "max_pixels": 1 << 20}, {"resize": "off"})
    check(Image.open(io.BytesIO(received(urls[0])[1])).size == (1600, 1200), "a call turns resize off")
    sizes = []
    for q in (40, 95):
        status, _, urls = send(big, {"resize": "model", "max_pixels": 1 << 20, "jpeg_quality": q})
        sizes.append(len(received(urls[0])[1]))
    check(sizes[0] < sizes[1] * 0.6, "jpeg_quality 40 sends fewer bytes than 95: %s" % sizes)


def test_damaged():
    """Damaged images are QWEN3VL_ERR_FILE naming the image; the process lives on."""
    a = Image.fromarray(photo(1600, 1200))
    jpeg, pngb, webp = io.BytesIO(), io.BytesIO(), io.BytesIO()
    a.save(jpeg, "JPEG", quality=90)
    a.save(pngb, "PNG")
    a.save(webp, "WEBP", quality=90)
    bad = {
        "truncated JPEG": jpeg.getvalue()[: len(jpeg.getvalue()) // 2],
        "truncated PNG": pngb.getvalue()[: len(pngb.getvalue()) // 2],
        "PNG with a broken CRC": pngb.getvalue()[:40] + bytes([pngb.getvalue()[40] ^ 0xFF]) + pngb.getvalue()[41:],
        "truncated WEBP": webp.getvalue()[: len(webp.getvalue()) // 2],
        "JPEG header of 60000 x 60000": bytes(jpeg.getvalue()[:jpeg.getvalue().index(b"\xff\xc0") + 5]) + struct.pack(">HH", 60000, 60000)
        + jpeg.getvalue()[jpeg.getvalue().index(b"\xff\xc0") + 9:],
    }
    for name, raw in bad.items():
        path = os.path.join(TMP, "bad-%d" % len(raw))
        with open(path, "wb") as f:
            f.write(raw)
        for how, url in (("file", path), ("data URI", "data:image/png;base64," + base64.b64encode(raw).decode())):
            status, error, _ = send(url, {"resize": "model", "max_pixels": 1 << 20})
            check(status == ERR_FILE and "messages[0].content[1].image_url.url" in error,
                  "%s as %s: %s %s" % (name, how, status, error))


def test_options():
    for bad in ({"resize": "bogus"}, {"resize": {"max_pixels": 0}}, {"resize": {"pixels": 5}}, {"resize": 3},
                {"jpeg_quality": 0}, {"jpeg_quality": 101}, {"min_pixels": 0}, {"min_pixels": 100, "max_pixels": 99}):
        c, err = client(bad)
        check(not c and err.startswith("option "), "%s is refused: %s" % (bad, err))
        if c:
            LIB.qwen3vl_client_free(c)
    status, error, _ = send("https://example.com/a.jpg", {}, {"resize": "sometimes"})
    check(status == ERR_INVALID_ARGUMENT and "resize" in error, "a bad call option is refused: %s" % error)


CHILD = r"""
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
lib.qwen3vl_client_new.restype = ctypes.c_void_p
lib.qwen3vl_chat_v2.restype = ctypes.c_void_p
lib.qwen3vl_chat_v2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
lib.qwen3vl_result_status.argtypes = [ctypes.c_void_p]
lib.qwen3vl_result_error.argtypes = [ctypes.c_void_p]
lib.qwen3vl_result_error.restype = ctypes.c_char_p
lib.qwen3vl_client_new.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
def peak_kb():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1])
# A child's peak starts as its parent's (fork copies it): reset it (Linux's clear_refs 5) first.
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = peak_kb()
c = lib.qwen3vl_client_new(json.dumps(dict(json.loads(sys.argv[4]), base_url=sys.argv[2], resize="model")).encode(), None, 0)
req = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": sys.argv[3]}}]}]}
r = lib.qwen3vl_chat_v2(c, json.dumps(req).encode(), None, None, None, None)
print(json.dumps([lib.qwen3vl_result_status(r), lib.qwen3vl_result_error(r).decode(), before, peak_kb()]))
"""


def child(path, wrapper=(), options=None):
    """Sends `path` with resize "model" (and `options`) from a process of its own: (status, error,
    peak RSS in kB before, after)."""
    uid = "resize-child-%d-%d" % (os.getpid(), len(failures))
    out = subprocess.run(list(wrapper) + [sys.executable, "-c", CHILD, os.path.join(ROOT, "build/lib/libqwen3vl.so.0"),
                                          "http://127.0.0.1:%s/s/ok/%s/v1" % (PORT, uid), path, json.dumps(options or {})],
                         capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else (-1, out.stderr[-500:], 0, 0)


def test_missing_library():
    """Without a codec's library (hidden here behind an empty file, in a mount namespace of its own)
    a resize is QWEN3VL_ERR_FILE naming the library and its package; the library itself never
    links the codecs (the shipped-.so step checks its NEEDED entries)."""
    lib = next((line.split(" => ")[1].strip() for line in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines()
                if line.strip().startswith("libspng.so.0 ")), None)
    hide = ["unshare", "-rm", "sh", "-c", 'mount --bind /dev/null "$0" && exec "$@"', os.path.realpath(lib or "/nonexistent")]
    if not lib or subprocess.run(hide + ["true"], capture_output=True).returncode != 0:
        print("  skipped: no mount namespace here to hide libspng.so.0 in")
        return
    path = save("hidden.png", Image.fromarray(photo(1600, 1200)))
    status, error, _, _ = child(path, hide, {"max_pixels": 1 << 20})
    check(status == ERR_FILE and "libspng.so.0" in error and "libspng0" in error and "image_url.url" in error,
          "without libspng: %s %s" % (status, error))
    jpeg = save("beside-hidden.jpg", Image.fromarray(photo(1600, 1200)), quality=90)
    status, error, _, _ = child(jpeg, hide, {"max_pixels": 1 << 20})
    check(status == OK, "a JPEG needs no libspng: %s %s" % (status, error))


def test_memory():
    """A 50-megapixel photo (8192 x 6144, 4:2:0 baseline JPEG, upright and rotated) is resized to the
    model's 16.7 MP in well under 200 MB: rows stream from the decoder to the encoder (a rotated
    image's output is held whole to be turned)."""
    y, x = np.mgrid[0:6144, 0:8192].astype(np.float32)
    img = np.stack([x / 8192 * 255, y / 6144 * 255, 128 + 100 * np.sin(x / 50.0) * np.cos(y / 70.0)], -1).astype(np.uint8)
    del x, y
    upright = save("50mp.jpg", Image.fromarray(img), quality=90)
    rotated = save("50mp-rot6.jpg", Image.fromarray(img), quality=90, exif=exif(6))
    del img
    for name, path, limit_mb in (("upright", upright, 40), ("EXIF-rotated", rotated, 100)):
        status, error, before, after = child(path)
        grown = (after - before) / 1024
        check(status == OK and grown < limit_mb, "50 MP %s: status %s %s, peak RSS grew %.0f MB (limit %d)" %
              (name, status, error, grown, limit_mb))
        print("  50 MP %-12s peak RSS +%.0f MB" % (name, grown))


def main():
    for test in (test_options, test_untouched, test_damaged, test_missing_library, test_table, test_memory):
        start = time.time()
        test()
        print("%s: %.1f s" % (test.__name__, time.time() - start))
    print("resize: %d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
