//! The CMS signature on its own: OpenSSL verifies a P-256 detached
//! signature made by inkseal over the same bytes (and rejects other bytes).

#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::process::Command;
use std::time::SystemTime;

use inkseal::pki::Algorithm;
use inkseal::signing::{SigningIdentity, TrustStore, digest, digest_algorithm, init_dev_keys, sign_detached};

#[test]
fn openssl_verifies_a_p256_detached_signature() {
    let dir = tempfile::tempdir().unwrap();
    let files = init_dev_keys(dir.path(), Algorithm::P256, SystemTime::now(), false).unwrap();
    let trust = TrustStore::load(&[&files.root_cert]).unwrap();
    let id = SigningIdentity::load(&files.signing_key, &files.signing_cert, &trust, SystemTime::now()).unwrap();
    let content = b"the reviewed bytes of a document".to_vec();
    let md = digest(digest_algorithm(Algorithm::P256), &[&content]).unwrap();
    let der = sign_detached(id.key(), id.certificate(), id.chain(), &md).unwrap();
    let sig = dir.path().join("sig.der");
    let data = dir.path().join("data.bin");
    std::fs::write(&sig, &der).unwrap();
    std::fs::write(&data, &content).unwrap();
    let verify = |data: &std::path::Path| {
        Command::new("openssl")
            .args(["cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-out", "/dev/null", "-in"])
            .arg(&sig)
            .arg("-content")
            .arg(data)
            .arg("-CAfile")
            .arg(&files.root_cert)
            .output()
            .unwrap()
    };
    let out = verify(&data);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let other = dir.path().join("other.bin");
    std::fs::write(&other, b"other bytes").unwrap();
    assert!(!verify(&other).status.success(), "a signature over other bytes must not verify");

    // The structure: one SignerInfo, signed attributes without signing-time.
    let out = Command::new("openssl").args(["cms", "-cmsout", "-print", "-inform", "DER", "-in"]).arg(&sig).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("id-smime-aa-signingCertificateV2"), "{text}");
    assert!(text.contains("messageDigest") && text.contains("contentType"), "{text}");
    assert!(!text.contains("signingTime"), "{text}");
    assert_eq!(text.matches("signatureAlgorithm:").count(), 1, "exactly one SignerInfo: {text}");
}
