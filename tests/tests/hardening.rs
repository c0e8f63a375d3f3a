//! The service under pressure, through the real binary: admin calls guarded by a token,
//! load shed at once past the in-flight limit, client deadlines honoured, and SIGTERM during
//! load losing no call in flight.

use std::time::{Duration, Instant};

use thresher_e2e::{Server, request};
use thresher_proto::v1 as pb;
use tonic::{Code, Request};

/// These tests load the machine on purpose and time what happens; one at a time, each sees
/// only its own load.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A document that takes the engine a noticeable while: many quoted, attributed sentences.
/// (Distinct lines: a line repeated word for word is boilerplate.)
fn heavy(kb: usize) -> String {
    let mut out = String::with_capacity(kb * 1024);
    for i in 0.. {
        if out.len() >= kb * 1024 {
            break;
        }
        out.push_str(&format!(
            "\"We will not give up talks number {i},\" Foreign Minister Anna Berg told reporters.\n"
        ));
    }
    out
}

#[tokio::test]
async fn admin_calls_that_take_rules_need_the_token() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start(&["--admin-token", "s3cret-token"]).await;
    let mut admin = server.admin().await;
    let err = admin.reload_rules(pb::ReloadRulesRequest::default()).await.expect_err("no token");
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("authorization: Bearer"), "{}", err.message());
    let mut wrong = Request::new(pb::ReloadRulesRequest::default());
    wrong.metadata_mut().insert("authorization", "Bearer nope".parse().expect("header"));
    assert_eq!(admin.reload_rules(wrong).await.expect_err("wrong token").code(), Code::Unauthenticated);
    let err = admin.validate_rules(pb::ValidateRulesRequest::default()).await.expect_err("no token");
    assert_eq!(err.code(), Code::Unauthenticated);

    let mut right = Request::new(pb::ReloadRulesRequest::default());
    right.metadata_mut().insert("authorization", "Bearer s3cret-token".parse().expect("header"));
    admin.reload_rules(right).await.expect("the token opens ReloadRules");
    // Reading the state, processing, health and reflection stay open.
    admin.get_ruleset(pb::GetRulesetRequest::default()).await.expect("GetRuleset is open");
    let mut client = server.client().await;
    client.process(request("d", "Photo: AFP\nThe talks ended.")).await.expect("Process is open");
}

#[tokio::test]
async fn past_the_in_flight_limit_requests_are_refused_fast_and_service_recovers() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start(&["--max-in-flight", "2"]).await;
    let doc = heavy(256);
    let client = server.client().await;
    let started = Instant::now();
    let calls: Vec<_> = (0..24)
        .map(|i| {
            let mut c = client.clone();
            let r = request(&format!("d{i}"), &doc);
            tokio::spawn(async move {
                let t = Instant::now();
                (c.process(r).await.map(|_| ()).map_err(|s| (s.code(), s.message().to_owned())), t.elapsed())
            })
        })
        .collect();
    let mut ok = 0;
    let mut shed = Vec::new();
    for c in calls {
        let (result, took) = c.await.expect("task");
        match result {
            Ok(()) => ok += 1,
            Err((code, msg)) => {
                assert_eq!(code, Code::ResourceExhausted, "{msg}");
                assert!(msg.contains("--max-in-flight"), "{msg}");
                shed.push(took);
            }
        }
    }
    assert!(ok >= 2, "some requests are served ({ok})");
    assert!(!shed.is_empty(), "24 heavy requests at a limit of 2 must shed some");
    // A refusal does not wait for the work in flight (which takes far longer).
    let fastest = shed.iter().min().copied().unwrap_or_default();
    assert!(fastest < started.elapsed(), "refusals come before the work ends");
    // Once the load is gone, the service answers again.
    let mut c = client.clone();
    c.process(request("after", "The talks ended.")).await.expect("recovered");
}

#[tokio::test]
async fn a_client_deadline_is_honoured() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start(&[]).await;
    let mut client = server.client().await;
    let mut r = Request::new(request("slow", &heavy(2048)));
    r.set_timeout(Duration::from_millis(5));
    let err = client.process(r).await.expect_err("a 5 ms deadline on a 2 MB document");
    assert!(matches!(err.code(), Code::DeadlineExceeded | Code::Cancelled), "{err:?}");
    // The server is still fine.
    client.process(request("d", "The talks ended.")).await.expect("still serving");
}

