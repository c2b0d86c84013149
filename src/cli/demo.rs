//! `inkseal demo`: the whole pipeline on the example case, zero setup —
//! render, add signature fields, sign the sign documents as the principal,
//! seal the review documents, write everything plus the development root.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context as _;
use time::OffsetDateTime;

use super::{EXAMPLE_AS_OF, EXAMPLE_CASE, Failure, TemplateArgs, as_of};
use crate::case::parse_case;
use crate::documents::{Action, SigningChoices};
use crate::packet::SignerName;
use crate::pki::Algorithm;
use crate::verify::verify_pdf;
use crate::signing::{DevKeyFiles, SigningIdentity, TrustStore, init_dev_keys, into_review_copy};

/// Arguments of `inkseal demo`.
#[derive(clap::Args, Debug)]
pub(crate) struct DemoArgs {
    /// Folder to write the packet into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// The as-of date (YYYY-MM-DD). Defaults to 2026-12-01, a date on which
    /// the example's E&O policy is in force.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = EXAMPLE_AS_OF)]
    as_of: String,
    /// Signature algorithm of the development keys.
    #[arg(long, value_enum, default_value_t = Algorithm::Ed25519)]
    algorithm: Algorithm,
    /// Folder of the development keys; created on first use. Defaults to
    /// `keys/dev-ed25519` or `keys/dev-p256`.
    #[arg(long, value_name = "DIR")]
    keys: Option<PathBuf>,
    #[command(flatten)]
    templates: TemplateArgs,
}

/// Loads the development identity in `dir` and the trust store of its root,
/// creating the keys on first use.
pub(crate) fn dev_identity(dir: &Path, algorithm: Algorithm) -> anyhow::Result<(DevKeyFiles, SigningIdentity, TrustStore)> {
    let files = DevKeyFiles::in_dir(dir);
    if !files.exist() {
        eprintln!(
            "warning: creating DEVELOPMENT signing keys in {} — they are not for production; \
             production loads its own key and certificate chain",
            dir.display()
        );
        init_dev_keys(dir, algorithm, SystemTime::now(), false).context("creating development keys")?;
    }
    let trust = TrustStore::load(&[&files.root_cert])?;
    let identity = SigningIdentity::load(&files.signing_key, &files.signing_cert, &trust, SystemTime::now())
        .with_context(|| format!("loading the development keys in {}", dir.display()))?;
    anyhow::ensure!(
        identity.key().algorithm() == algorithm,
        "{} holds {} keys; pass --keys to use another folder",
        dir.display(),
        identity.key().algorithm().name()
    );
    Ok((files, identity, trust))
}

pub(crate) fn run(args: &DemoArgs) -> Result<(), Failure> {
    let as_of = as_of(Some(&args.as_of))?;
    let renderer = args.templates.renderer()?;
    let case = parse_case(EXAMPLE_CASE.as_bytes(), as_of, renderer.reference()).map_err(Failure::Case)?;
    let keys_dir = args.keys.clone().unwrap_or_else(|| {
        PathBuf::from("keys").join(match args.algorithm {
            Algorithm::Ed25519 => "dev-ed25519",
            Algorithm::P256 => "dev-p256",
        })
    });
    let (files, identity, trust) = dev_identity(&keys_dir, args.algorithm)?;

    let started = std::time::Instant::now();
    let docs = renderer
        .render_packet(&case, &SigningChoices::default(), as_of)
        .context("rendering failed")?
        .into_iter()
        .map(into_review_copy)
        .collect::<Result<Vec<_>, _>>()
        .context("adding signature fields failed")?;
    let rendered = started.elapsed();
    let principal = case.principal.full_name();
    // The typed signature goes through the same rule as in the browser.
    SignerName::from(&case.principal).check(&principal).map_err(|e| Failure::Failed(e.into()))?;
    let now = OffsetDateTime::now_utc();
    let review_dir = args.out.join("review");
    let manifest = super::render::write_packet(&review_dir, &case.case_key, as_of, &renderer, &docs)?;
    println!(
        "Rendered case {} ({} documents, {} pages) as of {} in {:.0} ms, signed with {}:",
        case.case_key,
        docs.len(),
        docs.iter().map(|d| d.page_count).sum::<usize>(),
        as_of,
        rendered.as_secs_f64() * 1000.0,
        args.algorithm.name()
    );
    for (doc, entry) in docs.iter().zip(&manifest.documents) {
        let signed = crate::service::seal_document(&renderer, &identity, doc, &principal, now)
            .with_context(|| format!("sealing {}", doc.title))?;
        let path = args.out.join(&entry.file);
        std::fs::write(&path, &signed).with_context(|| format!("writing {}", path.display()))?;
        let verb = match doc.action {
            Action::Sign => "signed",
            Action::Review => "sealed",
        };
        let report = verify_pdf(&signed, trust.roots()).context("verifying")?;
        let verdict = if report.valid { "verified" } else { "FAILED VERIFICATION" };
        println!("  {}. {:<44} {:<6} {:<8} {}", entry.step, entry.title, verb, verdict, path.display());
        if !report.valid {
            return Err(Failure::Failed(anyhow::anyhow!("{} did not verify: {:?}", path.display(), report)));
        }
    }
    let root = args.out.join("root.pem");
    std::fs::copy(&files.root_cert, &root).with_context(|| format!("writing {}", root.display()))?;
    println!("Review copies: {}", review_dir.display());
    println!("Development root certificate (trust it to validate): {}", root.display());
    println!("Check them yourself: inkseal verify {}/*.pdf --trust {}", args.out.display(), root.display());
    Ok(())
}
