//! Compiling one document to PDF/A and reading back what the signing step
//! needs: the template version and where the signature line landed.

use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};
use time::Date;
use typst::World;
use typst::diag::SourceDiagnostic;
use typst::foundations::{Datetime, Label, Smart, Value};
use typst::introspection::Introspector;
use typst::utils::PicoStr;
use typst::WorldExt;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use super::catalog::{Action, DocumentKind};
use super::choices::SigningChoices;
use super::data::document_json;
use super::world::{Fonts, TemplateWorld, project_file};
use super::{RenderError, RenderedDocument, SignatureRect};
use crate::case::Case;
use crate::reference::Reference;
use crate::templates::TemplateSet;

/// How many renders pass between two sweeps of Typst's memo cache. A sweep
/// costs tens of milliseconds and throws away warm layouts, so it is rare;
/// entries unused for [`CACHE_MAX_AGE`] sweeps go, which bounds memory in a
/// long-running service.
const RENDERS_PER_SWEEP: usize = 32;
const CACHE_MAX_AGE: usize = 2;

/// Where the stamp template finds its data.
const STAMP_DATA_PATH: &str = "/data/stamp.json";

/// What the visible signature stamp shows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StampData {
    /// The typed signature (the principal's name as typed).
    pub name: String,
    /// The signing time, e.g. "2026-12-03 14:40:17 UTC".
    pub time: String,
    /// A short signature id.
    pub id: String,
    /// Field width in points.
    pub width: f64,
    /// Field height in points.
    pub height: f64,
}

/// Label of the `metadata` carrying a template's version string.
const VERSION_LABEL: &str = "template-version";
/// Label of the `metadata` placed at the top-left corner of the signature
/// box; its value is `(width: <pt>, height: <pt>)`.
const SIGNATURE_LABEL: &str = "signature-field";

/// Renders documents from cases. Build it once and reuse it: fonts, parsed
/// templates and Typst's caches are shared across renders and threads.
pub struct Renderer {
    templates: TemplateSet,
    reference: Reference,
    world: TemplateWorld,
    renders: AtomicUsize,
}

impl Renderer {
    /// A renderer over the templates embedded in the binary.
    ///
    /// # Errors
    /// When the embedded reference data is broken (a build-time mistake).
    pub fn embedded() -> Result<Self, RenderError> {
        Self::new(TemplateSet::embedded())
    }

    /// A renderer over a given template set.
    ///
    /// # Errors
    /// When the set's reference data is missing or malformed, or a document's
    /// template is missing.
    pub fn new(templates: TemplateSet) -> Result<Self, RenderError> {
        let reference = Reference::load(&templates)?;
        let world = TemplateWorld::new(&templates, Fonts::embedded());
        for kind in DocumentKind::ALL {
            let path = kind.template();
            if !project_file(&format!("/{path}")).is_some_and(|id| world.has_source(id)) {
                return Err(RenderError::MissingTemplate { kind, path });
            }
        }
        Ok(Self { templates, reference, world, renders: AtomicUsize::new(0) })
    }

    /// The reference data (fees, E&O minimums, questions) of this template set.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// Where the templates came from.
    pub fn templates(&self) -> &TemplateSet {
        &self.templates
    }

    /// Font families templates can use.
    pub fn font_families(&self) -> Vec<String> {
        self.world.font_families()
    }

    /// Renders one document of a case as of `as_of`.
    ///
    /// # Errors
    /// When the template fails to compile or export, or lacks its version or
    /// (for a sign document) its signature field.
    pub fn render(
        &self,
        case: &Case,
        kind: DocumentKind,
        choices: &SigningChoices,
        as_of: Date,
    ) -> Result<RenderedDocument, RenderError> {
        let data = document_json(case, kind, choices, as_of, &self.reference);
        let main = project_file(&format!("/{}", kind.template()))
            .ok_or(RenderError::MissingTemplate { kind, path: kind.template() })?;
        let world = self.world.with_document(main, data, as_of);
        let compiled = typst::compile::<PagedDocument>(&world);
        let warnings: Vec<String> =
            describe(&world, &compiled.warnings).lines().filter(|l| !l.is_empty()).map(str::to_owned).collect();
        let document = compiled.output.map_err(|diags| RenderError::Compile { kind, message: describe(&world, &diags) })?;

        let options = PdfOptions {
            // A stable identifier: the same case and document get the same /ID.
            ident: Smart::Custom(format!("inkseal:{}:{}", case.case_key, kind.slug())),
            creator: Smart::Custom(Some(format!("inkseal {}", env!("CARGO_PKG_VERSION")))),
            timestamp: Datetime::from_ymd(as_of.year(), as_of.month() as u8, as_of.day()).map(Timestamp::new_utc),
            standards: PdfStandards::new(&[PdfStandard::A_4])
                .map_err(|e| RenderError::Export { kind, message: e.message().to_string() })?,
            ..PdfOptions::default()
        };
        let pdf = typst_pdf::pdf(&document, &options)
            .map_err(|diags| RenderError::Export { kind, message: describe(&world, &diags) })?;

        let template_version = template_version(&document).ok_or(RenderError::MissingVersion { kind })?;
        let signature = match kind.action() {
            Action::Sign => Some(signature_rect(&document).ok_or(RenderError::MissingSignatureField { kind })?),
            Action::Review => None,
        };
        if self.renders.fetch_add(1, Ordering::Relaxed) % RENDERS_PER_SWEEP == RENDERS_PER_SWEEP - 1 {
            typst::comemo::evict(CACHE_MAX_AGE);
        }
        let sha256 = hex::encode(Sha256::digest(&pdf));
        Ok(RenderedDocument {
            kind,
            title: kind.title(),
            action: kind.action(),
            page_count: document.pages().len(),
            template_version,
            signature,
            sha256,
            pdf,
            warnings,
        })
    }

