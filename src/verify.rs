/*!
Verification (spec §6): given any PDF and the trusted roots, say whether it
is authentic and unmodified, who signed it and when.

The verifier reads untrusted bytes, so it parses signature dictionaries
itself with a bounded parser and trusts nothing the file claims about
itself: each `/ByteRange` must be exactly `[0 b c d]`, its gap exactly that
dictionary's `/Contents`, the signed part must end at `%%EOF`, and every
byte after the last signed revision is reported — a file changed after
signing is never valid. This defeats universal signature forgery (missing or
malformed `/ByteRange`/`/Contents`), incremental saving and shadow attacks
(anything appended), and signature wrapping (a range that describes other
bytes).
*/

mod report;
mod signature;
mod streams;
mod syntax;

use x509_cert::Certificate;

pub use report::{Report, SignatureReport};

/// Largest file the verifier reads.
pub const MAX_PDF_BYTES: usize = 256 * 1024 * 1024;

/// The input is not something the verifier can judge as a PDF.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// No `%PDF-` header.
    #[error("not a PDF file (it does not start with %PDF-)")]
    NotPdf,
    /// Too large.
    #[error("the file is larger than {MAX_PDF_BYTES} bytes")]
    TooLarge,
    /// Beyond the parser's bounds.
    #[error("{0}")]
    Limits(&'static str),
}

/// Verifies every signature in `pdf` against `roots`.
///
/// # Errors
/// Only when the bytes cannot be read as a PDF at all; every other problem is
/// part of the [`Report`].
pub fn verify_pdf(pdf: &[u8], roots: &[Certificate]) -> Result<Report, VerifyError> {
    if pdf.len() > MAX_PDF_BYTES {
        return Err(VerifyError::TooLarge);
    }
    if syntax::find(&pdf[..pdf.len().min(1024)], b"%PDF-").is_none() {
        return Err(VerifyError::NotPdf);
    }
    let objects = syntax::indirect_objects(pdf).map_err(VerifyError::Limits)?;
    let mut report = Report { valid: false, signatures: Vec::new(), appended_bytes: 0, problems: Vec::new() };
    let mut signed_ends = Vec::new();
    for obj in &objects {
        let value = &obj.value.value;
        let is_sig_type = value.get(b"Type").and_then(|t| t.value.name()) == Some(b"Sig");
        let looks_like_sig = is_sig_type || value.get(b"ByteRange").is_some() || value.get(b"SubFilter").is_some_and(|s| {
            s.value.name().is_some_and(|n| n.starts_with(b"ETSI.CAdES") || n.starts_with(b"adbe.pkcs7"))
        });
        if !looks_like_sig {
            continue;
        }
        let dict = signature::SigDict { dict: value, object_span: (obj.start, obj.value.end) };
        let (sig, end) = signature::check(pdf, &dict, roots);
        if let Some(end) = end {
            signed_ends.push(end);
        }
        report.signatures.push(sig);
    }
    if report.signatures.is_empty() {
        report.problems.push("the file has no digital signature".into());
        return Ok(report);
    }
    let last_end = signed_ends.iter().copied().max().unwrap_or(0);
    if last_end > 0 && last_end < pdf.len() {
        report.appended_bytes = pdf.len() - last_end;
        report.problems.push(describe_appended(pdf, last_end, &objects));
    }
    report.valid = report.problems.is_empty()
        && report.signatures.iter().all(|s| s.integrity && s.trusted && s.problems.is_empty())
        && report.signatures.iter().any(|s| s.covers_whole_file);
    Ok(report)
}

/// Names what was added after the last signed byte, including objects
/// hidden in compressed object streams (read within [`streams`]' limits).
fn describe_appended(pdf: &[u8], from: usize, objects: &[syntax::IndirectObject]) -> String {
    const NAMED: usize = 12;
    const MAX_OPENED: usize = 4;
    let mut opened = 0;
    let mut added: Vec<String> = Vec::new();
    let mut unread: Option<String> = None;
    for o in objects.iter().filter(|o| o.start >= from) {
        let kind = o.value.value.get(b"Type").and_then(|t| t.value.name());
        if added.len() < NAMED {
            added.push(match kind {
                Some(t) => format!("object {} ({})", o.num, String::from_utf8_lossy(t)),
                None => format!("object {}", o.num),
            });
        }
        // Enough object streams are opened to name what the update holds;
        // a file of thousands of them costs no more than a few.
        if kind == Some(b"ObjStm") && added.len() < NAMED && opened < MAX_OPENED {
            opened += 1;
            match streams::decoded(pdf, o, objects) {
                Ok(data) => added.extend(
                    streams::object_stream_members(o, &data)
                        .into_iter()
                        .take(NAMED.saturating_sub(added.len()))
                        .map(|n| format!("object {n} (compressed in object {})", o.num)),
                ),
                Err(e) => unread = unread.or(Some(e.to_string())),
            }
        }
    }
    let what = if added.is_empty() {
        "data that is not part of the signed document".to_owned()
    } else {
        format!("an update that defines {}", added.join(", "))
    };
    let unread = unread.map(|e| format!("; it holds {e}, which was not read")).unwrap_or_default();
    format!(
        "{} bytes were added after the last signature ({what}{unread}): the file was changed after it was signed",
        pdf.len() - from
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_size_limit_is_not_read() {
        // Zeroed memory is not touched until read, so this costs nothing.
        let huge = vec![0u8; MAX_PDF_BYTES + 1];
        assert!(matches!(verify_pdf(&huge, &[]), Err(VerifyError::TooLarge)));
    }
}
