//! `inkseal bench`: rendering speed as a person would measure it.
//!
//! Warm: one process, one [`Renderer`], many renders, each with new case
//! data (a fresh case key, agency name and principal name every iteration),
//! so Typst's caches help only where the template allows. Cold: this binary
//! run as a whole new process (`inkseal render`) per iteration.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::{EXAMPLE_AS_OF, EXAMPLE_CASE, Failure};
use crate::case::{CaseInput, parse_input, validate};
use crate::documents::{DocumentKind, SigningChoices};

/// Arguments of `inkseal bench`.
#[derive(clap::Args, Debug)]
pub(crate) struct BenchArgs {
    /// Warm iterations per measurement.
    #[arg(long, default_value_t = 60)]
    iterations: usize,
    /// Whole-process iterations per cold measurement (0 skips them).
    #[arg(long, default_value_t = 10)]
    cold_iterations: usize,
    /// Iterations for sealing and verifying one document, with Ed25519 and
    /// P-256, beside pyHanko on the same PDF when it is installed (0 skips).
    #[arg(long, default_value_t = 200)]
    signing_iterations: usize,
    #[command(flatten)]
    templates: super::TemplateArgs,
}

pub(crate) fn run(args: &BenchArgs) -> Result<(), Failure> {
    let as_of = super::as_of(Some(EXAMPLE_AS_OF))?;
    let renderer = args.templates.renderer()?;
    let base = parse_input(EXAMPLE_CASE.as_bytes()).map_err(Failure::Case)?;
    let cases = (0..args.iterations.max(1) + 1)
        .map(|i| validate(&variant(&base, i), as_of, renderer.reference()).map_err(Failure::Case))
        .collect::<Result<Vec<_>, _>>()?;
    let choices = SigningChoices::default();

    println!("inkseal bench: {} warm iterations, {} cold; times in ms", args.iterations, args.cold_iterations);
    println!("{:<40} {:>8} {:>8} {:>8} {:>8}", "measurement", "median", "p90", "p99", "min");

    // The first render of each kind pays for parsing and font loading; not counted as warm.
    renderer.render_packet(&cases[0], &choices, as_of).context("warm-up render")?;
    for kind in [DocumentKind::W9, DocumentKind::ProducerAgreement, DocumentKind::CodeOfConduct] {
        let times = measure(args.iterations, |i| {
            renderer.render(&cases[i + 1], kind, &choices, as_of).map(drop).context("render")
        })?;
        report(&format!("warm: {} (one document)", kind.slug()), &times);
    }
    let times = measure(args.iterations, |i| {
        renderer.render_packet(&cases[i + 1], &choices, as_of).map(drop).context("render packet")
    })?;
    report("warm: packet (5 documents)", &times);
    // What the producer's browser is sent to read a document: one page as PNG.
    let agreement = renderer.render(&cases[0], DocumentKind::ProducerAgreement, &choices, as_of).context("render")?;
    for page in [1, 2] {
        let times = measure(args.iterations.min(50), |_| {
            crate::preview::page_png(&agreement.pdf, page).map(drop).context("page picture")
        })?;
        report(&format!("page picture: agreement page {page} (PNG)"), &times);
    }
    if let Some(peak) = peak_rss_mib() {
        println!("{:<40} {peak:>8.0} MiB", "peak memory (RSS) after warm runs");
    }

    if args.signing_iterations > 0 {
        signing(&renderer, &cases[0], as_of, args.signing_iterations)?;
    }

    if args.cold_iterations > 0 {
        let dir = tempfile::tempdir().context("temporary folder")?;
        let case_path = dir.path().join("case.json");
        std::fs::write(&case_path, EXAMPLE_CASE).context("writing the case")?;
        let exe = std::env::current_exe().context("locating inkseal")?;
        let w9 = measure(args.cold_iterations, |i| cold(&exe, &case_path, &dir.path().join(format!("w{i}")), Some("w9")))?;
        report("cold process: w9 (one document)", &w9);
        let packet = measure(args.cold_iterations, |i| cold(&exe, &case_path, &dir.path().join(format!("p{i}")), None))?;
        report("cold process: packet (5 documents)", &packet);
    }
    Ok(())
}

