//! The Prometheus endpoint of the real server: every series is there, and they move with the
//! calls made.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use thresher_e2e::{Server, request};
use thresher_proto::v1 as pb;

async fn scrape(addr: &str) -> String {
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("metrics port");
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("application/openmetrics-text"), "{out}");
    out
}

/// The value of the series whose line starts with `series` (name and labels, exactly).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no series {series} in\n{text}"))
        .parse()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn the_metrics_endpoint_has_every_series_and_they_move() {
    let metrics = format!("127.0.0.1:{}", free_port());
    let server = Server::start(&["--metrics-addr", &metrics]).await;
    let before = scrape(&metrics).await;
    for series in [
        "thresher_documents_total",
        "thresher_document_bytes_total",
        "thresher_engine_cpu_seconds_total",
        "thresher_reloads_total{outcome=\"loaded\"}",
        "thresher_reloads_total{outcome=\"refused\"}",
        "thresher_rules_failing",
        "thresher_rule_calls_total{rule=\"captions.credit_label\"}",
        "thresher_rule_hits_total{rule=\"captions.credit_label\"}",
        "thresher_rule_errors_total{rule=\"captions.credit_label\"}",
        "thresher_rule_seconds_total{rule=\"captions.credit_label\"}",
    ] {
        value(&before, series);
    }
    assert!(value(&before, "thresher_reloads_total{outcome=\"loaded\"}") >= 1.0);
    let version = server.admin().await.get_ruleset(pb::GetRulesetRequest::default()).await.unwrap().into_inner();
    let version = version.active.unwrap().version;
    assert_eq!(value(&before, &format!("thresher_ruleset_info{{version=\"{version}\"}}")), 1.0);

    let mut client = server.client().await;
    let text = "Photo: AFP\nThe minister said the talks ended.";
    for _ in 0..3 {
        client.process(request("m", text)).await.unwrap();
    }
    let bad = pb::ProcessRequest::default();
    assert!(client.process(bad).await.is_err());
    let stream = tokio_stream::iter(vec![request("m", text), request("m", text)]);
    let answers: Vec<_> =
        tokio_stream::StreamExt::collect::<Vec<_>>(client.process_stream(stream).await.unwrap().into_inner()).await;
    assert_eq!(answers.len(), 2);

    let after = scrape(&metrics).await;
    let moved = |series: &str| value(&after, series) - value(&before, series).max(0.0);
    assert_eq!(value(&after, "thresher_calls_total{method=\"Process\",code=\"OK\"}"), 3.0);
    assert_eq!(value(&after, "thresher_calls_total{method=\"Process\",code=\"INVALID_ARGUMENT\"}"), 1.0);
    assert_eq!(value(&after, "thresher_calls_total{method=\"ProcessStream\",code=\"OK\"}"), 2.0);
    assert_eq!(value(&after, "thresher_call_duration_seconds_count{method=\"Process\"}"), 4.0);
    assert_eq!(moved("thresher_documents_total"), 5.0);
    assert_eq!(moved("thresher_document_bytes_total"), 5.0 * text.len() as f64);
    // Five small documents take some CPU, far less than the wall time the calls took.
    let cpu = moved("thresher_engine_cpu_seconds_total");
    assert!(cpu > 0.0 && cpu < 1.0, "engine CPU {cpu} s for five short documents");
    assert_eq!(moved("thresher_rule_calls_total{rule=\"captions.credit_label\"}"), 5.0);
    assert_eq!(moved("thresher_rule_hits_total{rule=\"captions.credit_label\"}"), 5.0);
    assert!(moved("thresher_rule_seconds_total{rule=\"captions.credit_label\"}") > 0.0);
    assert_eq!(value(&after, "thresher_calls_total{method=\"GetRuleset\",code=\"OK\"}"), 1.0);

    // The admin calls are counted too, refusals by their status.
    let mut admin = server.admin().await;
    admin.reload_rules(pb::ReloadRulesRequest::default()).await.unwrap();
    let _ = admin.validate_rules(pb::ValidateRulesRequest::default()).await;
    let last = scrape(&metrics).await;
    assert_eq!(value(&last, "thresher_calls_total{method=\"ReloadRules\",code=\"OK\"}"), 1.0);
    assert_eq!(value(&last, "thresher_call_duration_seconds_count{method=\"ValidateRules\"}"), 1.0);
}

#[tokio::test]
async fn json_logs_carry_the_request_id_which_the_answer_echoes() {
    let dir = std::env::temp_dir().join(format!("thresher-e2e-jsonlog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("server.log");
    let server = Server::start_logging(&["--log-format", "json"], "thresher=debug", &log).await;
    let mut client = server.client().await;
    let mut req = tonic::Request::new(request("m", "The minister said the talks ended."));
    req.metadata_mut().insert("x-request-id", "req-abc-123".parse().unwrap());
    let resp = client.process(req).await.unwrap();
    assert_eq!(resp.metadata().get("x-request-id").unwrap(), "req-abc-123");
    // Without one, the server makes one up and still echoes it.
    let resp = client.process(request("m", "The talks ended.")).await.unwrap();
    let made_up = resp.metadata().get("x-request-id").expect("a request id").to_str().unwrap().to_owned();
    assert!(!made_up.is_empty());
    assert!(server.terminate().await.success());

    let logged = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> =
        logged.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let answered = |id: &str| {
        lines.iter().any(|l| {
            l["fields"]["message"] == "answered" && l["span"]["request_id"] == id && l["fields"]["code"] == "OK"
        })
    };
    assert!(answered("req-abc-123"), "no answered line for req-abc-123 in\n{logged}");
    assert!(answered(&made_up), "no answered line for {made_up} in\n{logged}");
    let _ = std::fs::remove_dir_all(&dir);
}
