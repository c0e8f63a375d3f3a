#!/usr/bin/env python3
"""Thresher, trafilatura and jusText side by side: same documents, same run, same scorer.

For each corpus (the five seed articles, the 24-article dev set, or both) this script
  1. runs trafilatura (`trafilatura.extract`) and jusText (`justext.justext` with the English
     stoplist) in this process on every document, and Thresher as one `thresher process` run
     over the corpus directory, timing each `--repeat` times and keeping the median;
  2. turns each tool's output into ProcessResponse JSON lines (`documentId` = file name,
     `cleanText` = the kept text; trafilatura and jusText find no claims and no outlet);
  3. scores each JSONL with `shared/eval/score.py` and prints one table per corpus.

Input. The documents are plain-text scrapes, one paragraph a line, not HTML. Thresher reads them
as they are. trafilatura and jusText expect HTML, so each non-blank line is HTML-escaped and
wrapped in its own <p> element inside a minimal page (`<html><head><meta charset="utf-8">
</head><body><p>...</p>...</body></html>`, no <title>, no structural hints). That is how a
plain-text scrape is fed to these tools fairly: every line stays a separate block they can keep
or drop, which is exactly what the scorer judges. trafilatura runs with its defaults except
`include_comments=False` (comment sections are boilerplate for this task).

Timing. For trafilatura and jusText only the extraction calls are timed: Python start-up, the
imports, reading the files and building the HTML are not. For Thresher the whole CLI run is
timed (process start, rules compilation, reading the files, processing, writing JSON), so its
figure is the pessimistic one. The lines under each table split it: start-up, measured as a run
on one empty document, and the steady-state cost per document, measured as the extra time of one
run over the corpus repeated --steady times (a .jsonl of Documents) beyond a run over it once.
"Thresher x" is Thresher's steady-state documents/s (what a running service, which compiles
its rules once, delivers) divided by the tool's; with --steady 0, the whole CLI run's.

Commands, from the repository root:

    cargo build --release -p thresher-cli
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -r tests/bench/requirements.txt
    .venv-bench/bin/python tests/bench/side_by_side.py                # both corpora, 5 repeats
    .venv-bench/bin/python tests/bench/side_by_side.py --corpus dev --repeat 9 --keep /tmp/bench

Options: --thresher PATH (default $THRESHER_BIN, else target/release/thresher), --rules DIR
(default rules/), --steady K (default 100; 0 skips it), --shared DIR (default $THRESHER_SHARED, else ../shared beside the repository),
--tools (comma-separated subset of thresher,trafilatura,justext), --keep DIR (leave the JSONL
files there instead of in a temporary directory).
Only the standard library is used, apart from trafilatura and jusText.
"""
import argparse
import html
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
TOOLS = ("thresher", "trafilatura", "justext")
# corpus name -> (directory under shared/ that score.py takes, sub-directory holding the .txt)
CORPORA = {"seeds": ("corpus", "seeds"), "dev": ("dev", "docs")}


def fail(msg):
    sys.exit(f"side_by_side.py: {msg}")


def to_html(text):
    """A minimal HTML page with every non-blank line of `text` as one escaped <p>."""
    paras = "".join(f"<p>{html.escape(line.strip())}</p>\n" for line in text.split("\n") if line.strip())
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{paras}</body></html>\n'


def load_extractors(wanted):
    """Import the Python extractors asked for; each is a function html -> kept text."""
    funcs = {}
    if "trafilatura" in wanted:
        try:
            import trafilatura
        except ImportError:
            fail("trafilatura is not installed: pip install -r tests/bench/requirements.txt "
                 "(package 'trafilatura')")
        funcs["trafilatura"] = lambda page: trafilatura.extract(page, include_comments=False) or ""
    if "justext" in wanted:
        try:
            import justext
        except ImportError as e:
            fail(f"jusText could not be imported ({e}): pip install -r tests/bench/requirements.txt "
                 "(packages 'justext' and 'lxml_html_clean')")
        stoplist = justext.get_stoplist("English")

        def run_justext(page):
            paragraphs = justext.justext(page, stoplist)
            return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)

        funcs["justext"] = run_justext
    return funcs


def time_python(func, pages):
    """Run func on every page; return (seconds, outputs)."""
    start = time.perf_counter()
    outs = [func(page) for page in pages]
    return time.perf_counter() - start, outs


def run_thresher(binary, rules, inputs, out_path, stdin=None):
    """One `thresher process` run; return its wall-clock seconds."""
    cmd = [str(binary), "process", "--rules", str(rules), *map(str, inputs), "-o", str(out_path)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr.strip()}")
    return seconds


def write_jsonl(path, names, texts):
    with open(path, "w", encoding="utf-8") as f:
        for name, text in zip(names, texts):
            f.write(json.dumps({"documentId": name, "cleanText": text, "claims": []}, ensure_ascii=False) + "\n")