#[tokio::test]
async fn sigterm_during_load_finishes_every_call_in_flight() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start(&["--shutdown-grace-ms", "60000"]).await;
    let doc = heavy(128);
    // One connection per caller, as separate client processes would have.
    let mut clients = Vec::new();
    for _ in 0..8 {
        clients.push(server.client().await);
    }
    let calls: Vec<_> = (0..8)
        .map(|i| {
            let mut c = clients[i].clone();
            let r = request(&format!("d{i}"), &doc);
            tokio::spawn(async move { c.process(r).await.map(|r| r.into_inner().claims.len()) })
        })
        .collect();
    // Let the calls reach the server (their bodies fully sent: a call still uploading when
    // the server stops is not yet in flight there), then ask it to stop while they run.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let status = server.terminate().await;
    assert!(status.success(), "exit status {status:?}");
    for c in calls {
        let claims = c.await.expect("task").expect("an in-flight call is answered, not dropped");
        assert!(claims > 100);
    }
}

#[tokio::test]
async fn sustained_overload_is_shed_before_bodies_are_read_and_memory_stays_bounded() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start(&["--max-in-flight", "2"]).await;
    let before = server.peak_rss_kib();
    let doc = std::sync::Arc::new(heavy(2048));
    // 64 callers on 4 connections, each sending 2 MB documents back to back for 3 s: 32 times
    // the limit, and 128 MB of bodies in the air at any moment.
    let mut channels = Vec::new();
    for _ in 0..4 {
        channels.push(server.client().await);
    }
    let until = Instant::now() + Duration::from_secs(3);
    let callers: Vec<_> = (0..64)
        .map(|i| {
            let mut c = channels[i % 4].clone();
            let doc = doc.clone();
            tokio::spawn(async move {
                let (mut ok, mut shed) = (0usize, 0usize);
                while Instant::now() < until {
                    match c.process(request("load", &doc)).await {
                        Ok(_) => ok += 1,
                        Err(s) if s.code() == Code::ResourceExhausted => shed += 1,
                        Err(s) => panic!("unexpected status under overload: {s:?}"),
                    }
                }
                (ok, shed)
            })
        })
        .collect();
    let (mut ok, mut shed) = (0, 0);
    for c in callers {
        let (o, s) = c.await.expect("caller");
        ok += o;
        shed += s;
    }
    let after = server.peak_rss_kib();
    eprintln!("overload: {ok} served, {shed} shed; peak RSS {before:?} KiB before, {after:?} KiB after");
    assert!(ok >= 1, "the admitted work is done");
    // Refusals cost no work: in the time the server took to finish a few documents, it
    // refused many times more.
    assert!(shed > 10 * ok, "{shed} refusals against {ok} served");
    // Refused bodies are never read, so memory stays near what two documents in work need.
    if let (Some(before), Some(after)) = (before, after) {
        assert!(after < before + 144 * 1024, "peak RSS grew from {before} KiB to {after} KiB");
    }
    let mut c = channels[0].clone();
    c.process(request("after", "The talks ended.")).await.expect("recovered once the load is gone");
}

#[tokio::test]
async fn sigterm_while_large_uploads_share_one_connection_loses_none() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start(&["--shutdown-grace-ms", "60000"]).await;
    let doc = heavy(512);
    // Eight 512 KB documents multiplexed on one HTTP/2 connection, SIGTERM while they upload.
    let client = server.client().await;
    let calls: Vec<_> = (0..8)
        .map(|i| {
            let mut c = client.clone();
            let r = request(&format!("d{i}"), &doc);
            tokio::spawn(async move { c.process(r).await.map(|r| r.into_inner().document_id) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let status = server.terminate().await;
    assert!(status.success(), "exit status {status:?}");
    for (i, c) in calls.into_iter().enumerate() {
        let id = c.await.expect("task").expect("a call sent before SIGTERM is answered, not dropped");
        assert_eq!(id, format!("d{i}"));
    }
}
