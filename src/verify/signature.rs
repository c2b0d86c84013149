//! Checking one signature dictionary: byte range, message digest, CMS
//! signature, ESS certificate hash, chain to a trusted root at `/M`.

use std::time::SystemTime;

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::OctetString;
use der::oid::ObjectIdentifier;
use der::oid::db::rfc5911::{ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use der::oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
use der::{Decode as _, Encode as _, Reader as _, SliceReader};
use x509_cert::Certificate;

use super::report::SignatureReport;
use super::syntax::{Spanned, Value};
use crate::pki::{self, Algorithm};
use crate::signing::{ID_AA_SIGNING_CERTIFICATE_V2, SigningCertificateV2, digest};

/// The parts of a signature dictionary the checks need.
pub(crate) struct SigDict<'a> {
    pub(crate) dict: &'a Value,
    /// Span of the enclosing indirect object: header to end of dictionary.
    pub(crate) object_span: (usize, usize),
}

fn text(v: Option<&Spanned>) -> Option<String> {
    match &v?.value {
        Value::String(bytes) => Some(decode_text(bytes)),
        Value::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

/// PDF text strings: UTF-16BE with BOM, or PDFDocEncoding (read as Latin-1).
fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest.chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect();
        String::from_utf16_lossy(&units)
    } else {
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}

/// Parses `D:YYYYMMDDHHmmSS` with an optional `Z` or `±HH'mm'` offset.
pub(crate) fn parse_pdf_date(s: &str) -> Option<time::OffsetDateTime> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |a: usize, b: usize| s.get(a..b).and_then(|t| t.parse::<u32>().ok());
    let year = digits(0, 4)? as i32;
    let month = digits(4, 6).unwrap_or(1) as u8;
    let day = digits(6, 8).unwrap_or(1) as u8;
    let hour = digits(8, 10).unwrap_or(0) as u8;
    let minute = digits(10, 12).unwrap_or(0) as u8;
    let second = digits(12, 14).unwrap_or(0) as u8;
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let t = time::Time::from_hms(hour, minute, second).ok()?;
    let rest = s.get(14..).unwrap_or("");
    let offset = match rest.as_bytes().first() {
        None | Some(b'Z') => time::UtcOffset::UTC,
        Some(sign @ (b'+' | b'-')) => {
            let h: i8 = rest.get(1..3)?.parse().ok()?;
            let m: i8 = rest.get(4..6).and_then(|m| m.parse().ok()).unwrap_or(0);
            let (h, m) = if *sign == b'-' { (-h, -m) } else { (h, m) };
            time::UtcOffset::from_hms(h, m, 0).ok()?
        }
        _ => return None,
    };
    Some(time::PrimitiveDateTime::new(date, t).assume_offset(offset))
}

fn digest_name(oid: ObjectIdentifier) -> String {
    match oid {
        ID_SHA_256 => "SHA-256".into(),
        ID_SHA_384 => "SHA-384".into(),
        ID_SHA_512 => "SHA-512".into(),
        other => other.to_string(),
    }
}

