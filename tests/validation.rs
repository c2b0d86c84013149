//! Every rule of spec §3 rejects a bad value and accepts a good one, through
//! the library's public `parse_case` (the same function the CLI and API use),
//! plus the CLI's exit code and messages for invalid cases.

#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

mod common;

use common::*;
use inkseal::case::{CaseErrors, parse_case, parse_date};
use inkseal::reference::Reference;
use inkseal::templates::TemplateSet;
use serde_json::{Value, json};

fn check(case: &Value) -> Result<(), CaseErrors> {
    let reference = Reference::load(&TemplateSet::embedded()).expect("reference data");
    let as_of = parse_date(AS_OF).expect("date");
    parse_case(&serde_json::to_vec(case).expect("json"), as_of, &reference).map(drop)
}

/// Sets `path` (dotted, with [i] indexes) in a copy of the example.
fn set(path: &str, value: Value) -> Value {
    let mut case = example();
    let mut slot = &mut case;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, i)) => (n, Some(i.trim_end_matches(']').parse::<usize>().expect("index"))),
            None => (part, None),
        };
        slot = &mut slot[name];
        if let Some(i) = index {
            slot = &mut slot[i];
        }
    }
    *slot = value;
    case
}

#[track_caller]
fn rejects(path: &str, value: Value, field: &str, words: &str) {
    let errors = check(&set(path, value.clone())).expect_err(&format!("{path} = {value} should be rejected"));
    assert!(
        errors.0.iter().any(|e| e.field == field && e.message.contains(words)),
        "{path} = {value}: expected an error on {field} containing {words:?}, got {errors:?}"
    );
}

#[track_caller]
fn accepts(path: &str, value: Value) {
    if let Err(errors) = check(&set(path, value.clone())) {
        panic!("{path} = {value} should be accepted, got {errors}");
    }
}

#[test]
fn the_example_is_valid() {
    check(&example()).expect("example case is valid");
}

#[test]
fn ein() {
    accepts("agency.tax_id", json!("734821937"));
    rejects("agency.tax_id", json!("73-482193"), "agency.tax_id", "NN-NNNNNNN");
    rejects("agency.tax_id", json!("07-4821937"), "agency.tax_id", "prefix");
    rejects("agency.tax_id", json!(null), "agency.tax_id", "is required");
}

#[test]
fn npns() {
    accepts("agency.npn", json!("1"));
    accepts("principal.npn", json!("1234567890"));
    rejects("agency.npn", json!("12345678901"), "agency.npn", "1 to 10 digits");
    rejects("principal.npn", json!("58A789"), "principal.npn", "1 to 10 digits");
}

#[test]
fn ssn() {
    accepts("principal.ssn", json!("512384471"));
    for (bad, words) in [
        ("000-38-4471", "area"),
        ("666-38-4471", "area"),
        ("912-38-4471", "area"),
        ("512-00-4471", "group"),
        ("512-38-0000", "serial"),
        ("5123-8-4471", "9 digits"),
    ] {
        rejects("principal.ssn", json!(bad), "principal.ssn", words);
    }
}

#[test]
fn ssn_never_echoed_in_errors() {
    let errors = check(&set("principal.ssn", json!("666-38-4471"))).unwrap_err();
    assert!(!errors.to_string().contains("4471"), "{errors}");
}

#[test]
fn names() {
    accepts("principal.middle_name", json!("Allen"));
    accepts("principal.middle_name", json!(""));
    accepts("agency.dba_name", json!("Mister Agency"));
    rejects("principal.first_name", json!("   "), "principal.first_name", "is required");
    rejects("principal.last_name", json!(null), "principal.last_name", "is required");
    rejects("agency.legal_name", json!("Bad\u{0007}Name"), "agency.legal_name", "printable");
    rejects("principal.first_name", json!("Line\nBreak"), "principal.first_name", "printable");
}

#[test]
fn names_are_trimmed() {
    let case = set("principal.first_name", json!("  Charles  "));
    check(&case).expect("trimmed name is fine");
}

#[test]
fn birth_date() {
    accepts("principal.birth_date", json!("2008-12-01"));
    rejects("principal.birth_date", json!("2008-12-02"), "principal.birth_date", "at least 18");
    rejects("principal.birth_date", json!("1968-02-30"), "principal.birth_date", "real date");
    rejects("principal.birth_date", json!("05/14/1968"), "principal.birth_date", "YYYY-MM-DD");
}

#[test]
fn po_box() {
    for bad in ["P.O. Box 12", "PO Box 12", "P O Box 12", "Post Office Box 12", "POB 12", "Box 12", "Lock Box 12", "Drawer 12", "pobox 12", "P.O. Drawer 9", "Lockbox 3"] {
        rejects("contact.address.line1", json!(bad), "contact.address.line1", "P.O. Box");
    }
    for good in ["1200 Boxwood Ln", "300 Box Elder St", "9 Sandbox Ct"] {
        accepts("contact.address.line1", json!(good));
    }
}

