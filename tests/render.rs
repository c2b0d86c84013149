//! `inkseal render` end to end: documents chosen, values printed, masking,
//! determinism, hostile input, PDF/A with embedded fonts.

#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

mod common;

use std::process::Command;

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn with(mut case: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut case);
    case
}

/// Selects `states` (and BlueLincs) on the example, with E&O limits that every state accepts.
fn states_case(states: &[&str], bluelincs: bool) -> Value {
    with(example(), |c| {
        c["licenses"] = json!({ "states": states, "bluelincs_hmo": bluelincs });
        c["errors_and_omissions"]["per_occurrence_limit"] = json!(1_000_000);
        c["errors_and_omissions"]["aggregate_limit"] = json!(2_000_000);
    })
}

#[test]
fn example_renders_five_documents_in_step_order_with_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let m = render(&write_case(dir.path(), "case", &example()), &out);
    assert_eq!(kinds(&m), ["code-of-conduct", "producer-agreement", "new-mexico-addendum", "oklahoma-addendum", "w9"]);
    assert_eq!(m["case_key"], "OB-2026-000123");
    assert_eq!(m["as_of"], AS_OF);
    for (i, doc) in m["documents"].as_array().unwrap().iter().enumerate() {
        assert_eq!(doc["step"], i + 1);
        let bytes = std::fs::read(out.join(doc["file"].as_str().unwrap())).unwrap();
        assert_eq!(doc["sha256"], hex::encode(Sha256::digest(&bytes)), "sha256 of {}", doc["file"]);
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(doc["page_count"].as_u64().unwrap() >= 1);
        assert!(!doc["template_version"].as_str().unwrap().is_empty());
        let info = Command::new("pdfinfo").arg(out.join(doc["file"].as_str().unwrap())).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        // PDF 2.0 keeps the title in the XMP metadata (dc:title).
        let meta = Command::new("pdfinfo").arg("-meta").arg(out.join(doc["file"].as_str().unwrap())).output().unwrap();
        let title = format!("<rdf:li xml:lang=\"x-default\">{}</rdf:li>", doc["title"].as_str().unwrap());
        assert!(String::from_utf8_lossy(&meta.stdout).contains(&title), "the template's title and the catalog's agree");
        let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).map(str::trim);
        assert_eq!(pages, Some(doc["page_count"].to_string().as_str()), "{info}");
        match doc["action"].as_str().unwrap() {
            "sign" => {
                let sig = &doc["signature"];
                let (x1, y1, x2, y2) =
                    (sig["x1"].as_f64().unwrap(), sig["y1"].as_f64().unwrap(), sig["x2"].as_f64().unwrap(), sig["y2"].as_f64().unwrap());
                assert!(sig["page"].as_u64().unwrap() >= 1 && sig["page"].as_u64() <= doc["page_count"].as_u64());
                // Inside a US Letter page, a sensible signature-sized box.
                assert!(0.0 < x1 && x1 < x2 && x2 <= 612.0 && 0.0 < y1 && y1 < y2 && y2 <= 792.0, "{sig}");
                assert!((x2 - x1) > 150.0 && (y2 - y1) > 20.0, "{sig}");
            }
            _ => assert!(doc["signature"].is_null()),
        }
    }
}

