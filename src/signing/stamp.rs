//! The visible stamp: a one-page PDF (rendered by Typst from `stamp.typ`,
//! fonts embedded) imported as a form XObject, to become the signature
//! widget's appearance. Its objects are copied into the signing update with
//! new numbers; nothing is referenced across files.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object, ObjectId};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::pdf::{Update, UpdateError};

/// A short, human-readable signature id: the first 8 hex digits (grouped
/// 4-4) of SHA-256 over the reviewed bytes and the signing time.
pub fn signature_id(review: &[u8], time: OffsetDateTime) -> String {
    let mut h = Sha256::new();
    h.update(review);
    h.update(time.unix_timestamp().to_be_bytes());
    let hex = hex::encode_upper(&h.finalize()[..4]);
    format!("{}-{}", &hex[..4], &hex[4..])
}

/// "2026-12-03 14:40:17 UTC".
pub fn stamp_time(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", t.year(), t.month() as u8, t.day(), t.hour(), t.minute(), t.second())
}

/// Copies page 1 of `stamp_pdf` into `update` as a form XObject with the
/// given bounding box size; returns its object number.
///
/// # Errors
/// When the stamp PDF cannot be read.
pub(super) fn import_as_form(stamp_pdf: &[u8], width: f64, height: f64, update: &mut Update) -> Result<u32, UpdateError> {
    let doc = Document::load_mem(stamp_pdf)?;
    let page_id = *doc.get_pages().get(&1).ok_or(UpdateError::Missing("stamp page"))?;
    let page = doc.get_dictionary(page_id)?;
    let resources = match page.get(b"Resources") {
        Ok(Object::Reference(id)) => doc.get_object(*id)?.clone(),
        Ok(other) => other.clone(),
        Err(_) => Object::Dictionary(Dictionary::new()),
    };
    let content = doc.get_page_content(page_id);

    let mut copier = Copier { doc: &doc, map: HashMap::new() };
    let resources = copier.copy(&resources, update)?;

    let num = update.reserve();
    update.put(num, &form_xobject(width, height, resources, content));
    Ok(num)
}

/// A form XObject (ISO 32000-1 §8.10) of the given size: what a widget's
/// appearance is.
pub(super) fn form_xobject(width: f64, height: f64, resources: Object, content: Vec<u8>) -> Object {
    let mut form = Dictionary::new();
    form.set("Type", Object::Name(b"XObject".to_vec()));
    form.set("Subtype", Object::Name(b"Form".to_vec()));
    form.set("BBox", Object::Array(vec![0.into(), 0.into(), Object::Real(width as f32), Object::Real(height as f32)]));
    form.set("Resources", resources);
    Object::Stream(lopdf::Stream::new(form, content))
}

struct Copier<'a> {
    doc: &'a Document,
    map: HashMap<ObjectId, u32>,
}

impl Copier<'_> {
    /// Deep-copies `obj`, giving every referenced object a new number.
    fn copy(&mut self, obj: &Object, update: &mut Update) -> Result<Object, UpdateError> {
        Ok(match obj {
            Object::Reference(id) => {
                if let Some(num) = self.map.get(id) {
                    return Ok(Object::Reference((*num, 0)));
                }
                let num = update.reserve();
                self.map.insert(*id, num);
                let target = self.doc.get_object(*id)?.clone();
                let copied = self.copy(&target, update)?;
                update.put(num, &copied);
                Object::Reference((num, 0))
            }
            Object::Array(items) => Object::Array(items.iter().map(|i| self.copy(i, update)).collect::<Result<_, _>>()?),
            Object::Dictionary(d) => Object::Dictionary(self.copy_dict(d, update)?),
            Object::Stream(s) => {
                let mut stream = s.clone();
                stream.dict = self.copy_dict(&s.dict, update)?;
                Object::Stream(stream)
            }
            other => other.clone(),
        })
    }

    fn copy_dict(&mut self, d: &Dictionary, update: &mut Update) -> Result<Dictionary, UpdateError> {
        let mut out = Dictionary::new();
        for (k, v) in d.iter() {
            // A page's parent tree and structure links stay behind.
            if k == b"Parent" || k == b"StructParents" || k == b"StructParent" {
                continue;
            }
            out.set(k.clone(), self.copy(v, update)?);
        }
        Ok(out)
    }
}