#[test]
fn address_fields() {
    rejects("contact.address.line1", json!(""), "contact.address.line1", "is required");
    rejects("contact.address.city", json!(null), "contact.address.city", "is required");
    accepts("contact.address.state", json!("TX"));
    rejects("contact.address.state", json!("Oklahoma"), "contact.address.state", "two-letter");
    rejects("contact.address.state", json!("ZZ"), "contact.address.state", "two-letter");
    accepts("contact.address.zip", json!("74764-0123"));
    rejects("contact.address.zip", json!("7476"), "contact.address.zip", "ZIP");
    accepts("contact.business_phone", json!("(580) 933-4212"));
    rejects("contact.business_phone", json!("933-4212"), "contact.business_phone", "10-digit");
    accepts("contact.email", json!("c.ray+onboarding@mail.example.org"));
    rejects("contact.email", json!("charles.ray@example"), "contact.email", "email address");
    rejects("agency.business_state", json!("XX"), "agency.business_state", "two-letter");
    rejects("principal.resident_state", json!("ok"), "principal.resident_state", "two-letter");
}

#[test]
fn licensed_states() {
    accepts("licenses", json!({"states": ["IL"], "bluelincs_hmo": false}));
    rejects("licenses.states", json!([]), "licenses.states", "at least one");
    rejects("licenses.states", json!(["OK", "CA"]), "licenses.states[1]", "one of IL, MT, NM, OK, TX");
    rejects("licenses.states", json!(["OK", "TX", "OK"]), "licenses.states[2]", "more than once");
    rejects("licenses.states", json!(["NM", "TX"]), "licenses.bluelincs_hmo", "only be true when OK");
    let mut no_hmo = set("licenses.states", json!(["NM", "TX"]));
    no_hmo["licenses"]["bluelincs_hmo"] = json!(false);
    check(&no_hmo).expect("no HMO without OK is fine");
}

#[test]
fn background() {
    rejects("background[4].explanation", json!(""), "background[4].explanation", "answered yes");
    rejects("background[0].answer", json!("maybe"), "background[0].answer", "yes or no");
    rejects("background[0].question", json!(13), "background[0].question", "1 to 12");
    rejects("background[1].question", json!(1), "background[1].question", "more than once");
    let mut eleven = example();
    eleven["background"].as_array_mut().unwrap().pop();
    let errors = check(&eleven).unwrap_err();
    assert!(errors.0.iter().any(|e| e.field == "background" && e.message.contains("missing: 12")), "{errors:?}");
    accepts("background[0]", json!({"question": 1, "answer": "yes", "explanation": "Renewed late in 2024; reinstated."}));
}

#[test]
fn errors_and_omissions() {
    rejects("errors_and_omissions.carrier", json!(""), "errors_and_omissions.carrier", "is required");
    rejects("errors_and_omissions.policy_number", json!(null), "errors_and_omissions.policy_number", "is required");
    accepts("errors_and_omissions.effective_date", json!(AS_OF));
    rejects("errors_and_omissions.effective_date", json!("2026-12-02"), "errors_and_omissions.effective_date", "no future");
    accepts("errors_and_omissions.expiration_date", json!("2026-12-09"));
    rejects("errors_and_omissions.expiration_date", json!("2026-12-08"), "errors_and_omissions.expiration_date", "7 days");
    rejects("errors_and_omissions.per_occurrence_limit", json!(0), "errors_and_omissions.per_occurrence_limit", "greater than 0");
    rejects("errors_and_omissions.aggregate_limit", json!(-5), "errors_and_omissions.aggregate_limit", "greater than 0");
    rejects("errors_and_omissions.per_occurrence_limit", json!(499_999.99), "errors_and_omissions.per_occurrence_limit", "$500,000.00");
    accepts("errors_and_omissions.per_occurrence_limit", json!(500_000));
}

#[test]
fn montana_needs_a_million() {
    let mut mt = set("licenses", json!({"states": ["MT"], "bluelincs_hmo": false}));
    mt["errors_and_omissions"]["per_occurrence_limit"] = json!(999_999);
    mt["errors_and_omissions"]["aggregate_limit"] = json!(750_000);
    let errors = check(&mt).unwrap_err();
    for field in ["errors_and_omissions.per_occurrence_limit", "errors_and_omissions.aggregate_limit"] {
        assert!(
            errors.0.iter().any(|e| e.field == field && e.message.contains("$1,000,000.00") && e.message.contains("Montana")),
            "{field}: {errors:?}"
        );
    }
    mt["errors_and_omissions"]["per_occurrence_limit"] = json!(1_000_000);
    mt["errors_and_omissions"]["aggregate_limit"] = json!(1_000_000);
    check(&mt).expect("a million meets Montana's minimum");
}

