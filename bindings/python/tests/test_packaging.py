"""The package as a user gets it: a wheel with the library inside, installed into a fresh
virtualenv; clear errors when the library is missing; quiet interpreter shutdown."""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Callable

import qwen3vl

HERE = Path(__file__).resolve().parents[1]


def test_wheel_in_fresh_virtualenv(tmp_path: Path, base: Callable[..., str]) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                    str(HERE)], check=True)
    wheel = next(wheels.glob(f"qwen3vl-{qwen3vl.__version__}-*.whl"))
    assert "linux" in wheel.name  # a platform wheel: it carries the native library
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-index", str(wheel)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("QWEN3VL_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH")}
    out = subprocess.run([str(py), "-c", "import qwen3vl, sys; c = qwen3vl.Client(api_key='k', base_url=sys.argv[1]); "
                          "print(c.chat('from the wheel').text); print(qwen3vl.library_path)", base()],
                         env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    text, path = out.stdout.splitlines()
    assert text == "echo: from the wheel"
    assert str(env_dir) in path


def test_missing_library_says_what_to_do(tmp_path: Path) -> None:
    env = dict(os.environ, QWEN3VL_LIBRARY=str(tmp_path / "nope.so"))
    out = subprocess.run([sys.executable, "-c", "import qwen3vl"], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "ImportError" in out.stderr and "make lib" in out.stderr and "QWEN3VL_LIBRARY" in out.stderr


def test_quiet_interpreter_shutdown(base: Callable[..., str]) -> None:
    code = ("import qwen3vl, sys\n"
            "c = qwen3vl.Client(api_key='k', base_url=sys.argv[1])\n"
            "s = c.stream('left open at exit')\n"
            "next(iter(s))\n"
            "global_client = c\n")
    out = subprocess.run([sys.executable, "-c", code, base("sse:delay=20")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
