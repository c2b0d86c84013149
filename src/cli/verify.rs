//! `inkseal verify`: the compliance check, offline.

use std::path::PathBuf;

use serde::Serialize;

use super::Failure;
use crate::signing::TrustStore;
use crate::verify::{Report, verify_pdf};

/// Arguments of `inkseal verify`.
#[derive(clap::Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The PDFs to check.
    #[arg(value_name = "FILE.pdf", required = true)]
    files: Vec<PathBuf>,
    /// A trusted root certificate (PEM); repeat for several (key rotation).
    /// Without one, no signature can be trusted.
    #[arg(long, value_name = "ROOT.pem")]
    trust: Vec<PathBuf>,
    /// Print the report as JSON: `{"valid": …, "files": [{"file": …, "valid": …,
    /// "signatures": […], "appended_bytes": …, "problems": […]}]}`.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct FileReport {
    file: String,
    #[serde(flatten)]
    report: Option<Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub(crate) fn run(args: &VerifyArgs) -> Result<(), Failure> {
    let trust = TrustStore::load(&args.trust).map_err(|e| Failure::Invalid(e.to_string()))?;
    let mut results = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let outcome = std::fs::read(path)
            .map_err(|e| format!("cannot read it: {e}"))
            .and_then(|bytes| verify_pdf(&bytes, trust.roots()).map_err(|e| e.to_string()));
        let (report, error) = match outcome {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e)),
        };
        results.push(FileReport { file: path.display().to_string(), report, error });
    }
    let unreadable = results.iter().any(|r| r.error.is_some());
    let all_valid = results.iter().all(|r| r.report.as_ref().is_some_and(|r| r.valid));
    if args.json {
        let doc = serde_json::json!({ "valid": all_valid, "files": results });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        for r in &results {
            print_human(r);
        }
    }
    if unreadable {
        Err(Failure::Silent(2))
    } else if all_valid {
        Ok(())
    } else {
        Err(Failure::Silent(1))
    }
}

fn print_human(r: &FileReport) {
    let Some(report) = &r.report else {
        println!("{}: UNREADABLE — {}", r.file, r.error.as_deref().unwrap_or("unknown error"));
        return;
    };
    println!("{}: {}", r.file, if report.valid { "VALID" } else { "INVALID" });
    for (i, s) in report.signatures.iter().enumerate() {
        println!(
            "  signature {}: {} at {} ({}, {}, {})",
            i + 1,
            s.signer_name.as_deref().unwrap_or("unknown signer"),
            s.signing_time.as_deref().unwrap_or("unknown time"),
            s.algorithm.as_deref().unwrap_or("unknown algorithm"),
            s.digest_algorithm.as_deref().unwrap_or("unknown digest"),
            s.subfilter.as_deref().unwrap_or("no subfilter"),
        );
        if let Some(reason) = &s.reason {
            println!("    reason: {reason}");
        }
        println!(
            "    certificate: {} — {}",
            s.certificate_subject.as_deref().unwrap_or("none"),
            if s.trusted { "trusted" } else { "NOT trusted" }
        );
        println!(
            "    integrity: {}; byte range covers the whole file: {}",
            if s.integrity { "intact" } else { "BROKEN" },
            if s.covers_whole_file { "yes" } else { "no" }
        );
        for p in &s.problems {
            println!("    problem: {p}");
        }
    }
    for p in &report.problems {
        println!("  problem: {p}");
    }
}