#[test]
fn banking() {
    rejects("banking.payment_type", json!("check"), "banking.payment_type", "EFT");
    accepts("banking.account_type", json!("savings"));
    rejects("banking.account_type", json!("brokerage"), "banking.account_type", "checking or savings");
    rejects("banking.routing_number", json!("111000026"), "banking.routing_number", "ABA check digit");
    rejects("banking.routing_number", json!("11100002"), "banking.routing_number", "9-digit");
    rejects("banking.routing_number_confirmation", json!("021000021"), "banking.routing_number_confirmation", "must match");
    rejects("banking.account_number", json!("123"), "banking.account_number", "4 to 17 digits");
    rejects("banking.account_number_confirmation", json!("9876543211"), "banking.account_number_confirmation", "must match");
    let mut both = set("banking.routing_number", json!("021000021"));
    both["banking"]["routing_number_confirmation"] = json!("021000021");
    check(&both).expect("another valid routing number");
}

#[test]
fn case_key() {
    rejects("case_key", json!(""), "case_key", "is required");
    rejects("case_key", json!("OB 2026/1"), "case_key", "letters, digits");
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    let mut case = example();
    case["agency"]["favourite_color"] = json!("blue");
    let errors = check(&case).unwrap_err();
    assert_eq!(errors.0.len(), 1);
    assert_eq!(errors.0[0].field, "agency.favourite_color");
    assert!(errors.0[0].message.contains("unknown field"), "{errors:?}");
    let mut top = example();
    top["extra"] = json!(1);
    assert_eq!(check(&top).unwrap_err().0[0].field, "extra");
}

#[test]
fn wrong_types_name_the_field() {
    let errors = check(&set("licenses.states", json!("OK"))).unwrap_err();
    assert_eq!(errors.0[0].field, "licenses.states");
    assert!(errors.0[0].message.contains("wrong type"), "{errors:?}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let mut case = example();
    case["agency"]["tax_id"] = json!("00-0000000");
    case["principal"]["ssn"] = json!("000-00-0000");
    case["contact"]["address"]["line1"] = json!("PO Box 1");
    case["contact"]["email"] = json!("nope");
    case["banking"]["routing_number"] = json!("123456789");
    let errors = check(&case).unwrap_err();
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    for f in ["agency.tax_id", "principal.ssn", "contact.address.line1", "contact.email", "banking.routing_number"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[test]
fn cli_invalid_case_exits_2_lists_errors_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut case = example();
    case["contact"]["address"]["line1"] = json!("P.O. Box 60545");
    case["banking"]["account_number_confirmation"] = json!("1111");
    let path = write_case(dir.path(), "bad", &case);
    let out = dir.path().join("out");
    let output = inkseal(&["render", "--case", path.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", AS_OF]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("contact.address.line1: must be a street address, not a P.O. Box"), "{stderr}");
    assert!(stderr.contains("banking.account_number_confirmation: must match banking.account_number"), "{stderr}");
    assert!(stderr.contains("2 problems"), "{stderr}");
    assert!(!stderr.contains("9876543210"), "account number leaked: {stderr}");
    assert!(!out.exists(), "nothing may be written for an invalid case");

    let output = inkseal(&["render", "--case", path.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", AS_OF, "--json"]);
    assert_eq!(output.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&output.stdout).expect("--json prints JSON on stdout");
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["field"], "contact.address.line1");
    assert!(!out.exists());
}

#[test]
fn cli_rejects_bad_arguments_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_case(dir.path(), "case", &example());
    let out = dir.path().join("out");
    let output = inkseal(&["render", "--case", path.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", "2026-13-01"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--as-of \"2026-13-01\" is not a real date"));
    let output = inkseal(&["render", "--case", "/no/such/case.json", "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the case file /no/such/case.json"));
    let output = inkseal(&["render", "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "missing --case is a usage error");
    assert!(!out.exists());
}

#[test]
fn cli_help_explains_the_options() {
    let top = inkseal(&["--help"]);
    let text = String::from_utf8_lossy(&top.stdout);
    for needle in ["render", "demo", "bench", "Exit codes"] {
        assert!(text.contains(needle), "--help lacks {needle}");
    }
    let render = inkseal(&["render", "--help"]);
    let text = String::from_utf8_lossy(&render.stdout);
    for needle in ["--case <FILE>", "--out <DIR>", "--as-of <YYYY-MM-DD>", "--json", "--templates <DIR>", "--only <KIND>"] {
        assert!(text.contains(needle), "render --help lacks {needle}");
    }
}
