//! Sealing a document: the unsigned signature field of the review copy, and
//! the signature itself as one incremental update appended to the exact
//! reviewed bytes (ISO 32000-1 §12.8; PAdES B-B, ETSI EN 319 142-1).
//!
//! Signing follows three stages: [`prepare`] writes the update with a
//! zero-filled `/Contents` placeholder and returns the bytes to hash, the
//! caller's key signs the digest ([`sign_detached`]), and [`Prepared::assemble`]
//! writes the CMS into the placeholder.

use lopdf::{Dictionary, Object, ObjectId};
use time::OffsetDateTime;

use super::cms::{CmsError, digest, digest_algorithm, sign_detached};
use super::keys::SigningIdentity;
use crate::documents::SignatureRect;
use crate::pdf::{Base, Update, UpdateError, write_string_hex};
use crate::pki::Algorithm;

/// Bytes reserved for the DER CMS in `/Contents` (a chain of two
/// certificates and one signature needs under 2 KiB).
pub const CONTENTS_BYTES: usize = 8192;
const BYTE_RANGE_PLACEHOLDER: &[u8] = b"[0 0000000000 0000000000 0000000000]";

/// Errors while sealing.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The PDF could not be read or extended.
    #[error(transparent)]
    Pdf(#[from] UpdateError),
    /// The review copy lacks an unsigned signature field.
    #[error("the document has no unsigned signature field (was it rendered by inkseal?)")]
    NoField,
    /// The CMS could not be built.
    #[error(transparent)]
    Cms(#[from] CmsError),
    /// The CMS does not fit the reserved space.
    #[error("the signature ({0} bytes) does not fit the reserved {CONTENTS_BYTES} bytes")]
    TooLarge(usize),
}

fn name(s: &str) -> Object {
    Object::Name(s.as_bytes().to_vec())
}

fn text(s: &str) -> Object {
    Object::String(s.as_bytes().to_vec(), lopdf::StringFormat::Hexadecimal)
}

fn reference(num: u32) -> Object {
    Object::Reference((num, 0))
}

/// Adds the unsigned signature field to a freshly rendered document: a
/// widget on `rect` (sign documents) or an invisible one on page 1 (review
/// documents), listed in a new `/AcroForm`. One incremental update.
///
/// # Errors
/// When the PDF cannot be read or lacks the page.
pub fn add_signature_field(pdf: &[u8], rect: Option<SignatureRect>) -> Result<Vec<u8>, SealError> {
    let base = Base::read(pdf)?;
    let pages = base.doc.get_pages();
    let page_no = rect.map_or(1, |r| r.page as u32);
    let page_id = *pages.get(&page_no).ok_or(UpdateError::Missing("page for the signature field"))?;
    let (coords, width, height) = match rect {
        Some(r) => ([r.x1, r.y1, r.x2, r.y2], r.x2 - r.x1, r.y2 - r.y1),
        None => ([0.0; 4], 0.0, 0.0),
    };

    let mut update = Update::new(&base);
    let field = update.reserve();
    let appearance = update.reserve();
    let acroform = update.reserve();

    // An empty appearance: PDF/A wants one on every visible annotation.
    update.put(appearance, &super::stamp::form_xobject(width, height, Object::Dictionary(Dictionary::new()), Vec::new()));

    let mut widget = Dictionary::new();
    widget.set("Type", name("Annot"));
    widget.set("Subtype", name("Widget"));
    widget.set("FT", name("Sig"));
    widget.set("T", text("Signature"));
    widget.set("F", Object::Integer(132)); // Print + Locked
    widget.set("Rect", Object::Array(coords.iter().map(|v| Object::Real(*v as f32)).collect()));
    widget.set("P", Object::Reference(page_id));
    let mut ap_dict = Dictionary::new();
    ap_dict.set("N", reference(appearance));
    widget.set("AP", Object::Dictionary(ap_dict));
    update.put(field, &Object::Dictionary(widget));

    let mut form = Dictionary::new();
    form.set("Fields", Object::Array(vec![reference(field)]));
    update.put(acroform, &Object::Dictionary(form));

    let mut catalog = base.dictionary(base.root)?;
    catalog.set("AcroForm", reference(acroform));
    update.put(base.root.0, &Object::Dictionary(catalog));

    let mut page = base.dictionary(page_id)?;
    let mut annots = match page.get(b"Annots") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(id)) => base.doc.get_object(*id).and_then(Object::as_array).cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    annots.push(reference(field));
    page.set("Annots", Object::Array(annots));
    update.put(page_id.0, &Object::Dictionary(page));

    Ok(update.finish(pdf, &base).0)
}

