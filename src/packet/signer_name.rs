//! The signature rule of spec §4: the typed signature must match the
//! principal's name. Both sides are compared after Unicode NFKC
//! normalisation, case folding, ignoring periods, trimming and collapsing
//! white space. "First Last" is always accepted; with a middle name, "First
//! Middle Last" and "First M Last" are accepted too. Nothing else is:
//! no nicknames, no swapped order, no look-alike letters from other scripts.
//!
//! This is the one place the rule lives; the signing service and the verifier
//! both call it.

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;

/// Normalises a name for comparison: NFKC, case folding, periods removed,
/// white space trimmed and collapsed to single spaces.
pub fn normalize_name(name: &str) -> String {
    let nfkc: String = name.nfkc().collect();
    let folded = caseless::default_case_fold_str(&nfkc);
    // Case folding can denormalise (e.g. U+0130); normalise once more.
    let folded: String = folded.nfkc().filter(|c| *c != '.').collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The principal's name as the signature rule sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerName {
    first: String,
    middle: Option<String>,
    last: String,
}

/// The typed name does not match; says which name is expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct NameMismatch {
    /// The spellings that would be accepted, as the principal's name is written.
    pub expected: Vec<String>,
}

impl fmt::Display for NameMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted: Vec<String> = self.expected.iter().map(|e| format!("\"{e}\"")).collect();
        match quoted.split_first() {
            Some((first, [])) => write!(f, "the signature must be the principal's name: type {first}"),
            Some((first, rest)) => {
                write!(f, "the signature must be the principal's name: type {first} (or {})", rest.join(" or "))
            }
            None => write!(f, "the signature must be the principal's name"),
        }
    }
}

impl SignerName {
    /// The principal's first, optional middle and last name.
    pub fn new(first: &str, middle: Option<&str>, last: &str) -> Self {
        Self {
            first: first.trim().to_owned(),
            middle: middle.map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned),
            last: last.trim().to_owned(),
        }
    }

    /// The accepted spellings, as the names are written in the case.
    pub fn accepted(&self) -> Vec<String> {
        let mut out = vec![format!("{} {}", self.first, self.last)];
        if let Some(middle) = &self.middle {
            out.push(format!("{} {} {}", self.first, middle, self.last));
            if let Some(initial) = middle.chars().next() {
                let initial_form = format!("{} {initial}. {}", self.first, self.last);
                if normalize_name(&initial_form) != normalize_name(&out[1]) {
                    out.push(initial_form);
                }
            }
        }
        out
    }

    /// Checks a typed signature against the rule.
    ///
    /// # Errors
    /// [`NameMismatch`] listing the accepted spellings.
    pub fn check(&self, typed: &str) -> Result<(), NameMismatch> {
        let typed = normalize_name(typed);
        if !typed.is_empty() && self.accepted().iter().any(|a| normalize_name(a) == typed) {
            Ok(())
        } else {
            Err(NameMismatch { expected: self.accepted() })
        }
    }
}

impl From<&crate::case::Principal> for SignerName {
    fn from(p: &crate::case::Principal) -> Self {
        SignerName::new(&p.first_name, p.middle_name.as_deref(), &p.last_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_rule_table() {
        let charles = SignerName::new("Charles", None, "Ray");
        let allen = SignerName::new("Charles", Some("Allen"), "Ray");
        let jose = SignerName::new("José", None, "Núñez");
        let mary = SignerName::new("Mary Ann", Some("O'Neil"), "St. John");
        let cases: &[(&SignerName, &str, bool)] = &[
            (&charles, "Charles Ray", true),
            (&charles, "charles ray", true),
            (&charles, "CHARLES RAY", true),
            (&charles, "  Charles   Ray  ", true),
            (&charles, "Charles\tRay", true),
            (&charles, "Charles. Ray.", true),
            (&charles, "Ｃｈａｒｌｅｓ Ｒａｙ", true), // full-width compatibility forms
            (&charles, "Charles A Ray", false),  // no middle name on file
            (&charles, "Ray Charles", false),    // swapped
            (&charles, "Ray, Charles", false),
            (&charles, "Chuck Ray", false),      // nickname
            (&charles, "Charlie Ray", false),
            (&charles, "Сharles Ray", false),    // Cyrillic С
            (&charles, "Charles Rаy", false),    // Cyrillic а
            (&charles, "CharlesRay", false),
            (&charles, "Charles", false),
            (&charles, "", false),
            (&charles, "Charles Ray Jr", false),
            (&allen, "Charles Ray", true),
            (&allen, "Charles Allen Ray", true),
            (&allen, "charles a ray", true),
            (&allen, "Charles A. Ray", true),
            (&allen, "Charles B. Ray", false),
            (&allen, "C. Allen Ray", false),
            (&allen, "Charles Allen", false),
            (&jose, "José Núñez", true),
            (&jose, "Jose\u{301} Nu\u{301}n\u{303}ez", true), // decomposed accents
            (&jose, "JOSÉ NÚÑEZ", true),
            (&jose, "Jose Nunez", false), // accents are part of the name
            (&mary, "Mary Ann St John", true),
            (&mary, "mary ann o'neil st. john", true),
            (&mary, "Mary Ann O. St. John", true),
            (&mary, "Mary St. John", false),
        ];
        for (name, typed, ok) in cases {
            assert_eq!(name.check(typed).is_ok(), *ok, "{typed:?} against {:?}", name.accepted());
        }
    }

    #[test]
    fn mismatch_says_which_name_is_expected() {
        let err = SignerName::new("Charles", Some("Allen"), "Ray").check("Chuck Ray").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the signature must be the principal's name: type \"Charles Ray\" (or \"Charles Allen Ray\" or \"Charles A. Ray\")"
        );
        let err = SignerName::new("Charles", None, "Ray").check("Ray Charles").unwrap_err();
        assert_eq!(err.to_string(), "the signature must be the principal's name: type \"Charles Ray\"");
    }

    #[test]
    fn german_sharp_s_folds() {
        assert!(SignerName::new("Hans", None, "Strauß").check("HANS STRAUSS").is_ok());
    }
}
