"""What the binding knows of the C library, pinned to include/qwen3vl.h (the one source): each
ctypes declaration against its prototype, each constant against its #define, the status codes
against qwen3vl_status_name, the Client's keywords against the client options, the per-call
keywords against the call options."""
from __future__ import annotations

import ctypes
import inspect
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import qwen3vl
from qwen3vl import _errors
from qwen3vl import _native as n
from qwen3vl import _options
from qwen3vl._request import split_call_options

HEADER = Path(__file__).resolve().parents[3] / "include" / "qwen3vl.h"
TEXT = HEADER.read_text()


def defines() -> Dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^#define (QWEN3VL_\w+)\s+(-?\d+)\b", TEXT, re.M)}


def prototypes() -> Dict[str, Tuple[str, List[str]]]:
    """qwen3vl_name -> (return type, parameter types), from the header without its comments."""
    code = re.sub(r"/\*.*?\*/", " ", TEXT, flags=re.S)
    code = re.sub(r"^#.*$", " ", code, flags=re.M)
    out = {}
    for m in re.finditer(r"([A-Za-z_][\w\s*]*?)\s*\b(qwen3vl_\w+)\s*\(([^;{]*?)\)\s*;", code):
        params = [] if m[3].strip() in ("", "void") else [p.strip() for p in m[3].split(",")]
        types = [re.sub(r"\s*\b\w+$", "", p) if not p.endswith("*") else p for p in params]
        out[m[2]] = (" ".join(m[1].split()), [" ".join(t.replace("*", " * ").split()) for t in types])
    return out


POINTERS = {ctypes.c_void_p, ctypes.c_char_p}


def accepts(ctype: Any, c: str) -> bool:
    """Whether the ctypes type declared fits the C type of the prototype."""
    c = c.replace("const ", "")
    if c == "void":
        return ctype is None
    pointee = {"int *": ctypes.c_int, "size_t *": ctypes.c_size_t, "int64_t *": ctypes.c_int64,
               "char * *": ctypes.c_void_p}
    if c in pointee:
        return ctype is ctypes.POINTER(pointee[c])
    if c.endswith("*"):
        return ctype in POINTERS
    if c == "qwen3vl_log_fn":
        return ctype is n.LOG_FN
    if c == "qwen3vl_delta_fn":
        return ctype is n.DELTA_FN
    return ctype is {"int": ctypes.c_int, "size_t": ctypes.c_size_t, "int64_t": ctypes.c_int64,
                     "double": ctypes.c_double}[c]


def test_every_declaration_matches_its_prototype() -> None:
    protos = prototypes()
    declared = {name: fn for name, fn in vars(n).items()  # NO_DELTA, a NULL pointer, declares nothing
                if isinstance(fn, ctypes._CFuncPtr) and fn}  # type: ignore
    assert len(declared) >= 35
    for name, fn in declared.items():
        assert fn.__name__ == "qwen3vl_" + name, name
        ret, params = protos[fn.__name__]
        assert accepts(fn.restype, ret), (name, ret, fn.restype)
        assert len(fn.argtypes) == len(params), (name, params)
        for ctype, c in zip(fn.argtypes, params):
            assert accepts(ctype, c), (name, c, ctype)


def test_constants_match_the_header() -> None:
    d = defines()
    assert d["QWEN3VL_OK"] == n.OK
    for group in ("TOKENS", "PIXELS", "EVENT", "LOG"):
        ours = {k: v for k, v in vars(n).items() if k.startswith(group + "_") and isinstance(v, int)}
        theirs = {k[len("QWEN3VL_"):]: v for k, v in d.items() if k.startswith(f"QWEN3VL_{group}_")}
        assert ours == theirs, group


def test_status_classes_come_from_the_library() -> None:
    statuses = {k: v for k, v in defines().items() if k.startswith("QWEN3VL_ERR_")}
    assert len(statuses) == len(_errors.BY_STATUS) == 13
    for name, value in statuses.items():
        assert n.status_name(value).decode() == name
        assert _errors.BY_STATUS[value].status_name == name
    assert _errors.for_status(len(statuses) + 1) is qwen3vl.Qwen3VLError


def header_options(start: str, end: str) -> Set[str]:
    block = TEXT[TEXT.index(start):TEXT.index(end, TEXT.index(start))]
    names: Set[str] = set()
    for m in re.finditer(r"^ \*\s{3}(\w+(?:, \w+)*)\s+(?:string|integer|boolean|object)\b", block, re.M):
        names.update(x.strip() for x in m[1].split(","))
    return names


def test_client_keywords_are_the_client_options() -> None:
    options = header_options("/* Creates a client.", "qwen3vl_client *qwen3vl_client_new") | \
        header_options("Client options for media:", "The functions below")
    assert {"api_key", "max_connections", "max_video_bytes", "ca_file", "ca_path"} <= options
    keywords = set(inspect.signature(qwen3vl.Client).parameters)
    assert keywords == {o[:-3] if o.endswith("_ms") else o for o in options}
    assert set(inspect.signature(qwen3vl.AsyncClient).parameters) == keywords
    assert {o for o in options if o.endswith("_ms")} == {k + "_ms" for k in _options.SECONDS}
    # Every keyword reaches the library under the option's name.
    sample = {k: (1 if k != "headers" else {"X": "y"}) for k in keywords}
    assert set(json.loads(_options.library_options(sample))) == options
    # The defaults the binding resolves itself are the header's.
    base_line = next(line for line in TEXT.splitlines() if "base_url" in line and "env" in line)
    key_line = next(line for line in TEXT.splitlines() if "api_key" in line and "env" in line)
    nxt = TEXT.splitlines()[TEXT.splitlines().index(base_line) + 1]
    assert all(v in base_line for v in _options.BASE_VARIABLES) and _options.DEFAULT_BASE_URL in base_line + nxt
    assert all(v in key_line for v in _options.KEY_VARIABLES)


def test_per_call_keywords_are_call_options() -> None:
    options = header_options("call_options_json is NULL or a JSON object", "Unknown keys")
    assert options == {"stream", "timeout_ms", "idle_timeout_ms", "max_retries", "headers", "query",
                       "response_headers", "resize"}
    every = {"timeout": 1, "idle_timeout": 1, "max_retries": 1, "extra_headers": {"a": "b"}, "extra_query": {"c": 1},
             "resize": "model"}
    body, made = split_call_options(dict(every, temperature=0.5), True, {}, response_headers=True)
    assert body == {"temperature": 0.5}
    assert set(json.loads(made)) == options
