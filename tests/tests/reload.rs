//! Hot reload under a running server: rule files edited in a temporary copy of the rules, the
//! way analysts, editors and Kubernetes change them. Every wait polls with a deadline.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use thresher_e2e::{Server, TempRules, copy_dir, eventually, request, seeds};
use thresher_proto::v1 as pb;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

/// A rule that removes "Wire copy" lines: the edit the tests make.
const WIRE_RULE: &str =
    "// Test rule: wire-service slugs.\nfn wire(doc) {\n    doc.drop_lines(\"credits\", `^Wire copy$`);\n}\n";
const WIRE_DOC: &str = "Wire copy\nThe talks ended without agreement.\n";

/// The reload tests time how fast an edit is served, so they run one at a time: each then
/// measures its own server, not eight servers reloading at once on a two-core machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn process(server: &Server, text: &str) -> pb::ProcessResponse {
    server.client().await.process(request("d", text)).await.expect("process").into_inner()
}

fn version(r: &pb::ProcessResponse) -> String {
    r.ruleset.as_ref().map(|r| r.version.clone()).unwrap_or_default()
}

async fn ruleset(server: &Server) -> pb::GetRulesetResponse {
    server.admin().await.get_ruleset(pb::GetRulesetRequest {}).await.expect("GetRuleset").into_inner()
}

/// Waits for the last reload to be a refusal of something other than `not` and returns it.
async fn refusal(server: &Server, not: &str) -> pb::ReloadAttempt {
    eventually(Duration::from_secs(5), "the broken edit is refused", || async {
        let last = ruleset(server).await.last_reload?;
        (last.outcome == pb::ReloadOutcome::Refused as i32 && last.version != not).then_some(last)
    })
    .await
}

/// Waits until responses come from a version other than `old` and returns the response.
async fn new_version(server: &Server, old: &str, text: &str) -> pb::ProcessResponse {
    eventually(Duration::from_secs(2), "the edit is serving", || async {
        let r = process(server, text).await;
        (version(&r) != old).then_some(r)
    })
    .await
}

#[tokio::test]
async fn an_edit_is_serving_within_two_seconds() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rules = TempRules::new("edit");
    let server = Server::start_with_rules(&rules.dir, &[]).await;
    let before = process(&server, WIRE_DOC).await;
    assert!(before.removals.is_empty());

    let social = std::fs::read_to_string(rules.path("generic/social.rhai")).expect("read");
    rules.write("generic/social.rhai", &format!("{social}\n{WIRE_RULE}"));
    let after = new_version(&server, &version(&before), WIRE_DOC).await;
    assert_eq!(after.removals.len(), 1, "{:?}", after.removals);
    assert_eq!((after.removals[0].rule.as_str(), after.removals[0].text.as_str()), ("social.wire", "Wire copy"));
    assert_eq!(after.clean_text, "The talks ended without agreement.");

    let info = ruleset(&server).await;
    let active = info.active.expect("active");
    assert_eq!(active.version, version(&after));
    let last = info.last_reload.expect("last reload");
    assert_eq!(
        (last.outcome, last.trigger),
        (pb::ReloadOutcome::Loaded as i32, pb::ReloadTrigger::Watch as i32),
        "{last:?}"
    );
    let change = last.change.expect("change");
    assert_eq!(change.rules_after, change.rules_before + 1);
    assert_eq!(change.previous_version, version(&before));
    // The counters count served documents: the wire rule hit once (the last document).
    let wire = active.rules.iter().find(|r| r.id == "social.wire").expect("rule listed");
    assert!(wire.calls >= 1 && wire.hits >= 1 && wire.errors == 0, "{wire:?}");
}

#[tokio::test]
async fn an_atomic_save_and_a_delete_and_recreate_are_picked_up() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rules = TempRules::new("atomic");
    let server = Server::start_with_rules(&rules.dir, &[]).await;
    let v0 = version(&process(&server, WIRE_DOC).await);

    rules.save_atomically("generic/wire.rhai", WIRE_RULE);
    let r = new_version(&server, &v0, WIRE_DOC).await;
    assert_eq!(r.removals.first().map(|x| x.rule.as_str()), Some("wire.wire"));
    let v1 = version(&r);

    // Delete, then recreate with different content, as some editors save.
    std::fs::remove_file(rules.path("generic/wire.rhai")).expect("remove");
    rules.write("generic/wire.rhai", &WIRE_RULE.replace("credits", "wire_slug"));
    let r = new_version(&server, &v1, WIRE_DOC).await;
    assert_eq!(r.removals.first().map(|x| x.kind.as_str()), Some("wire_slug"));
}

