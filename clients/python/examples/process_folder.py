#!/usr/bin/env python3
"""Sends every file of a folder through Thresher's ProcessStream and prints a summary.

    python examples/process_folder.py ARTICLES_DIR [--addr localhost:50051] [--json]

One bidirectional stream carries all the documents: requests are sent from a generator while
answers arrive, in order, one per document. A document the server cannot process (too large, say)
comes back with `error` set and the stream goes on; the summary lists those per document.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # thresher_client beside examples/
from thresher_client import ThresherStub, pb  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="folder whose files are articles, one paragraph per line")
    ap.add_argument("--addr", default="localhost:50051", help="Thresher's address (default localhost:50051)")
    ap.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    args = ap.parse_args()

    files = sorted(p for p in args.folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        print(f"no files in {args.folder}", file=sys.stderr)
        return 2
    total_bytes = sum(p.stat().st_size for p in files)

    def requests():
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            yield pb.ProcessRequest(
                document=pb.Document(id=path.name, text=text),
                offset_encoding=pb.OFFSET_ENCODING_CODE_POINTS,
            )

    removals: Counter[str] = Counter()
    outlets: Counter[str] = Counter()
    claims = 0
    errors: list[dict[str, str]] = []
    answered = 0
    versions: set[str] = set()
    started = time.perf_counter()
    with grpc.insecure_channel(args.addr) as channel:
        try:
            for answer in ThresherStub(channel).ProcessStream(requests()):
                answered += 1
                if answer.HasField("error"):
                    errors.append({"document": answer.document_id, "code": answer.error.code, "message": answer.error.message})
                    continue
                outlets[answer.outlet.id] += 1
                removals.update(r.kind for r in answer.removals)
                claims += len(answer.claims)
                versions.add(answer.ruleset.version)
        except grpc.RpcError as e:
            print(f"stream failed after {answered} answers: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
    elapsed = time.perf_counter() - started

    summary = {
        "documents": answered,
        "processed": answered - len(errors),
        "removals": dict(sorted(removals.items())),
        "claims": claims,
        "outlets": dict(sorted(outlets.items())),
        "errors": errors,
        "ruleset": sorted(versions),
        "seconds": round(elapsed, 3),
        "documents_per_second": round(answered / elapsed, 1) if elapsed else None,
        "mib_per_second": round(total_bytes / elapsed / 2**20, 3) if elapsed else None,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"documents: {answered} ({summary['processed']} processed, {len(errors)} with errors)")
        print(f"ruleset:   {', '.join(summary['ruleset']) or '-'}")
        print(f"outlets:   {', '.join(f'{k} {v}' for k, v in summary['outlets'].items()) or '-'}")
        print(f"removals:  {sum(removals.values())}")
        for kind, n in summary["removals"].items():
            print(f"  {kind:<26} {n}")
        print(f"claims:    {claims}")
        for e in errors:
            print(f"error:     {e['document']}: {e['code']}: {e['message']}")
        print(
            f"throughput: {summary['documents_per_second']} documents/s, "
            f"{summary['mib_per_second']} MiB/s ({total_bytes} bytes in {elapsed:.3f} s)"
        )
    # Exit status says whether every document went through, for scripts that call this one.
    if answered != len(files):
        print(f"expected {len(files)} answers, got {answered}", file=sys.stderr)
        return 1
    return 3 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