/// Checks one signature. `file` is the whole file; the caller decides
/// whether bytes after the signed range are acceptable.
pub(crate) fn check(file: &[u8], sig: &SigDict<'_>, roots: &[Certificate]) -> (SignatureReport, Option<usize>) {
    let mut r = SignatureReport {
        signer_name: text(sig.dict.get(b"Name")),
        reason: text(sig.dict.get(b"Reason")),
        subfilter: text(sig.dict.get(b"SubFilter")),
        ..Default::default()
    };
    let m = text(sig.dict.get(b"M")).and_then(|m| parse_pdf_date(&m));
    r.signing_time = m.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());

    if r.subfilter.as_deref() != Some("ETSI.CAdES.detached") && r.subfilter.as_deref() != Some("adbe.pkcs7.detached") {
        r.problems.push(format!(
            "the signature's /SubFilter is {}, not ETSI.CAdES.detached",
            r.subfilter.as_deref().unwrap_or("missing")
        ));
    }

    // 1. /ByteRange: exactly [0 b c d], excluding exactly this dictionary's /Contents.
    let Some(contents) = sig.dict.get(b"Contents") else {
        r.problems.push("the signature has no /Contents: there is no signature value to check".into());
        return (r, None);
    };
    let Value::String(cms_bytes) = &contents.value else {
        r.problems.push("the signature's /Contents is not a string".into());
        return (r, None);
    };
    let range = match sig.dict.get(b"ByteRange").map(|s| &s.value) {
        Some(Value::Array(items)) if items.len() == 4 => {
            let nums: Vec<Option<u64>> =
                items.iter().map(|i| if let Value::Int(n) = i.value { u64::try_from(n).ok() } else { None }).collect();
            match nums[..] {
                [Some(a), Some(b), Some(c), Some(d)] => Some([a, b, c, d]),
                _ => None,
            }
        }
        _ => None,
    };
    let Some([a, b, c, d]) = range else {
        r.problems.push("the signature's /ByteRange is missing or malformed (it must be four non-negative integers)".into());
        return (r, None);
    };
    r.byte_range = Some([a, b, c, d]);
    let len = file.len() as u64;
    let end = c.checked_add(d);
    if a != 0 || b >= c || end.is_none_or(|e| e > len) {
        r.problems.push(format!("the /ByteRange [{a} {b} {c} {d}] is not a valid range of this {len}-byte file"));
        return (r, None);
    }
    let (b, c, end) = (b as usize, c as usize, (c + d) as usize);
    if contents.start != b || contents.end != c {
        r.problems.push(
            "the /ByteRange does not exclude exactly this signature's /Contents: the signed bytes are not the ones this \
             dictionary describes (signature wrapping)"
                .into(),
        );
        return (r, None);
    }
    if !(sig.object_span.0 < b && c < sig.object_span.1) {
        r.problems.push("the excluded /Contents lies outside the signature dictionary".into());
        return (r, None);
    }
    // The hex string is excluded from the digest, so it must have one
    // spelling only: changing a digit's case or the zero padding after the
    // CMS would otherwise alter the file without the signature noticing.
    if !contents_is_canonical(&file[b..c]) {
        r.problems.push(
            "the signature's /Contents is not one unbroken hexadecimal string in a single letter case: the unsigned \
             part of the file was altered"
                .into(),
        );
    }
    let signed_end = &file[..end];
    let trimmed = signed_end.strip_suffix(b"\r\n").or_else(|| signed_end.strip_suffix(b"\n")).or_else(|| signed_end.strip_suffix(b"\r")).unwrap_or(signed_end);
    if !trimmed.ends_with(b"%%EOF") {
        r.problems.push("the signed bytes do not end at an end-of-file marker (%%EOF)".into());
    }
    r.covers_whole_file = end == file.len();

    // 2. The CMS.
    let signed_data = match parse_cms(cms_bytes) {
        Ok(sd) => sd,
        Err(problem) => {
            r.problems.push(problem);
            return (r, Some(end));
        }
    };
    let Some(signer) = signed_data.signer_infos.0.get(0).filter(|_| signed_data.signer_infos.0.len() == 1) else {
        r.problems.push("the CMS must hold exactly one SignerInfo".into());
        return (r, Some(end));
    };
    // Neither field is covered by the signature, so only one value of each is accepted.
    if signed_data.digest_algorithms.iter().map(|a| a.oid).ne(std::iter::once(signer.digest_alg.oid)) {
        r.problems.push("the CMS lists digest algorithms other than the signer's".into());
    }
    // RFC 5652 §5.1, §5.3: the versions follow from the content; any other is an alteration.
    let expected = expected_version(&signed_data);
    if signed_data.version != expected || signer.version != cms::content_info::CmsVersion::V1 {
        r.problems.push(format!(
            "the CMS version numbers are not the ones RFC 5652 prescribes for this signature ({expected:?} and V1)"
        ));
    }
    if signed_data.encap_content_info.econtent_type != ID_DATA {
        r.problems.push("the CMS content type is not id-data".into());
    }
    let certs: Vec<Certificate> = signed_data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(cert) => Some(cert.clone()),
            _ => None,
        })
        .collect();
    let signer_cert = match &signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => certs.iter().find(|c| {
            c.tbs_certificate().issuer() == &isn.issuer && c.tbs_certificate().serial_number() == &isn.serial_number
        }),
        SignerIdentifier::SubjectKeyIdentifier(_) => None,
    };
    let Some(signer_cert) = signer_cert else {
        r.problems.push("the signer's certificate is not in the signature".into());
        return (r, Some(end));
    };
    r.certificate_subject = Some(pki::subject(signer_cert));
    if r.signer_name.is_none() {
        r.signer_name = r.certificate_subject.clone();
    }
    let spki = der::referenced::OwnedToRef::owned_to_ref(signer_cert.tbs_certificate().subject_public_key_info());
    r.algorithm = pki::key_algorithm(spki.clone()).ok().map(|a| Algorithm::name(a).to_owned());
    r.digest_algorithm = Some(digest_name(signer.digest_alg.oid));

    // 3. Signed attributes: content-type id-data, message-digest = digest of the ranges.
    let Some(attrs) = &signer.signed_attrs else {
        r.problems.push("the signature has no signed attributes (PAdES requires them)".into());
        return (r, Some(end));
    };
    let attr = |oid: ObjectIdentifier| attrs.iter().find(|a| a.oid == oid).and_then(|a| a.values.get(0));
    if attr(ID_CONTENT_TYPE).and_then(|v| v.decode_as::<ObjectIdentifier>().ok()) != Some(ID_DATA) {
        r.problems.push("the signed content-type attribute is missing or is not id-data".into());
    }
    let signed_digest = attr(ID_MESSAGE_DIGEST).and_then(|v| v.decode_as::<OctetString>().ok());
    let actual = digest(signer.digest_alg.oid, &[&file[..b], &file[c..end]]);
    let digest_ok = match (&signed_digest, &actual) {
        (Some(s), Some(a)) => s.as_bytes() == a.as_slice(),
        (_, None) => {
            r.problems.push(format!("unsupported digest algorithm {}", signer.digest_alg.oid));
            false
        }
        (None, _) => false,
    };
    if !digest_ok && actual.is_some() {
        r.problems.push("the document's bytes do not match the signed digest: the file was modified after it was signed".into());
    }

    // 4. The signature over the DER SET OF signed attributes.
    let sig_ok = match attrs.to_der() {
        Ok(der) => match pki::verify_signature(spki, signer.signature_algorithm.oid, &der, signer.signature.as_bytes()) {
            Ok(()) => true,
            Err(e) => {
                r.problems.push(format!("the CMS signature is invalid: {e}"));
                false
            }
        },
        Err(_) => false,
    };
    r.integrity = digest_ok && sig_ok;

    // 5. ESS signing-certificate-v2 binds the signer certificate.
    match attr(ID_AA_SIGNING_CERTIFICATE_V2).and_then(|v| v.decode_as::<SigningCertificateV2>().ok()) {
        Some(ess) => {
            let ok = ess.certs.first().is_some_and(|id| {
                let alg = id.hash_algorithm.as_ref().map_or(ID_SHA_256, |a| a.oid);
                signer_cert.to_der().ok().and_then(|der| digest(alg, &[&der])).is_some_and(|h| h == id.cert_hash.as_bytes())
            });
            if !ok {
                r.problems.push("the signing-certificate-v2 attribute does not match the signer's certificate".into());
                r.integrity = false;
            }
        }
        None => r.problems.push("the signature lacks the ESS signing-certificate-v2 attribute PAdES requires".into()),
    }

    // 6. The certificate may sign documents (key usage, when present).
    if let Ok(Some((_, ku))) = signer_cert.tbs_certificate().get_extension::<x509_cert::ext::pkix::KeyUsage>()
        && !ku.digital_signature() && !ku.non_repudiation() {
            r.problems.push("the signer's certificate is not allowed to sign (no digitalSignature or nonRepudiation key usage)".into());
        }

    // 7. The chain, at the signing time.
    let at = m.map_or_else(SystemTime::now, SystemTime::from);
    if m.is_none() {
        r.problems.push("the signature has no valid signing time (/M); the certificate was checked against the current time".into());
    }
    let others: Vec<Certificate> = certs.iter().filter(|c| *c != signer_cert).cloned().collect();
    match pki::verify_chain(signer_cert, &others, roots, at) {
        Ok(path) => {
            r.trusted = true;
            // The certificate list is not covered by the signature, so each
            // extra certificate (a root or cross-certificate other signers
            // embed) must at least carry a valid signature from one of the
            // certificates at hand: an altered copy does not.
            let vouched = |c: &Certificate| {
                path.contains(c) || certs.iter().chain(roots).any(|issuer| pki::verify_issued_by(c, issuer).is_ok())
            };
            if let Some(stray) = certs.iter().find(|c| !vouched(c)) {
                r.problems.push(format!(
                    "the signature carries a certificate whose own signature does not verify ({}): the signature's \
                     unsigned certificate list was altered",
                    pki::subject(stray)
                ));
            }
        }
        Err(pki::PkiError::Untrusted) if roots.is_empty() => {
            r.problems.push("no trusted root was given, so the certificate cannot be trusted (use --trust ROOT.pem)".into())
        }
        Err(e) => r.problems.push(format!("the certificate is not trusted: {e}")),
    }
    (r, Some(end))
}