/// What the signature dictionary says about the signing.
#[derive(Clone, Debug)]
pub struct SealInfo<'a> {
    /// `/Name`: the signer (the principal).
    pub signer_name: &'a str,
    /// `/Reason`: what was signed or sealed.
    pub reason: &'a str,
    /// `/M`: the signing time (UTC).
    pub time: OffsetDateTime,
}

/// The visible stamp for a sign document: a one-page PDF to import as the
/// widget's appearance (see `Renderer::render_stamp`).
pub struct Stamp<'a> {
    /// The stamp PDF.
    pub pdf: &'a [u8],
}

/// A document with its signature update written and `/Contents` still zero.
pub struct Prepared {
    bytes: Vec<u8>,
    contents_at: usize,
    algorithm: Algorithm,
}

/// Writes the signature update (stage 1 of 3).
///
/// # Errors
/// When the review copy has no unsigned signature field or cannot be read.
pub fn prepare(
    review: &[u8],
    info: &SealInfo<'_>,
    algorithm: Algorithm,
    stamp: Option<&Stamp<'_>>,
) -> Result<Prepared, SealError> {
    let base = Base::read(review)?;
    let catalog = base.dictionary(base.root)?;
    let form_id = catalog.get(b"AcroForm").and_then(Object::as_reference).map_err(|_| SealError::NoField)?;
    let mut form = base.dictionary(form_id)?;
    let field_id = unsigned_field(&base, &form).ok_or(SealError::NoField)?;

    let mut update = Update::new(&base);
    let sig = update.reserve();

    let mut body = Vec::with_capacity(CONTENTS_BYTES * 2 + 512);
    body.extend_from_slice(b"<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange ");
    let byte_range_in_body = body.len();
    body.extend_from_slice(BYTE_RANGE_PLACEHOLDER);
    body.extend_from_slice(b" /Contents ");
    let contents_in_body = body.len();
    body.push(b'<');
    body.resize(body.len() + CONTENTS_BYTES * 2, b'0');
    body.push(b'>');
    body.extend_from_slice(b" /M ");
    write_string_hex(&mut body, pdf_date(info.time).as_bytes());
    body.extend_from_slice(b" /Name ");
    write_string_hex(&mut body, &pdf_text(info.signer_name));
    body.extend_from_slice(b" /Reason ");
    write_string_hex(&mut body, &pdf_text(info.reason));
    body.extend_from_slice(b">>");
    update.put_raw(sig, body);

    let mut field = base.dictionary(field_id)?;
    field.set("V", reference(sig));
    if let Some(stamp) = stamp {
        let (w, h) = field_size(&field);
        if w > 0.0 && h > 0.0 {
            let form = super::stamp::import_as_form(stamp.pdf, w, h, &mut update)?;
            let mut ap = Dictionary::new();
            ap.set("N", reference(form));
            field.set("AP", Object::Dictionary(ap));
        }
    }
    if algorithm == Algorithm::Ed25519 {
        // ISO/TS 32002: Ed25519 in PDF signatures is a PDF 2.0 extension.
        let mut catalog = catalog;
        catalog.set("Extensions", iso_32002_extension());
        update.put(base.root.0, &Object::Dictionary(catalog));
    }
    update.put(field_id.0, &Object::Dictionary(field));
    form.set("SigFlags", Object::Integer(3)); // SignaturesExist + AppendOnly
    update.put(form_id.0, &Object::Dictionary(form));

    let (mut bytes, offsets) = update.finish(review, &base);
    let body_at = offsets.iter().find(|(n, _)| *n == sig).map(|(_, o)| *o).ok_or(SealError::NoField)?;
    let contents_at = body_at + contents_in_body;
    let contents_end = contents_at + CONTENTS_BYTES * 2 + 2;
    let range = format!("[0 {contents_at} {contents_end} {}]", bytes.len() - contents_end);
    let mut padded = range.into_bytes();
    padded.resize(BYTE_RANGE_PLACEHOLDER.len(), b' ');
    let at = body_at + byte_range_in_body;
    bytes[at..at + padded.len()].copy_from_slice(&padded);
    Ok(Prepared { bytes, contents_at, algorithm })
}

