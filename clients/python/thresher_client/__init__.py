"""A thin Python client for Thresher.

The message and stub modules are generated from the repository's ``proto/`` with grpcio-tools the
first time this package is imported (and again whenever a .proto file is newer than them), into
``thresher_client/_gen/``, which git ignores: the .proto files stay the one source of truth.

    import grpc
    from thresher_client import pb, ThresherStub

    with grpc.insecure_channel("localhost:50051") as channel:
        answer = ThresherStub(channel).Process(pb.ProcessRequest(
            document=pb.Document(id="a1", text=text),
            offset_encoding=pb.OFFSET_ENCODING_CODE_POINTS,  # spans slice Python's str
        ))
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

_HERE = Path(__file__).resolve().parent
_GEN = _HERE / "_gen"
# The repository's proto/ (this package lives in clients/python/thresher_client/); THRESHER_PROTO
# points elsewhere when the package is copied out of the repository.
PROTO_DIR = Path(os.environ.get("THRESHER_PROTO", _HERE.parents[2] / "proto"))


def _protos() -> list[Path]:
    return sorted(PROTO_DIR.rglob("*.proto"))


def _stale() -> bool:
    stamp = _GEN / ".stamp"
    if not stamp.exists():
        return True
    built = stamp.stat().st_mtime
    return any(p.stat().st_mtime > built for p in _protos())


def generate(out: Path = _GEN) -> None:
    """Generates the message and stub modules from PROTO_DIR into ``out``.

    Writes into a temporary directory beside ``out`` and renames it into place, so that two
    processes importing the package at once never see a half-written tree.
    """
    import grpc_tools
    from grpc_tools import protoc

    protos = _protos()
    if not protos:
        raise RuntimeError(f"no .proto files under {PROTO_DIR}: set THRESHER_PROTO")
    # google/protobuf/*.proto (duration, timestamp) ship inside grpcio-tools.
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would hide the stubs from other users of the checkout
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={tmp}",
        f"--pyi_out={tmp}",
        f"--grpc_python_out={tmp}",
        *map(str, protos),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"grpc_tools.protoc failed on {PROTO_DIR}")
    (tmp / ".stamp").touch()
    if out.exists():
        old = out.with_name(f"{out.name}.old.{os.getpid()}")
        out.rename(old)
        tmp.rename(out)
        _rmtree(old)
    else:
        try:
            tmp.rename(out)
        except OSError:  # another process got there first with the same protos
            _rmtree(tmp)


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if _stale():
    generate()
# The generated modules import each other as `thresher.v1.*`, protoc's layout.
sys.path.insert(0, str(_GEN))

from thresher.v1 import admin_pb2, admin_pb2_grpc  # noqa: E402
from thresher.v1 import thresher_pb2 as pb  # noqa: E402
from thresher.v1 import thresher_pb2_grpc  # noqa: E402

ThresherStub = thresher_pb2_grpc.ThresherStub
ThresherAdminStub = admin_pb2_grpc.ThresherAdminStub
HealthStub = health_pb2_grpc.HealthStub

__all__ = [
    "pb",
    "admin_pb2",
    "health_pb2",
    "ThresherStub",
    "ThresherAdminStub",
    "HealthStub",
    "generate",
    "wait_serving",
]


def wait_serving(channel: grpc.Channel, service: str = "thresher.v1.Thresher", timeout: float = 30.0) -> None:
    """Waits until grpc.health.v1 reports SERVING for ``service``: the server is up and its
    first ruleset has loaded. Raises TimeoutError with the last status or error otherwise."""
    health = HealthStub(channel)
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=2).status
            if status == health_pb2.HealthCheckResponse.SERVING:
                return
            last = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
        except grpc.RpcError as e:
            last = e.code()
        time.sleep(0.05)
    raise TimeoutError(f"{service!r} not SERVING after {timeout}s (last: {last})")