/// Seals and verifies the New Mexico addendum (an invisible signature, as
/// pyHanko makes on that field) and compares with pyHanko in this run.
fn signing(renderer: &crate::documents::Renderer, case: &crate::case::Case, as_of: time::Date, n: usize) -> Result<(), Failure> {
    use crate::pki::Algorithm;
    use crate::signing::{DevKeyFiles, SealInfo, SigningIdentity, TrustStore, init_dev_keys, into_review_copy, seal};

    let doc = renderer.render(case, DocumentKind::NewMexicoAddendum, &SigningChoices::default(), as_of).context("render")?;
    let review = into_review_copy(doc).context("signature field")?.pdf;
    let dir = tempfile::tempdir().context("temporary folder")?;
    let review_path = dir.path().join("review.pdf");
    std::fs::write(&review_path, &review).context("writing the review copy")?;
    println!();
    println!("{:<40} {:>8} {:>8} {:>8} {:>8}", "sealing and verifying (one document)", "median", "p90", "p99", "min");
    for algorithm in [Algorithm::Ed25519, Algorithm::P256] {
        let keys = dir.path().join(format!("{algorithm:?}"));
        let files: DevKeyFiles = init_dev_keys(&keys, algorithm, std::time::SystemTime::now(), false).context("keys")?;
        let trust = TrustStore::load(&[&files.root_cert]).context("root")?;
        let identity = SigningIdentity::load(&files.signing_key, &files.signing_cert, &trust, std::time::SystemTime::now())
            .context("identity")?;
        let info = SealInfo { signer_name: "Charles Ray", reason: "Reviewed and sealed", time: time::OffsetDateTime::now_utc() };
        let mut signed = Vec::new();
        let seal_times = measure(n, |_| {
            signed = seal(&review, &info, &identity, None).context("seal")?;
            Ok(())
        })?;
        let verify_times = measure(n, |_| {
            let report = crate::verify::verify_pdf(&signed, trust.roots()).context("verify")?;
            anyhow::ensure!(report.valid, "our own signature did not verify");
            Ok(())
        })?;
        report(&format!("inkseal seal, {}", algorithm.name()), &seal_times);
        report(&format!("inkseal verify, {}", algorithm.name()), &verify_times);
        let median = |t: &[Duration]| t.get(t.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        match pyhanko(&review_path, &files, n.min(50)) {
            Some((sign_ms, validate_ms)) => {
                println!("{:<40} {sign_ms:>8.2}   (inkseal is {:.0}x faster)", format!("pyHanko sign, {}", algorithm.name()), sign_ms / median(&seal_times));
                println!(
                    "{:<40} {validate_ms:>8.2}   (inkseal is {:.0}x faster)",
                    format!("pyHanko validate, {}", algorithm.name()),
                    validate_ms / median(&verify_times)
                );
            }
            None => println!("(pyHanko not installed: `pip install pyhanko pyhanko-cli` to compare)"),
        }
    }
    Ok(())
}

/// Medians of pyHanko signing and validating the same PDF, in-process.
fn pyhanko(review: &Path, files: &crate::signing::DevKeyFiles, n: usize) -> Option<(f64, f64)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pyhanko_bench.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(review)
        .arg(&files.signing_key)
        .arg(&files.signing_cert)
        .arg(&files.root_cert)
        .arg(n.to_string())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some((json["sign_ms"].as_f64()?, json["validate_ms"].as_f64()?))
}

/// The example case with new names and key for iteration `i`.
fn variant(base: &CaseInput, i: usize) -> CaseInput {
    let mut case = base.clone();
    case.case_key = Some(format!("OB-BENCH-{i:06}"));
    if let Some(agency) = case.agency.as_mut() {
        agency.legal_name = Some(format!("Mister Insurance Agency {i}"));
    }
    if let Some(principal) = case.principal.as_mut() {
        principal.first_name = Some(["Charles", "Maria", "Dana", "Luis"][i % 4].to_owned());
        principal.last_name = Some(format!("Ray-{i}"));
    }
    case
}

fn cold(exe: &Path, case: &Path, out: &Path, only: Option<&str>) -> anyhow::Result<()> {
    let mut cmd = Command::new(exe);
    cmd.args(["render", "--as-of", EXAMPLE_AS_OF, "--case"]).arg(case).arg("--out").arg(out);
    if let Some(kind) = only {
        cmd.args(["--only", kind]);
    }
    let output = cmd.output().context("running inkseal render")?;
    anyhow::ensure!(output.status.success(), "inkseal render failed: {}", String::from_utf8_lossy(&output.stderr));
    Ok(())
}

/// Peak resident set size of this process, from `/proc/self/status` (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

fn measure(n: usize, mut f: impl FnMut(usize) -> anyhow::Result<()>) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        f(i)?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times)
}

fn report(name: &str, sorted: &[Duration]) {
    let pick = |q: f64| {
        let idx = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(idx).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!("{name:<40} {:>8.2} {:>8.2} {:>8.2} {:>8.2}", pick(0.5), pick(0.9), pick(0.99), pick(0.0));
}