def score(score_py, corpus_dir, jsonl):
    proc = subprocess.run([sys.executable, str(score_py), "--corpus", str(corpus_dir), "--responses", str(jsonl), "--json"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        fail(f"score.py failed on {jsonl}:\n{proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout)["figures"]


def bench_corpus(name, a, shared, extractors, workdir):
    top, sub = CORPORA[name]
    corpus_dir = shared / top
    doc_dir = corpus_dir / sub
    paths = sorted(doc_dir.glob("*.txt"))
    if not paths:
        fail(f"no .txt documents in {doc_dir}")
    names = [p.name for p in paths]
    pages = [to_html(p.read_text(encoding="utf-8")) for p in paths]

    times = {t: [] for t in a.tools}
    outputs = {}
    thresher_out = workdir / f"{name}.thresher.jsonl"
    startup, steady = [], []
    if "thresher" in a.tools and a.steady > 1:
        many = workdir / f"{name}.x{a.steady}.jsonl"
        with open(many, "w", encoding="utf-8") as f:
            for k in range(a.steady):
                for p in paths:
                    doc = {"id": f"{k}/{p.name}", "text": p.read_text(encoding="utf-8")}
                    f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    for _ in range(a.repeat):
        for tool in a.tools:
            if tool == "thresher":
                times[tool].append(run_thresher(a.thresher, a.rules, [doc_dir], thresher_out))
                startup.append(run_thresher(a.thresher, a.rules, ["-"], workdir / "empty.jsonl", stdin=""))
                if a.steady > 1:
                    steady.append(run_thresher(a.thresher, a.rules, [many], workdir / "many.jsonl"))
            else:
                seconds, outputs[tool] = time_python(extractors[tool], pages)
                times[tool].append(seconds)

    rows = []
    for tool in a.tools:
        jsonl = thresher_out if tool == "thresher" else workdir / f"{name}.{tool}.jsonl"
        if tool == "thresher":
            got = [json.loads(l)["documentId"] for l in jsonl.read_text(encoding="utf-8").splitlines() if l.strip()]
            if sorted(got) != names:
                fail(f"thresher wrote ids {sorted(got)[:3]}... for {len(got)} documents, expected the {len(names)} file names")
        else:
            write_jsonl(jsonl, names, outputs[tool])
        rows.append((tool, statistics.median(times[tool]), score(a.score_py, corpus_dir, jsonl)))

    ref = next((s for t, s, _ in rows if t == "thresher"), None)
    # Thresher's rate for the ratio: steady state (a running service compiles its rules once)
    # when it was measured, else the whole CLI run.
    per_doc = None
    if ref and steady:
        per_doc = (statistics.median(steady) - ref) / ((a.steady - 1) * len(names))
    thr_rate = (1 / per_doc) if per_doc and per_doc > 0 else (len(names) / ref if ref else None)
    header = ("tool", "docs", "total s", "docs/s", "Thresher x", "boilerplate_recall", "body_retention", "attribution_f1")
    table = [header]
    for tool, seconds, figs in rows:
        rate = len(names) / seconds
        table.append((
            tool,
            str(len(names)),
            f"{seconds:.4f}",
            f"{rate:.1f}",
            "1.00" if tool == "thresher" else (f"{thr_rate / rate:.2f}" if thr_rate else "-"),
            f"{figs['boilerplate_recall']:.4f}",
            f"{figs['body_retention']:.4f}",
            f"{figs['attribution_f1']:.4f}" if tool == "thresher" else "-",
        ))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    print(f"\n{name}: {len(names)} documents from {doc_dir}, median of {a.repeat} runs")
    for i, r in enumerate(table):
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if ref:
        s0 = statistics.median(startup)
        print(f"Thresher start-up (one empty document): {s0:.4f} s of the {ref:.4f} s")
        if per_doc is not None:
            rate = f"{1 / per_doc:.0f} docs/s" if per_doc > 0 else "too fast to tell"
            print(f"Thresher steady state: {a.steady * len(names)} documents in {statistics.median(steady):.4f} s, "
                  f"{per_doc * 1000:.2f} ms/document beyond the first pass ({rate})")
        basis = "steady state" if per_doc and per_doc > 0 else "whole CLI run, start-up included"
        print(f"\"Thresher x\" = Thresher's documents/s ({basis}) / the tool's documents/s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", choices=["seeds", "dev", "both"], default="both")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per tool; the median is reported (default 5)")
    ap.add_argument("--thresher", default=os.environ.get("THRESHER_BIN") or str(REPO / "target/release/thresher"))
    ap.add_argument("--rules", default=str(REPO / "rules"))
    ap.add_argument("--steady", type=int, default=100,
                    help="copies of the corpus for the steady-state figure (0 skips it; fewer make it noisy)")
    ap.add_argument("--shared", default=os.environ.get("THRESHER_SHARED") or str(REPO.parent / "shared"))
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    ap.add_argument("--keep", help="write the JSONL files into this directory and leave them there")
    a = ap.parse_args()

    a.tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    for t in a.tools:
        if t not in TOOLS:
            fail(f"unknown tool {t!r}; choose from {', '.join(TOOLS)}")
    if a.repeat < 1:
        fail("--repeat must be at least 1")
    a.thresher = pathlib.Path(a.thresher)
    if "thresher" in a.tools and not (a.thresher.is_file() and os.access(a.thresher, os.X_OK)):
        fail(f"no thresher binary at {a.thresher}: build it with `cargo build --release -p thresher-cli` "
             "from the repository root, or point --thresher / $THRESHER_BIN at one")
    shared = pathlib.Path(a.shared)
    a.score_py = shared / "eval" / "score.py"
    if not a.score_py.is_file():
        fail(f"no {a.score_py}: pass --shared DIR or set $THRESHER_SHARED to the shared/ directory")
    extractors = load_extractors(a.tools)

    corpora = ["seeds", "dev"] if a.corpus == "both" else [a.corpus]
    if a.keep:
        workdir = pathlib.Path(a.keep)
        workdir.mkdir(parents=True, exist_ok=True)
        for c in corpora:
            bench_corpus(c, a, shared, extractors, workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="thresher-bench-") as tmp:
            for c in corpora:
                bench_corpus(c, a, shared, extractors, pathlib.Path(tmp))


if __name__ == "__main__":
    main()
