/*!
The browser pages (spec §7): server-rendered HTML from the minijinja
templates in `pages/`, one stylesheet, no script. The producer's pages sit
on the `/s/` endpoints ([`producer`]); compliance has `/verify`
([`verify`]). Every page is `no-store`, so Back and Forward always show the
packet as it is now, and every state change is a form post answered with a
redirect — a refused one too ([`flash`]) — so going back never repeats one.
*/

pub mod flash;
pub mod producer;
pub mod steps;
pub mod verify;

use std::sync::LazyLock;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html.j2", include_str!("../../pages/layout.html.j2")),
    ("progress.html.j2", include_str!("../../pages/progress.html.j2")),
    ("summary.html.j2", include_str!("../../pages/summary.html.j2")),
    ("seen.html.j2", include_str!("../../pages/seen.html.j2")),
    ("landing.html.j2", include_str!("../../pages/landing.html.j2")),
    ("problem.html.j2", include_str!("../../pages/problem.html.j2")),
    ("consent.html.j2", include_str!("../../pages/consent.html.j2")),
    ("step.html.j2", include_str!("../../pages/step.html.j2")),
    ("finish.html.j2", include_str!("../../pages/finish.html.j2")),
    ("status.html.j2", include_str!("../../pages/status.html.j2")),
    ("verify.html.j2", include_str!("../../pages/verify.html.j2")),
];

/// The stylesheet every page links.
pub const STYLESHEET: &str = include_str!("../../pages/inkseal.css");
/// The icon every page links.
pub const FAVICON: &str = include_str!("../../pages/favicon.svg");

/// Built once; a template that does not parse is our bug, reported on use.
static ENVIRONMENT: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(|e| format!("page template {name}: {e}"))?;
    }
    Ok(env)
});

/// A message at the top of a page.
#[derive(Clone, Debug, Serialize)]
pub struct Notice {
    /// `info`, `success`, `warning` or `error`.
    pub kind: &'static str,
    /// What happened and what to do.
    pub text: String,
}

impl Notice {
    /// A neutral message.
    pub fn info(text: impl Into<String>) -> Self {
        Self { kind: "info", text: text.into() }
    }

    /// Something worked.
    pub fn success(text: impl Into<String>) -> Self {
        Self { kind: "success", text: text.into() }
    }

    /// Something to act on.
    pub fn warning(text: impl Into<String>) -> Self {
        Self { kind: "warning", text: text.into() }
    }

    /// Something failed.
    pub fn error(text: impl Into<String>) -> Self {
        Self { kind: "error", text: text.into() }
    }
}

/// Renders a page template with a status.
pub fn page(status: StatusCode, template: &str, context: &impl Serialize) -> Response {
    match render_html(template, context) {
        Ok(html) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], html).into_response(),
        Err(e) => {
            tracing::error!(template, "page failed to render: {e}");
            let html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Something went wrong</title></head>\
                        <body><main><h1>Something went wrong on our side</h1><p>Nothing was changed. Reload the page to try again.</p></main></body></html>";
            (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
        }
    }
}

fn render_html(template: &str, context: &impl Serialize) -> Result<String, String> {
    let env = ENVIRONMENT.as_ref().map_err(Clone::clone)?;
    env.get_template(template).and_then(|t| t.render(minijinja::value::Serde(context))).map_err(|e| e.to_string())
}

/// A page that explains a dead end: heading, paragraphs, optionally the
/// Producer Service Center's contacts and a button onwards.
#[derive(Serialize, Default)]
pub struct Problem {
    /// The page's heading.
    pub heading: &'static str,
    /// What happened and what to do.
    pub paragraphs: Vec<String>,
    /// Show how to ask for a new signing link.
    pub contact: bool,
    /// Where the button goes.
    pub next_href: Option<String>,
    /// The button's words.
    pub next_label: Option<&'static str>,
}

impl Problem {
    /// Renders it with a status.
    pub fn render(self, status: StatusCode) -> Response {
        page(status, "problem.html.j2", &self)
    }
}

/// `GET /assets/inkseal.css`.
pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLESHEET).into_response()
}

/// `GET /assets/favicon.svg`.
pub async fn favicon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], FAVICON).into_response()
}

/// The fonts the pages use, served from the ones embedded for the PDFs, so
/// pages and documents share their type on every machine.
const PAGE_FONTS: &[&str] = &["Inter-Regular.otf", "Inter-SemiBold.otf", "Inter-Bold.otf", "DancingScript-Regular.otf"];

/// `GET /assets/fonts/{file}`.
pub async fn font(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let found = PAGE_FONTS
        .contains(&file.as_str())
        .then(|| crate::templates::FONT_FILES.iter().find(|(name, _)| name.rsplit('/').next() == Some(file.as_str())))
        .flatten();
    match found {
        Some((_, bytes)) => {
            ([(header::CONTENT_TYPE, "font/otf"), (header::CACHE_CONTROL, "public, max-age=604800, immutable")], *bytes).into_response()
        }
        None => super::error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such font").into_response(),
    }
}

/// Whether the client is a browser navigating (it asks for HTML).
pub fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// "2026-12-03T19:15:02Z" as "Dec 3, 2026, 19:15 UTC" (with `:02` when
/// `seconds`); anything else as it is.
pub fn display_time(rfc3339: &str, seconds: bool) -> String {
    use time::format_description::well_known::Rfc3339;
    let Ok(t) = time::OffsetDateTime::parse(rfc3339, &Rfc3339) else { return rfc3339.to_owned() };
    let t = t.to_offset(time::UtcOffset::UTC);
    let formatted = if seconds {
        t.format(time::macros::format_description!("[month repr:short] [day padding:none], [year], [hour]:[minute]:[second] UTC"))
    } else {
        t.format(time::macros::format_description!("[month repr:short] [day padding:none], [year], [hour]:[minute] UTC"))
    };
    formatted.unwrap_or_else(|_| rfc3339.to_owned())
}

/// Bytes as "1.2 MB" or "340 KB".
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        let env = ENVIRONMENT.as_ref().unwrap();
        for (name, _) in TEMPLATES {
            env.get_template(name).unwrap();
        }
    }

    #[test]
    fn values_are_escaped() {
        let problem = Problem { heading: "x", paragraphs: vec!["<script>alert(1)</script>".into()], ..Problem::default() };
        let html = render_html("problem.html.j2", &problem).unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)"), "{html}");
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn times_read_as_utc() {
        assert_eq!(display_time("2026-12-03T19:05:02Z", false), "Dec 3, 2026, 19:05 UTC");
        assert_eq!(display_time("2026-12-03T19:05:02Z", true), "Dec 3, 2026, 19:05:02 UTC");
        assert_eq!(display_time("not a time", false), "not a time");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_text(1), "1 KB");
        assert_eq!(size_text(340 * 1024), "340 KB");
        assert_eq!(size_text(3 * 1024 * 1024 + 200_000), "3.2 MB");
    }
}