    /// Renders the visible signature stamp (`stamp.typ`) as a one-page PDF
    /// the size of the signature field, for the sealer to import.
    ///
    /// # Errors
    /// When the stamp template fails to compile or export.
    pub fn render_stamp(&self, stamp: &StampData) -> Result<Vec<u8>, RenderError> {
        let main = project_file("/stamp.typ").ok_or_else(|| RenderError::Stamp("the template set has no stamp.typ".into()))?;
        let data = serde_json::to_vec(stamp).unwrap_or_default();
        let world = self.world.with_data(main, STAMP_DATA_PATH, data, Date::MIN);
        let document = typst::compile::<PagedDocument>(&world)
            .output
            .map_err(|diags| RenderError::Stamp(describe(&world, &diags)))?;
        // Untagged: marked content would point into a structure tree the
        // stamp does not bring along when imported as a form XObject.
        let options = PdfOptions { tagged: false, ..PdfOptions::default() };
        typst_pdf::pdf(&document, &options).map_err(|diags| RenderError::Stamp(describe(&world, &diags)))
    }

    /// Renders the Certificate of Completion (`certificate.typ`) from its
    /// data as PDF/A-4; `ident` makes its `/ID` stable for one packet.
    ///
    /// # Errors
    /// When the certificate template fails to compile or export.
    pub fn render_certificate(&self, data: &serde_json::Value, ident: &str, today: Date) -> Result<Vec<u8>, RenderError> {
        let fail = |m: String| RenderError::Certificate(m);
        let main = project_file("/certificate.typ").ok_or_else(|| fail("the template set has no certificate.typ".into()))?;
        let bytes = serde_json::to_vec(data).map_err(|e| fail(e.to_string()))?;
        let world = self.world.with_document(main, bytes, today);
        let document = typst::compile::<PagedDocument>(&world).output.map_err(|diags| fail(describe(&world, &diags)))?;
        let options = PdfOptions {
            ident: Smart::Custom(format!("inkseal:certificate:{ident}")),
            creator: Smart::Custom(Some(format!("inkseal {}", env!("CARGO_PKG_VERSION")))),
            timestamp: Datetime::from_ymd(today.year(), today.month() as u8, today.day()).map(Timestamp::new_utc),
            standards: PdfStandards::new(&[PdfStandard::A_4]).map_err(|e| fail(e.message().to_string()))?,
            ..PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|diags| fail(describe(&world, &diags)))
    }

    /// Renders every document a case gets, in step order.
    ///
    /// # Errors
    /// The first document that fails to render.
    pub fn render_packet(
        &self,
        case: &Case,
        choices: &SigningChoices,
        as_of: Date,
    ) -> Result<Vec<RenderedDocument>, RenderError> {
        super::documents_for(case).into_iter().map(|kind| self.render(case, kind, choices, as_of)).collect()
    }
}

fn label(name: &str) -> Option<Label> {
    Label::new(PicoStr::intern(name))
}

fn metadata_value(document: &PagedDocument, name: &str) -> Option<(Value, Option<typst::introspection::Location>)> {
    let content = document.introspector().query_label(label(name)?).ok()?;
    Some((content.get_by_name("value").ok()?, content.location()))
}

fn template_version(document: &PagedDocument) -> Option<String> {
    match metadata_value(document, VERSION_LABEL)?.0 {
        Value::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

/// Reads the signature box back from the layout, in PDF user space
/// (points, origin at the bottom-left of the page).
fn signature_rect(document: &PagedDocument) -> Option<SignatureRect> {
    let (value, location) = metadata_value(document, SIGNATURE_LABEL)?;
    let Value::Dict(dict) = value else { return None };
    let number = |key: &str| match dict.get(key).ok()? {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::Length(l) => Some(l.abs.to_pt()),
        _ => None,
    };
    let (width, height) = (number("width")?, number("height")?);
    let pos = document.introspector().position(location?)?;
    let page = pos.page.get();
    let page_height = document.pages().get(page - 1)?.frame.height().to_pt();
    let (x, top) = (pos.point.x.to_pt(), pos.point.y.to_pt());
    let round = |v: f64| (v * 100.0).round() / 100.0;
    Some(SignatureRect {
        page,
        x1: round(x),
        y1: round(page_height - top - height),
        x2: round(x + width),
        y2: round(page_height - top),
    })
}

/// Typst diagnostics as "file:line: message (hint: …)" lines.
fn describe(world: &dyn World, diags: &[SourceDiagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            let place = d
                .span
                .id()
                .and_then(|id| {
                    let source = world.source(id).ok()?;
                    let range = world.range(d.span)?;
                    let line = source.lines().byte_to_line(range.start)? + 1;
                    Some(format!("{}:{line}: ", id.vpath().get_with_slash()))
                })
                .unwrap_or_default();
            let hints: String = d.hints.iter().map(|h| format!(" (hint: {})", h.v)).collect();
            format!("{place}{}{hints}", d.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}
