//! The `thresher` command as batch users and rule authors run it.

use std::io::Write;
use std::process::{Command, Stdio};

use thresher_e2e::{rules, seeds, shared, thresher};

fn stdout_of(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `thresher process [extra] --rules rules/ -` with `input` on stdin: its stdout, after it
/// succeeded.
fn process_stdin(extra: &[&str], input: &[u8]) -> String {
    let mut child = thresher()
        .arg("process")
        .args(extra)
        .arg("--rules")
        .arg(rules())
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(input).expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf8")
}

/// Runs `thresher process` on `docs` and `score.py` on the answers against the gold in
/// `corpus`, failing below any of `minimums` (`KEY=VALUE`).
fn assert_scores(name: &str, corpus: &str, docs: &[std::path::PathBuf], minimums: &[&str]) {
    let (ok, json, err) = stdout_of(thresher().arg("process").arg("--rules").arg(rules()).args(docs));
    assert!(ok, "{err}");
    assert_eq!(json.lines().count(), docs.len(), "one answer per document");
    let out = std::env::temp_dir().join(format!("thresher-{name}-{}.jsonl", std::process::id()));
    std::fs::write(&out, &json).expect("write");
    let mut score = Command::new("python3");
    score.arg(shared().join("eval/score.py")).arg("--corpus").arg(shared().join(corpus)).arg("--responses").arg(&out);
    for m in minimums {
        score.args(["--min", m]);
    }
    let (ok, report, err) = stdout_of(&mut score);
    let _ = std::fs::remove_file(&out);
    assert!(ok, "score.py failed on {name}:\n{report}\n{err}");
}

#[test]
fn seeds_meet_the_boilerplate_and_claim_minimums() {
    let minimums = ["boilerplate_recall=0.98", "body_retention=1.0", "outlet_accuracy=1.0"];
    let claims = ["claim_recall=0.95", "attribution_f1=0.9", "form_accuracy=0.9", "type_accuracy=0.7"];
    assert_scores("seeds", "corpus", &seeds(), &[minimums.as_slice(), claims.as_slice()].concat());
}

#[test]
fn dev_set_meets_the_boilerplate_and_claim_floors() {
    let mut docs: Vec<_> = std::fs::read_dir(shared().join("dev/docs"))
        .expect("the dev set must exist (set THRESHER_SHARED)")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    docs.sort();
    let floors = [
        "boilerplate_recall=0.97", "body_retention=0.99", "claim_recall=0.95", "attribution_f1=0.93",
        "form_accuracy=0.92", "type_accuracy=0.69",
    ];
    assert_scores("dev", "dev", &docs, &floors);
}

#[test]
fn process_reads_stdin_and_names_documents_by_file() {
    let out = process_stdin(&[], b"Photo: AFP\nThe talks ended.\n");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["documentId"], "-");
    assert_eq!(v["cleanText"], "The talks ended.");
    assert_eq!(v["removals"][0]["kind"], "caption");

    let (_, json, _) = stdout_of(thresher().arg("process").arg("--rules").arg(rules()).arg(&seeds()[0]));
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect("json");
    assert_eq!(v["documentId"], "000_66b45cebf3a757da.txt");
}

