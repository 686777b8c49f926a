# SPDX-License-Identifier: MIT
"""Puts the built libqwen3vl.so into the package, so that an installed wheel needs no environment
variable. Build the library first (`make lib` at the top of the repository)."""
import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
BUILT = Path(os.environ.get("QWEN3VL_BUILD_DIR", HERE.parent.parent / "build" / "lib"))


class BuildWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        lib = BUILT / "libqwen3vl.so.0"
        if not lib.exists():
            raise SystemExit(f"{lib} not found: build the library first (make lib), or set QWEN3VL_BUILD_DIR")
        target = Path(self.build_lib) / "qwen3vl" / "_lib"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lib.resolve(), target / "libqwen3vl.so.0")


class BinaryDistribution(Distribution):
    """The wheel carries a native library, so it is tagged for this platform."""

    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
