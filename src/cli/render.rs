//! `inkseal render`: case file in, PDFs and `manifest.json` out.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use time::Date;

use super::{Failure, TemplateArgs, as_of};
use crate::case::{CaseErrors, parse_case};
use crate::documents::{Action, DocumentKind, RenderedDocument, Renderer, SignatureRect, SigningChoices};
use crate::signing::into_review_copy;

/// Arguments of `inkseal render`.
#[derive(clap::Args, Debug)]
pub(crate) struct RenderArgs {
    /// The case data (JSON, the portal's format; see examples/case-ok-tx-nm.json).
    #[arg(long, value_name = "FILE")]
    case: PathBuf,
    /// Folder to write the PDFs and manifest.json into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The date the case is judged and dated on (YYYY-MM-DD); defaults to
    /// today (UTC). The same case, date and templates give identical bytes.
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// Render only this document (code-of-conduct, producer-agreement,
    /// new-mexico-addendum, oklahoma-addendum, montana-addendum, w9).
    #[arg(long, value_name = "KIND")]
    only: Option<String>,
    /// Also print validation errors as JSON on stdout (`{"errors": [{field, message}]}`).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    templates: TemplateArgs,
}

/// `manifest.json`.
#[derive(Serialize)]
pub(crate) struct Manifest {
    pub(crate) case_key: String,
    pub(crate) as_of: String,
    pub(crate) templates: String,
    pub(crate) reference_version: String,
    pub(crate) documents: Vec<ManifestEntry>,
}

/// One document in `manifest.json`.
#[derive(Serialize)]
pub(crate) struct ManifestEntry {
    pub(crate) step: usize,
    pub(crate) kind: DocumentKind,
    pub(crate) title: &'static str,
    pub(crate) action: Action,
    pub(crate) file: String,
    pub(crate) sha256: String,
    pub(crate) template_version: String,
    pub(crate) page_count: usize,
    pub(crate) signature: Option<SignatureRect>,
}

pub(crate) fn run(args: &RenderArgs) -> Result<(), Failure> {
    let as_of = as_of(args.as_of.as_deref())?;
    let only = match &args.only {
        Some(slug) => Some(DocumentKind::from_slug(slug).ok_or_else(|| {
            Failure::Invalid(format!(
                "--only {slug:?} is not a document; use one of: {}",
                DocumentKind::ALL.map(DocumentKind::slug).join(", ")
            ))
        })?),
        None => None,
    };
    let bytes = std::fs::read(&args.case)
        .map_err(|e| Failure::Invalid(format!("cannot read the case file {}: {e}", args.case.display())))?;
    let renderer = args.templates.renderer()?;
    let case = parse_case(&bytes, as_of, renderer.reference()).map_err(|errors| {
        if args.json {
            print_json_errors(&errors);
        }
        Failure::Case(errors)
    })?;
    let kinds: Vec<DocumentKind> = match only {
        Some(kind) => vec![kind],
        None => crate::documents::documents_for(&case),
    };
    let docs = kinds
        .into_iter()
        .map(|kind| {
            let doc = renderer.render(&case, kind, &SigningChoices::default(), as_of).context("rendering failed")?;
            into_review_copy(doc).context("adding the signature field failed")
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manifest = write_packet(&args.out, &case.case_key, as_of, &renderer, &docs)?;
    for entry in &manifest.documents {
        println!("{}", args.out.join(&entry.file).display());
    }
    println!("{}", args.out.join("manifest.json").display());
    Ok(())
}

fn print_json_errors(errors: &CaseErrors) {
    let doc = serde_json::json!({ "errors": errors });
    println!("{doc}");
}

/// Writes the PDFs and manifest; each file appears whole or not at all.
pub(crate) fn write_packet(
    out: &Path,
    case_key: &str,
    as_of: Date,
    renderer: &Renderer,
    docs: &[RenderedDocument],
) -> anyhow::Result<Manifest> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut entries = Vec::with_capacity(docs.len());
    for doc in docs {
        for warning in &doc.warnings {
            eprintln!("warning: {}: {warning}", doc.kind.slug());
        }
        let step = entries.len() + 1;
        let file = format!("{step:02}-{}.pdf", doc.kind.slug());
        write_atomic(&out.join(&file), &doc.pdf)?;
        entries.push(ManifestEntry {
            step,
            kind: doc.kind,
            title: doc.title,
            action: doc.action,
            file,
            sha256: doc.sha256.clone(),
            template_version: doc.template_version.clone(),
            page_count: doc.page_count,
            signature: doc.signature,
        });
    }
    let manifest = Manifest {
        case_key: case_key.to_owned(),
        as_of: as_of.to_string(),
        templates: renderer.templates().origin().to_owned(),
        reference_version: renderer.reference().states.version.clone(),
        documents: entries,
    };
    let json = serde_json::to_vec_pretty(&manifest).context("cannot serialise the manifest")?;
    write_atomic(&out.join("manifest.json"), &json)?;
    Ok(manifest)
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", path.display()))
}
