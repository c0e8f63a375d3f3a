//! `thresher-load`: drives a running Thresher server with the documents of a corpus directory
//! and reports throughput, latency percentiles (from an HDR histogram) and, given the server's
//! pid, its CPU use and peak memory; given its metrics address, how much of that CPU the
//! engine took per document; and its own CPU use, which a server on the same machine lacks.
//! Of each answer it decodes only whether the document failed.
//!
//! ```text
//! thresher-load --addr 127.0.0.1:50051 --corpus ../shared/dev/docs --mode unary --concurrency 32 --duration 10s
//! thresher-load --addr 127.0.0.1:50051 --corpus ../shared/dev/docs --mode stream --concurrency 4
//! thresher-load ... --huge-kb 4096   # one caller sends a 4 MB document over and over meanwhile
//! thresher-load ... --server-pid 1234 --metrics 127.0.0.1:9100   # the server's CPU, and the engine's share
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use futures::StreamExt;
use hdrhistogram::Histogram;
use thresher_proto::v1 as pb;
use tonic::client::Grpc;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};

/// A client of the Thresher service that decodes of each answer only its `error` field.
type Client = Grpc<Channel>;

/// What the generator reads of a `ProcessResponse`: whether the document failed (field 8).
/// The rest of each answer is skipped unread: decoding every label and claim cost the
/// generator about as much CPU as it spent on everything else, taken from a server that
/// shares its machine. (The service's answers are checked in full by the end-to-end tests.)
#[derive(Clone, PartialEq, prost::Message)]
struct Answer {
    #[prost(message, optional, tag = "8")]
    error: Option<pb::DocumentError>,
}

/// The gRPC codec for requests and slim answers.
fn codec() -> tonic_prost::ProstCodec<pb::ProcessRequest, Answer> {
    tonic_prost::ProstCodec::default()
}

async fn ready(client: &mut Client) -> Result<(), tonic::Status> {
    client.ready().await.map_err(|e| tonic::Status::unavailable(format!("the connection is not ready: {e}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Unary `Process`, `--concurrency` calls in flight at all times.
    Unary,
    /// `ProcessStream`, `--concurrency` streams each keeping `--window` documents in flight.
    Stream,
}

#[derive(Debug, Parser)]
#[command(name = "thresher-load", version, about = "Load generator for Thresher's gRPC service")]
struct Args {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:50051")]
    addr: String,
    /// Directory whose files are the documents (sent round-robin).
    #[arg(long)]
    corpus: PathBuf,
    /// Unary calls or streams.
    #[arg(long, value_enum, default_value_t = Mode::Unary)]
    mode: Mode,
    /// Calls (unary) or streams in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Documents each stream keeps sent but not yet answered (stream mode). A new one is sent
    /// as each answer arrives, so latency is measured against a bounded queue.
    #[arg(long, default_value_t = 16)]
    window: usize,
    /// HTTP/2 connections the callers share.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// How long to measure, after the warm-up ("10s", "500ms", "2m").
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// How long to run before measuring.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
    /// Also keep one document of this many KB in flight (built from the corpus) on its own
    /// connection: its latency is reported apart, and the others' show whether it stalls them.
    #[arg(long, default_value_t = 0)]
    huge_kb: usize,
    /// The server's process id, to report its CPU time and peak resident memory (Linux).
    #[arg(long)]
    server_pid: Option<u32>,
    /// The server's metrics address (its `--metrics-addr`), to report the engine's CPU time
    /// per document beside the whole server's: the rest is networking, decoding and encoding.
    #[arg(long)]
    metrics: Option<String>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// The generator's own threads. One drives tens of thousands of calls a second; each more
    /// takes CPU (and cache) from a server on the same machine, which then measures slower.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit() && c != '.').map_or((s, "s"), |i| s.split_at(i));
    let n: f64 = num.parse().map_err(|_| format!("not a duration: {s:?} (try 10s, 500ms, 2m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit in {s:?}: use ms, s or m")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

/// What one caller saw while measuring.
struct Tally {
    latency: Histogram<u64>,
    errors: BTreeMap<String, u64>,
    bytes: u64,
}

impl Tally {
    fn new() -> Self {
        Self { latency: histogram(), errors: BTreeMap::new(), bytes: 0 }
    }

    fn merge(&mut self, other: Tally) {
        let _ = self.latency.add(&other.latency);
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.bytes += other.bytes;
    }

    fn record(&mut self, took: Duration, result: Result<&Answer, &tonic::Status>, bytes: usize) {
        let _ = self.latency.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1));
        self.bytes += bytes as u64;
        let error = match result {
            Ok(resp) => resp.error.as_ref().map(|e| e.code.clone()),
            Err(status) => Some(code_name(status.code())),
        };
        if let Some(code) = error {
            *self.errors.entry(code).or_default() += 1;
        }
    }
}

/// The gRPC name of a status code ("INVALID_ARGUMENT"), as a stream's failed documents carry it.
fn code_name(code: tonic::Code) -> String {
    let mut out = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Microseconds from 1 µs to 10 minutes, three significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable()))
}

fn unreachable() -> ! {
    std::process::abort()
}

fn load_corpus(dir: &Path) -> anyhow::Result<Vec<pb::Document>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read corpus directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut docs = Vec::new();
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else { continue };
        let id = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        docs.push(pb::Document { id, text, ..Default::default() });
    }
    if docs.is_empty() {
        bail!("no UTF-8 text files in {}", dir.display());
    }
    Ok(docs)
}

