# SPDX-License-Identifier: MIT
"""Puts the built libqwen3vl.so into the package, so that an installed wheel needs no environment
variable. Build the library first (`make lib` at the top of the repository); an editable install
(`pip install -e bindings/python`) needs none: it loads the checkout's build/lib.

The wheel is pure Python over ctypes with a native library inside: tagged py3-none-<platform>, it
installs on every Python 3. `auditwheel repair` makes a manylinux wheel of it (libcurl, jansson and
their own dependencies vendored), as scripts/test.sh does."""
import os
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
BUILT = Path(os.environ.get("QWEN3VL_BUILD_DIR", HERE.parent.parent / "build" / "lib"))
LIBRARY = BUILT / "libqwen3vl.so.0"
NOT_BUILT = f"""
qwen3vl: {LIBRARY} does not exist, so there is no library to put into the package.
  Build it first, at the top of the repository ({HERE.parent.parent}):
      make lib
  then install again:
      pip install bindings/python
  Or set QWEN3VL_BUILD_DIR to a directory that holds libqwen3vl.so.0, or install in editable mode
  (pip install -e bindings/python), which loads the checkout's build/lib when imported.
"""


class BuildWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the package loads the checkout's build/lib itself
        if not LIBRARY.exists():
            sys.stderr.write(NOT_BUILT)
            raise SystemExit(f"qwen3vl: {LIBRARY} not found: run `make lib` first (see above)")
        target = Path(self.build_lib) / "qwen3vl" / "_lib"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LIBRARY.resolve(), target / "libqwen3vl.so.0")


class WithNativeLibrary(Distribution):
    """The package carries a native library: it installs to platlib, as auditwheel wants it."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """py3-none-<platform>: any Python 3 (the binding is ctypes), this platform (the library)."""

    def get_tag(self) -> "tuple[str, str, str]":
        return ("py3", "none", super().get_tag()[2])


if "bdist_wheel" in sys.argv and not LIBRARY.exists():
    sys.stderr.write(NOT_BUILT)  # first, before setuptools' own lines bury it

setup(cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel}, distclass=WithNativeLibrary)
