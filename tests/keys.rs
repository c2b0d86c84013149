//! `inkseal keys init`: development CA and signing certificate that an
//! independent tool (OpenSSL) accepts, with private keys kept private.

#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

use common::inkseal;

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().expect("openssl is installed");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn keys_init_creates_a_chain_openssl_verifies() {
    for alg in ["ed25519", "p256"] {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let out = inkseal(&["keys", "init", "--dir", keys.to_str().unwrap(), "--algorithm", alg]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("NOT for production"));
        for key in ["root-ca-key.pem", "signing-key.pem"] {
            let mode = std::fs::metadata(keys.join(key)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{key}");
        }
        let root = keys.join("root-ca.pem");
        let signing = keys.join("signing.pem");
        let (ok, text) = openssl(&["verify", "-CAfile", root.to_str().unwrap(), signing.to_str().unwrap()]);
        assert!(ok, "{alg}: {text}");
        let (_, text) = openssl(&["x509", "-in", signing.to_str().unwrap(), "-noout", "-text"]);
        assert!(text.contains("Digital Signature, Non Repudiation"), "{alg}: {text}");
        assert!(text.contains("1.3.6.1.5.5.7.3.36") || text.contains("Document Signing"), "{alg}: {text}");
        assert!(text.contains("CA:FALSE"), "{text}");
        let expected_key = if alg == "ed25519" { "ED25519" } else { "prime256v1" };
        assert!(text.contains(expected_key), "{alg}: {text}");
        let (_, root_text) = openssl(&["x509", "-in", root.to_str().unwrap(), "-noout", "-text"]);
        assert!(root_text.contains("CA:TRUE") && root_text.contains("Certificate Sign"), "{root_text}");

        // A second init refuses to overwrite, exit 2; --force replaces.
        let again = inkseal(&["keys", "init", "--dir", keys.to_str().unwrap(), "--algorithm", alg]);
        assert_eq!(again.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&again.stderr).contains("pass --force"));
        let forced = inkseal(&["keys", "init", "--dir", keys.to_str().unwrap(), "--algorithm", alg, "--force"]);
        assert!(forced.status.success());
    }
}

#[test]
fn private_keys_are_ignored_by_git() {
    let ignore = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l.trim() == "/keys/*-key.pem"), "keys/*-key.pem must be ignored");
}

#[test]
fn keys_check_refuses_what_production_must_not_load() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    assert!(inkseal(&["keys", "init", "--dir", keys.to_str().unwrap()]).status.success());
    let (key, cert, root) = (keys.join("signing-key.pem"), keys.join("signing.pem"), keys.join("root-ca.pem"));
    let check = |key: &std::path::Path, cert: &std::path::Path, root: &std::path::Path| {
        inkseal(&["keys", "check", "--key", key.to_str().unwrap(), "--cert", cert.to_str().unwrap(), "--trust", root.to_str().unwrap()])
    };
    let ok = check(&key, &cert, &root);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("OK: Ed25519 key"));

    let mismatch = check(&keys.join("root-ca-key.pem"), &cert, &root);
    assert_eq!(mismatch.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mismatch.stderr).contains("does not match the certificate"));

    let other = dir.path().join("other");
    assert!(inkseal(&["keys", "init", "--dir", other.to_str().unwrap()]).status.success());
    let untrusted = check(&key, &cert, &other.join("root-ca.pem"));
    assert_eq!(untrusted.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&untrusted.stderr).contains("does not chain to a trusted root"));

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let readable = check(&key, &cert, &root);
    assert_eq!(readable.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&readable.stderr).contains("chmod 600"));
}