#[tokio::test]
async fn broken_edits_are_refused_visibly_and_fixing_recovers() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rules = TempRules::new("broken");
    let server = Server::start_with_rules(&rules.dir, &[]).await;
    let good = version(&process(&server, WIRE_DOC).await);

    // 1. A syntax error: refused with its position; the old rules keep serving.
    rules.write("generic/wire.rhai", "// Broken.\nfn wire(doc) {\n    doc.drop_lines(\"credits\", `^Wire copy$`\n}\n");
    let last = refusal(&server, "").await;
    let e = &last.errors[0];
    assert_eq!((e.code.as_str(), e.file.as_str(), e.line, e.column), ("T2001", "generic/wire.rhai", 4, 1), "{e:?}");
    let info = ruleset(&server).await;
    assert_eq!(info.active.map(|a| a.version), Some(good.clone()));
    assert!(info.stats.is_some_and(|s| s.failing && s.refused >= 1));
    assert_eq!(version(&process(&server, WIRE_DOC).await), good);

    // 2. A rule that compiles but fails its rule test.
    rules.write("generic/wire.rhai", WIRE_RULE);
    rules.write(
        "tests/generic/wire.toml",
        "# Wire slugs go, but this test wrongly expects them kept.\n[document]\ntext = \"Wire copy\\nBody.\"\n[expect]\nkept = [\"Wire copy\"]\n",
    );
    let last = refusal(&server, &last.version).await;
    let e = &last.errors[0];
    assert_eq!((e.code.as_str(), e.file.as_str()), ("T3001", "tests/generic/wire.toml"), "{e:?}");
    assert!(e.message.contains("wire.wire removed it"), "{e:?}");
    assert_eq!(version(&process(&server, WIRE_DOC).await), good);

    // 3. A script that loops forever when it loads.
    std::fs::remove_file(rules.path("tests/generic/wire.toml")).expect("remove");
    rules.write("generic/wire.rhai", &format!("loop {{ }}\n{WIRE_RULE}"));
    let last = refusal(&server, &last.version).await;
    let e = &last.errors[0];
    assert_eq!((e.code.as_str(), e.file.as_str(), e.line), ("T2102", "generic/wire.rhai", 1), "{e:?}");
    assert_eq!(version(&process(&server, WIRE_DOC).await), good);

    // Fixing the file recovers, and the failure is cleared.
    rules.write("generic/wire.rhai", WIRE_RULE);
    let r = new_version(&server, &good, WIRE_DOC).await;
    assert_eq!(r.removals.len(), 1);
    let info = ruleset(&server).await;
    assert!(info.stats.is_some_and(|s| !s.failing));
    assert_eq!(info.last_reload.map(|l| l.outcome), Some(pb::ReloadOutcome::Loaded as i32));
}

