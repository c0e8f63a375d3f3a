//! Documents as scrapers really produce them, through the real server: each gets an answer (or
//! a clear status), nothing is lost on a stream, and every span slices the client's own string
//! to the text the response says, in all three offset encodings.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use futures::StreamExt;
use thresher_e2e::Server;
use thresher_proto::v1 as pb;
use tonic::Code;

/// The table: a name and a document text.
fn table() -> Vec<(&'static str, String)> {
    let quoted: String = (0..2000).map(|i| format!("\u{201c}Point {i},\u{201d} she said. ")).collect();
    vec![
        ("empty", String::new()),
        ("whitespace only", " \n\t\n\u{a0}\u{3000}\n ".to_owned()),
        ("NUL and control characters", "Photo: AFP\u{0}\nThe talks\u{1}\u{7f} ended, officials said.\u{0}".to_owned()),
        ("lone combining marks", "\u{301}\u{308} The minister said \u{301}prices would rise.\n\u{20dd}".to_owned()),
        ("right-to-left", "\u{202e}قال الوزير إن المحادثات انتهت.\u{202c}\nThe minister said talks ended.".to_owned()),
        (
            "emoji and astral characters",
            "🚀 Read more 👉 https://x\n\"We will win 𝔸 🇺🇦,\" President Petro Novak said on Tuesday. 🙏\n".to_owned(),
        ),
        ("CRLF", "Photo: Reuters\r\n\r\nThe minister said the talks ended.\r\nRead more: Other\r\n".to_owned()),
        ("lone CR", "Photo: Reuters\r\rThe minister said the talks ended.\rShare this article\r".to_owned()),
        ("unbalanced quotes", "\"The minister said \u{201c}talks ended.\n\u{201d}\u{201d}He said \"no.".to_owned()),
        ("many quotations on one line", quoted),
        ("a single 3 MB line", "word ".repeat(600_000)),
        ("300,000 short lines", "a\n".repeat(300_000)),
    ]
}

fn request(id: &str, text: &str, encoding: pb::OffsetEncoding) -> pb::ProcessRequest {
    pb::ProcessRequest {
        document: Some(pb::Document {
            id: id.into(),
            text: text.into(),
            url: "htp:/not a url".into(),
            outlet: "no-such-outlet".into(),
            ..Default::default()
        }),
        offset_encoding: encoding as i32,
        explain: false,
    }
}

/// `text[span]` counted the way `encoding` counts, as a client in that language slices.
fn slice(text: &str, span: Option<&pb::Span>, encoding: pb::OffsetEncoding) -> String {
    let s = span.expect("a span");
    let (a, b) = (s.start as usize, s.end as usize);
    assert!(a <= b, "span {a}..{b}");
    match encoding {
        pb::OffsetEncoding::Utf16 => {
            let units: Vec<u16> = text.encode_utf16().collect();
            String::from_utf16(&units[a..b]).unwrap_or_else(|_| panic!("UTF-16 span {a}..{b} splits a surrogate pair"))
        }
        pb::OffsetEncoding::CodePoints => text.chars().skip(a).take(b - a).collect(),
        _ => text.get(a..b).unwrap_or_else(|| panic!("byte span {a}..{b} is not on char boundaries")).to_owned(),
    }
}

fn check(name: &str, text: &str, resp: &pb::ProcessResponse, encoding: pb::OffsetEncoding) {
    assert!(resp.error.is_none(), "{name}: {:?}", resp.error);
    for r in &resp.removals {
        assert_eq!(slice(text, r.span.as_ref(), encoding), r.text, "{name} ({encoding:?}): removal {r:?}");
    }
    for c in &resp.claims {
        assert_eq!(slice(text, c.span.as_ref(), encoding), c.text, "{name} ({encoding:?}): claim");
        if let Some(sp) = c.speaker.as_ref().filter(|s| s.span.is_some()) {
            assert_eq!(slice(text, sp.span.as_ref(), encoding), sp.name, "{name} ({encoding:?}): speaker");
        }
        if c.cue_span.is_some() {
            assert_eq!(slice(text, c.cue_span.as_ref(), encoding).to_lowercase(), c.cue, "{name}: cue");
        }
    }
    // Every kept character is in cleanText (which joins kept pieces with line breaks).
    let removed: usize = resp.removals.iter().map(|r| r.text.chars().filter(|c| !c.is_whitespace()).count()).sum();
    let kept = resp.clean_text.chars().filter(|c| !c.is_whitespace()).count();
    assert_eq!(removed + kept, text.chars().filter(|c| !c.is_whitespace()).count(), "{name}: text lost or invented");
}

