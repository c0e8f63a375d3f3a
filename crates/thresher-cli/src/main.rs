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
            output: output_file,
            inputs,
        } => {
            init_logging("warn", LogFormat::Text);
            let output = if explain { Output::Explain(Style::detect()) } else { Output::Json(offset_encoding.into()) };
            process(&rules, outlet, url, output, max_document_bytes, output_file.as_deref(), &inputs)
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

struct Batch<'a> {
    rules: &'a Path,
    rs: Ruleset,
    opts: ProcessOptions,
    output: Output,
    outlet: Option<String>,
    url: Option<String>,
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
    tally: Tally,
    /// One answer's JSON, made here and written in one piece: serde_json writes a document's
    /// answer in hundreds of small pieces, and each was a call through the boxed writer (a
    /// tenth of the CLI's own cost per document).
    line: Vec<u8>,
}

impl Batch<'_> {
    /// A problem with one document, printed above the progress bar.
    fn warn(&self, msg: String) {
        self.bar.suspend(|| eprintln!("{msg}"));
    }

    fn fail(&mut self, msg: String) {
        self.warn(msg);
        self.tally.failed += 1;
    }

    fn run(&mut self, mut doc: Document, out: &mut impl Write) -> anyhow::Result<()> {
        if doc.url.is_empty() {
            doc.url = self.url.clone().unwrap_or_default();
        }
        if doc.outlet.is_empty() {
            doc.outlet = self.outlet.clone().unwrap_or_default();
        }
        match self.rs.process(&doc, &self.opts) {
            Ok(outcome) => {
                for d in &outcome.diagnostics {
                    self.warn(format!("{}: {}", doc.id, with_dir(self.rules, d)));
                }
                match self.output {
                    Output::Json(encoding) => {
                        let resp = thresher_server::convert::response(&doc.text, outcome, encoding);
                        self.line.clear();
                        serde_json::to_writer(&mut self.line, &resp)?;
                        self.line.push(b'\n');
                        out.write_all(&self.line)?;
                    }
                    Output::Explain(style) => out.write_all(explain::render(&doc.text, &outcome, style).as_bytes())?,
                }
                self.tally.done += 1;
            }
            Err(e) => self.fail(format!("error: {}: {e}", doc.id)),
        }
        // Nothing is drawn when standard error is not a terminal: no message to make.
        if !self.bar.is_hidden() {
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            let rate = self.tally.done as f64 / secs;
            self.bar.set_message(format!("{} documents, {rate:.0}/s, {} failed", self.tally.done, self.tally.failed));
        }
        Ok(())
    }

    /// One Document per line of a JSONL file; a bad line is reported with its number and
    /// skipped, never silently.
    fn run_jsonl(&mut self, path: &Path, out: &mut impl Write) -> anyhow::Result<()> {
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
                    self.fail(format!("error: {where_}: not a Document in proto3 JSON: {e}"));
                    continue;
                }
            };
            let req = thresher_proto::v1::ProcessRequest { document: Some(doc), ..Default::default() };
            match thresher_server::convert::Job::try_from(req) {
                Ok(mut job) => {
                    if job.doc.id.is_empty() {
                        job.doc.id = where_;
                    }
                    self.run(job.doc, out)?;
                }
                Err(status) => self.fail(format!("error: {where_}: {}", status.message())),
            }
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn process(
    rules: &Path,
    outlet: Option<String>,
    url: Option<String>,
    output: Output,
    max_document_bytes: usize,
    output_file: Option<&Path>,
    inputs: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let Some(rs) = load(rules, true)? else { return Ok(ExitCode::FAILURE) };
    let opts = ProcessOptions { max_document_bytes, ..ProcessOptions::default() };
    let paths = inputs_of(inputs)?;
    let total: u64 = paths.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let mut out: Box<dyn Write> = match output_file {
        Some(f) => {
            Box::new(BufWriter::new(std::fs::File::create(f).with_context(|| format!("creating {}", f.display()))?))
        }
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut batch = Batch {
        rules,
        rs,
        opts,
        output,
        outlet,
        url,
        bar: progress(total),
        started: std::time::Instant::now(),
        tally: Tally::default(),
        line: Vec::new(),
    };
    for path in paths {
        if path.as_os_str() == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).context("reading standard input")?;
            batch.run(Document::new("-", &s), &mut out)?;
        } else if is_jsonl(&path) {
            batch.run_jsonl(&path, &mut out)?;
        } else {
            let id = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    batch.bar.inc(text.len() as u64);
                    batch.run(Document::new(&id, &text), &mut out)?;
                }
                Err(e) => batch.fail(format!("error: {}: {e}", path.display())),
            }
        }
    }
    out.flush()?;
    batch.bar.finish_and_clear();
    let Tally { done, failed } = batch.tally;
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