#[tokio::test]
async fn a_configmap_symlink_swap_is_picked_up() {
    let _one = ONE_AT_A_TIME.lock().await;
    // The layout the kubelet makes: real files in a timestamped directory, a `..data` symlink
    // to it, and top-level symlinks through `..data`. An update writes a new directory and
    // renames a new `..data` symlink over the old one.
    let base = TempRules::new("configmap-src");
    let mount = std::env::temp_dir().join(format!("thresher-e2e-configmap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&mount);
    std::fs::create_dir_all(&mount).expect("mkdir");
    copy_dir(&base.dir, &mount.join("..2024_01_01_00_00_00.1"));
    std::os::unix::fs::symlink("..2024_01_01_00_00_00.1", mount.join("..data")).expect("symlink");
    for entry in std::fs::read_dir(&base.dir).expect("rules dir") {
        let top = entry.expect("entry").file_name();
        let top = top.to_string_lossy();
        std::os::unix::fs::symlink(format!("..data/{top}"), mount.join(&*top)).expect("symlink");
    }
    let server = Server::start_with_rules(&mount, &[]).await;
    let v0 = version(&process(&server, WIRE_DOC).await);

    let v2 = mount.join("..2024_01_01_00_01_00.2");
    copy_dir(&base.dir, &v2);
    std::fs::write(v2.join("generic/wire.rhai"), WIRE_RULE).expect("write");
    std::os::unix::fs::symlink("..2024_01_01_00_01_00.2", mount.join("..data_tmp")).expect("symlink");
    std::fs::rename(mount.join("..data_tmp"), mount.join("..data")).expect("swap");
    std::fs::remove_dir_all(mount.join("..2024_01_01_00_00_00.1")).expect("remove old");

    let r = new_version(&server, &v0, WIRE_DOC).await;
    assert_eq!(r.removals.first().map(|x| x.rule.as_str()), Some("wire.wire"));
    let files = ruleset(&server).await.active.expect("active").files;
    assert!(files.contains(&"generic/wire.rhai".to_owned()), "{files:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(&mount);
}

#[tokio::test]
async fn fifty_reloads_under_load_fail_no_request_and_mix_no_rulesets() {
    let _one = ONE_AT_A_TIME.lock().await;
    // Reloads through ReloadRules, with the watcher off, so that each edit is exactly one reload.
    let rules = TempRules::new("fifty");
    let server = Server::start_with_rules(&rules.dir, &["--watch", "false"]).await;
    let marker = |i: usize| format!("fn marker(doc) {{ doc.drop_lines(\"marker\", `^Marker {i}$`) }}\n");
    let text: String = (0..50).map(|i| format!("Marker {i}\n")).collect::<String>() + "The body stays.\n";

    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..2 {
        let (stop, text, mut client) = (stop.clone(), text.clone(), server.client().await);
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match client.process(request("d", &text)).await {
                    Ok(r) => {
                        let r = r.into_inner();
                        let markers: Vec<String> =
                            r.removals.iter().filter(|x| x.kind == "marker").map(|x| x.text.clone()).collect();
                        seen.push((version(&r), markers));
                    }
                    Err(e) => panic!("request failed during reloads: {e}"),
                }
            }
            seen
        }));
    }

    let mut admin = server.admin().await;
    let initial = ruleset(&server).await.active.expect("active").version;
    // Version → the one marker it removes (none for the shipped rules).
    let mut expect: HashMap<String, Option<String>> = HashMap::from([(initial, None)]);
    for i in 0..50 {
        let broken = i % 3 == 2;
        if broken {
            rules.write("generic/marker.rhai", "fn marker(doc) { (");
        } else {
            rules.write("generic/marker.rhai", &marker(i));
        }
        let resp = admin.reload_rules(pb::ReloadRulesRequest {}).await.expect("ReloadRules").into_inner();
        let a = resp.attempt.expect("attempt");
        if broken {
            assert_eq!(a.outcome, pb::ReloadOutcome::Refused as i32, "{a:?}");
            assert_ne!(resp.active_version, a.version);
        } else {
            assert_eq!(a.outcome, pb::ReloadOutcome::Loaded as i32, "{a:?}");
            assert_eq!(resp.active_version, a.version);
            expect.insert(a.version, Some(format!("Marker {i}")));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut answered = 0;
    for c in clients {
        for (v, markers) in c.await.expect("client task") {
            answered += 1;
            let want = expect.get(&v).unwrap_or_else(|| panic!("response from unknown version {v}"));
            assert_eq!(markers, want.iter().cloned().collect::<Vec<_>>(), "version {v}");
        }
    }
    assert!(answered > 0);
}

#[tokio::test]
async fn validate_rules_diffs_a_candidate_against_the_active_rules() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = Server::start(&[]).await;
    let text = std::fs::read_to_string(&seeds()[1]).expect("seed");
    let doc = pb::Document { id: "mt".into(), text: text.clone(), ..Default::default() };
    let mut admin = server.admin().await;

    // A candidate that removes one more block: the headline.
    let extra =
        "// Candidate: headlines.\nfn headline(doc) {\n    doc.drop_lines(\"headline\", `^Lavrov Tells Blinken`);\n}\n";
    let req = pb::ValidateRulesRequest {
        files: vec![pb::RuleFile { path: "generic/headline.rhai".into(), content: extra.into() }],
        documents: vec![doc.clone()],
        ..Default::default()
    };
    let resp = admin.validate_rules(req).await.expect("ValidateRules").into_inner();
    assert!(resp.valid, "{:?}", resp.errors);
    assert!(resp.rule_tests > 0);
    assert_ne!(resp.version, resp.active_version);
    let d = &resp.documents[0];
    assert_eq!(d.document_id, "mt");
    assert_eq!(d.removals_added.len(), 1, "{:?}", d.removals_added);
    let added = &d.removals_added[0];
    assert_eq!((added.rule.as_str(), added.kind.as_str()), ("headline.headline", "headline"));
    assert!(added.text.starts_with("Lavrov Tells Blinken"));
    assert!(d.removals_lost.is_empty(), "{:?}", d.removals_lost);
    assert!(!d.candidate_clean_text.contains("Lavrov Tells Blinken"));
    // Nothing was installed.
    let active = ruleset(&server).await.active.expect("active");
    assert_eq!(active.version, resp.active_version);
    assert!(!active.rules.iter().any(|r| r.id == "headline.headline"));

    // Removing a file loses its removals; a broken candidate reports its position.
    let req = pb::ValidateRulesRequest {
        remove_paths: vec!["generic/captions.rhai".into()],
        documents: vec![doc],
        ..Default::default()
    };
    let resp = admin.validate_rules(req).await.expect("ValidateRules").into_inner();
    assert!(resp.documents[0].removals_lost.iter().any(|r| r.rule.starts_with("captions.")), "{resp:?}");
    let req = pb::ValidateRulesRequest {
        files: vec![pb::RuleFile {
            path: "generic/headline.rhai".into(),
            content: "fn headline(doc) {\n  (\n}".into(),
        }],
        ..Default::default()
    };
    let resp = admin.validate_rules(req).await.expect("ValidateRules").into_inner();
    assert!(!resp.valid && resp.documents.is_empty());
    let e = &resp.errors[0];
    assert_eq!((e.code.as_str(), e.file.as_str(), e.line), ("T2001", "generic/headline.rhai", 3), "{e:?}");

    let err = admin.validate_rules(pb::ValidateRulesRequest::default()).await.expect_err("empty request");
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn reload_rules_loads_from_disk_now_and_reports_unchanged_after() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rules = TempRules::new("rpc");
    let server = Server::start_with_rules(&rules.dir, &["--watch", "false"]).await;
    let v0 = version(&process(&server, WIRE_DOC).await);
    rules.write("generic/wire.rhai", WIRE_RULE);
    // No watcher: nothing changes until asked.
    assert_eq!(version(&process(&server, WIRE_DOC).await), v0);

    let mut admin = server.admin().await;
    let resp = admin.reload_rules(pb::ReloadRulesRequest {}).await.expect("ReloadRules").into_inner();
    let a = resp.attempt.expect("attempt");
    assert_eq!((a.outcome, a.trigger), (pb::ReloadOutcome::Loaded as i32, pb::ReloadTrigger::Rpc as i32));
    let c = a.change.expect("change");
    assert_eq!((c.previous_version.as_str(), c.rules_after), (v0.as_str(), c.rules_before + 1));
    let r = process(&server, WIRE_DOC).await;
    assert_eq!((version(&r), r.removals.len()), (a.version.clone(), 1));

    let again = admin.reload_rules(pb::ReloadRulesRequest {}).await.expect("ReloadRules").into_inner();
    assert_eq!(again.attempt.map(|a| a.outcome), Some(pb::ReloadOutcome::Unchanged as i32));
}

