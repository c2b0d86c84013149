//! What must hold for any input, shared by the fuzz targets and by the
//! `cargo test` that replays the committed seeds and past findings
//! (`tests/fuzz_regressions.rs`).

use std::sync::OnceLock;

use inkseal::signing::TrustStore;
use inkseal::verify::verify_pdf;

/// A sealed document from `inkseal demo` and the root it chains to.
struct Signed {
    pdf: Vec<u8>,
    trust: TrustStore,
}

fn signed() -> &'static Signed {
    static SIGNED: OnceLock<Signed> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let pdf = include_bytes!("fixtures/signed.pdf").to_vec();
        let roots = inkseal::pki::parse_pem_certificates(include_bytes!("fixtures/root.pem")).expect("fixture root");
        let trust = TrustStore::new(roots);
        let report = verify_pdf(&pdf, trust.roots()).expect("fixture is a PDF");
        assert!(report.valid, "the fixture verifies: {report:?}");
        Signed { pdf, trust }
    })
}

/// Arbitrary bytes: never a panic, and never valid, since no root is trusted.
pub(crate) fn verify_bytes(data: &[u8]) {
    if let Ok(report) = verify_pdf(data, &[]) {
        assert!(!report.valid, "a file was judged valid without any trusted root");
    }
}

/// Applies edits to `original`. Each edit is four bytes: an operation, a
/// position (two bytes, scaled to the file) and a value.
pub(crate) fn mutate(original: &[u8], edits: &[u8]) -> Vec<u8> {
    let mut out = original.to_vec();
    for edit in edits.chunks_exact(4) {
        if out.is_empty() {
            break;
        }
        let at = (usize::from(u16::from_le_bytes([edit[1], edit[2]])) * out.len()) >> 16;
        let value = edit[3];
        match edit[0] % 5 {
            0 => out[at] = value,
            1 => out[at] ^= 1 << (value % 8),
            2 => out.insert(at, value),
            3 => {
                out.remove(at);
            }
            _ => {
                // Duplicate a stretch elsewhere: the shape of shadow and wrapping attacks.
                let len = usize::from(value).min(out.len() - at);
                let piece = out[at..at + len].to_vec();
                let to = (at * 7 + usize::from(value)) % out.len();
                out.splice(to..to, piece);
            }
        }
    }
    out
}

/// A signed file changed in any way is never judged valid.
pub(crate) fn verify_mutated(edits: &[u8]) {
    let s = signed();
    let mutated = mutate(&s.pdf, edits);
    if mutated == s.pdf {
        return;
    }
    if let Ok(report) = verify_pdf(&mutated, s.trust.roots()) {
        assert!(!report.valid, "a mutated signed file was judged valid: {report:?}");
    }
}

/// Any bytes as case data: never a panic; a refusal names a field and a rule.
pub(crate) fn case_parser(data: &[u8]) {
    static REFERENCE: OnceLock<inkseal::reference::Reference> = OnceLock::new();
    let reference = REFERENCE.get_or_init(|| {
        inkseal::reference::Reference::load(&inkseal::templates::TemplateSet::embedded()).expect("embedded reference")
    });
    let as_of = time::Date::from_calendar_date(2026, time::Month::December, 1).expect("a date");
    if let Err(errors) = inkseal::case::parse_case(data, as_of, reference) {
        assert!(!errors.0.is_empty(), "a refusal without a reason");
        for e in &errors.0 {
            assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
        }
    }
}

/// Any bytes as an upload: never a panic; what is accepted starts with its type's signature.
pub(crate) fn upload_sniff(data: &[u8]) {
    if let Ok(kind) = inkseal::uploads::sniff(data) {
        assert!(!data.is_empty() && data.len() <= inkseal::uploads::MAX_UPLOAD_BYTES);
        let magic: &[&[u8]] = match kind.media_type() {
            "application/pdf" => &[b"%PDF-"],
            "image/jpeg" => &[b"\xFF\xD8\xFF"],
            "image/png" => &[b"\x89PNG\r\n\x1a\n"],
            "image/gif" => &[b"GIF87a", b"GIF89a"],
            "image/tiff" => &[b"II*\0", b"MM\0*"],
            _ => &[],
        };
        assert!(magic.is_empty() || magic.iter().any(|m| data.starts_with(m)), "{kind:?} accepted without its signature");
    }
}
