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

Two comparisons, each tool given the same cores:
  - one core: Thresher `--jobs 1` in its steady state (what a running service, which compiles
    its rules once, delivers per core) against the Python tools in this process, over the same
    --steady copies of the corpus (so both are as warm);
  - all cores (--jobs, default all): Thresher `--jobs N` in its steady state against the Python
    tools in a pool of N processes over those copies.
"Thresher x" is Thresher's documents/s divided by the tool's; with --steady 0 or 1, the one-core
figures are the whole CLI run against one pass over the corpus, and the all-core ones are
skipped.

Commands, from the repository root:

    cargo build --release -p thresher-cli
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -r tests/bench/requirements.txt
    .venv-bench/bin/python tests/bench/side_by_side.py                # both corpora, 5 repeats
    .venv-bench/bin/python tests/bench/side_by_side.py --corpus dev --repeat 9 --keep /tmp/bench

Options: --thresher PATH (default $THRESHER_BIN, else target/release/thresher), --rules DIR
(default rules/), --steady K (default 100; 0 skips it), --jobs N (default: every core), --shared DIR (default $THRESHER_SHARED, else ../shared beside the repository),
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


# The extractor of a pool's worker process, set once by its initializer.
_WORKER_FUNC = None


def _init_worker(tool):
    global _WORKER_FUNC
    _WORKER_FUNC = load_extractors([tool])[tool]


def _run_worker(page):
    return _WORKER_FUNC(page)