impl Prepared {
    /// The digest of the signed byte ranges (stage 2 signs it).
    pub fn message_digest(&self) -> Vec<u8> {
        let end = self.contents_at + CONTENTS_BYTES * 2 + 2;
        digest(digest_algorithm(self.algorithm), &[&self.bytes[..self.contents_at], &self.bytes[end..]]).unwrap_or_default()
    }

    /// Writes the DER CMS into `/Contents` (stage 3).
    ///
    /// # Errors
    /// [`SealError::TooLarge`] if it does not fit.
    pub fn assemble(mut self, cms: &[u8]) -> Result<Vec<u8>, SealError> {
        if cms.len() > CONTENTS_BYTES {
            return Err(SealError::TooLarge(cms.len()));
        }
        let hex = hex::encode_upper(cms);
        let start = self.contents_at + 1;
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

/// Signs a review copy with a deployment identity: all three stages.
///
/// # Errors
/// When the review copy cannot be read or has no unsigned field.
pub fn seal(
    review: &[u8],
    info: &SealInfo<'_>,
    identity: &SigningIdentity,
    stamp: Option<&Stamp<'_>>,
) -> Result<Vec<u8>, SealError> {
    let prepared = prepare(review, info, identity.key().algorithm(), stamp)?;
    let cms = sign_detached(identity.key(), identity.certificate(), identity.chain(), &prepared.message_digest())?;
    prepared.assemble(&cms)
}

fn field_size(field: &Dictionary) -> (f64, f64) {
    let nums: Vec<f64> = field
        .get(b"Rect")
        .and_then(Object::as_array)
        .map(|a| a.iter().filter_map(|o| o.as_float().ok().map(f64::from).or_else(|| o.as_i64().ok().map(|i| i as f64))).collect())
        .unwrap_or_default();
    match nums[..] {
        [x1, y1, x2, y2] => ((x2 - x1).abs(), (y2 - y1).abs()),
        _ => (0.0, 0.0),
    }
}

/// `<< /ISO_ [<< /Type /DeveloperExtensions /BaseVersion /2.0 /ExtensionLevel 32002 … >>] >>`.
fn iso_32002_extension() -> Object {
    let mut ext = Dictionary::new();
    ext.set("Type", name("DeveloperExtensions"));
    ext.set("BaseVersion", name("2.0"));
    ext.set("ExtensionLevel", Object::Integer(32002));
    ext.set("ExtensionRevision", text(":2022"));
    ext.set("URL", text("https://www.iso.org/standard/45874.html"));
    let mut exts = Dictionary::new();
    exts.set("ISO_", Object::Array(vec![Object::Dictionary(ext)]));
    Object::Dictionary(exts)
}

fn unsigned_field(base: &Base, form: &Dictionary) -> Option<ObjectId> {
    let fields = form.get(b"Fields").ok()?.as_array().ok()?;
    fields.iter().filter_map(|f| f.as_reference().ok()).find(|id| {
        base.doc.get_dictionary(*id).is_ok_and(|d| {
            d.get(b"FT").and_then(Object::as_name).is_ok_and(|n| n == b"Sig") && !d.has(b"V")
        })
    })
}

/// `D:20261203142700Z` (ISO 32000-1 §7.9.4, UTC).
pub fn pdf_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("D:{:04}{:02}{:02}{:02}{:02}{:02}Z", t.year(), t.month() as u8, t.day(), t.hour(), t.minute(), t.second())
}

/// A text string: PDFDocEncoding-compatible ASCII as is, otherwise UTF-16BE with BOM.
fn pdf_text(s: &str) -> Vec<u8> {
    if s.is_ascii() {
        s.as_bytes().to_vec()
    } else {
        let mut out = vec![0xFE, 0xFF];
        s.encode_utf16().for_each(|u| out.extend_from_slice(&u.to_be_bytes()));
        out
    }
}

/// Turns a freshly rendered document into its review copy: the same PDF
/// plus its unsigned signature field, with hash updated.
///
/// # Errors
/// When the rendered PDF cannot be extended.
pub fn into_review_copy(mut doc: crate::documents::RenderedDocument) -> Result<crate::documents::RenderedDocument, SealError> {
    use sha2::Digest as _;
    doc.pdf = add_signature_field(&doc.pdf, doc.signature)?;
    doc.sha256 = hex::encode(sha2::Sha256::digest(&doc.pdf));
    Ok(doc)
}
