//! Helpers shared by the integration tests: run the real binary, make case
//! variants from the example, read PDFs with poppler.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The as-of date the example case is valid on.
pub const AS_OF: &str = "2026-12-01";

/// The example case as JSON.
pub fn example() -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/case-ok-tx-nm.json"))
        .expect("examples/case-ok-tx-nm.json");
    serde_json::from_str(&text).expect("example is JSON")
}

/// Runs `inkseal` with arguments.
pub fn inkseal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inkseal")).args(args).output().expect("run inkseal")
}

/// Writes a case to `dir/name.json` and returns its path.
pub fn write_case(dir: &Path, name: &str, case: &Value) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(case).expect("serialise")).expect("write case");
    path
}

/// `inkseal render --case FILE --out DIR --as-of AS_OF`, asserting success.
pub fn render(case: &Path, out: &Path) -> Value {
    let output = inkseal(&[
        "render",
        "--case",
        case.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
        "--as-of",
        AS_OF,
    ]);
    assert!(
        output.status.success(),
        "render failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    manifest(out)
}

/// Reads `DIR/manifest.json`.
pub fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest.json")).expect("manifest is JSON")
}

/// The text of a PDF as poppler's `pdftotext -layout` extracts it.
pub fn pdftotext(pdf: &Path) -> String {
    let output = Command::new("pdftotext").arg("-layout").arg(pdf).arg("-").output().expect(
        "pdftotext is not installed: install poppler-utils (`.ci/run` does)",
    );
    assert!(output.status.success(), "pdftotext failed on {}", pdf.display());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Text with whitespace runs collapsed to single spaces (layout-independent matching).
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The kinds listed in a manifest, in order.
pub fn kinds(manifest: &Value) -> Vec<String> {
    manifest["documents"].as_array().expect("documents").iter().map(|d| d["kind"].as_str().expect("kind").to_owned()).collect()
}

/// Path of a document of `kind` in a rendered folder.
pub fn doc_path(out: &Path, manifest: &Value, kind: &str) -> PathBuf {
    let doc = manifest["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in manifest"));
    out.join(doc["file"].as_str().expect("file"))
}