const PROCESS: &str = "/thresher.v1.Thresher/Process";
const PROCESS_STREAM: &str = "/thresher.v1.Thresher/ProcessStream";

fn request(doc: &pb::Document) -> pb::ProcessRequest {
    pb::ProcessRequest { document: Some(doc.clone()), ..Default::default() }
}

async fn connect(addr: &str) -> anyhow::Result<Client> {
    let url = if addr.contains("://") { addr.to_owned() } else { format!("http://{addr}") };
    let channel = Endpoint::from_shared(url)?.connect().await.with_context(|| format!("cannot connect to {addr}"))?;
    Ok(Grpc::new(channel).max_decoding_message_size(256 << 20).max_encoding_message_size(256 << 20))
}

/// The server's CPU seconds so far (user + system), from /proc.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}

/// A `/proc/<pid>/status` value in KiB (VmHWM: peak resident, VmRSS: resident now).
fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse().ok()
}

struct Clock {
    measure_from: Instant,
    until: Instant,
}

impl Clock {
    fn measuring(&self, at: Instant) -> bool {
        at >= self.measure_from
    }
    fn done(&self) -> bool {
        Instant::now() >= self.until
    }
}

async fn unary_caller(
    mut client: Client,
    docs: Arc<Vec<pb::Document>>,
    next: Arc<AtomicUsize>,
    clock: Arc<Clock>,
) -> Tally {
    let mut tally = Tally::new();
    while !clock.done() {
        let doc = &docs[next.fetch_add(1, Ordering::Relaxed) % docs.len()];
        let started = Instant::now();
        let result = match ready(&mut client).await {
            Ok(()) => client
                .unary(tonic::Request::new(request(doc)), PathAndQuery::from_static(PROCESS), codec())
                .await
                .map(tonic::Response::into_inner),
            Err(status) => Err(status),
        };
        if clock.measuring(started) {
            tally.record(started.elapsed(), result.as_ref(), doc.text.len());
        }
    }
    tally
}

async fn stream_caller(
    mut client: Client,
    docs: Arc<Vec<pb::Document>>,
    next: Arc<AtomicUsize>,
    clock: Arc<Clock>,
    window: usize,
) -> anyhow::Result<Tally> {
    // Send times in order: answers come back in request order. At most `window` documents are
    // sent ahead of their answers: a send takes a permit, an answer gives one back.
    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, usize)>();
    let credit = Arc::new(tokio::sync::Semaphore::new(window));
    let outgoing_clock = clock.clone();
    let outgoing_credit = credit.clone();
    let outgoing = futures::stream::unfold((), move |()| {
        let (docs, next, clock, sent_tx) = (docs.clone(), next.clone(), outgoing_clock.clone(), sent_tx.clone());
        let credit = outgoing_credit.clone();
        async move {
            credit.acquire().await.ok()?.forget();
            if clock.done() {
                return None;
            }
            let doc = &docs[next.fetch_add(1, Ordering::Relaxed) % docs.len()];
            let _ = sent_tx.send((Instant::now(), doc.text.len()));
            Some((request(doc), ()))
        }
    });
    ready(&mut client).await?;
    let mut answers = client
        .streaming(tonic::Request::new(outgoing), PathAndQuery::from_static(PROCESS_STREAM), codec())
        .await?
        .into_inner();
    let mut tally = Tally::new();
    while let Some(answer) = answers.next().await {
        credit.add_permits(1);
        let (sent, bytes) = sent_rx.recv().await.unwrap_or((Instant::now(), 0));
        if clock.measuring(sent) {
            tally.record(sent.elapsed(), answer.as_ref(), bytes);
        }
        if let Err(status) = answer {
            // A broken stream ends; report it rather than spin.
            *tally.errors.entry(format!("stream ended: {}", code_name(status.code()))).or_default() += 1;
            break;
        }
    }
    Ok(tally)
}