def time_pool(tool, jobs, pages, copies):
    """Seconds for `jobs` worker processes to run `tool` on `copies` copies of `pages`, each
    worker started, its imports made and its extractor run once before the clock starts."""
    import multiprocessing
    with multiprocessing.get_context("spawn").Pool(jobs, initializer=_init_worker, initargs=(tool,)) as pool:
        pool.map(_run_worker, pages * jobs, chunksize=1)
        work = pages * copies
        start = time.perf_counter()
        pool.map(_run_worker, work, chunksize=max(1, len(work) // (8 * jobs)))
        return time.perf_counter() - start


def run_thresher(binary, rules, inputs, out_path, jobs, stdin=None):
    """One `thresher process` run on `jobs` threads; return its wall-clock seconds."""
    cmd = [str(binary), "process", "--rules", str(rules), "--jobs", str(jobs), *map(str, inputs), "-o", str(out_path)]
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

    # Seconds per run, per tool and number of cores: the whole run over the corpus once (for
    # Thresher, also over it `--steady` times and on one empty document).
    times = {t: {1: [], a.jobs: []} for t in a.tools}
    outputs = {}
    thresher_out = workdir / f"{name}.thresher.jsonl"
    startup, steady = [], {1: [], a.jobs: []}
    warm = {t: [] for t in a.tools}
    machine = a.jobs > 1 and a.steady > 1
    many = workdir / f"{name}.x{a.steady}.jsonl"
    if "thresher" in a.tools and a.steady > 1:
        with open(many, "w", encoding="utf-8") as f:
            for k in range(a.steady):
                for p in paths:
                    doc = {"id": f"{k}/{p.name}", "text": p.read_text(encoding="utf-8")}
                    f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    for _ in range(a.repeat):
        for tool in a.tools:
            if tool == "thresher":
                times[tool][1].append(run_thresher(a.thresher, a.rules, [doc_dir], thresher_out, 1))
                startup.append(run_thresher(a.thresher, a.rules, ["-"], workdir / "empty.jsonl", 1, stdin=""))
                if a.steady > 1:
                    steady[1].append(run_thresher(a.thresher, a.rules, [many], workdir / "many.jsonl", 1))
                if machine:
                    times[tool][a.jobs].append(run_thresher(a.thresher, a.rules, [doc_dir], workdir / "once.jsonl", a.jobs))
                    steady[a.jobs].append(run_thresher(a.thresher, a.rules, [many], workdir / "many.jsonl", a.jobs))
            else:
                seconds, outputs[tool] = time_python(extractors[tool], pages)
                times[tool][1].append(seconds)
                if a.steady > 1:
                    # Over as many documents as Thresher's steady state, for a rate as warm.
                    warm[tool].append(time_python(extractors[tool], pages * a.steady)[0])
                if machine:
                    times[tool][a.jobs].append(time_pool(tool, a.jobs, pages, a.steady))

    def steady_per_doc(jobs):
        """Thresher's seconds per document on `jobs` threads beyond a run over the corpus once
        (None when not measured, or when the runs' noise hides it)."""
        if not steady[jobs] or not times["thresher"][jobs]:
            return None
        per_doc = (statistics.median(steady[jobs]) - statistics.median(times["thresher"][jobs])) / (
            (a.steady - 1) * len(names))
        return per_doc if per_doc > 0 else None

    def thresher_rate(jobs):
        """Thresher's documents/s on `jobs` threads: the steady state (a running service compiles
        its rules once) when it was measured, else the whole CLI run's."""
        if not times["thresher"][jobs]:
            return None
        per_doc = steady_per_doc(jobs)
        return 1 / per_doc if per_doc else len(names) / statistics.median(times["thresher"][jobs])

    def tool_rate(tool, jobs):
        if tool == "thresher":
            return thresher_rate(jobs)
        if jobs == 1 and warm[tool]:
            return len(names) * a.steady / statistics.median(warm[tool])
        if not times[tool][jobs]:
            return None
        docs = len(names) * (a.steady if jobs > 1 else 1)
        return docs / statistics.median(times[tool][jobs])

    rows = []
    for tool in a.tools:
        jsonl = thresher_out if tool == "thresher" else workdir / f"{name}.{tool}.jsonl"
        if tool == "thresher":
            got = [json.loads(l)["documentId"] for l in jsonl.read_text(encoding="utf-8").splitlines() if l.strip()]
            if sorted(got) != names:
                fail(f"thresher wrote ids {sorted(got)[:3]}... for {len(got)} documents, expected the {len(names)} file names")
        else:
            write_jsonl(jsonl, names, outputs[tool])
        rows.append((tool, statistics.median(times[tool][1]), score(a.score_py, corpus_dir, jsonl)))

    def ratio(tool, jobs):
        mine, theirs = thresher_rate(jobs) if "thresher" in a.tools else None, tool_rate(tool, jobs)
        if tool == "thresher":
            return "1.00" if mine else "-"
        return f"{mine / theirs:.2f}" if mine and theirs else "-"

    cores = f"{a.jobs} cores"
    header = ("tool", "docs", "total s", "docs/s", "Thresher x", f"docs/s, {cores}", f"Thresher x, {cores}",
              "boilerplate_recall", "body_retention", "attribution_f1")
    table = [header]
    for tool, seconds, figs in rows:
        rate, rate_n = tool_rate(tool, 1), tool_rate(tool, a.jobs) if machine else None
        table.append((
            tool,
            str(len(names)),
            f"{seconds:.4f}",
            f"{rate:.1f}",
            ratio(tool, 1),
            f"{rate_n:.1f}" if rate_n else "-",
            ratio(tool, a.jobs) if machine else "-",
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
    if "thresher" in a.tools:
        ref = statistics.median(times["thresher"][1])
        s0 = statistics.median(startup)
        print(f"Thresher start-up (one empty document): {s0:.4f} s of the {ref:.4f} s")
        for jobs in sorted(steady):
            if not steady[jobs]:
                continue
            per_doc = steady_per_doc(jobs)
            rate = f"{per_doc * 1000:.3f} ms/document beyond the first pass ({1 / per_doc:.0f} docs/s)" \
                if per_doc else "too fast to tell from the run over the corpus once: raise --steady"
            print(f"Thresher steady state, --jobs {jobs}: {a.steady * len(names)} documents in "
                  f"{statistics.median(steady[jobs]):.4f} s, {rate}")
        basis = "steady state" if steady_per_doc(1) else "whole CLI run, start-up included"
        print(f"\"docs/s\" and \"Thresher x\": one core (Thresher --jobs 1 in its {basis}; the Python tools in "
              f"this process{f', over {a.steady} copies of the corpus' if a.steady > 1 else ''})")
        if machine:
            print(f"\"{cores}\": Thresher --jobs {a.jobs} in its steady state; the Python tools in a pool of "
                  f"{a.jobs} processes over {a.steady} copies of the corpus")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", choices=["seeds", "dev", "both"], default="both")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per tool; the median is reported (default 5)")
    ap.add_argument("--thresher", default=os.environ.get("THRESHER_BIN") or str(REPO / "target/release/thresher"))
    ap.add_argument("--rules", default=str(REPO / "rules"))
    ap.add_argument("--steady", type=int, default=100,
                    help="copies of the corpus for the steady-state figure (0 skips it; fewer make it noisy)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="cores for the whole-machine columns: Thresher's --jobs and the Python tools' "
                         "pool (default: all; 1 skips them)")
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
    if a.jobs < 1:
        fail("--jobs must be at least 1")
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
