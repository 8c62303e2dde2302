"""glossary.yaml is a Unix socket: it exists and stat() works, but opening it fails, even for root."""

import os
import socket
from pathlib import Path

import pytest


def make(root: Path) -> None:
    folder = root / "evidence/testshire-2024"
    (folder / "glossary.yaml").unlink()
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets on this platform")
    cwd = os.getcwd()
    os.chdir(folder)  # a socket path is limited to ~100 bytes; bind by a short relative name
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("glossary.yaml")
        s.close()  # the socket file stays on disk
    finally:
        os.chdir(cwd)