fn percentiles(h: &Histogram<u64>) -> serde_json::Value {
    let ms = |v: u64| (v as f64) / 1000.0;
    serde_json::json!({
        "p50_ms": ms(h.value_at_quantile(0.50)),
        "p90_ms": ms(h.value_at_quantile(0.90)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "max_ms": ms(h.max()),
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.concurrency == 0 || args.connections == 0 || args.window == 0 || args.threads == 0 {
        bail!("--concurrency, --connections, --window and --threads must be at least 1");
    }
    let rt = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build()
    };
    rt.context("starting the async runtime")?.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let docs = Arc::new(load_corpus(&args.corpus)?);
    let mut clients = Vec::new();
    for _ in 0..args.connections.min(args.concurrency) {
        clients.push(connect(&args.addr).await?);
    }

    // A wrong metrics address is better reported now than after the warm-up.
    if let Some(addr) = &args.metrics {
        engine_figures(addr).await?;
    }
    let start = Instant::now();
    let clock = Arc::new(Clock { measure_from: start + args.warmup, until: start + args.warmup + args.duration });
    let next = Arc::new(AtomicUsize::new(0));

    let huge = (args.huge_kb > 0).then(|| {
        let mut text = String::with_capacity(args.huge_kb * 1024);
        'fill: for round in 0.. {
            for d in docs.iter() {
                if text.len() >= args.huge_kb * 1024 {
                    break 'fill;
                }
                text.push_str(&format!("\n[{round}]\n"));
                text.push_str(&d.text);
            }
        }
        Arc::new(vec![pb::Document { id: "huge".into(), text, ..Default::default() }])
    });
    let huge_task = match huge {
        Some(doc) => {
            let client = connect(&args.addr).await?;
            Some(tokio::spawn(unary_caller(client, doc, Arc::new(AtomicUsize::new(0)), clock.clone())))
        }
        None => None,
    };

    let cpu_before = args.server_pid.and_then(cpu_seconds);
    let mut tasks = Vec::new();
    for i in 0..args.concurrency {
        let client = clients[i % clients.len()].clone();
        let (docs, next, clock) = (docs.clone(), next.clone(), clock.clone());
        tasks.push(match args.mode {
            Mode::Unary => tokio::spawn(async move { Ok(unary_caller(client, docs, next, clock).await) }),
            Mode::Stream => tokio::spawn(stream_caller(client, docs, next, clock, args.window)),
        });
    }
    // Sample the server's CPU (and the engine's) at the end of the warm-up, so all figures
    // cover the same span.
    if args.server_pid.is_some() || args.metrics.is_some() {
        tokio::time::sleep_until(clock.measure_from.into()).await;
    }
    let cpu_at_measure = args.server_pid.map_or(cpu_before, cpu_seconds);
    let own_at_measure = cpu_seconds(std::process::id());
    let engine_at_measure = match &args.metrics {
        Some(addr) => Some(engine_figures(addr).await?),
        None => None,
    };
    let mut total = Tally::new();
    for t in tasks {
        total.merge(t.await??);
    }
    let cpu_after = args.server_pid.and_then(cpu_seconds);
    let own_after = cpu_seconds(std::process::id());
    let engine_after = match &args.metrics {
        Some(addr) => Some(engine_figures(addr).await?),
        None => None,
    };
    let huge_tally = match huge_task {
        Some(t) => Some(t.await?),
        None => None,
    };

    let secs = args.duration.as_secs_f64();
    let count = total.latency.len();
    let mut report = serde_json::json!({
        "mode": format!("{:?}", args.mode).to_lowercase(),
        "concurrency": args.concurrency,
        "connections": clients.len(),
        "corpus_documents": docs.len(),
        "seconds": secs,
        "documents": count,
        "documents_per_second": count as f64 / secs,
        "mb_per_second": total.bytes as f64 / secs / 1e6,
        "latency": percentiles(&total.latency),
        "errors": total.errors,
    });
    if args.mode == Mode::Stream {
        report["window"] = args.window.into();
    }
    if let Some(h) = &huge_tally {
        report["huge_document"] = serde_json::json!({
            "kb": args.huge_kb,
            "documents": h.latency.len(),
            "latency": percentiles(&h.latency),
            "errors": h.errors,
        });
    }
    if let Some(pid) = args.server_pid {
        let cpu = cpu_at_measure.zip(cpu_after).map(|(a, b)| (b - a) / secs);
        report["server"] = serde_json::json!({
            "pid": pid,
            "cpu_cores_used": cpu,
            "peak_rss_mb": status_kib(pid, "VmHWM:").map(|k| k as f64 / 1024.0),
            "rss_mb": status_kib(pid, "VmRSS:").map(|k| k as f64 / 1024.0),
        });
    }
    // The generator's own CPU: on the server's machine it is CPU the server did not have.
    report["generator"] = serde_json::json!({
        "threads": args.threads,
        "cpu_cores_used": own_at_measure.zip(own_after).map(|(a, b)| (b - a) / secs),
    });
    if let (Some(a), Some(b)) = (engine_at_measure, engine_after) {
        let docs = b.documents - a.documents;
        let per_doc = |secs: f64| (docs > 0.0).then(|| secs / docs * 1e6);
        let server_cpu = cpu_at_measure.zip(cpu_after).map(|(x, y)| y - x);
        report["engine"] = serde_json::json!({
            "documents": docs,
            "cpu_us_per_document": per_doc(b.cpu_seconds - a.cpu_seconds),
            "server_cpu_us_per_document": server_cpu.and_then(per_doc),
        });
    }
    let text = if args.json { format!("{report}\n") } else { human(&report) };
    // A closed pipe (`| head`) is the reader's choice, not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    Ok(())
}

fn human(r: &serde_json::Value) -> String {
    use std::fmt::Write as _;
    let num = |v: &serde_json::Value| v.as_f64().map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"));
    let l = &r["latency"];
    let window = r.get("window").map(|w| format!(" (window {w})")).unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} x{}{window} over {} connections, {:.1} s: {} documents, {:.0} documents/s, {:.1} MB/s",
        r["mode"].as_str().unwrap_or(""),
        r["concurrency"],
        r["connections"],
        r["seconds"].as_f64().unwrap_or(0.0),
        r["documents"],
        r["documents_per_second"].as_f64().unwrap_or(0.0),
        r["mb_per_second"].as_f64().unwrap_or(0.0),
    );
    let _ = writeln!(
        out,
        "latency ms: p50 {} p90 {} p99 {} max {}",
        num(&l["p50_ms"]),
        num(&l["p90_ms"]),
        num(&l["p99_ms"]),
        num(&l["max_ms"])
    );
    if r["errors"].as_object().is_some_and(|e| !e.is_empty()) {
        let _ = writeln!(out, "errors: {}", r["errors"]);
    }
    if let Some(h) = r.get("huge_document") {
        let hl = &h["latency"];
        let _ = writeln!(
            out,
            "huge document ({} KB): {} answered, latency ms p50 {} max {}",
            h["kb"],
            h["documents"],
            num(&hl["p50_ms"]),
            num(&hl["max_ms"])
        );
    }
    if let Some(s) = r.get("server") {
        let _ = writeln!(
            out,
            "server: {} cores busy, peak RSS {} MB, RSS {} MB",
            num(&s["cpu_cores_used"]),
            num(&s["peak_rss_mb"]),
            num(&s["rss_mb"])
        );
    }
    if let Some(g) = r.get("generator") {
        let _ = writeln!(out, "generator: {} cores busy on {} threads", num(&g["cpu_cores_used"]), g["threads"]);
    }
    if let Some(e) = r.get("engine") {
        let us = |v: &serde_json::Value| v.as_f64().map_or_else(|| "-".to_owned(), |x| format!("{x:.0}"));
        let _ = writeln!(
            out,
            "engine: {} µs CPU per document (the whole server {} µs)",
            us(&e["cpu_us_per_document"]),
            us(&e["server_cpu_us_per_document"])
        );
    }
    out
}

/// The engine's CPU seconds and the documents processed so far, from the server's metrics.
#[derive(Debug, Clone, Copy)]
struct EngineFigures {
    cpu_seconds: f64,
    documents: f64,
}

async fn engine_figures(addr: &str) -> anyhow::Result<EngineFigures> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let scrape = async {
        let mut conn = tokio::net::TcpStream::connect(addr).await?;
        conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: thresher\r\nConnection: close\r\n\r\n").await?;
        let mut out = String::new();
        conn.read_to_string(&mut out).await?;
        anyhow::Ok(out)
    };
    let text = tokio::time::timeout(Duration::from_secs(5), scrape)
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| r)
        .with_context(|| format!("cannot read the server's metrics at {addr} (its --metrics-addr)"))?;
    let series = |name: &str| {
        text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse::<f64>().ok()).with_context(
            || format!("the metrics at {addr} have no {name} (is it a Thresher server's --metrics-addr?)"),
        )
    };
    Ok(EngineFigures {
        cpu_seconds: series("thresher_engine_cpu_seconds_total")?,
        documents: series("thresher_documents_total")?,
    })
}
