//! The producer's moves, as a person makes them in the browser.

use crate::browser::Browser;

/// The example case's principal.
pub const PRINCIPAL: &str = "Charles Ray";

/// Opens a signing link: the landing page, then "Open my packet".
pub async fn open_link(b: &mut Browser, url: &str) {
    b.goto(url).await;
    assert!(b.h1().await.contains("Review and sign"), "landing page: {}", b.text().await);
    b.press("Open my packet").await;
}

/// Ticks the consent box and continues.
pub async fn consent(b: &mut Browser) {
    assert!(b.path().await.starts_with("/s/consent"), "{}", b.path().await);
    b.click("#agree").await;
    b.press("Continue").await;
    assert!(b.path().await.starts_with("/s/steps/1"), "{}", b.path().await);
}

/// Reads every page, makes the choices (radio buttons by CSS), types the
/// name and signs.
pub async fn sign_step(b: &mut Browser, label: &str, name: &str, choices: &[&str]) {
    let before = b.path().await;
    b.read_every_page(label).await;
    assert!(b.enabled("button.sign").await, "Sign is available once every page was shown ({before})");
    for choice in choices {
        b.click(choice).await;
    }
    b.fill("#signature", name).await;
    b.press("Sign").await;
}

/// Reads every page and confirms the review.
pub async fn review_step(b: &mut Browser, label: &str) {
    b.read_every_page(label).await;
    let button = "form[action$='/review'] button";
    assert!(b.enabled(button).await, "the review button is available once every page was shown");
    b.press("I have reviewed this document").await;
}

/// The example case's five steps, straight through.
pub async fn complete_example(b: &mut Browser) {
    sign_step(b, "code-of-conduct", PRINCIPAL, &[]).await;
    sign_step(b, "agreement", PRINCIPAL, &["#entity-corporation"]).await;
    review_step(b, "new-mexico").await;
    review_step(b, "oklahoma").await;
    sign_step(b, "w9", PRINCIPAL, &["#tax-c_corporation"]).await;
}

/// Finish, then Submit, landing on the HCSC Review status page.
pub async fn submit_packet(b: &mut Browser) {
    assert!(b.path().await.starts_with("/s/finish"), "{}", b.path().await);
    b.press("Finish").await;
    b.press("Submit").await;
    assert!(b.text().await.contains("HCSC Review"), "{}", b.text().await);
}
