#![no_main]

// Each target uses one of the shared invariants.
#[allow(dead_code)]
#[path = "../invariants.rs"]
mod invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| invariants::verify_mutated(data));
