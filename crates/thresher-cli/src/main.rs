//! `thresher`: run the service, process files in batch, and check and test rules.
//!
//! Every command uses the same engine and the same rule loading as the server, so what
//! `thresher test` and `thresher process` say is what the service does.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use thresher_engine::{Document, Limits, OffsetEncoding, ProcessOptions, RuleSources, Ruleset};

use thresher_engine::explain::{self, Style};

/// mimalloc rather than the system allocator: the engine makes many small, short-lived
/// allocations per document, and glibc's malloc and free were 9% of its time (BENCHMARKS.md,
/// step 32). Built without transparent huge pages, which would multiply resident memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What `thresher process` prints.
#[derive(Clone, Copy)]
enum Output {
    /// One ProcessResponse per line, offsets in this encoding.
    Json(OffsetEncoding),
    /// The human-readable account.
    Explain(Style),
}

#[derive(Parser)]
#[command(
    name = "thresher",
    version,
    about = "Strips outlet boilerplate from news articles and finds the claims in them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gRPC service on a rules directory.
    Serve {
        #[command(flatten)]
        config: thresher_server::Config,
        /// Log format.
        #[arg(long, env = "THRESHER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Process files and print one ProcessResponse per file as proto3 JSON lines.
    Process {
        /// Rules directory.
        #[arg(long, env = "THRESHER_RULES", default_value = "rules")]
        rules: PathBuf,
        /// Outlet hint applied to every document.
        #[arg(long)]
        outlet: Option<String>,
        /// URL applied to every document (its host selects outlet rules).
        #[arg(long)]
        url: Option<String>,
        /// How offsets are counted in the output.
        #[arg(long, value_enum, default_value_t = Encoding::Utf8)]
        offset_encoding: Encoding,
        /// Largest document accepted, in bytes.
        #[arg(long, env = "THRESHER_MAX_DOCUMENT_BYTES", default_value_t = thresher_engine::DEFAULT_MAX_DOCUMENT_BYTES)]
        max_document_bytes: usize,
        /// Print a human-readable account instead of JSON: every line with the rule that
        /// removed it, every claim with its speaker, cue and the rules that labelled it.
        #[arg(long)]
        explain: bool,
        /// Threads processing documents (default: one per core). Answers are written in
        /// input order whatever the number.
        #[arg(long, short, env = "THRESHER_JOBS")]
        jobs: Option<std::num::NonZeroUsize>,
        /// Write the output here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Files to process: a text file is one document; a `.jsonl` file holds one Document
        /// per line as proto3 JSON (`{"id": "...", "text": "...", "url": "..."}`); a directory
        /// means every .txt and .jsonl file in it; `-` reads one document from standard input.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Compile every rule file and report errors as file:line:col.
    Check {
        /// Rules directory.
        #[arg(default_value = "rules")]
        rules: PathBuf,
    },
    /// Compile the rules and run their rule tests: exactly what a server reload checks.
    Test {
        /// Rules directory.
        #[arg(default_value = "rules")]
        rules: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Encoding {
    Utf8,
    Utf16,
    CodePoints,
}

impl From<Encoding> for OffsetEncoding {
    fn from(e: Encoding) -> Self {
        match e {
            Encoding::Utf8 => Self::Utf8,
            Encoding::Utf16 => Self::Utf16,
            Encoding::CodePoints => Self::CodePoints,
        }
    }
}

fn init_logging(default: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("THRESHER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config, log_format } => {
            init_logging("info", log_format);
            serve(config)
        }
        Command::Process {
            rules,
            outlet,
            url,
            offset_encoding,
            max_document_bytes,
            explain,
            jobs,
            output: output_file,
            inputs,
        } => {
            init_logging("warn", LogFormat::Text);
            let output = if explain { Output::Explain(Style::detect()) } else { Output::Json(offset_encoding.into()) };
            process(&rules, outlet, url, output, max_document_bytes, jobs, output_file.as_deref(), &inputs)
        }
        Command::Check { rules } => {
            init_logging("warn", LogFormat::Text);
            check(&rules)
        }
        Command::Test { rules } => {
            init_logging("warn", LogFormat::Text);
            test(&rules)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: thresher_server::Config) -> anyhow::Result<ExitCode> {
    // Documents are processed on the blocking pool; capping it at the worker count keeps the
    // threads (each with its own regex caches) as few as the cores that can run them. The
    // network side needs a fraction of the CPU: with fewer threads for it, fewer threads take
    // turns on each core and evict the engine's caches (on 2 cores, one network thread
    // instead of two gave 9% more throughput on news articles; see BENCHMARKS.md).
    // The network threads do not preempt documents mid-way (see thresher_server::sched).
    // The document threads stay alive when idle: each searches with clones of the regexes of
    // its own (see thresher_engine's `local`), which a thread started later could not take
    // over.
    thresher_server::sched::set_network_batch(config.io_batch);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.io_threads())
        .max_blocking_threads(config.worker_threads())
        .thread_keep_alive(std::time::Duration::from_secs(24 * 60 * 60))
        .on_thread_start(thresher_server::sched::runtime_thread_started)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(thresher_server::serve(config, thresher_server::shutdown_signal(), |addr| {
        // A machine-readable line for scripts and tests that start the server on port 0.
        println!("thresher listening on {addr}");
        let _ = std::io::stdout().flush();
    }))?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the ruleset, printing every diagnostic when it fails. With `tested`, its rule tests
/// must pass too: the same check the server runs before it swaps a ruleset in, so `process`
/// never answers with rules the server would refuse.
fn load(rules: &Path, tested: bool) -> anyhow::Result<Option<Ruleset>> {
    let sources = RuleSources::read_dir(rules)?;
    let loaded = if tested {
        Ruleset::compile_tested(&sources, Limits::default())
    } else {
        Ruleset::compile(&sources, Limits::default())
    };
    match loaded {
        Ok(rs) => Ok(Some(rs)),
        Err(thresher_engine::Error::Rules(diags)) => {
            for d in &diags {
                eprintln!("{}", with_dir(rules, d));
            }
            eprintln!("{} error(s) in {}", diags.len(), rules.display());
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// A diagnostic with its file shown relative to the working directory, so terminals link it.
fn with_dir(rules: &Path, d: &thresher_engine::Diagnostic) -> String {
    let mut d = d.clone();
    if let Some(f) = &d.file {
        d.file = Some(rules.join(f).display().to_string());
    }
    d.to_string()
}

/// Whether `path` holds one Document per line.
fn is_jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "jsonl")
}

fn inputs_of(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|x| x == "txt" || x == "jsonl") && f.is_file())
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// A progress bar on standard error, by bytes read (so its ETA holds for files of any size),
/// with the documents done and their rate. indicatif draws nothing when standard error is not a
/// terminal, so pipes and logs stay clean.
fn progress(total_bytes: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(total_bytes), indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template(
        "{bar:30} {binary_bytes}/{binary_total_bytes} {msg} [{elapsed_precise}, ETA {eta}]",
    );
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar
}

/// Documents processed and failed so far, for the progress bar and the exit status.
#[derive(Default)]
struct Tally {
    done: u64,
    failed: u64,
}

/// One input, in the order the inputs are read: a document to process, or a problem with the
/// input (a file that cannot be read, a line that is not a Document), reported in its place.
enum Item {
    Doc(Document),
    Bad(String),
}

/// What became of one item: its answer, the problems to print before it, and whether it failed.
struct Done {
    answer: Vec<u8>,
    warnings: Vec<String>,
    failed: bool,
}

/// Reads the inputs in order and hands each document, or each problem with one, to `emit`.
struct Reader<'a> {
    outlet: Option<&'a str>,
    url: Option<&'a str>,
    bar: &'a indicatif::ProgressBar,
}

impl Reader<'_> {
    fn read(&self, paths: &[PathBuf], emit: &mut dyn FnMut(Item) -> anyhow::Result<()>) -> anyhow::Result<()> {
        for path in paths {
            if path.as_os_str() == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).context("reading standard input")?;
                emit(self.doc(Document::new("-", &s)))?;
            } else if is_jsonl(path) {
                self.read_jsonl(path, emit)?;
            } else {
                let id =
                    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
                match std::fs::read_to_string(path) {
                    Ok(text) => {
                        self.bar.inc(text.len() as u64);
                        emit(self.doc(Document::new(&id, &text)))?;
                    }
                    Err(e) => emit(Item::Bad(format!("error: {}: {e}", path.display())))?,
                }
            }
        }
        Ok(())
    }

    /// One Document per line of a JSONL file; a bad line is reported with its number and
    /// skipped, never silently.
    fn read_jsonl(&self, path: &Path, emit: &mut dyn FnMut(Item) -> anyhow::Result<()>) -> anyhow::Result<()> {
        use std::io::BufRead;
        let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            self.bar.inc(line.len() as u64 + 1);
            if line.trim().is_empty() {
                continue;
            }
            let where_ = format!("{}:{}", path.display(), n + 1);
            let doc: thresher_proto::v1::Document = match serde_json::from_str(&line) {
                Ok(d) => d,
                Err(e) => {
                    emit(Item::Bad(format!("error: {where_}: not a Document in proto3 JSON: {e}")))?;
                    continue;
                }
            };
            let req = thresher_proto::v1::ProcessRequest { document: Some(doc), ..Default::default() };
            match thresher_server::convert::Job::try_from(req) {
                Ok(mut job) => {
                    if job.doc.id.is_empty() {
                        job.doc.id = where_;
                    }
                    emit(self.doc(job.doc))?;
                }
                Err(status) => emit(Item::Bad(format!("error: {where_}: {}", status.message())))?,
            }
        }
        Ok(())
    }

    /// The document with the command line's URL and outlet where it has none of its own.
    fn doc(&self, mut doc: Document) -> Item {
        if doc.url.is_empty() {
            doc.url = self.url.unwrap_or_default().to_owned();
        }
        if doc.outlet.is_empty() {
            doc.outlet = self.outlet.unwrap_or_default().to_owned();
        }
        Item::Doc(doc)
    }
}

