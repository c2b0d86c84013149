//! What a refused form carries to the page that shows it again.
//!
//! A refused form is not answered with a page of its own: that page would be
//! the answer to a POST, and going Back to it later makes the browser offer
//! to send the form again ("Confirm Form Resubmission"). Instead the form's
//! values and what was wrong travel in a short-lived cookie across a 303 to
//! the page's own address, which shows them once and clears the cookie.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

const COOKIE: &str = "inkseal_flash";

/// A refused form's values and problems.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Flash {
    /// The step whose sign form was refused.
    #[serde(default)]
    pub step: Option<usize>,
    /// What was typed and chosen on it.
    #[serde(default)]
    pub values: SignValues,
    /// Field → what is wrong.
    #[serde(default)]
    pub errors: BTreeMap<String, String>,
    /// The consent box was not ticked.
    #[serde(default)]
    pub consent_unticked: bool,
    /// Why an upload was refused.
    #[serde(default)]
    pub upload: Option<String>,
}

/// What the producer typed and chose on a sign form.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SignValues {
    #[serde(default)]
    name: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    entity_type_other: String,
    #[serde(default)]
    tax_classification: String,
    #[serde(default)]
    llc_class: String,
    #[serde(default)]
    tax_classification_other: String,
}

impl SignValues {
    /// Reads the posted form fields, keeping each within a sane length.
    pub fn from_fields(fields: &serde_json::Value) -> Self {
        let mut v: Self = serde_json::from_value(fields.clone()).unwrap_or_default();
        for s in [&mut v.name, &mut v.entity_type, &mut v.entity_type_other, &mut v.tax_classification, &mut v.llc_class, &mut v.tax_classification_other]
        {
            *s = s.chars().take(200).collect();
        }
        v
    }
}

impl Flash {
    /// A 303 to `to` carrying this flash.
    pub fn redirect(&self, to: &str) -> Response {
        let value = hex::encode(serde_json::to_vec(self).unwrap_or_default());
        let cookie = format!("{COOKIE}={value}; Path=/s; HttpOnly; SameSite=Strict; Max-Age=120");
        ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
    }

    /// The flash the browser brought, if any.
    pub fn take(headers: &HeaderMap) -> Option<Self> {
        let raw = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)?
            .1;
        serde_json::from_slice(&hex::decode(raw).ok()?).ok()
    }

    /// Clears the flash on a page that showed it.
    pub fn clear(mut page: Response) -> Response {
        let cookie = format!("{COOKIE}=; Path=/s; HttpOnly; SameSite=Strict; Max-Age=0");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            page.headers_mut().append(header::SET_COOKIE, v);
        }
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_survives_the_cookie_round_trip() {
        let flash = Flash { step: Some(2), upload: Some("too big".into()), ..Flash::default() };
        let res = flash.redirect("/s/steps/2");
        let set = res.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(set.split(';').next().unwrap()).unwrap());
        let back = Flash::take(&headers).unwrap();
        assert_eq!((back.step, back.upload.as_deref()), (Some(2), Some("too big")));
    }

    #[test]
    fn a_garbled_flash_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("inkseal_flash=zz"));
        assert!(Flash::take(&headers).is_none());
    }
}
