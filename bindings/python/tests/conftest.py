"""Fixtures: the repository's local stand-in server, started once for the session on 127.0.0.1."""
from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

REPO = Path(__file__).resolve().parents[3]
STAND_IN = REPO / "Tests" / "server" / "stand_in.py"
_uids = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: builds wheels or virtualenvs, or runs mypy on openai (left out by "
                                       "./scripts/test.sh quick)")


@pytest.fixture(scope="session")
def port() -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, str(STAND_IN), "--lifetime", "1800"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    word, value = proc.stdout.readline().split()
    assert word == b"PORT"
    yield int(value)
    assert proc.stdin is not None
    proc.stdin.close()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def base(port: int) -> Callable[..., str]:
    """base("sse:delay=20") -> a base_url for that scenario, with a fresh uid per call."""
    def make(scenario: str = "ok", uid: str = "") -> str:
        return f"http://127.0.0.1:{port}/s/{scenario}/{uid or 'py%d' % next(_uids)}/v1"
    return make
