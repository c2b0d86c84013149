/*!
Documents: which ones a case gets, the Typst world they compile in, and the
rendered PDFs.

Data flows one way: a validated [`Case`](crate::case::Case) plus the
[`SigningChoices`] and an as-of date become a JSON file inside a
[`Renderer`]'s world; the template (from `document-templates/`) presents it;
the result is a PDF/A-4 (PDF 2.0) with its SHA-256, page count, template version and,
for sign documents, the rectangle where the signature stamp goes.
*/

mod catalog;
mod choices;
mod data;
mod render;
mod world;

use serde::Serialize;

pub use catalog::{Action, DocumentKind, documents_for, select};
pub use choices::{EntityType, LlcClass, SigningChoices, TaxClassification};
pub use data::{DATA_PATH, long_date};
pub use render::{Renderer, StampData};

use crate::reference::ReferenceError;

/// Errors from rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The reference data beside the templates is broken.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// A document's template file is absent.
    #[error("the template set has no `{path}` for the {kind:?} document")]
    MissingTemplate {
        /// The document.
        kind: DocumentKind,
        /// The expected path.
        path: String,
    },
    /// Typst reported errors.
    #[error("template for {kind:?} failed to compile:\n{message}")]
    Compile {
        /// The document.
        kind: DocumentKind,
        /// Typst's diagnostics.
        message: String,
    },
    /// PDF export failed (e.g. a PDF/A rule).
    #[error("{kind:?} could not be exported as PDF/A: {message}")]
    Export {
        /// The document.
        kind: DocumentKind,
        /// Typst's diagnostics.
        message: String,
    },
    /// The template lacks `#metadata("…") <template-version>`.
    #[error("template for {kind:?} declares no version (add `#metadata(\"…\") <template-version>`)")]
    MissingVersion {
        /// The document.
        kind: DocumentKind,
    },
    /// The Certificate of Completion template is missing or failed.
    #[error("the Certificate of Completion (certificate.typ) could not be rendered:\n{0}")]
    Certificate(String),
    /// The signature stamp template is missing or failed.
    #[error("the signature stamp (stamp.typ) could not be rendered:\n{0}")]
    Stamp(String),
    /// A sign document's template lacks its signature field.
    #[error("template for {kind:?} marks no signature line (use `signature-field()` once)")]
    MissingSignatureField {
        /// The document.
        kind: DocumentKind,
    },
}

/// Where the signature stamp goes: a page (1-based) and a rectangle in PDF
/// user space (points, origin bottom-left), `[x1 y1 x2 y2]` as in `/Rect`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SignatureRect {
    /// Page number, starting at 1.
    pub page: usize,
    /// Left edge.
    pub x1: f64,
    /// Bottom edge.
    pub y1: f64,
    /// Right edge.
    pub x2: f64,
    /// Top edge.
    pub y2: f64,
}

/// One rendered document.
#[derive(Clone, Debug)]
pub struct RenderedDocument {
    /// Which document.
    pub kind: DocumentKind,
    /// Its title.
    pub title: &'static str,
    /// Sign or review.
    pub action: Action,
    /// Number of pages.
    pub page_count: usize,
    /// The template's declared version.
    pub template_version: String,
    /// Where the signature goes (sign documents only).
    pub signature: Option<SignatureRect>,
    /// Lower-case hex SHA-256 of `pdf`.
    pub sha256: String,
    /// The PDF/A-4 bytes.
    pub pdf: Vec<u8>,
    /// Typst's warnings (a template author's business; empty for shipped templates).
    pub warnings: Vec<String>,
}