#[tokio::test]
async fn a_server_without_loadable_rules_is_not_ready_until_they_are_fixed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rules = TempRules::new("unready");
    rules.write("generic/captions.rhai", "fn captions(doc) {\n  doc.drop_lines(\"caption\", \"^Photo\"\n}\n");
    let server = Server::spawn_with_rules(&rules.dir, &["--poll-interval-ms", "200"]);
    let last = eventually(Duration::from_secs(30), "the first load is refused", || async {
        let mut admin =
            thresher_proto::v1::thresher_admin_client::ThresherAdminClient::connect(server.url()).await.ok()?;
        let info = admin.get_ruleset(pb::GetRulesetRequest {}).await.ok()?.into_inner();
        info.last_reload
    })
    .await;
    assert_eq!(last.outcome, pb::ReloadOutcome::Refused as i32);
    assert_eq!(last.errors[0].file, "generic/captions.rhai");
    assert!(ruleset(&server).await.active.is_none());
    assert_eq!(server.health("thresher.v1.Thresher").await, Some(ServingStatus::NotServing));
    assert_eq!(server.health("").await, Some(ServingStatus::NotServing));
    // The admin service, where the failure is diagnosed, serves all along.
    assert_eq!(server.health("thresher.v1.ThresherAdmin").await, Some(ServingStatus::Serving));
    let err = server.client().await.process(request("d", WIRE_DOC)).await.expect_err("not ready");
    assert_eq!(err.code(), Code::Unavailable);
    assert!(
        err.message().contains("no ruleset has loaded yet") && err.message().contains("captions.rhai:3:1"),
        "{}",
        err.message()
    );

    std::fs::copy(thresher_e2e::rules().join("generic/captions.rhai"), rules.path("generic/captions.rhai"))
        .expect("fix");
    server.wait_ready().await;
    assert_eq!(server.health("").await, Some(ServingStatus::Serving));
    assert!(process(&server, "Photo: AFP\nBody.").await.removals.len() == 1);
}