#[test]
fn signature_rectangle_is_where_the_signature_line_is() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let m = render(&write_case(dir.path(), "case", &example()), &out);
    let w9 = m["documents"].as_array().unwrap().iter().find(|d| d["kind"] == "w9").unwrap();
    let sig = &w9["signature"];
    // Text just right of the field's bottom-left corner is the label above it;
    // read the words in a strip above the box with pdftotext's crop options.
    let (x1, y2) = (sig["x1"].as_f64().unwrap(), sig["y2"].as_f64().unwrap());
    let top_from_top = 792.0 - y2 - 14.0;
    let output = Command::new("pdftotext")
        .args(["-f", "1", "-l", "1", "-x"])
        .arg(format!("{}", x1 as i64))
        .arg("-y")
        .arg(format!("{}", top_from_top as i64))
        .args(["-W", "200", "-H", "14", "-r", "72"])
        .arg(out.join(w9["file"].as_str().unwrap()))
        .arg("-")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("Signature of U.S. person"), "{}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn documents_follow_the_selected_states() {
    let cases: [(&[&str], bool, &[&str]); 5] = [
        (&["IL"], false, &["code-of-conduct", "producer-agreement", "w9"]),
        (&["MT"], false, &["code-of-conduct", "producer-agreement", "montana-addendum", "w9"]),
        (&["NM", "OK", "TX"], false, &["code-of-conduct", "producer-agreement", "new-mexico-addendum", "oklahoma-addendum", "w9"]),
        (&["NM", "OK", "TX"], true, &["code-of-conduct", "producer-agreement", "new-mexico-addendum", "oklahoma-addendum", "w9"]),
        (
            &["TX", "OK", "MT", "NM", "IL"],
            true,
            &["code-of-conduct", "producer-agreement", "new-mexico-addendum", "oklahoma-addendum", "montana-addendum", "w9"],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (states, bluelincs, expected)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        let m = render(&write_case(dir.path(), &format!("c{i}"), &states_case(states, *bluelincs)), &out);
        assert_eq!(kinds(&m), *expected, "{states:?} bluelincs={bluelincs}");
        // Sign, sign, review…, sign.
        let actions: Vec<_> = m["documents"].as_array().unwrap().iter().map(|d| d["action"].as_str().unwrap()).collect();
        let expected_actions: Vec<_> =
            expected.iter().map(|k| if k.ends_with("addendum") { "review" } else { "sign" }).collect();
        assert_eq!(actions, expected_actions);
    }
}

#[test]
fn agreement_prints_each_state_fee_and_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], bool, &[&str], &str); 5] = [
        (&["NM", "OK", "TX"], true, &["$20.00", "$30.00", "$13.50"], "$93.50"),
        (&["NM", "OK", "TX"], false, &["$20.00", "$30.00", "$13.50"], "$63.50"),
        (&["IL"], false, &["$0.00"], "$0.00"),
        (&["MT"], false, &["$0.00"], "$0.00"),
        (&["IL", "MT", "NM", "OK", "TX"], true, &["$20.00", "$13.50"], "$93.50"),
    ];
    for (i, (states, bluelincs, fees, total)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        let m = render(&write_case(dir.path(), &format!("c{i}"), &states_case(states, *bluelincs)), &out);
        let text = flat(&pdftotext(&doc_path(&out, &m, "producer-agreement")));
        assert!(text.contains(&format!("Total appointment fees {total}")), "{states:?} {bluelincs}: total {total} missing in:\n{text}");
        for fee in *fees {
            assert!(text.contains(fee), "{fee} missing");
        }
        assert_eq!(text.contains("BlueLincs HMO appointment") || text.contains("BlueLincs HMO Oklahoma"), *bluelincs, "{states:?} {bluelincs}");
    }
}