#[test]
fn shipped_rules_check_and_pass_their_tests() {
    let (ok, out, err) = stdout_of(thresher().arg("check").arg(rules()));
    assert!(ok && out.starts_with("ok: "), "{out}{err}");
    let (ok, out, err) = stdout_of(thresher().arg("test").arg(rules()));
    assert!(ok, "{out}{err}");
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn check_names_the_rules_that_run_in_rhai_on_every_document() {
    let dir = std::env::temp_dir().join(format!("thresher-unplanned-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("generic")).expect("mkdir");
    std::fs::write(
        dir.join("generic/mixed.rhai"),
        "fn fixed(doc) { doc.drop_lines(\"caption\", `^Photo:`); }\n\
         fn reads(doc) { if doc.count > 40 { doc.drop_lines(\"caption\", `^Image:`); } }\n",
    )
    .expect("write");
    let (ok, out, err) = stdout_of(thresher().arg("check").arg(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{out}{err}");
    assert!(out.contains("1 rules run in Rhai on every document: mixed.reads\n"), "{out}");
    // The shipped rules are all plans.
    let (_, out, _) = stdout_of(thresher().arg("check").arg(rules()));
    assert!(!out.contains("run in Rhai"), "{out}");
}

#[test]
fn broken_rules_are_reported_with_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("thresher-broken-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("generic")).expect("mkdir");
    std::fs::write(
        dir.join("generic/bad.rhai"),
        "// a comment\nfn captions(doc) {\n    doc.drop_lines(\"caption\", \"^Photo\"\n}\n",
    )
    .expect("write");
    let (ok, _, err) = stdout_of(thresher().arg("check").arg(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!ok);
    assert!(err.contains("generic/bad.rhai:4:1: error[T2001]"), "{err}");
}

#[test]
fn offsets_slice_correctly_in_python_and_javascript() {
    // Curly quotes, dashes, accents and astral-plane emoji before and inside removals.
    let text = "“Ukraine’s strikes — again” 🇺🇦 said officials 😀.\nPhoto: Łukasz Kowalski/AFP 📷\nShare on Facebook\nThe ministry’s “final” word — no 🙅.\n";
    let run = |enc: &str| process_stdin(&["--offset-encoding", enc], text.as_bytes());
    let input = std::env::temp_dir().join(format!("thresher-offsets-{}.txt", std::process::id()));
    std::fs::write(&input, text).expect("write");

    let py = r#"
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
resp = json.loads(sys.stdin.read())
assert len(resp["removals"]) == 2, resp["removals"]
for r in resp["removals"]:
    s = r["span"]
    assert text[s["start"]:s["end"]] == r["text"], (text[s["start"]:s["end"]], r["text"])
print("ok")
"#;
    let js = r#"
const fs = require("fs");
const text = fs.readFileSync(process.argv[1], "utf8");
const resp = JSON.parse(fs.readFileSync(0, "utf8"));
if (resp.removals.length !== 2) throw new Error("removals: " + JSON.stringify(resp.removals));
for (const r of resp.removals) {
  const got = text.slice(r.span.start, r.span.end);
  if (got !== r.text) throw new Error(JSON.stringify([got, r.text]));
}
console.log("ok");
"#;
    for (interp, flag, script, enc) in [("python3", "-c", py, "code-points"), ("node", "-e", js, "utf16")] {
        let json = run(enc);
        let mut cmd = Command::new(interp);
        cmd.args([flag, script]);
        if interp == "node" {
            cmd.arg("--");
        }
        let mut child = cmd
            .arg(&input)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{interp} must be installed: {e}"));
        child.stdin.take().expect("stdin").write_all(json.as_bytes()).expect("write");
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success() && out.stdout.starts_with(b"ok"),
            "{interp} slicing failed for {enc}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_file(&input);
}

#[test]
fn process_refuses_rules_whose_tests_fail_as_the_server_would() {
    let dir = std::env::temp_dir().join(format!("thresher-failing-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("generic")).expect("mkdir");
    std::fs::create_dir_all(dir.join("tests")).expect("mkdir");
    std::fs::write(dir.join("generic/c.rhai"), "fn captions(doc) { doc.drop_lines(\"caption\", \"^Photo:\") }\n")
        .expect("write");
    std::fs::write(
        dir.join("tests/c.toml"),
        "[document]\ntext = \"Photo: AFP\\nBody.\"\n[expect]\nkept = [\"Photo: AFP\"]\n",
    )
    .expect("write");
    let (ok, _, err) = stdout_of(thresher().args(["process", "--rules"]).arg(&dir).arg(&seeds()[0]));
    let (test_ok, test_out, _) = stdout_of(thresher().arg("test").arg(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!ok && err.contains("tests/c.toml: error[T3001]"), "{err}");
    assert!(!test_ok && test_out.contains("error[T3001]"), "{test_out}");
}

#[test]
fn process_reads_jsonl_and_directories_writes_jsonl_and_names_bad_lines() {
    let dir = std::env::temp_dir().join(format!("thresher-cli-jsonl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let lines = [
        r#"{"id": "a", "text": "Photo: AFP\nThe minister said the talks ended."}"#,
        "this is not JSON",
        r#"{"id": "b", "text": "The talks ended.", "url": "https://www.themoscowtimes.com/2024/01/01/x"}"#,
        "",
        r#"{"text": "No id here."}"#,
    ];
    std::fs::write(dir.join("batch.jsonl"), lines.join("\n")).unwrap();
    std::fs::write(dir.join("plain.txt"), "Read more: Other news\nThe talks ended.").unwrap();
    std::fs::write(dir.join("ignored.md"), "not an input").unwrap();
    let out_file = dir.join("out.jsonl");
    let out = thresher()
        .args(["process", "--rules"])
        .arg(rules())
        .arg(&dir)
        .arg("-o")
        .arg(&out_file)
        .output()
        .expect("thresher process runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The bad line is named by file and line, the rest are processed, and the status says so.
    assert!(!out.status.success(), "a bad line fails the run: {stderr}");
    assert!(stderr.contains("batch.jsonl:2: not a Document"), "{stderr}");
    assert!(stderr.contains("4 documents processed, 1 failed"), "{stderr}");
    // Not a terminal: no progress bar.
    assert!(!stderr.contains("ETA"), "{stderr}");
    let answers: Vec<serde_json::Value> =
        std::fs::read_to_string(&out_file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ids: Vec<&str> = answers.iter().map(|a| a["documentId"].as_str().unwrap()).collect();
    let unnamed = format!("{}:5", dir.join("batch.jsonl").display());
    assert_eq!(ids, ["a", "b", unnamed.as_str(), "plain.txt"]);
    assert_eq!(answers[0]["cleanText"], "The minister said the talks ended.");
    assert_eq!(answers[1]["outlet"]["id"], "the-moscow-times", "the line's own URL picks the outlet");
    assert_eq!(answers[3]["cleanText"], "The talks ended.");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `thresher process --jobs N` on `inputs` with the shipped rules: (succeeded, stdout,
/// stderr).
fn process_jobs(jobs: usize, inputs: &[std::path::PathBuf]) -> (bool, String, String) {
    stdout_of(thresher().args(["process", "--jobs", &jobs.to_string(), "--rules"]).arg(rules()).args(inputs))
}

#[test]
fn jobs_answer_in_input_order_exactly_as_one_thread_does() {
    let dir = std::env::temp_dir().join(format!("thresher-cli-jobs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Enough documents for many batches, a bad line among them, and one large document early
    // on, whose answer the threads must wait for while they finish the ones after it.
    let dev: Vec<_> = std::fs::read_dir(shared().join("dev/docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    let mut lines = Vec::new();
    for (i, p) in seeds().iter().chain(&dev).enumerate() {
        let text = std::fs::read_to_string(p).unwrap();
        let text = if i == 1 { text.repeat(60) } else { text };
        lines.push(serde_json::json!({"id": format!("doc-{i}"), "text": text}).to_string());
        if i == 7 {
            lines.push("{not json".to_owned());
        }
    }
    std::fs::write(dir.join("batch.jsonl"), lines.join("\n")).unwrap();
    let inputs = [dir.join("batch.jsonl"), seeds()[0].clone()];
    let (ok1, one, err1) = process_jobs(1, &inputs);
    let (ok4, four, err4) = process_jobs(4, &inputs);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!ok1 && !ok4, "the bad line fails both runs");
    for err in [&err1, &err4] {
        assert!(err.contains("batch.jsonl:9: not a Document"), "{err}");
        assert!(err.contains(&format!("{} documents processed, 1 failed", lines.len())), "{err}");
    }
    assert_eq!(one, four, "four threads write what one does, in the same order");
    let ids: Vec<String> = four
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["documentId"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = (0..lines.len() - 1).map(|i| format!("doc-{i}")).collect();
    expected.push(seeds()[0].file_name().unwrap().to_string_lossy().into_owned());
    assert_eq!(ids, expected);
}

#[test]
fn a_failed_write_stops_every_thread_and_is_reported() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let docs: Vec<_> = (0..40).map(|_| seeds()[0].clone()).collect();
    let mut cmd = thresher();
    cmd.args(["process", "--jobs", "2", "--rules"]).arg(rules()).args(&docs).args(["-o", "/dev/full"]);
    let (ok, _, err) = stdout_of(&mut cmd);
    assert!(!ok && err.contains("No space left on device"), "{err}");
}
