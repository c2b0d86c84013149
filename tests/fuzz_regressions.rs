//! The fuzz targets' invariants under `cargo test`: every committed seed
//! and every past finding (`fuzz/regressions/`) is replayed, and a fixed
//! sweep of mutated signed files runs on every build, so a fix stays fixed
//! without nightly. `scripts/fuzz.sh` explores further.

#![allow(clippy::unwrap_used)]

#[path = "../fuzz/invariants.rs"]
mod invariants;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for dir in [root.join("seeds").join(target), root.join("regressions").join(target)] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| check(&bytes));
            assert!(result.is_ok(), "{} breaks the {target} invariant", path.display());
            n += 1;
        }
    }
    n
}

#[test]
fn verify_bytes_seeds_and_findings() {
    assert!(replay("verify_bytes", invariants::verify_bytes) > 0);
}

#[test]
fn verify_mutated_seeds_and_findings() {
    assert!(replay("verify_mutated", invariants::verify_mutated) > 0);
}

#[test]
fn case_parser_seeds_and_findings() {
    assert!(replay("case_parser", invariants::case_parser) > 0);
}

#[test]
fn upload_sniff_seeds_and_findings() {
    assert!(replay("upload_sniff", invariants::upload_sniff) > 0);
}

/// Two thousand edit scripts from a fixed generator: one to eight edits
/// each, of every kind, anywhere in the signed file.
#[test]
fn a_fixed_sweep_of_mutated_signed_files_is_never_valid() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let edits = 1 + (next() % 8) as usize;
        let script: Vec<u8> = (0..edits * 4).map(|_| next() as u8).collect();
        let outcome = std::panic::catch_unwind(|| invariants::verify_mutated(&script));
        assert!(outcome.is_ok(), "edit script {script:?} made a valid file (save it to fuzz/regressions/verify_mutated/ once fixed)");
    }
}
