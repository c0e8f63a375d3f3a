//! The operator's view: the real grpcurl binary against the real server, with no .proto at
//! hand, only server reflection.

use thresher_e2e::{Server, run_grpcurl as run, seeds};

#[tokio::test]
async fn list_describe_and_process_through_reflection() {
    let server = Server::start(&[]).await;
    let addr = server.addr.to_string();

    let (ok, out, err) = run(&["-plaintext", &addr, "list"], None);
    assert!(ok, "{err}");
    let services: Vec<&str> = out.lines().collect();
    for s in ["thresher.v1.Thresher", "grpc.health.v1.Health"] {
        assert!(services.contains(&s), "{s} missing from {services:?}");
    }

    let (ok, out, err) = run(&["-plaintext", &addr, "describe", "thresher.v1.Thresher"], None);
    assert!(ok, "{err}");
    assert!(
        out.contains("rpc Process ( .thresher.v1.ProcessRequest ) returns ( .thresher.v1.ProcessResponse )"),
        "{out}"
    );
    assert!(out.contains("rpc ProcessStream ( stream .thresher.v1.ProcessRequest )"), "{out}");
    let (ok, out, err) = run(&["-plaintext", &addr, "describe", "thresher.v1.ProcessResponse"], None);
    assert!(ok, "{err}");
    assert!(out.contains("string clean_text = 3;"), "{out}");

    let text = std::fs::read_to_string(&seeds()[1]).expect("seed");
    let body = serde_json::json!({ "document": { "id": "mt", "text": text } }).to_string();
    let (ok, out, err) = run(&["-plaintext", "-d", "@", &addr, "thresher.v1.Thresher/Process"], Some(&body));
    assert!(ok, "{err}");
    let resp: serde_json::Value = serde_json::from_str(&out).expect("grpcurl prints the response as JSON");
    assert_eq!(resp["documentId"], "mt");
    assert_eq!(resp["outlet"]["id"], "the-moscow-times");
    let clean = resp["cleanText"].as_str().expect("cleanText");
    assert!(clean.contains("Lavrov said"), "{clean}");
    assert!(!clean.contains("Dear readers") && !clean.contains("Remind me later"), "{clean}");
    assert!(resp["removals"].as_array().is_some_and(|r| !r.is_empty()));

    let (ok, out, err) =
        run(&["-plaintext", "-d", r#"{"service":"thresher.v1.Thresher"}"#, &addr, "grpc.health.v1.Health/Check"], None);
    assert!(ok, "{err}");
    assert!(out.contains("SERVING"), "{out}");

    // A bad request comes back as a status grpcurl shows, not a crash.
    let (ok, _, err) = run(&["-plaintext", "-d", "{}", &addr, "thresher.v1.Thresher/Process"], None);
    assert!(!ok);
    assert!(err.contains("InvalidArgument") && err.contains("document is missing"), "{err}");
}

#[tokio::test]
async fn admin_rpcs_through_reflection() {
    let server = Server::start(&[]).await;
    let addr = server.addr.to_string();
    let (ok, out, err) = run(&["-plaintext", &addr, "list"], None);
    assert!(ok && out.lines().any(|l| l == "thresher.v1.ThresherAdmin"), "{out}{err}");

    let (ok, out, err) = run(&["-plaintext", &addr, "thresher.v1.ThresherAdmin/GetRuleset"], None);
    assert!(ok, "{err}");
    let resp: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let active = &resp["active"];
    assert_eq!(active["version"].as_str().map(str::len), Some(16), "{out}");
    // Well-known types print in their proto3 JSON forms.
    assert!(active["loadedAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{out}");
    assert!(active["rules"].as_array().is_some_and(|r| r.iter().any(|r| r["id"] == "captions.credit_label")), "{out}");
    assert_eq!(resp["lastReload"]["outcome"], "RELOAD_OUTCOME_LOADED", "{out}");

    let body = serde_json::json!({
        "files": [{ "path": "generic/wire.rhai", "content": "fn wire(doc) { doc.drop_lines(\"credits\", `^Wire copy$`) }" }],
        "documents": [{ "id": "a1", "text": "Wire copy\nThe talks ended." }],
    })
    .to_string();
    let (ok, out, err) = run(&["-plaintext", "-d", "@", &addr, "thresher.v1.ThresherAdmin/ValidateRules"], Some(&body));
    assert!(ok, "{err}");
    let resp: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(resp["valid"], true, "{out}");
    assert_eq!(resp["documents"][0]["removalsAdded"][0]["rule"], "wire.wire", "{out}");

    let (ok, out, err) = run(&["-plaintext", &addr, "thresher.v1.ThresherAdmin/ReloadRules"], None);
    assert!(ok, "{err}");
    assert!(out.contains("RELOAD_OUTCOME_UNCHANGED"), "{out}");
}
