//! `inkseal demo`: the README's first command works from a clean checkout.

#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

mod common;

use common::*;

#[test]
fn demo_renders_the_example_packet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let keys = dir.path().join("keys");
    let output = inkseal(&["demo", "--out", out.to_str().unwrap(), "--keys", keys.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("creating DEVELOPMENT signing keys"), "first use creates keys loudly: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "the shipped templates compile without warnings: {stderr}");
    // Second run reuses the keys quietly.
    let again = inkseal(&["demo", "--out", out.to_str().unwrap(), "--keys", keys.to_str().unwrap()]);
    assert!(again.status.success());
    assert_eq!(String::from_utf8_lossy(&again.stderr), "");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Rendered case OB-2026-000123 (5 documents"), "{stdout}");
    assert!(stdout.contains("Standard Producer Agreement"), "{stdout}");
    assert!(out.join("root.pem").exists());
    let m = manifest(&out.join("review"));
    assert_eq!(kinds(&m).len(), 5);
    for doc in m["documents"].as_array().unwrap() {
        let file = out.join(doc["file"].as_str().unwrap());
        assert!(stdout.contains(&file.display().to_string()), "demo does not say where {} is", file.display());
        assert!(file.exists());
    }
}
