//! `inkseal demo`: the whole pipeline on the example case, zero setup.

use std::path::PathBuf;

use anyhow::Context as _;

use super::{EXAMPLE_AS_OF, EXAMPLE_CASE, Failure, TemplateArgs, as_of};
use crate::case::parse_case;
use crate::documents::SigningChoices;

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
    #[command(flatten)]
    templates: TemplateArgs,
}

pub(crate) fn run(args: &DemoArgs) -> Result<(), Failure> {
    let as_of = as_of(Some(&args.as_of))?;
    let renderer = args.templates.renderer()?;
    let case = parse_case(EXAMPLE_CASE.as_bytes(), as_of, renderer.reference()).map_err(Failure::Case)?;
    let started = std::time::Instant::now();
    let docs = renderer.render_packet(&case, &SigningChoices::default(), as_of).context("rendering failed")?;
    let elapsed = started.elapsed();
    let manifest = super::render::write_packet(&args.out, &case.case_key, as_of, &renderer, &docs)?;
    println!(
        "Rendered case {} ({} documents, {} pages) as of {} in {:.0} ms:",
        case.case_key,
        docs.len(),
        docs.iter().map(|d| d.page_count).sum::<usize>(),
        as_of,
        elapsed.as_secs_f64() * 1000.0
    );
    for entry in &manifest.documents {
        println!(
            "  {}. {:<44} {:<6} {}",
            entry.step,
            entry.title,
            match entry.action {
                crate::documents::Action::Sign => "sign",
                crate::documents::Action::Review => "review",
            },
            args.out.join(&entry.file).display()
        );
    }
    println!("Manifest: {}", args.out.join("manifest.json").display());
    Ok(())
}
