//! The real server over a real socket: Process, ProcessStream, errors, health, shutdown.

use thresher_e2e::{Server, seeds};
use thresher_proto::v1 as pb;
use tonic::Code;

fn request(id: &str, text: &str, encoding: pb::OffsetEncoding) -> pb::ProcessRequest {
    pb::ProcessRequest {
        document: Some(pb::Document { id: id.into(), text: text.into(), ..Default::default() }),
        explain: false,
        offset_encoding: encoding as i32,
    }
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).expect("read seed")
}

#[tokio::test]
async fn process_cleans_a_moscow_times_seed() {
    let server = Server::start(&[]).await;
    let mut client = server.client().await;
    let text = read(&seeds()[1]);
    let resp =
        client.process(request("mt", &text, pb::OffsetEncoding::Unspecified)).await.expect("process").into_inner();
    assert_eq!(resp.document_id, "mt");
    let outlet = resp.outlet.expect("outlet");
    assert_eq!((outlet.id.as_str(), outlet.matched_by), ("the-moscow-times", pb::OutletMatch::TextMarker as i32));
    assert!(resp.clean_text.contains("Lavrov said \"the propaganda campaign"));
    assert!(!resp.clean_text.contains("Dear readers"));
    assert!(!resp.clean_text.contains("Sign up for our free weekly newsletter"));
    assert_eq!(resp.ruleset.map(|r| r.version.len()), Some(16));
    let kinds: Vec<&str> = resp.removals.iter().map(|r| r.kind.as_str()).collect();
    for k in ["donation_appeal", "caption", "newsletter_promo", "read_more"] {
        assert!(kinds.contains(&k), "no {k} removal in {kinds:?}");
    }
    // Claims come from the kept text, with speakers resolved and a statement type.
    let lavrov: Vec<&pb::Claim> =
        resp.claims.iter().filter(|c| c.speaker.as_ref().is_some_and(|s| s.canonical == "Sergei Lavrov")).collect();
    assert!(lavrov.len() >= 2, "{:#?}", resp.claims);
    for c in &resp.claims {
        assert!(!c.text.contains("Dear readers") && !c.text.contains("authorities claim"), "{c:?}");
        assert!(c.labels.first().is_some_and(|l| !l.rule.is_empty() && (0.0..=1.0).contains(&l.score)), "{c:?}");
        let s = c.span.expect("claim span");
        assert_eq!(&text[s.start as usize..s.end as usize], c.text);
    }
    assert!(resp.claims.iter().any(|c| c.form == pb::ClaimForm::Mixed as i32));
    // UTF-8 byte spans slice the original text to each removal's text.
    for r in &resp.removals {
        let s = r.span.expect("span");
        assert_eq!(&text[s.start as usize..s.end as usize], r.text);
        assert!(!r.rule.is_empty());
    }
}

#[tokio::test]
async fn stream_answers_every_document_in_order_even_a_bad_one() {
    // The limit makes the largest seed (4,740 bytes) too large; it must still be answered.
    let server = Server::start(&["--max-document-bytes", "4000"]).await;
    let mut client = server.client().await;
    let docs: Vec<(String, String)> =
        seeds().iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), read(p))).collect();
    let mut reqs: Vec<pb::ProcessRequest> = Vec::new();
    for round in 0..4 {
        for (id, text) in &docs {
            reqs.push(request(&format!("{round}-{id}"), text, pb::OffsetEncoding::Utf16));
        }
    }
    let ids: Vec<String> = reqs.iter().map(|r| r.document.as_ref().unwrap().id.clone()).collect();
    let mut stream = client.process_stream(tokio_stream::iter(reqs)).await.expect("stream").into_inner();
    let mut got = Vec::new();
    while let Some(resp) = stream.message().await.expect("message") {
        got.push(resp);
    }
    assert_eq!(got.iter().map(|r| r.document_id.clone()).collect::<Vec<_>>(), ids);
    for r in &got {
        if r.document_id.ends_with("004_3e663a1b23f36f3e.txt") {
            let e = r.error.as_ref().expect("the too-large document gets an error");
            assert_eq!(e.code, "INVALID_ARGUMENT");
            assert!(e.message.contains("4000"), "{}", e.message);
        } else {
            assert!(r.error.is_none(), "{:?}", r.error);
            assert!(!r.clean_text.is_empty());
        }
    }
}

#[tokio::test]
async fn bad_requests_get_invalid_argument_with_a_useful_message() {
    let server = Server::start(&["--max-document-bytes", "100"]).await;
    let mut client = server.client().await;
    let err = client.process(pb::ProcessRequest::default()).await.expect_err("no document");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("document is missing"), "{}", err.message());
    let err = client.process(request("big", &"x".repeat(101), pb::OffsetEncoding::Utf8)).await.expect_err("too large");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("limit of 100 bytes") && err.message().contains("--max-document-bytes"),
        "{}",
        err.message()
    );
    // Empty text is a valid, empty result.
    let ok = client.process(request("empty", "", pb::OffsetEncoding::Utf8)).await.expect("empty").into_inner();
    assert!(ok.clean_text.is_empty() && ok.removals.is_empty());
    assert_eq!(ok.outlet.map(|o| o.id), Some("unknown".into()));
}

#[tokio::test]
async fn health_reports_serving_then_sigterm_exits_cleanly() {
    let server = Server::start(&[]).await;
    use tonic_health::pb::health_check_response::ServingStatus;
    assert_eq!(server.health("thresher.v1.Thresher").await, Some(ServingStatus::Serving));
    assert_eq!(server.health("").await, Some(ServingStatus::Serving));
    assert_eq!(server.health("thresher.v1.ThresherAdmin").await, Some(ServingStatus::Serving));
    let status = server.terminate().await;
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn explain_is_the_rule_authors_view_over_grpc() {
    let server = Server::start(&[]).await;
    let mut client = server.client().await;
    let text = read(&seeds()[1]);
    let mut req = request("mt", &text, pb::OffsetEncoding::Unspecified);
    let plain = client.process(req.clone()).await.expect("process").into_inner();
    assert!(plain.explanation.is_empty(), "only on request");
    req.explain = true;
    let resp = client.process(req).await.expect("process").into_inner();
    let ex = &resp.explanation;
    // Numbered as in the file, each removed line with its kind and rule, no colour codes.
    assert!(ex.contains("   1 - Support The Moscow Times!  donation_appeal · the_moscow_times.support_banner"), "{ex}");
    assert!(ex.lines().any(|l| l.starts_with("   3 + Lavrov Tells Blinken")), "{ex}");
    assert!(ex.contains("Sergei Lavrov ← \"Russian Foreign Minister Sergei Lavrov\"  cue \"accused\""), "{ex}");
    assert!(ex.contains("types.accusation"), "{ex}");
    assert!(!ex.contains('\u{1b}'));
    assert_eq!(ex.matches("\n[").count(), resp.claims.len());
}