/// RFC 5652 §5.1's version for SignedData of id-data with version 1
/// signers: 5 when an "other" certificate or revocation format is present.
fn expected_version(sd: &SignedData) -> cms::content_info::CmsVersion {
    let other_cert = sd.certificates.iter().flat_map(|s| s.0.iter()).any(|c| matches!(c, cms::cert::CertificateChoices::Other(_)));
    let other_crl = sd.crls.iter().flat_map(|s| s.0.iter()).any(|c| matches!(c, cms::revocation::RevocationInfoChoice::Other(_)));
    if other_cert || other_crl { cms::content_info::CmsVersion::V5 } else { cms::content_info::CmsVersion::V1 }
}

/// `<…>` holding only hex digits, all in one case.
fn contents_is_canonical(raw: &[u8]) -> bool {
    let Some(hex) = raw.strip_prefix(b"<").and_then(|r| r.strip_suffix(b">")) else { return false };
    let lower = hex.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    let upper = hex.iter().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b));
    lower || upper
}

fn parse_cms(bytes: &[u8]) -> Result<SignedData, String> {
    let mut reader = SliceReader::new(bytes).map_err(|_| "the signature value is empty".to_owned())?;
    let info = ContentInfo::decode(&mut reader).map_err(|_| "the signature value is not a CMS structure".to_owned())?;
    let rest = &bytes[usize::try_from(reader.position()).unwrap_or(bytes.len())..];
    if rest.iter().any(|b| *b != 0) {
        return Err("the signature value has data after the CMS structure".into());
    }
    if info.content_type != ID_SIGNED_DATA {
        return Err("the CMS structure is not SignedData".into());
    }
    let sd = info.content.decode_as::<SignedData>().map_err(|_| "the CMS SignedData is malformed".to_owned())?;
    if sd.encap_content_info.econtent.is_some() {
        return Err("the CMS signature is not detached (it embeds content)".into());
    }
    Ok(sd)
}
