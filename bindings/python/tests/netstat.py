"""How many TCP connections this process has open to a local port, read from /proc: a cancelled call
closes its connection, so tests (and the child processes they start) see a cancellation reach the
socket rather than trusting that it did."""
from __future__ import annotations

import os


def established(port: int) -> int:
    """Connections in state ESTABLISHED from this process to 127.0.0.1:``port`` (or [::1])."""
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor, say)
        if link.startswith("socket:["):
            mine.add(link[8:-1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == "01" and fields[9] in mine:
                count += 1
    return count