#[test]
fn documents_carry_the_case_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let m = render(&write_case(dir.path(), "case", &example()), &out);
    let text = |kind: &str| flat(&pdftotext(&doc_path(&out, &m, kind)));

    let coc = text("code-of-conduct");
    for needle in ["Mister Insurance Agency", "Charles Ray", "586789", "OB-2026-000123", "16. Cooperation and records"] {
        assert!(coc.contains(needle), "code of conduct lacks {needle:?}");
    }
    let pa = text("producer-agreement");
    for needle in [
        "Mister Insurance Agency",
        "102223",
        "Charles Ray",
        "586789",
        "401 W Wilson St",
        "Valliant, OK 74764",
        "McCurtain",
        "580-933-4212",
        "charles.ray@example.com",
        "New Mexico",
        "Oklahoma",
        "Texas",
        "BlueLincs HMO",
        "Western World Insurance Company",
        "EO-7781-2026",
        "June 1, 2026",
        "June 1, 2027",
        "$1,000,000.00",
        "Checking",
        "••••••3210",
        "***-**-4471",
        "A 2023 complaint about a delayed policy change was closed",
        "Communitycare Hmo, Inc.",
        "Partnership",
        "Corporation",
    ] {
        assert!(pa.contains(needle), "producer agreement lacks {needle:?}");
    }
    // All twelve background questions with their answers.
    assert!(pa.contains("Is there any objection to an inspection report at our expense? No"), "question 12");
    assert!(pa.matches(" No ").count() + pa.matches(" Yes ").count() >= 12);
    let ok = text("oklahoma-addendum");
    assert!(ok.contains("BlueLincs HMO") && ok.contains("$30.00"), "oklahoma addendum lacks the HMO section");
    let nm = text("new-mexico-addendum");
    assert!(nm.contains("$20.00") && nm.contains("does not require a signature"));
    let w9 = text("w9");
    for needle in ["Form W-9", "(Rev. March 2024)", "Mister Insurance Agency", "401 W Wilson St", "Valliant, OK 74764", "Under penalties of perjury"] {
        assert!(w9.contains(needle), "w9 lacks {needle:?}");
    }
    // The EIN digits, one per box.
    assert!(flat(&w9.replace(' ', "")).contains("73–4821937") || w9.replace(' ', "").contains("734821937"), "{w9}");
}

#[test]
fn sensitive_numbers_never_print_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let m = render(&write_case(dir.path(), "case", &example()), &out);
    let account = "9876543210";
    for doc in m["documents"].as_array().unwrap() {
        let text = pdftotext(&out.join(doc["file"].as_str().unwrap()));
        let digits_only: String = text.chars().filter(|c| c.is_ascii_digit() || c.is_whitespace()).collect();
        // No run of five or more of the account's trailing digits, in any document.
        for window in 5..=account.len() {
            let tail = &account[account.len() - window..];
            assert!(!text.contains(tail), "{} shows {window} digits of the account number", doc["file"]);
        }
        assert!(!digits_only.contains("512384471") && !text.contains("512-38-4471"), "SSN in {}", doc["file"]);
        assert!(!text.contains("111000025"), "routing number in {}", doc["file"]);
        if doc["kind"] != "w9" {
            assert!(!text.contains("73-4821937") && !text.contains("4821937"), "EIN outside the W-9 in {}", doc["file"]);
        }
    }
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), "case", &example());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (ma, mb) = (render(&case, &a), render(&case, &b));
    assert_eq!(ma, mb);
    for doc in ma["documents"].as_array().unwrap() {
        let file = doc["file"].as_str().unwrap();
        assert_eq!(std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap(), "{file}");
    }
}

#[test]
fn hostile_strings_print_literally() {
    let hostile = [
        r#"#import "x": *"#,
        "*bold* _under_ $x^2$",
        r#"#panic("boom") ]) } // <x> @ref"#,
        r"\ back\slash #{1+1}",
    ];
    let case = with(example(), |c| {
        c["agency"]["legal_name"] = json!(hostile[0]);
        c["agency"]["dba_name"] = json!(hostile[1]);
        c["principal"]["last_name"] = json!(hostile[2]);
        c["contact"]["address"]["line2"] = json!(hostile[3]);
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let m = render(&write_case(dir.path(), "case", &case), &out);
    let text = flat(&pdftotext(&doc_path(&out, &m, "producer-agreement")));
    for h in hostile {
        assert!(text.contains(&flat(h)), "{h:?} not printed literally in:\n{text}");
    }
}

#[test]
fn output_is_pdf_a_4_with_every_font_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let m = render(&write_case(dir.path(), "case", &example()), &out);
    for doc in m["documents"].as_array().unwrap() {
        let path = out.join(doc["file"].as_str().unwrap());
        let meta = Command::new("pdfinfo").arg("-meta").arg(&path).output().unwrap();
        let meta = String::from_utf8_lossy(&meta.stdout);
        // PDF/A-4 (ISO 19005-4:2020), based on PDF 2.0: Ed25519 signatures
        // (ISO/TS 32002) are a PDF 2.0 extension, which PDF/A-2 cannot carry.
        assert!(meta.contains("<pdfaid:part>4</pdfaid:part>"), "no PDF/A-4 id in {}: {meta}", doc["file"]);
        assert!(meta.contains("<pdfaid:rev>2020</pdfaid:rev>"), "not the 2020 revision");
        assert!(std::fs::read(&path).unwrap().starts_with(b"%PDF-2.0"), "PDF 2.0 header");
        let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
        let fonts = String::from_utf8_lossy(&fonts.stdout);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "no fonts in {}", doc["file"]);
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            // name type [encoding] emb sub uni object ID: `emb` is the 5th from the end.
            assert_eq!(cols[cols.len() - 5], "yes", "font not embedded in {}: {row}", doc["file"]);
            assert!(!row.contains("DejaVu") && !row.contains("Liberation"), "system font used: {row}");
        }
    }
}