#[tokio::test]
async fn every_bad_document_is_answered_with_sound_spans_in_every_encoding() {
    let server = Server::start(&[]).await;
    let mut client = server.client().await;
    for (name, text) in table() {
        for encoding in [pb::OffsetEncoding::Utf8, pb::OffsetEncoding::Utf16, pb::OffsetEncoding::CodePoints] {
            let resp = client
                .process(request(name, &text, encoding))
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .into_inner();
            assert_eq!(resp.document_id, name);
            check(name, &text, &resp, encoding);
            if name == "empty" || name == "whitespace only" {
                assert!(resp.claims.is_empty() && resp.clean_text.trim().is_empty(), "{name}: {resp:?}");
            }
            let codes: Vec<&str> = resp.diagnostics.iter().map(|d| d.code.as_str()).collect();
            assert!(
                codes.contains(&"T1001") && codes.contains(&"T1002"),
                "{name}: unknown outlet and bad URL: {codes:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_stream_of_bad_documents_loses_none() {
    let server = Server::start(&[]).await;
    let mut client = server.client().await;
    let docs = table();
    let mut reqs: Vec<pb::ProcessRequest> =
        docs.iter().map(|(name, text)| request(name, text, pb::OffsetEncoding::CodePoints)).collect();
    // One over the limit in the middle: its answer says why, and the stream goes on.
    // (Over the 16 MiB document limit, within the message limit: see below for beyond it.)
    reqs.insert(3, request("too large", &"x".repeat((16 << 20) + 10), pb::OffsetEncoding::Utf8));
    let resps: Vec<pb::ProcessResponse> = client
        .process_stream(tokio_stream::iter(reqs))
        .await
        .expect("stream opens")
        .into_inner()
        .map(|r| r.expect("each answer arrives"))
        .collect()
        .await;
    let ids: Vec<&str> = resps.iter().map(|r| r.document_id.as_str()).collect();
    let mut want: Vec<&str> = docs.iter().map(|(n, _)| *n).collect();
    want.insert(3, "too large");
    assert_eq!(ids, want, "one answer per document, in order");
    let big = &resps[3];
    let err = big.error.as_ref().expect("the oversized document gets an error");
    assert_eq!(err.code, "INVALID_ARGUMENT");
    assert!(err.message.contains("--max-document-bytes"), "{}", err.message);
}

#[tokio::test]
async fn over_the_limit_is_invalid_argument_naming_the_limit_and_the_setting() {
    let server = Server::start(&["--max-document-bytes", "100000"]).await;
    let mut client = server.client().await;
    let err = client
        .process(request("big", &"y".repeat(100_001), pb::OffsetEncoding::Utf8))
        .await
        .expect_err("over the limit");
    assert_eq!(err.code(), Code::InvalidArgument);
    for part in ["100000", "--max-document-bytes", "THRESHER_MAX_DOCUMENT_BYTES"] {
        assert!(err.message().contains(part), "{part} missing from {}", err.message());
    }
    // Past the gRPC message limit too (document limit + 1 MiB), still INVALID_ARGUMENT with the
    // setting, not tonic's bare OUT_OF_RANGE.
    let err = client
        .process(request("huge", &"y".repeat(3 << 20), pb::OffsetEncoding::Utf8))
        .await
        .expect_err("over the message limit");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(err.message().contains("--max-document-bytes"), "{}", err.message());
    // On a stream, the documents before it are answered and the call ends with the same status.
    let reqs = vec![
        request("first", "The talks ended.", pb::OffsetEncoding::Utf8),
        request("huge", &"y".repeat(3 << 20), pb::OffsetEncoding::Utf8),
    ];
    let mut answers = client.process_stream(tokio_stream::iter(reqs)).await.expect("opens").into_inner();
    assert_eq!(answers.next().await.expect("one answer").expect("first ok").document_id, "first");
    let err = answers.next().await.expect("then an end").expect_err("the huge one ends the call");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(err.message().contains("--max-document-bytes"), "{}", err.message());
    // Right at the limit is fine, and the server is unharmed.
    client.process(request("edge", &"y ".repeat(50_000), pb::OffsetEncoding::Utf8)).await.expect("at the limit");
    // Far past tonic's 4 MiB default the message limit follows the setting, not the default.
    let server = Server::start(&["--max-document-bytes", "12000000"]).await;
    let mut client = server.client().await;
    let resp = client.process(request("10mb", &"word ".repeat(2_000_000), pb::OffsetEncoding::Utf8)).await;
    assert!(resp.is_ok(), "a 10 MB document under a 12 MB limit: {:?}", resp.err());
}
