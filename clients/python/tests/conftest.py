"""Starts the real `thresher` binary for the tests: port 0, the shipped rules/, and waits until
grpc.health.v1 says SERVING. THRESHER_BIN overrides the binary (default target/debug/thresher in
the repository); THRESHER_SHARED the corpus (default ../shared beside the repository)."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from thresher_client import wait_serving

REPO = Path(__file__).resolve().parents[3]
BIN = Path(os.environ.get("THRESHER_BIN", REPO / "target" / "debug" / "thresher"))
SHARED = Path(os.environ.get("THRESHER_SHARED", REPO.parent / "shared"))
SEEDS = SHARED / "corpus" / "seeds"


@dataclass
class Server:
    addr: str
    process: subprocess.Popen
    channel: grpc.Channel


def _start(*extra: str) -> Server:
    if not BIN.is_file():
        pytest.fail(f"no server binary at {BIN}: build it (cargo build -p thresher-cli) or set THRESHER_BIN")
    proc = subprocess.Popen(
        [str(BIN), "serve", "--addr", "127.0.0.1:0", "--rules", str(REPO / "rules"), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    # The first stdout line names the bound port; read it on a thread so a server that never
    # prints it fails the test after a timeout instead of hanging it.
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True).start()
    try:
        line = lines.get(timeout=30)
    except queue.Empty:
        proc.kill()
        pytest.fail("server printed no 'thresher listening on' line within 30 s")
    m = re.fullmatch(r"thresher listening on (\S+:\d+)\s*", line)
    assert m, f"unexpected first line from the server: {line!r}"
    channel = grpc.insecure_channel(m.group(1))
    wait_serving(channel, "thresher.v1.Thresher")
    return Server(m.group(1), proc, channel)


def _stop(server: Server) -> None:
    server.channel.close()
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def server():
    s = _start()
    yield s
    _stop(s)


@pytest.fixture(scope="session")
def small_server():
    """A server that refuses documents over 1000 bytes."""
    s = _start("--max-document-bytes", "1000")
    yield s
    _stop(s)


@pytest.fixture(scope="session")
def seeds() -> list[Path]:
    files = sorted(SEEDS.glob("*.txt"))
    assert files, f"no seed articles in {SEEDS}: set THRESHER_SHARED"
    return files