#[test]
fn only_renders_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let case = write_case(dir.path(), "case", &example());
    let output = inkseal(&["render", "--case", case.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", AS_OF, "--only", "w9"]);
    assert!(output.status.success());
    assert_eq!(kinds(&manifest(&out)), ["w9"]);
    let output = inkseal(&["render", "--case", case.to_str().unwrap(), "--out", out.to_str().unwrap(), "--only", "w-9"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--only \"w-9\" is not a document"));
}

#[test]
fn signing_choices_print_on_the_agreement_and_the_w9() {
    use inkseal::case::parse_case;
    use inkseal::documents::{DocumentKind, EntityType, LlcClass, Renderer, SigningChoices, TaxClassification};

    let renderer = Renderer::embedded().unwrap();
    let as_of = inkseal::case::parse_date(AS_OF).unwrap();
    let case = parse_case(&serde_json::to_vec(&example()).unwrap(), as_of, renderer.reference()).unwrap();
    let choices = SigningChoices {
        entity_type: Some(EntityType::Other("Limited liability company".into())),
        tax_classification: Some(TaxClassification::Llc(LlcClass::P)),
    };
    let dir = tempfile::tempdir().unwrap();
    let text_of = |kind, choices: &SigningChoices| {
        let doc = renderer.render(&case, kind, choices, as_of).unwrap();
        let path = dir.path().join(format!("{}.pdf", doc.sha256));
        std::fs::write(&path, &doc.pdf).unwrap();
        (flat(&pdftotext(&path)), doc.sha256)
    };
    let (agreement, chosen_hash) = text_of(DocumentKind::ProducerAgreement, &choices);
    assert!(agreement.contains("Other (describe): Limited liability company"), "{agreement}");
    let (_, blank_hash) = text_of(DocumentKind::ProducerAgreement, &SigningChoices::default());
    assert_ne!(chosen_hash, blank_hash, "a choice changes the document");
    let (w9, _) = text_of(DocumentKind::W9, &choices);
    assert!(w9.contains("P = Partnership) P"), "LLC class missing: {w9}");
}

#[test]
fn template_authors_can_point_at_another_folder() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("document-templates"), &templates);
    let w9 = templates.join("w9.typ");
    let source = std::fs::read_to_string(&w9).unwrap().replace("W9-2024.03-1", "W9-AUTHOR-TEST");
    std::fs::write(&w9, source).unwrap();
    let case = write_case(dir.path(), "case", &example());
    let out = dir.path().join("out");
    let args = ["render", "--case", case.to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", AS_OF, "--templates", templates.to_str().unwrap()];
    let output = inkseal(&args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let m = manifest(&out);
    let w9 = m["documents"].as_array().unwrap().iter().find(|d| d["kind"] == "w9").unwrap();
    assert_eq!(w9["template_version"], "W9-AUTHOR-TEST");
    assert_eq!(m["templates"], templates.display().to_string());

    // A template error names the file and line, exits 1 and writes nothing.
    std::fs::write(templates.join("w9.typ"), "#import \"lib/style.typ\": *\n#let x = (\n").unwrap();
    let out2 = dir.path().join("out2");
    let mut args2 = args;
    args2[4] = out2.to_str().unwrap();
    let output = inkseal(&args2);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/w9.typ:"), "{stderr}");
    assert!(!out2.exists());
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
