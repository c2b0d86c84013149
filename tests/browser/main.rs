//! The producer's and compliance's pages in a real headless Chromium
//! (Debian's `chromium` through `chromedriver`), against the real app on a
//! random port: every page a test passes is screenshotted to
//! `target/e2e-screenshots/<test>/` and must pass axe-core with no serious
//! or critical violation.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

#[path = "../service/harness.rs"]
mod harness;

mod browser;
mod flows;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use browser::{Browser, ENTER, TAB};
use common::example;
use flows::{PRINCIPAL, consent, open_link, review_step, sign_step, submit_packet};
use harness::{Db, TestApp, json_of, spawn};

async fn created(app: &TestApp, case: &Value) -> String {
    app.create(case).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_case_from_link_to_hcsc_review() {
    let app = spawn(Db::Sqlite).await;
    let id = created(&app, &example()).await;
    let mut b = Browser::start("example-case").await;
    b.goto(&app.link(&id).await).await;
    let landing = b.text().await;
    assert!(landing.contains("Prepared for Charles Ray"), "{landing}");
    assert!(landing.contains("Read 5 documents"), "{landing}");
    assert!(landing.contains("minutes"), "{landing}");
    b.snap("landing").await;
    b.press("Open my packet").await;

    // Consent: Continue without the box says so and changes nothing.
    assert_eq!(b.path().await, "/s/consent");
    b.snap("consent").await;
    b.press("Continue").await;
    assert!(b.text().await.contains("tick the box"), "{}", b.text().await);
    b.snap("consent-refused").await;
    consent(&mut b).await;

    // Code of Conduct: Sign waits until every page was shown.
    assert_eq!(b.path().await, "/s/steps/1?notice=consented");
    assert!(!b.enabled("button.sign").await, "Sign must wait for every page");
    assert!(b.text().await.contains("Read every page first"));
    sign_step(&mut b, "code-of-conduct", PRINCIPAL, &[]).await;
    assert_eq!(b.path().await, "/s/steps/2?notice=signed&step=1");
    assert!(b.notice().await.unwrap().contains("Code of Conduct signed"));

    // Producer Agreement: the entity type is required, and said so.
    b.read_every_page("agreement").await;
    b.fill("#signature", PRINCIPAL).await;
    b.press("Sign").await;
    assert!(b.text().await.contains("entity_type") || b.text().await.contains("is required to sign the Producer Agreement"));
    assert_eq!(b.client.find(fantoccini::Locator::Css("#signature")).await.unwrap().prop("value").await.unwrap().as_deref(), Some(PRINCIPAL));
    b.snap("agreement-needs-entity-type").await;
    b.click("#entity-corporation").await;
    b.press("Sign").await;
    assert!(b.path().await.starts_with("/s/steps/3"), "{}", b.path().await);

    // Back shows the signed agreement as done; Forward returns; nothing repeats.
    b.client.back().await.unwrap();
    let back = b.text().await;
    assert!(back.contains("Signed as") || back.contains("Sign"), "{back}");
    b.client.forward().await.unwrap();
    assert!(b.path().await.starts_with("/s/steps/3"));

    review_step(&mut b, "new-mexico").await;
    review_step(&mut b, "oklahoma").await;

    // W-9 on a phone-sized window, with an LLC classification.
    b.set_width(375).await;
    b.snap("w9-phone").await;
    b.set_width(1280).await;
    sign_step(&mut b, "w9", PRINCIPAL, &["#tax-llc"]).await;
    // An LLC needs its class: the page says so and keeps the choice.
    assert!(b.text().await.contains("Choose C, S or P"), "{}", b.text().await);
    b.client.find(fantoccini::Locator::Css("#llc-class")).await.unwrap().select_by_value("S").await.unwrap();
    b.press("Sign").await;
    assert!(b.path().await.starts_with("/s/finish"), "{}", b.path().await);

    // Finish shows each document with how, when and its hash; then Submit.
    let summary = b.text().await;
    for title in ["Code of Conduct", "Producer Agreement", "New Mexico", "Oklahoma", "W-9"] {
        assert!(summary.contains(title), "{title} missing from {summary}");
    }
    assert_eq!(b.client.find_all(fantoccini::Locator::Css("td.hash")).await.unwrap().len(), 5);
    b.snap("finish").await;
    b.press("Finish").await;
    b.snap("submit").await;
    b.press("Submit").await;
    assert!(b.path().await.starts_with("/s/status"));
    let status = b.text().await;
    assert!(status.contains("HCSC Review"), "{status}");
    assert!(status.contains("three to five business days"), "{status}");
    assert!(status.contains("Welcome Letter"), "{status}");
    b.snap("hcsc-review").await;

    let packet = app.packet(&id).await;
    assert_eq!(packet["status"], "submitted");
    let signed = packet["steps"].as_array().unwrap().iter().filter(|s| s["outcome"] == "signed").count();
    assert_eq!(signed, 3);

    // Coming back later through a new link: the status and every document, read-only.
    b.goto(&app.link(&id).await).await;
    b.press("Open my packet").await;
    assert!(b.path().await.starts_with("/s/status"));
    b.goto(&app.url("/s/steps/2")).await;
    let view = b.text().await;
    assert!(view.contains("Signed as") && view.contains(PRINCIPAL), "{view}");
    assert!(!b.exists("form[action$='/sign']").await, "a signed document offers no Sign form");
    assert!(b.images_loaded().await);
    b.snap("signed-agreement-read-only").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_montana_only_case() {
    let app = spawn(Db::Sqlite).await;
    let mut case = example();
    case["licenses"] = json!({"states": ["MT"], "bluelincs_hmo": false});
    let id = created(&app, &case).await;
    let mut b = Browser::start("montana-only").await;
    open_link(&mut b, &app.link(&id).await).await;
    // Consent with the keyboard alone: the skip link comes first, the focus
    // is visible, Space ticks the box and Enter continues.
    b.keys(TAB).await;
    assert_eq!(b.focused_text().await, "Skip to main content");
    assert!(b.focus_ring().await, "the focused element shows a focus ring");
    for _ in 0..20 {
        if b.focused_id().await == "agree" {
            break;
        }
        b.keys(TAB).await;
    }
    assert_eq!(b.focused_id().await, "agree", "Tab reaches the consent box");
    assert!(b.focus_ring().await);
    b.keys(" ").await;
    b.keys(TAB).await;
    assert_eq!(b.focused_text().await, "Continue");
    b.keys_navigating(ENTER).await;
    assert!(b.path().await.starts_with("/s/steps/1"), "{}", b.path().await);
    let progress = b.client.find_all(fantoccini::Locator::Css(".progress li")).await.unwrap().len();
    assert_eq!(progress, 5, "four documents and Finish");
    sign_step(&mut b, "code-of-conduct", PRINCIPAL, &[]).await;
    sign_step(&mut b, "agreement", PRINCIPAL, &["#entity-partnership"]).await;
    assert!(b.h1().await.contains("Montana"), "{}", b.h1().await);
    review_step(&mut b, "montana").await;
    sign_step(&mut b, "w9", PRINCIPAL, &["#tax-partnership"]).await;
    submit_packet(&mut b).await;
    assert_eq!(app.packet(&id).await["status"], "submitted");
    b.press("Sign out").await;
    assert_eq!(b.h1().await, "You have signed out");
    b.snap("signed-out").await;
    b.goto(&app.url("/s/status")).await;
    assert_eq!(b.h1().await, "Your session has ended", "the session is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_name_says_which_name_is_expected() {
    let app = spawn(Db::Sqlite).await;
    let id = created(&app, &example()).await;
    let mut b = Browser::start("wrong-name").await;
    open_link(&mut b, &app.link(&id).await).await;
    consent(&mut b).await;
    b.read_every_page("code-of-conduct").await;
    b.fill("#signature", "Chuck Ray").await;
    b.press("Sign").await;
    let text = b.text().await;
    assert!(text.contains("\"Charles Ray\""), "the expected name is shown: {text}");
    assert!(b.notice().await.unwrap().contains("not signed"));
    let typed = b.client.find(fantoccini::Locator::Css("#signature")).await.unwrap();
    assert_eq!(typed.prop("value").await.unwrap().as_deref(), Some("Chuck Ray"), "what was typed is kept");
    assert_eq!(typed.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    b.snap("name-mismatch").await;
    assert_eq!(app.packet(&id).await["steps"][0]["state"], "current", "nothing was signed");
    // Capitals, periods and extra spaces do not matter.
    b.fill("#signature", "  charles   RAY. ").await;
    b.press("Sign").await;
    assert!(b.path().await.starts_with("/s/steps/2"), "{}", b.path().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jumping_ahead_lands_on_the_current_step() {
    let app = spawn(Db::Sqlite).await;
    let id = created(&app, &example()).await;
    let mut b = Browser::start("jump-ahead").await;
    open_link(&mut b, &app.link(&id).await).await;
    // Before consent, every step leads to the consent page.
    b.goto(&app.url("/s/steps/3")).await;
    assert!(b.path().await.starts_with("/s/consent"), "{}", b.path().await);
    consent(&mut b).await;
    b.goto(&app.url("/s/steps/4")).await;
    assert_eq!(b.path().await, "/s/steps/1?notice=out_of_order");
    assert!(b.notice().await.unwrap().contains("in order"));
    b.snap("out-of-order").await;
    b.goto(&app.url("/s/finish")).await;
    assert!(b.path().await.starts_with("/s/steps/1"), "{}", b.path().await);
    b.goto(&app.url("/s/steps/99")).await;
    assert_eq!(b.h1().await, "Not found");
    b.snap("no-such-step").await;
    // A forged form for a later step changes nothing and explains itself.
    b.goto(&app.url("/s/steps/1")).await;
    b.read_every_page("code-of-conduct").await;
    b.client
        .execute("document.querySelector('form[action$=\"/sign\"]').setAttribute('action', '/s/steps/4/sign');", vec![])
        .await
        .unwrap();
    b.fill("#signature", PRINCIPAL).await;
    b.press("Sign").await;
    assert_eq!(b.path().await, "/s/steps/1?notice=out_of_order");
    let packet = app.packet(&id).await;
    assert!(packet["steps"].as_array().unwrap().iter().all(|s| s["state"] != "done"), "nothing was signed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_spent_and_unknown_links_say_what_to_do() {
    let app = spawn(Db::Sqlite).await;
    let id = created(&app, &example()).await;
    let mut b = Browser::start("links").await;
    let expired = app.link(&id).await;
    app.advance(Duration::from_secs(31 * 60));
    b.goto(&expired).await;
    assert_eq!(b.h1().await, "This link has expired");
    let text = b.text().await;
    assert!(text.contains("855-782-4272") && text.contains("Producer_Service_Center@hcsc.net"), "{text}");
    b.snap("expired").await;

    let spent = app.link(&id).await;
    open_link(&mut b, &spent).await;
    b.goto(&spent).await;
    assert_eq!(b.h1().await, "This link was already used");
    b.snap("spent").await;

    b.goto(&app.url(&format!("/s/link/{}", "ab".repeat(32)))).await;
    assert_eq!(b.h1().await, "This link is not valid");
    b.snap("unknown").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_window_and_an_idle_session_end_cleanly() {
    let app = spawn(Db::Sqlite).await;
    let id = created(&app, &example()).await;
    let mut b = Browser::start("second-window-and-idle").await;
    open_link(&mut b, &app.link(&id).await).await;
    consent(&mut b).await;
    b.read_every_page("window-a").await;
    b.fill("#signature", PRINCIPAL).await;
    let first = b.client.window().await.unwrap();

    // A second window signs the same step first.
    let second = b.client.new_window(true).await.unwrap().handle;
    b.client.switch_to_window(second).await.unwrap();
    b.goto(&app.url("/s/packet")).await;
    assert_eq!(b.path().await, "/s/steps/1");
    b.fill("#signature", PRINCIPAL).await;
    b.press("Sign").await;
    assert!(b.path().await.starts_with("/s/steps/2"));

    // The first window's Sign: a clear message and the packet as it is now.
    b.client.switch_to_window(first).await.unwrap();
    b.press("Sign").await;
    assert_eq!(b.path().await, "/s/steps/2?notice=already_done");
    assert!(b.notice().await.unwrap().contains("another window"));
    b.snap("stale-window").await;
    let audit = app.audit(&id).await;
    let signatures = audit["records"].as_array().unwrap().iter().filter(|r| r["event"] == "signed").count();
    assert_eq!(signatures, 1, "one signature for one step");

    // 46 idle minutes later: the session has ended, and the page says how to go on.
    app.advance(Duration::from_secs(46 * 60));
    b.follow(".move a[rel=next]").await;
    assert_eq!(b.h1().await, "Your session has ended");
    assert!(b.text().await.contains("855-782-4272"));
    b.snap("session-ended").await;
    b.client.back().await.unwrap();
    b.client.refresh().await.unwrap();
    assert_eq!(b.h1().await, "Your session has ended", "Back does not bring an ended session back");
    // A fresh link carries on where the packet stands.
    open_link(&mut b, &app.link(&id).await).await;
    assert!(b.path().await.starts_with("/s/steps/2"), "{}", b.path().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_the_case_after_signing_asks_for_a_new_signature() {
    let app = spawn(Db::Sqlite).await;
    let mut case = example();
    let id = created(&app, &case).await;
    let mut b = Browser::start("edit-after-sign").await;
    open_link(&mut b, &app.link(&id).await).await;
    consent(&mut b).await;
    sign_step(&mut b, "code-of-conduct", PRINCIPAL, &[]).await;
    sign_step(&mut b, "agreement", PRINCIPAL, &["#entity-corporation"]).await;
    assert!(b.path().await.starts_with("/s/steps/3"));

    case["agency"]["legal_name"] = json!("Ray Insurance Group, LLC");
    let res = app.api(Method::PUT, &format!("/api/v1/packets/{id}/case")).json(&case).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    b.goto(&app.url("/s/packet")).await;
    let at = b.path().await;
    assert!(at.starts_with("/s/steps/"), "{at}");
    let notice = b.notice().await.unwrap();
    assert!(notice.contains("was updated (revision 2)"), "{notice}");
    b.snap("revision-2").await;
    let packet = app.packet(&id).await;
    let current = packet["steps"].as_array().unwrap().iter().position(|s| s["state"] == "current").unwrap() + 1;
    assert_eq!(at, format!("/s/steps/{current}"));
    assert!(current <= 2, "the agreement names the agency, so it needs signing again");
    // Sign what changed again, through to the end.
    for n in current..=2 {
        let choices: &[&str] = if n == 2 { &["#entity-corporation"] } else { &[] };
        sign_step(&mut b, &format!("again-{n}"), PRINCIPAL, choices).await;
    }
    review_step(&mut b, "new-mexico").await;
    review_step(&mut b, "oklahoma").await;
    sign_step(&mut b, "w9", PRINCIPAL, &["#tax-c_corporation"]).await;
    assert!(b.path().await.starts_with("/s/finish"));
    let packet = app.packet(&id).await;
    assert_eq!(packet["revision"], 2);
    assert!(packet["steps"].as_array().unwrap().iter().all(|s| s["state"] == "done"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_information_request_is_answered_with_an_upload() {
    let app = spawn(Db::Sqlite).await;
    let id = created(&app, &example()).await;
    let mut b = Browser::start("info-request").await;
    open_link(&mut b, &app.link(&id).await).await;
    consent(&mut b).await;
    flows::complete_example(&mut b).await;
    submit_packet(&mut b).await;

    let request = "Please provide the declaration page of your errors and omissions policy.";
    let res = app.api(Method::POST, &format!("/api/v1/packets/{id}/info-requests")).json(&json!({"request": request})).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());

    b.goto(&app.link(&id).await).await;
    b.press("Open my packet").await;
    assert_eq!(b.h1().await, "Additional information needed");
    assert!(b.text().await.contains(request));
    b.snap("info-requested").await;

    // A file that is not a document is refused, and the page says why.
    let dir = tempfile::tempdir().unwrap();
    let note = dir.path().join("note.txt");
    std::fs::write(&note, "not a document").unwrap();
    b.client.find(fantoccini::Locator::Css("#file")).await.unwrap().send_keys(note.to_str().unwrap()).await.unwrap();
    b.press("Upload").await;
    let refused = b.text().await;
    assert!(refused.contains("was not uploaded"), "{refused}");
    b.snap("upload-refused").await;

    let pdf = dir.path().join("eo-declaration.pdf");
    std::fs::write(&pdf, b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n").unwrap();
    b.client.find(fantoccini::Locator::Css("#file")).await.unwrap().send_keys(pdf.to_str().unwrap()).await.unwrap();
    b.press("Upload").await;
    assert!(b.notice().await.unwrap().contains("uploaded"));
    assert!(b.text().await.contains("eo-declaration.pdf"));
    b.snap("uploaded").await;
    b.press("Resubmit").await;
    assert!(b.text().await.contains("HCSC Review"));
    b.snap("resubmitted").await;
    let packet = app.packet(&id).await;
    assert_eq!(packet["status"], "submitted");
    assert_eq!(packet["upload"]["filename"], "eo-declaration.pdf");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_page_reports_good_and_tampered_pdfs() {
    let app = spawn(Db::Sqlite).await;
    let id = created(&app, &example()).await;
    // Sign the Code of Conduct through the API, then fetch the signed PDF.
    let producer = app.producer(&id).await;
    let (status, body) = producer.post("/s/consent", json!({"agree": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let steps = producer.packet().await["steps"].clone();
    let (status, body) = producer.complete(1, &steps[0], PRINCIPAL).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = app.api(Method::GET, &format!("/api/v1/packets/{id}/documents/code-of-conduct?copy=signed")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let signed = res.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("code-of-conduct-signed.pdf");
    std::fs::write(&good, &signed).unwrap();
    // A shadow-style change: a new revision appended after the signature.
    let mut tampered = signed.clone();
    tampered.extend_from_slice(b"\n4 0 obj\n<< /Type /Annot /Subtype /FreeText /Contents (Paid in full) >>\nendobj\n%%EOF\n");
    let bad = dir.path().join("code-of-conduct-tampered.pdf");
    std::fs::write(&bad, &tampered).unwrap();

    let mut b = Browser::start("verify").await;
    b.goto(&app.url("/verify")).await;
    assert_eq!(b.h1().await, "Verify signed PDFs");
    b.snap("verify-form").await;
    b.press("Verify").await;
    assert!(b.text().await.contains("choose at least one PDF"));
    let input = b.client.find(fantoccini::Locator::Css("#files")).await.unwrap();
    input.send_keys(&format!("{}\n{}", good.display(), bad.display())).await.unwrap();
    b.press("Verify").await;
    let report = b.text().await;
    assert!(report.contains("code-of-conduct-signed.pdf") && report.contains("code-of-conduct-tampered.pdf"), "{report}");
    assert!(report.contains("Valid: signed, unchanged and trusted"), "{report}");
    assert!(report.contains("Not valid"), "{report}");
    assert!(report.contains(PRINCIPAL), "the signer is named: {report}");
    assert_eq!(b.client.find_all(fantoccini::Locator::Css(".verdict-valid")).await.unwrap().len(), 1);
    assert_eq!(b.client.find_all(fantoccini::Locator::Css(".verdict-invalid")).await.unwrap().len(), 1);
    b.snap("verify-report").await;
}