/// Processes items; shared by the threads of a parallel run.
struct Worker<'a> {
    rules: &'a Path,
    rs: &'a Ruleset,
    opts: &'a ProcessOptions,
    output: Output,
}

impl Worker<'_> {
    /// `line` is scratch space for the answer's JSON: serde_json writes an answer in hundreds
    /// of small pieces, cheaper into a buffer that has grown once than into a new one.
    fn work(&self, item: Item, line: &mut Vec<u8>) -> anyhow::Result<Done> {
        let doc = match item {
            Item::Doc(doc) => doc,
            Item::Bad(msg) => return Ok(Done { answer: Vec::new(), warnings: vec![msg], failed: true }),
        };
        match self.rs.process(&doc, self.opts) {
            Ok(outcome) => {
                let warnings =
                    outcome.diagnostics.iter().map(|d| format!("{}: {}", doc.id, with_dir(self.rules, d))).collect();
                let answer = match self.output {
                    Output::Json(encoding) => {
                        let resp = thresher_server::convert::response(&doc.text, outcome, encoding);
                        line.clear();
                        serde_json::to_writer(&mut *line, &resp)?;
                        line.push(b'\n');
                        line.clone()
                    }
                    Output::Explain(style) => explain::render(&doc.text, &outcome, style).into_bytes(),
                };
                Ok(Done { answer, warnings, failed: false })
            }
            Err(e) => Ok(Done { answer: Vec::new(), warnings: vec![format!("error: {}: {e}", doc.id)], failed: true }),
        }
    }
}

