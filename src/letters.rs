/*!
Letters (spec §4): the invitation email, the additional-information letter
and the Welcome Letter, as minijinja templates in `letters/`, each rendered
as HTML (values escaped) and plain text, for the portal to send.
*/

use minijinja::{AutoEscape, Environment};
use serde::Serialize;

/// A rendered letter.
#[derive(Clone, Debug, Serialize)]
pub struct Letter {
    /// Email subject.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
}

/// Which letter.
#[derive(Clone, Copy, Debug)]
pub enum LetterKind {
    /// "Onboarding Invitation" with the signing link.
    Invitation,
    /// Additional information needed.
    InfoRequest,
    /// Welcome Letter with the producer id.
    Welcome,
}

const TEMPLATES: &[(&str, &str)] = &[
    ("invitation.html.j2", include_str!("../letters/invitation.html.j2")),
    ("invitation.txt.j2", include_str!("../letters/invitation.txt.j2")),
    ("info-request.html.j2", include_str!("../letters/info-request.html.j2")),
    ("info-request.txt.j2", include_str!("../letters/info-request.txt.j2")),
    ("welcome.html.j2", include_str!("../letters/welcome.html.j2")),
    ("welcome.txt.j2", include_str!("../letters/welcome.txt.j2")),
];

/// A letter template failed (a template author's error).
#[derive(Debug, thiserror::Error)]
#[error("letter template {name}: {source}")]
pub struct LetterError {
    name: &'static str,
    source: minijinja::Error,
}

fn environment() -> Result<Environment<'static>, LetterError> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| if name.ends_with(".html.j2") { AutoEscape::Html } else { AutoEscape::None });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(|source| LetterError { name, source })?;
    }
    Ok(env)
}

/// Renders a letter from its context (any serializable map of values).
///
/// # Errors
/// When a template refers to a value the context lacks.
pub fn render(kind: LetterKind, context: &impl Serialize) -> Result<Letter, LetterError> {
    let (stem, subject) = match kind {
        LetterKind::Invitation => ("invitation", "Onboarding Invitation"),
        LetterKind::InfoRequest => ("info-request", "Additional Information Needed for Your Onboarding Request"),
        LetterKind::Welcome => ("welcome", "Welcome Letter"),
    };
    let env = environment()?;
    let one = |ext: &'static str| -> Result<String, LetterError> {
        let name = TEMPLATES.iter().map(|(n, _)| *n).find(|n| n.starts_with(stem) && n.ends_with(ext)).unwrap_or(stem);
        env.get_template(name).and_then(|t| t.render(minijinja::value::Serde(context))).map_err(|source| LetterError { name, source })
    };
    Ok(Letter { subject: subject.to_owned(), html: one(".html.j2")?, text: one(".txt.j2")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let ctx = serde_json::json!({
            "date": "December 3, 2026", "principal": "Charles <Ray>", "agency": "A & B", "case_key": "OB-1",
            "producer_id": "123456789",
        });
        let letter = render(LetterKind::Welcome, &ctx).unwrap();
        assert!(letter.html.contains("Charles &lt;Ray&gt;"), "{}", letter.html);
        assert!(letter.text.contains("Charles <Ray>"));
        assert!(letter.text.contains("123456789"));
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_blank() {
        assert!(render(LetterKind::Welcome, &serde_json::json!({"date": "x"})).is_err());
    }
}
