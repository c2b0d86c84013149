//! Sealed documents: independent validators accept them, the reviewed bytes
//! are a prefix of the signed file, and the verifier is not fooled by the
//! known PDF signature attacks (each crafted here from a genuinely signed
//! document).

#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::*;
use inkseal::pdf::{Base, Update};
use inkseal::pki::Algorithm;
use inkseal::signing::{SealInfo, SigningIdentity, TrustStore, init_dev_keys, seal};
use inkseal::verify::{Report, verify_pdf};

struct Demo {
    _dir: tempfile::TempDir,
    out: PathBuf,
    keys: PathBuf,
}

fn demo(algorithm: &str) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let keys = dir.path().join("keys");
    let o = inkseal(&["demo", "--out", out.to_str().unwrap(), "--keys", keys.to_str().unwrap(), "--algorithm", algorithm]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).matches("verified").count() == 5, "{}", String::from_utf8_lossy(&o.stdout));
    Demo { _dir: dir, out, keys }
}

fn signed_files(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "pdf")).collect();
    files.sort();
    assert_eq!(files.len(), 5);
    files
}

fn roots(root: &Path) -> Vec<x509_cert::Certificate> {
    TrustStore::load(&[root]).unwrap().roots().to_vec()
}

fn pyhanko_validate(root: &Path, pdf: &Path) -> String {
    let out = Command::new("pyhanko")
        .args(["sign", "validate", "--no-revocation-check", "--trust"])
        .arg(root)
        .arg(pdf)
        .output()
        .expect("pyHanko is not installed: `pip install pyhanko pyhanko-cli` (.ci/run does)");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn pyhanko_judges_every_demo_document_valid_intact_and_trusted() {
    for alg in ["ed25519", "p256"] {
        let d = demo(alg);
        for pdf in signed_files(&d.out) {
            let text = pyhanko_validate(&d.out.join("root.pem"), &pdf);
            assert!(text.contains("INTACT:TRUSTED,UNTOUCHED"), "{alg} {}: {text}", pdf.display());
        }
    }
}

#[test]
fn pdfsig_trusts_p256_documents() {
    let d = demo("p256");
    let nss = d.out.join("nss");
    std::fs::create_dir_all(&nss).unwrap();
    let db = format!("sql:{}", nss.display());
    let run = |args: &[&str]| {
        let o = Command::new("certutil").args(args).output().expect("certutil missing: install libnss3-tools (.ci/run does)");
        assert!(o.status.success(), "certutil {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    run(&["-N", "-d", &db, "--empty-password"]);
    run(&["-A", "-d", &db, "-n", "inkseal-dev-root", "-t", "CT,C,C", "-i", d.out.join("root.pem").to_str().unwrap()]);
    for pdf in signed_files(&d.out) {
        let o = Command::new("pdfsig").args(["-nssdir", &db]).arg(&pdf).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("Signature Validation: Signature is Valid."), "{}: {text}", pdf.display());
        assert!(text.contains("Certificate Validation: Certificate is Trusted."), "{}: {text}", pdf.display());
    }
}

#[test]
fn reviewed_bytes_are_a_prefix_of_the_signed_file() {
    let d = demo("ed25519");
    for pdf in signed_files(&d.out) {
        let signed = std::fs::read(&pdf).unwrap();
        let review = std::fs::read(d.out.join("review").join(pdf.file_name().unwrap())).unwrap();
        assert!(signed.len() > review.len() && signed.starts_with(&review), "{}", pdf.display());
    }
}

#[test]
fn verify_cli_exit_codes_and_json() {
    let d = demo("ed25519");
    let root = d.out.join("root.pem");
    let files = signed_files(&d.out);
    let mut args = vec!["verify".to_owned(), "--trust".to_owned(), root.display().to_string(), "--json".to_owned()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = inkseal(&args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["valid"], true);
    let sig = &json["files"][0]["signatures"][0];
    assert_eq!(sig["signer_name"], "Charles Ray");
    assert_eq!(sig["algorithm"], "Ed25519");
    assert_eq!(sig["digest_algorithm"], "SHA-512");
    assert_eq!(sig["subfilter"], "ETSI.CAdES.detached");
    assert_eq!(sig["covers_whole_file"], true);
    assert_eq!(sig["integrity"], true);
    assert_eq!(sig["trusted"], true);
    assert!(sig["certificate_subject"].as_str().unwrap().contains("inkseal Development Document Signing"));

    // Not trusted without the root: exit 1.
    let o = inkseal(&["verify", files[0].to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("no trusted root was given"));
    // Unreadable input: exit 2.
    let junk = d.out.join("junk.pdf");
    std::fs::write(&junk, b"hello").unwrap();
    let o = inkseal(&["verify", "--trust", root.to_str().unwrap(), junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("not a PDF file"));
    // An unsigned PDF is invalid, exit 1.
    let review = d.out.join("review").join(files[0].file_name().unwrap());
    let o = inkseal(&["verify", "--trust", root.to_str().unwrap(), review.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("no digital signature"));
}

#[test]
fn our_verifier_accepts_a_pyhanko_signature_only_when_its_root_is_trusted() {
    // pyHanko signs with keys made by `inkseal keys init` (so they must be
    // readable by other tools), for both algorithms.
    for alg in ["p256", "ed25519"] {
        let d = demo(alg);
        let review = d.out.join("review").join("05-w9.pdf");
        let signed = d.out.join("pyhanko-signed.pdf");
        let o = Command::new("pyhanko")
            .args(["sign", "addsig", "--field", "Signature", "--use-pades", "pemder", "--no-pass", "--key"])
            .arg(d.keys.join("signing-key.pem"))
            .arg("--cert")
            .arg(d.keys.join("signing.pem"))
            .arg("--chain")
            .arg(d.keys.join("root-ca.pem"))
            .arg(&review)
            .arg(&signed)
            .output()
            .expect("pyHanko is not installed");
        assert!(o.status.success(), "{alg}: {}", String::from_utf8_lossy(&o.stderr));
        let bytes = std::fs::read(&signed).unwrap();
        let trusted = verify_pdf(&bytes, &roots(&d.out.join("root.pem"))).unwrap();
        assert!(trusted.valid, "{alg}: {trusted:#?}");
        let other = demo(alg);
        let untrusted = verify_pdf(&bytes, &roots(&other.out.join("root.pem"))).unwrap();
        assert!(!untrusted.valid, "{alg}");
        assert!(!untrusted.signatures[0].trusted);
        assert!(untrusted.signatures[0].integrity);
    }
}

// ---- attacks ----

fn assert_invalid(report: &Report, words: &str) {
    assert!(!report.valid, "must be invalid: {report:#?}");
    let all: Vec<&String> = report.problems.iter().chain(report.signatures.iter().flat_map(|s| s.problems.iter())).collect();
    assert!(all.iter().any(|p| p.contains(words)), "expected a problem containing {words:?}, got {all:#?}");
}

struct Signed {
    demo: Demo,
    bytes: Vec<u8>,
    roots: Vec<x509_cert::Certificate>,
}

fn signed_w9() -> Signed {
    let demo = demo("ed25519");
    let bytes = std::fs::read(demo.out.join("05-w9.pdf")).unwrap();
    let roots = roots(&demo.out.join("root.pem"));
    assert!(verify_pdf(&bytes, &roots).unwrap().valid);
    Signed { demo, bytes, roots }
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

fn rfind(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).rposition(|w| w == needle).unwrap()
}

fn byte_range(bytes: &[u8]) -> (usize, usize, [u64; 4]) {
    let at = rfind(bytes, b"/ByteRange [");
    let end = at + find(&bytes[at..], b"]") + 1;
    let text = std::str::from_utf8(&bytes[at + 12..end - 1]).unwrap();
    let n: Vec<u64> = text.split_whitespace().map(|t| t.parse().unwrap()).collect();
    (at, end, [n[0], n[1], n[2], n[3]])
}

#[test]
fn attack_flipped_byte_in_signed_range() {
    let s = signed_w9();
    let mut bytes = s.bytes.clone();
    bytes[2000] ^= 0x01;
    assert_invalid(&verify_pdf(&bytes, &s.roots).unwrap(), "modified after it was signed");
}

#[test]
fn attack_incremental_update_replacing_page_content() {
    let s = signed_w9();
    let base = Base::read(&s.bytes).unwrap();
    let page_id = *base.doc.get_pages().get(&1).unwrap();
    let mut page = base.dictionary(page_id).unwrap();
    let mut update = Update::new(&base);
    let content = update.reserve();
    let stream = lopdf::Stream::new(lopdf::Dictionary::new(), b"BT /F1 24 Tf 72 700 Td (PAID IN FULL) Tj ET".to_vec());
    update.put(content, &lopdf::Object::Stream(stream));
    page.set("Contents", lopdf::Object::Reference((content, 0)));
    update.put(page_id.0, &lopdf::Object::Dictionary(page));
    let (attacked, _) = update.finish(&s.bytes, &base);
    let report = verify_pdf(&attacked, &s.roots).unwrap();
    assert_invalid(&report, "changed after it was signed");
    assert_invalid(&report, "(Page)");
    assert!(report.signatures[0].integrity, "the original signature itself is intact; the change is what fails");
}

#[test]
fn attack_appended_object_without_xref() {
    let s = signed_w9();
    let mut bytes = s.bytes.clone();
    bytes.extend_from_slice(b"999 0 obj\n<</Type /Annot /Subtype /FreeText /Contents (Approved)>>\nendobj\n");
    assert_invalid(&verify_pdf(&bytes, &s.roots).unwrap(), "object 999 (Annot)");
}

#[test]
fn attack_trailing_garbage_after_eof() {
    let s = signed_w9();
    let mut bytes = s.bytes.clone();
    bytes.extend_from_slice(b"garbage that was not signed");
    let report = verify_pdf(&bytes, &s.roots).unwrap();
    assert_invalid(&report, "27 bytes were added after the last signature");
    assert_eq!(report.appended_bytes, 27);
}

#[test]
fn attack_contents_zeroed() {
    let s = signed_w9();
    let (_, _, [_, b, c, _]) = byte_range(&s.bytes);
    let mut bytes = s.bytes.clone();
    bytes[b as usize + 1..c as usize - 1].fill(b'0');
    assert_invalid(&verify_pdf(&bytes, &s.roots).unwrap(), "not a CMS structure");
}

#[test]
fn attack_byte_range_removed_zeroed_shrunk_and_moved() {
    let s = signed_w9();
    let (at, end, [_, b, c, d]) = byte_range(&s.bytes);
    let with = |replacement: &str| {
        let mut bytes = s.bytes.clone();
        let mut r = replacement.as_bytes().to_vec();
        r.resize(end - at, b' ');
        bytes[at..end].copy_from_slice(&r);
        verify_pdf(&bytes, &s.roots).unwrap()
    };
    assert_invalid(&with(""), "/ByteRange is missing or malformed");
    assert_invalid(&with("/ByteRange [0 0 0 0]"), "not a valid range");
    assert_invalid(&with(&format!("/ByteRange [0 {b} {c} {}]", d - 100)), "added after the last signature");
    // Wrapping: the range describes a gap somewhere else than this /Contents.
    assert_invalid(&with(&format!("/ByteRange [0 {} {} {}]", b - 40, c - 40, d + 40)), "signature wrapping");
}

#[test]
fn attack_shadow_hide_and_replace() {
    // At signing time the document already carries an unused content stream;
    // a later update repoints the page at it.
    let d = demo("ed25519");
    let review = std::fs::read(d.out.join("review").join("05-w9.pdf")).unwrap();
    let base = Base::read(&review).unwrap();
    let mut update = Update::new(&base);
    let hidden = update.reserve();
    let stream = lopdf::Stream::new(lopdf::Dictionary::new(), b"BT /F1 24 Tf 72 700 Td (Shadow content) Tj ET".to_vec());
    update.put(hidden, &lopdf::Object::Stream(stream));
    let (with_hidden, _) = update.finish(&review, &base);

    let files = inkseal::signing::DevKeyFiles::in_dir(&d.keys);
    let trust = TrustStore::load(&[&files.root_cert]).unwrap();
    let id = SigningIdentity::load(&files.signing_key, &files.signing_cert, &trust, SystemTime::now()).unwrap();
    let info = SealInfo { signer_name: "Charles Ray", reason: "Signed", time: time::OffsetDateTime::now_utc() };
    let signed = seal(&with_hidden, &info, &id, None).unwrap();
    assert!(verify_pdf(&signed, trust.roots()).unwrap().valid, "signed with a hidden stream, still valid");

    let base = Base::read(&signed).unwrap();
    let page_id = *base.doc.get_pages().get(&1).unwrap();
    let mut page = base.dictionary(page_id).unwrap();
    page.set("Contents", lopdf::Object::Reference((hidden, 0)));
    let mut update = Update::new(&base);
    update.put(page_id.0, &lopdf::Object::Dictionary(page));
    let (attacked, _) = update.finish(&signed, &base);
    assert_invalid(&verify_pdf(&attacked, trust.roots()).unwrap(), "(Page)");
}

#[test]
fn attack_signature_copied_from_another_document() {
    let s = signed_w9();
    let other = std::fs::read(s.demo.out.join("01-code-of-conduct.pdf")).unwrap();
    let (_, _, [_, ob, oc, _]) = byte_range(&other);
    let (_, _, [_, b, c, _]) = byte_range(&s.bytes);
    assert_eq!(oc - ob, c - b, "same reserved size");
    let mut bytes = s.bytes.clone();
    bytes[b as usize..c as usize].copy_from_slice(&other[ob as usize..oc as usize]);
    assert_invalid(&verify_pdf(&bytes, &s.roots).unwrap(), "modified after it was signed");
}

#[test]
fn attack_certificate_from_an_untrusted_root() {
    let s = signed_w9();
    let stranger = demo("ed25519");
    let report = verify_pdf(&s.bytes, &roots(&stranger.out.join("root.pem"))).unwrap();
    assert_invalid(&report, "does not chain to a trusted root");
    assert!(report.signatures[0].integrity);
}

#[test]
fn attack_certificate_expired_at_signing_time() {
    let dir = tempfile::tempdir().unwrap();
    let five_years_ago = SystemTime::now() - Duration::from_secs(5 * 365 * 24 * 3600);
    let files = init_dev_keys(dir.path(), Algorithm::Ed25519, five_years_ago, false).unwrap();
    let trust = TrustStore::load(&[&files.root_cert]).unwrap();
    // Loaded back when it was valid; used today, after it expired (3 years).
    let id = SigningIdentity::load(&files.signing_key, &files.signing_cert, &trust, five_years_ago).unwrap();
    let d = demo("ed25519");
    let review = std::fs::read(d.out.join("review").join("05-w9.pdf")).unwrap();
    let info = SealInfo { signer_name: "Charles Ray", reason: "Signed", time: time::OffsetDateTime::now_utc() };
    let signed = seal(&review, &info, &id, None).unwrap();
    let report = verify_pdf(&signed, trust.roots()).unwrap();
    assert_invalid(&report, "is not valid at that time");
    assert!(report.signatures[0].integrity);
}

#[test]
fn verifier_never_panics_on_truncations_and_mutations() {
    let s = signed_w9();
    for cut in (0..s.bytes.len()).step_by(997) {
        let _ = verify_pdf(&s.bytes[..cut], &s.roots);
    }
    let mut bytes = s.bytes.clone();
    let mut x: u32 = 12345;
    for _ in 0..300 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let i = (x as usize) % bytes.len();
        bytes[i] = (x >> 16) as u8;
        if let Ok(r) = verify_pdf(&bytes, &s.roots) {
            assert!(!r.valid || bytes == s.bytes, "a mutated file must never be valid");
        }
    }
}

/// The /Contents hex is the one part of the file the digest does not cover,
/// so every change to it — a digit, a letter's case, the zero padding after
/// the CMS — must still make the file invalid.
#[test]
fn no_change_to_the_signature_value_verifies() {
    let s = signed_w9();
    let (_, _, [_, b, c, _]) = byte_range(&s.bytes);
    let (b, c) = (b as usize + 1, c as usize - 1);
    let hex = &s.bytes[b..c];
    let der_digits = hex.iter().rposition(|d| *d != b'0').unwrap() + 2;
    let mut tried = 0;
    for i in (0..hex.len()).filter(|i| *i < der_digits || i % 61 == 0) {
        let original = hex[i];
        // A letter also in the other case (our signer writes upper case, others lower).
        let swap = [b'0', original ^ 0x20];
        let replacements: &[u8] = match original {
            b'a'..=b'f' | b'A'..=b'F' => &swap,
            b'0' => b"1",
            _ => b"0",
        };
        for r in replacements {
            let mut bytes = s.bytes.clone();
            bytes[b + i] = *r;
            let report = verify_pdf(&bytes, &s.roots).unwrap();
            assert!(!report.valid, "changing /Contents digit {i} from {} to {} went unnoticed", original as char, *r as char);
            tried += 1;
        }
    }
    assert!(tried > der_digits, "every digit of the CMS was tried ({tried})");
}

/// A decompression bomb appended after the signature is named, not inflated.
#[test]
fn limit_an_appended_decompression_bomb_is_not_inflated() {
    let s = signed_w9();
    let zeros = vec![b' '; 32 * 1024 * 1024];
    let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 9);
    let mut bytes = s.bytes.clone();
    bytes.extend_from_slice(format!("99 0 obj\n<< /Type /ObjStm /N 1 /First 8 /Filter /FlateDecode /Length {} >>\nstream\n", bomb.len()).as_bytes());
    bytes.extend_from_slice(&bomb);
    bytes.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
    let report = verify_pdf(&bytes, &s.roots).unwrap();
    assert_invalid(&report, "expands more than 100 times its size (a decompression bomb)");
    assert_invalid(&report, "object 99 (ObjStm)");
}

/// Objects hidden in a compressed object stream of an appended update are named.
#[test]
fn an_appended_object_stream_names_the_objects_it_hides() {
    let s = signed_w9();
    let body = b"5 0 << /Type /Annot /Subtype /FreeText >>";
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(body, 9);
    let mut bytes = s.bytes.clone();
    bytes.extend_from_slice(format!("98 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n", packed.len()).as_bytes());
    bytes.extend_from_slice(&packed);
    bytes.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
    assert_invalid(&verify_pdf(&bytes, &s.roots).unwrap(), "object 5 (compressed in object 98)");
}

#[test]
fn sign_documents_carry_a_visible_stamp_and_review_documents_do_not() {
    let d = demo("ed25519");
    for pdf in signed_files(&d.out) {
        let text = flat(&pdftotext(&pdf));
        let review = flat(&pdftotext(&d.out.join("review").join(pdf.file_name().unwrap())));
        assert!(!review.contains("Electronically signed"), "{}", pdf.display());
        let is_addendum = pdf.to_string_lossy().contains("addendum");
        assert_eq!(text.contains("Electronically signed"), !is_addendum, "{}: {text}", pdf.display());
        if !is_addendum {
            assert!(text.contains(" UTC"), "stamp time in {}", pdf.display());
            let id_at = text.find("UTC ID ").unwrap_or_else(|| panic!("no stamp id in {text}"));
            let id = &text[id_at + 7..id_at + 16];
            assert!(id.chars().enumerate().all(|(i, c)| if i == 4 { c == '-' } else { c.is_ascii_hexdigit() }), "{id}");
        }
    }
}

#[test]
fn ed25519_documents_declare_the_iso_32002_extension() {
    for (alg, expected) in [("ed25519", true), ("p256", false)] {
        let d = demo(alg);
        let bytes = std::fs::read(d.out.join("01-code-of-conduct.pdf")).unwrap();
        let declared = bytes.windows(5).any(|w| w == b"/ISO_") && bytes.windows(21).any(|w| w == b"/ExtensionLevel 32002");
        assert_eq!(declared, expected, "{alg}");
    }
}

#[test]
fn a_certificate_without_signing_key_usage_is_refused() {
    // The root CA (keyCertSign only) signs a document directly.
    let d = demo("ed25519");
    let files = inkseal::signing::DevKeyFiles::in_dir(&d.keys);
    let root_key = inkseal::signing::SigningKey::from_pkcs8_pem(&std::fs::read_to_string(&files.root_key).unwrap()).unwrap();
    let root_cert = TrustStore::load(&[&files.root_cert]).unwrap().roots()[0].clone();
    let review = std::fs::read(d.out.join("review").join("03-new-mexico-addendum.pdf")).unwrap();
    let info = SealInfo { signer_name: "Charles Ray", reason: "Sealed", time: time::OffsetDateTime::now_utc() };
    let prepared = inkseal::signing::prepare(&review, &info, Algorithm::Ed25519, None).unwrap();
    let cms = inkseal::signing::sign_detached(&root_key, &root_cert, &[], &prepared.message_digest()).unwrap();
    let signed = prepared.assemble(&cms).unwrap();
    let report = verify_pdf(&signed, std::slice::from_ref(&root_cert)).unwrap();
    assert!(report.signatures[0].integrity && report.signatures[0].trusted, "{report:#?}");
    assert_invalid(&report, "not allowed to sign");
}