/// Writes answers in input order, prints the problems above the progress bar, and counts.
struct Sink {
    out: Box<dyn Write>,
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
    tally: Tally,
}

impl Sink {
    fn put(&mut self, done: Done) -> anyhow::Result<()> {
        for w in &done.warnings {
            self.bar.suspend(|| eprintln!("{w}"));
        }
        self.out.write_all(&done.answer)?;
        if done.failed {
            self.tally.failed += 1;
        } else {
            self.tally.done += 1;
        }
        // Nothing is drawn when standard error is not a terminal: no message to make.
        if !self.bar.is_hidden() {
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            let rate = self.tally.done as f64 / secs;
            self.bar.set_message(format!("{} documents, {rate:.0}/s, {} failed", self.tally.done, self.tally.failed));
        }
        Ok(())
    }
}

/// Items are handed between threads in batches of up to this many documents or this much text
/// (a larger document goes alone): one hand-over per document, each waking a thread, cost a
/// quarter of the time of a news article in system calls.
const BATCH_DOCS: usize = 8;
const BATCH_BYTES: usize = 32 << 10;
/// Batches read but not yet written, per thread: enough to keep every thread busy while the
/// answers wait for one before them, few enough that memory stays bounded whatever the input.
const IN_FLIGHT_PER_JOB: usize = 4;

