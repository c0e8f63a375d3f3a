//! Transport security and authentication through the real binary: TLS from certificate and
//! key files (checked with a tonic client and with grpcurl `-cacert`), and the admin token
//! extended to every call but health with `--auth-scope all`.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use thresher_e2e::{Server, request, run_grpcurl, thresher};
use thresher_proto::v1 as pb;
use tonic::{Code, Request};

/// A test CA and a `localhost` certificate it signed, written to a temporary directory.
struct Pki {
    dir: PathBuf,
    ca_pem: String,
}

impl Pki {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("thresher-e2e-pki-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "Thresher test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, "localhost");
        let cert = params.signed_by(&key, &ca).unwrap();
        std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        Self { dir, ca_pem: ca.pem() }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn tls_serves_tonic_and_grpcurl_clients_that_trust_the_ca() {
    let pki = Pki::new("tls");
    let (cert, key) = (pki.path("server.pem"), pki.path("server.key"));
    let server = Server::start_tls(&["--tls-cert", &cert, "--tls-key", &key], &pki.ca_pem).await;

    let mut client = server.client().await;
    let resp =
        client.process(request("d", "Photo: AFP\nThe talks ended, officials said.")).await.expect("Process over TLS");
    assert_eq!(resp.into_inner().document_id, "d");

    let target = format!("localhost:{}", server.addr.port());
    let ca = pki.path("ca.pem");
    let (ok, out, err) = run_grpcurl(&["-cacert", &ca, &target, "list"], None);
    assert!(ok, "grpcurl -cacert list: {err}");
    assert!(out.lines().any(|l| l == "thresher.v1.Thresher"), "{out}");
    let body = r#"{"document": {"id": "g", "text": "Read more: Other news\nThe talks ended."}}"#;
    let (ok, out, err) = run_grpcurl(&["-cacert", &ca, "-d", "@", &target, "thresher.v1.Thresher/Process"], Some(body));
    assert!(ok, "grpcurl -cacert Process: {err}");
    assert!(out.contains("\"documentId\": \"g\""), "{out}");
    let (ok, out, err) =
        run_grpcurl(&["-cacert", &ca, &target, "grpc.health.v1.Health/Check"], Some(r#"{"service": ""}"#));
    assert!(ok && out.contains("SERVING"), "{out}{err}");

    // Neither plaintext nor a client that does not trust the CA gets through.
    let (ok, _, _) = run_grpcurl(&["-plaintext", &target, "list"], None);
    assert!(!ok, "a plaintext client must not be served by a TLS server");
    let (ok, _, err) = run_grpcurl(&[&target, "list"], None);
    assert!(!ok, "a client without the CA must refuse the certificate");
    assert!(err.contains("certificate"), "{err}");
}

#[test]
fn unreadable_or_unusable_tls_files_stop_the_server_with_the_reason() {
    let pki = Pki::new("badtls");
    let missing = pki.path("missing.pem");
    let key = pki.path("server.key");
    let out = thresher()
        .args(["serve", "--addr", "127.0.0.1:0", "--tls-cert", &missing, "--tls-key", &key])
        .output()
        .expect("thresher serve runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read the TLS certificate") && err.contains("missing.pem"), "{err}");

    std::fs::write(Path::new(&pki.path("garbage.pem")), "not a certificate").unwrap();
    let garbage = pki.path("garbage.pem");
    let out = thresher()
        .args(["serve", "--addr", "127.0.0.1:0", "--tls-cert", &garbage, "--tls-key", &key])
        .output()
        .expect("thresher serve runs");
    assert!(!out.status.success(), "a certificate rustls cannot use must stop the server");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot be used") && !err.contains("listening"), "{err}");

    let out = thresher().args(["serve", "--addr", "127.0.0.1:0", "--tls-cert", &garbage]).output().expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"), "the missing half is named");
}

#[tokio::test]
async fn auth_scope_all_guards_every_call_but_health() {
    let server = Server::start(&["--admin-token", "tok-3", "--auth-scope", "all"]).await;
    let mut client = server.client().await;
    let err = client.process(request("d", "The talks ended.")).await.expect_err("Process without the token");
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("authorization: Bearer"), "{}", err.message());
    let mut admin = server.admin().await;
    assert_eq!(
        admin.get_ruleset(pb::GetRulesetRequest::default()).await.expect_err("GetRuleset").code(),
        Code::Unauthenticated
    );

    let mut with_token = Request::new(request("d", "The talks ended."));
    with_token.metadata_mut().insert("authorization", "Bearer tok-3".parse().unwrap());
    client.process(with_token).await.expect("Process with the token");
    let mut with_token = Request::new(pb::GetRulesetRequest::default());
    with_token.metadata_mut().insert("authorization", "Bearer tok-3".parse().unwrap());
    admin.get_ruleset(with_token).await.expect("GetRuleset with the token");

    // Health stays open for probes; reflection needs the token like everything else.
    assert!(server.health("").await.is_some(), "health must answer without a token");
    let addr = server.addr.to_string();
    let (ok, _, err) = run_grpcurl(&["-plaintext", &addr, "list"], None);
    assert!(!ok && err.contains("Unauthenticated"), "{err}");
    let (ok, out, err) = run_grpcurl(&["-plaintext", "-H", "authorization: Bearer tok-3", &addr, "list"], None);
    assert!(ok && out.contains("thresher.v1.Thresher"), "{err}");
}

#[test]
fn auth_scope_without_a_token_is_refused_at_start() {
    let out = thresher().args(["serve", "--addr", "127.0.0.1:0", "--auth-scope", "all"]).output().expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--admin-token"));
}

#[tokio::test]
async fn the_default_log_holds_no_document_text_and_no_token() {
    let dir = Pki::new("log");
    let log = dir.dir.join("server.log");
    let server = Server::start_logging(&["--admin-token", "tok-never-logged-42"], "info", &log).await;
    let mut client = server.client().await;
    let text = "Photo: AFP\nMarker-Doc-Text-9931 said the talks ended.";
    client.process(request("d", text)).await.expect("processed");
    // A bad document and a wrong token: errors are logged by what they are, not by content.
    let _ = client.process(request("d", &"Marker-Big-Text-7720 ".repeat(1_000_000))).await;
    let mut admin = server.admin().await;
    let mut wrong = Request::new(pb::ReloadRulesRequest::default());
    wrong.metadata_mut().insert("authorization", "Bearer tok-guessed-17".parse().unwrap());
    assert!(admin.reload_rules(wrong).await.is_err());
    let status = server.terminate().await;
    assert!(status.success());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("listening"), "the log is written at info: {logged}");
    for secret in ["Marker-Doc-Text-9931", "Marker-Big-Text-7720", "tok-never-logged-42", "tok-guessed-17"] {
        assert!(!logged.contains(secret), "{secret} appears in the log:\n{logged}");
    }
}
