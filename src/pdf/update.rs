//! One incremental update: new and replaced objects, a cross-reference
//! section for exactly those objects, and a trailer pointing back at the
//! previous section (ISO 32000-1 §7.5.6). The base bytes are never changed.

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::write::{write_dictionary, write_object};

/// Errors reading the base document.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// `lopdf` could not read it.
    #[error("cannot read the PDF: {0}")]
    Read(#[from] lopdf::Error),
    /// It lacks a structure inkseal relies on.
    #[error("the PDF has no {0}")]
    Missing(&'static str),
}

/// What an update needs to know about the document it extends.
pub struct Base {
    /// The parsed document (for reading objects).
    pub doc: Document,
    /// Offset of the last cross-reference section (`startxref`).
    pub prev_xref: usize,
    /// The trailer's `/Size`: the first free object number.
    pub size: u32,
    /// The catalog's object id.
    pub root: ObjectId,
}

impl Base {
    /// Parses a PDF that inkseal produced.
    ///
    /// # Errors
    /// When the bytes are not a PDF with a catalog.
    pub fn read(pdf: &[u8]) -> Result<Self, UpdateError> {
        let doc = Document::load_mem(pdf)?;
        let size = doc.trailer.get(b"Size").and_then(Object::as_i64).map_err(|_| UpdateError::Missing("trailer /Size"))?;
        let root = doc.trailer.get(b"Root").and_then(Object::as_reference).map_err(|_| UpdateError::Missing("catalog"))?;
        let size = u32::try_from(size).map_err(|_| UpdateError::Missing("valid trailer /Size"))?;
        Ok(Self { prev_xref: doc.xref_start, size, root, doc })
    }

    /// A dictionary object, cloned for modification.
    ///
    /// # Errors
    /// When the object is missing or not a dictionary.
    pub fn dictionary(&self, id: ObjectId) -> Result<Dictionary, UpdateError> {
        self.doc.get_dictionary(id).cloned().map_err(|_| UpdateError::Missing("expected dictionary object"))
    }
}

/// Objects to append, in order.
pub struct Update {
    next: u32,
    objects: Vec<(u32, Vec<u8>)>,
}

impl Update {
    /// An empty update whose new objects are numbered from the base's `/Size`.
    pub fn new(base: &Base) -> Self {
        Self { next: base.size, objects: Vec::new() }
    }

    /// Reserves an object number for a new object.
    pub fn reserve(&mut self) -> u32 {
        let n = self.next;
        self.next += 1;
        n
    }

    /// Adds (or replaces, when `num` exists in the base) an object.
    pub fn put(&mut self, num: u32, obj: &Object) {
        let mut body = Vec::new();
        write_object(&mut body, obj);
        self.objects.push((num, body));
    }

    /// Adds an object whose body is already serialised.
    pub fn put_raw(&mut self, num: u32, body: Vec<u8>) {
        self.objects.push((num, body));
    }

    /// Appends the update to `base_bytes`. Returns the new file and, for each
    /// object, the offset of its body (after `N 0 obj\n`) in the new file.
    pub fn finish(self, base_bytes: &[u8], base: &Base) -> (Vec<u8>, Vec<(u32, usize)>) {
        let mut out = Vec::with_capacity(base_bytes.len() + self.objects.iter().map(|(_, b)| b.len() + 32).sum::<usize>() + 512);
        out.extend_from_slice(base_bytes);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        let mut offsets = Vec::with_capacity(self.objects.len());
        let mut body_offsets = Vec::with_capacity(self.objects.len());
        for (num, body) in &self.objects {
            offsets.push((*num, out.len()));
            out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
            body_offsets.push((*num, out.len()));
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref_at = out.len();
        out.extend_from_slice(b"xref\n");
        let mut sorted = offsets.clone();
        sorted.sort_unstable();
        for run in runs(&sorted) {
            out.extend_from_slice(format!("{} {}\n", run[0].0, run.len()).as_bytes());
            for (_, offset) in run {
                out.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes());
            }
        }
        let mut trailer = Dictionary::new();
        trailer.set("Size", Object::Integer(i64::from(self.next.max(base.size))));
        trailer.set("Root", Object::Reference(base.root));
        for key in [b"Info".as_slice(), b"ID"] {
            if let Ok(value) = base.doc.trailer.get(key) {
                trailer.set(key.to_vec(), value.clone());
            }
        }
        trailer.set("Prev", Object::Integer(base.prev_xref as i64));
        out.extend_from_slice(b"trailer\n");
        write_dictionary(&mut out, &trailer);
        out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        (out, body_offsets)
    }
}

/// Splits sorted (number, offset) pairs into runs of consecutive numbers.
fn runs(sorted: &[(u32, usize)]) -> Vec<&[(u32, usize)]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=sorted.len() {
        if i == sorted.len() || sorted[i].0 != sorted[i - 1].0 + 1 {
            out.push(&sorted[start..i]);
            start = i;
        }
    }
    out
}