/// The items read by one thread, processed by `jobs` threads, and written by this one in input
/// order. At most `IN_FLIGHT_PER_JOB * jobs` batches are between reading and writing: a reader
/// far ahead of a slow document waits rather than holding the whole input in memory.
fn run_parallel(
    jobs: usize,
    reader: &Reader,
    paths: &[PathBuf],
    worker: &Worker,
    sink: &mut Sink,
) -> anyhow::Result<()> {
    use std::sync::{Mutex, PoisonError, mpsc};
    let window = IN_FLIGHT_PER_JOB * jobs;
    let (work_tx, work_rx) = mpsc::channel::<(u64, Vec<Item>)>();
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Vec<anyhow::Result<Done>>)>();
    // The reader takes a permit per batch, the writer gives one back per batch written.
    let (permit_tx, permit_rx) = mpsc::sync_channel::<()>(window);
    for _ in 0..window {
        let _ = permit_tx.send(());
    }
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let (done_tx, work_rx) = (done_tx.clone(), &work_rx);
            s.spawn(move || {
                let mut line = Vec::new();
                loop {
                    let next = work_rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok((seq, items)) = next else { break };
                    let done = items.into_iter().map(|item| worker.work(item, &mut line)).collect();
                    if done_tx.send((seq, done)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let reading = s.spawn(move || {
            let (mut seq, mut batch, mut bytes) = (0, Vec::new(), 0);
            let mut send = |batch: Vec<Item>| {
                // No permit: the writer has stopped on an error, which it reports.
                permit_rx.recv().map_err(|_| anyhow::anyhow!("stopped"))?;
                work_tx.send((seq, batch)).map_err(|_| anyhow::anyhow!("stopped"))?;
                seq += 1;
                anyhow::Ok(())
            };
            reader.read(paths, &mut |item| {
                bytes += match &item {
                    Item::Doc(doc) => doc.text.len(),
                    Item::Bad(_) => 0,
                };
                batch.push(item);
                if batch.len() >= BATCH_DOCS || bytes >= BATCH_BYTES {
                    bytes = 0;
                    send(std::mem::take(&mut batch))?;
                }
                Ok(())
            })?;
            if batch.is_empty() { Ok(()) } else { send(batch) }
        });
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0;
        let written = (|| {
            for (seq, done) in &done_rx {
                pending.insert(seq, done);
                while let Some(batch) = pending.remove(&next) {
                    for done in batch {
                        sink.put(done?)?;
                    }
                    next += 1;
                    let _ = permit_tx.send(());
                }
            }
            anyhow::Ok(())
        })();
        // On an error, the reader finds no permits and the threads nowhere to send: all stop.
        drop(permit_tx);
        drop(done_rx);
        let read = reading.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the reading thread panicked")));
        written.and(read)
    })
}

/// Answers are written in pieces this large: with the default 8 KB, writing took a system call
/// per answer or so.
const OUT_BUFFER: usize = 256 << 10;

#[allow(clippy::too_many_arguments)]
fn process(
    rules: &Path,
    outlet: Option<String>,
    url: Option<String>,
    output: Output,
    max_document_bytes: usize,
    jobs: Option<std::num::NonZeroUsize>,
    output_file: Option<&Path>,
    inputs: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let Some(rs) = load(rules, true)? else { return Ok(ExitCode::FAILURE) };
    let opts = ProcessOptions { max_document_bytes, ..ProcessOptions::default() };
    let paths = inputs_of(inputs)?;
    let total: u64 = paths.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let out: Box<dyn Write> = match output_file {
        Some(f) => Box::new(BufWriter::with_capacity(
            OUT_BUFFER,
            std::fs::File::create(f).with_context(|| format!("creating {}", f.display()))?,
        )),
        None => Box::new(BufWriter::with_capacity(OUT_BUFFER, std::io::stdout().lock())),
    };
    let bar = progress(total);
    let mut sink = Sink { out, bar: bar.clone(), started: std::time::Instant::now(), tally: Tally::default() };
    let reader = Reader { outlet: outlet.as_deref(), url: url.as_deref(), bar: &bar };
    let worker = Worker { rules, rs: &rs, opts: &opts, output };
    let jobs = jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, usize::from), usize::from);
    // One job: no threads, each document read, processed and written in turn.
    let ran = if jobs == 1 {
        let mut line = Vec::new();
        reader.read(&paths, &mut |item| sink.put(worker.work(item, &mut line)?))
    } else {
        run_parallel(jobs, &reader, &paths, &worker, &mut sink)
    };
    let flushed = sink.out.flush();
    bar.finish_and_clear();
    ran?;
    flushed?;
    let Tally { done, failed } = sink.tally;
    if output_file.is_some() || failed > 0 {
        eprintln!("{done} documents processed, {failed} failed");
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn check(rules: &Path) -> anyhow::Result<ExitCode> {
    let Some(rs) = load(rules, false)? else { return Ok(ExitCode::FAILURE) };
    println!(
        "ok: {} files, {} outlets, {} rules, {} rule tests (version {})",
        rs.files().len(),
        rs.outlets().len(),
        rs.rule_ids().len(),
        rs.fixtures().len(),
        rs.version()
    );
    // Rules that read the document run in Rhai per document; the rest run as plans.
    let unplanned = rs.unplanned_rule_ids();
    if !unplanned.is_empty() {
        println!("{} rules run in Rhai on every document: {}", unplanned.len(), unplanned.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

fn test(rules: &Path) -> anyhow::Result<ExitCode> {
    let Some(rs) = load(rules, false)? else { return Ok(ExitCode::FAILURE) };
    let results = rs.run_tests();
    let mut failed = 0;
    for r in &results {
        if r.passed() {
            println!("ok   {}", r.file);
        } else {
            failed += 1;
            println!("FAIL {}", r.file);
            for d in r.diagnostics() {
                println!("     {}", with_dir(rules, &d));
            }
        }
    }
    println!(
        "{} rule tests: {} passed, {failed} failed (version {})",
        results.len(),
        results.len() - failed,
        rs.version()
    );
    if results.is_empty() {
        println!("no rule tests found: add TOML fixtures under {}/tests", rules.display());
        return Ok(ExitCode::FAILURE);
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
