"""The Python client against the real server: generated stubs, real calls over a real socket."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from thresher_client import HealthStub, ThresherStub, health_pb2, pb

from conftest import REPO

EXAMPLE = REPO / "clients" / "python" / "examples" / "process_folder.py"


def request(doc_id: str, text: str, encoding=pb.OFFSET_ENCODING_CODE_POINTS, **doc) -> pb.ProcessRequest:
    return pb.ProcessRequest(document=pb.Document(id=doc_id, text=text, **doc), offset_encoding=encoding)


# A Moscow Times article (recognised by its donation banner) and a Press TV one whose text
# holds non-ASCII characters before its removals, so code points and UTF-8 bytes differ.
@pytest.mark.parametrize("name, outlet", [("001_bca8b0d94b4d7a08.txt", "the-moscow-times"), ("004_3e663a1b23f36f3e.txt", "press-tv")])
def test_process_a_seed_article(server, seeds, name, outlet):
    path = next(p for p in seeds if p.name == name)
    text = path.read_text(encoding="utf-8")
    answer = ThresherStub(server.channel).Process(request(name, text), timeout=30)

    assert answer.document_id == name
    assert answer.outlet.id == outlet
    assert answer.ruleset.version
    assert answer.removals, "the seed has boilerplate the rules remove"
    for r in answer.removals:
        assert text[r.span.start : r.span.end] == r.text, r
    for c in answer.claims:
        assert text[c.span.start : c.span.end] == c.text, c
    for r in answer.removals:
        assert r.text not in answer.clean_text or len(r.text) < 30, f"{r.kind} still in clean_text"

    # The same spans in UTF-8 bytes slice the encoded text, and differ from code points once a
    # non-ASCII character comes before them: the encoding the request names is honoured.
    data = text.encode()
    in_bytes = ThresherStub(server.channel).Process(request(name, text, pb.OFFSET_ENCODING_UTF8), timeout=30)
    assert [r.text for r in in_bytes.removals] == [r.text for r in answer.removals]
    for r in in_bytes.removals:
        assert data[r.span.start : r.span.end].decode() == r.text
    if len(data) != len(text):
        assert [r.span.end for r in in_bytes.removals] != [r.span.end for r in answer.removals]


def test_process_stream_answers_each_document_in_order(server, seeds):
    texts = [p.read_text(encoding="utf-8") for p in seeds]
    reqs = [request(p.name, t) for p, t in zip(seeds, texts)]
    # A request without a document is invalid; in a stream it gets an error answer in its place.
    reqs.insert(2, pb.ProcessRequest())
    answers = list(ThresherStub(server.channel).ProcessStream(iter(reqs), timeout=60))

    assert len(answers) == len(reqs)
    assert [a.document_id for a in answers] == [r.document.id for r in reqs]
    bad = answers[2]
    assert bad.HasField("error")
    assert bad.error.code == "INVALID_ARGUMENT"
    assert bad.error.message
    good = answers[:2] + answers[3:]
    for a, text in zip(good, texts):
        assert not a.HasField("error"), a.error
        for r in a.removals:
            assert text[r.span.start : r.span.end] == r.text
    assert {a.outlet.id for a in good} >= {"the-moscow-times", "press-tv"}


def test_stream_goes_on_after_an_oversized_document(small_server):
    reqs = [request("a", "The talks ended."), request("big", "word " * 300), request("c", "Photo: AFP\nThe talks ended.")]
    answers = list(ThresherStub(small_server.channel).ProcessStream(iter(reqs), timeout=30))

    assert [a.document_id for a in answers] == ["a", "big", "c"]
    assert answers[1].error.code == "INVALID_ARGUMENT"
    assert "1000" in answers[1].error.message
    assert not answers[0].HasField("error") and not answers[2].HasField("error")
    assert [r.kind for r in answers[2].removals] == ["caption"]


def test_oversized_document_is_invalid_argument(small_server):
    with pytest.raises(grpc.RpcError) as e:
        ThresherStub(small_server.channel).Process(request("big", "word " * 300), timeout=30)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # The message names the limit and the setting that changes it.
    assert "1000" in e.value.details()
    # A document under the limit still goes through on the same server.
    ok = ThresherStub(small_server.channel).Process(request("small", "The talks ended."), timeout=30)
    assert ok.clean_text == "The talks ended."


@pytest.mark.parametrize("service", ["", "thresher.v1.Thresher"])
def test_health_check(server, service):
    answer = HealthStub(server.channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_health_check_unknown_service_is_not_found(server):
    with pytest.raises(grpc.RpcError) as e:
        HealthStub(server.channel).Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def run_example(addr: str, folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), str(folder), "--addr", addr, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_example_summarises_a_folder(server, seeds):
    done = run_example(server.addr, seeds[0].parent, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["documents"] == len(seeds)
    assert summary["errors"] == []
    assert summary["removals"]["donation_appeal"] >= 3
    assert summary["claims"] > 0
    assert summary["outlets"]["press-tv"] == 1
    assert summary["documents_per_second"] > 0

    text = run_example(server.addr, seeds[0].parent)
    assert text.returncode == 0, text.stderr
    assert f"documents: {len(seeds)} ({len(seeds)} processed, 0 with errors)" in text.stdout
    assert "donation_appeal" in text.stdout and "throughput:" in text.stdout


def test_example_reports_per_document_errors(small_server, seeds, tmp_path):
    (tmp_path / "short.txt").write_text("Photo: AFP\nThe talks ended.\n", encoding="utf-8")
    (tmp_path / seeds[0].name).write_bytes(seeds[0].read_bytes())  # over 1000 bytes
    done = run_example(small_server.addr, tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "documents: 2 (1 processed, 1 with errors)" in done.stdout
    assert f"error:     {seeds[0].name}: INVALID_ARGUMENT:" in done.stdout
    assert "caption" in done.stdout
