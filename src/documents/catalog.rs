//! Which documents a case gets, in the packet's step order (spec §2), and
//! what the producer does with each.

use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::reference::ContractState;

/// One of the six documents of spec §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// HCSC External Sales Agent Code of Conduct.
    CodeOfConduct,
    /// Standard Producer Agreement with the application-summary exhibit.
    ProducerAgreement,
    /// New Mexico Addendum.
    NewMexicoAddendum,
    /// Oklahoma Addendum (with the BlueLincs HMO section when chosen).
    OklahomaAddendum,
    /// Montana Addendum.
    MontanaAddendum,
    /// Substitute Form W-9.
    W9,
}

/// What the producer must do with a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Read it and sign it.
    Sign,
    /// Read it and confirm the review; no signature.
    Review,
}

impl DocumentKind {
    /// All kinds in step order.
    pub const ALL: [DocumentKind; 6] = [
        DocumentKind::CodeOfConduct,
        DocumentKind::ProducerAgreement,
        DocumentKind::NewMexicoAddendum,
        DocumentKind::OklahomaAddendum,
        DocumentKind::MontanaAddendum,
        DocumentKind::W9,
    ];

    /// Stable short name, used for file names and URLs.
    pub fn slug(self) -> &'static str {
        match self {
            DocumentKind::CodeOfConduct => "code-of-conduct",
            DocumentKind::ProducerAgreement => "producer-agreement",
            DocumentKind::NewMexicoAddendum => "new-mexico-addendum",
            DocumentKind::OklahomaAddendum => "oklahoma-addendum",
            DocumentKind::MontanaAddendum => "montana-addendum",
            DocumentKind::W9 => "w9",
        }
    }

    /// Parses a slug.
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.slug() == slug)
    }

    /// The document's title as printed.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::CodeOfConduct => "HCSC External Sales Agent Code of Conduct",
            DocumentKind::ProducerAgreement => "Standard Producer Agreement",
            DocumentKind::NewMexicoAddendum => "New Mexico Addendum",
            DocumentKind::OklahomaAddendum => "Oklahoma Addendum",
            DocumentKind::MontanaAddendum => "Montana Addendum",
            DocumentKind::W9 => "Form W-9 (Substitute)",
        }
    }

    /// Sign or review only.
    pub fn action(self) -> Action {
        match self {
            DocumentKind::NewMexicoAddendum | DocumentKind::OklahomaAddendum | DocumentKind::MontanaAddendum => {
                Action::Review
            }
            _ => Action::Sign,
        }
    }

    /// The main Typst file, relative to the template root.
    pub fn template(self) -> String {
        format!("{}.typ", self.slug())
    }

    /// The state an addendum belongs to.
    pub fn addendum_state(self) -> Option<ContractState> {
        match self {
            DocumentKind::NewMexicoAddendum => Some(ContractState::NM),
            DocumentKind::OklahomaAddendum => Some(ContractState::OK),
            DocumentKind::MontanaAddendum => Some(ContractState::MT),
            _ => None,
        }
    }
}

/// The documents a case gets, in step order: the code of conduct, the
/// agreement, one addendum per selected NM/OK/MT state, and the W-9.
pub fn documents_for(case: &Case) -> Vec<DocumentKind> {
    select(&case.states)
}

/// [`documents_for`] on a bare selection of states.
pub fn select(states: &[ContractState]) -> Vec<DocumentKind> {
    DocumentKind::ALL
        .into_iter()
        .filter(|kind| kind.addendum_state().is_none_or(|s| states.contains(&s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContractState::*;
    use DocumentKind::*;

    #[test]
    fn selection_follows_the_states() {
        assert_eq!(select(&[IL]), vec![CodeOfConduct, ProducerAgreement, W9]);
        assert_eq!(select(&[MT]), vec![CodeOfConduct, ProducerAgreement, MontanaAddendum, W9]);
        assert_eq!(select(&[TX, OK, NM]), vec![CodeOfConduct, ProducerAgreement, NewMexicoAddendum, OklahomaAddendum, W9]);
        assert_eq!(select(&[IL, MT, NM, OK, TX]), DocumentKind::ALL.to_vec());
    }

    #[test]
    fn addenda_are_review_only() {
        let sign: Vec<_> = DocumentKind::ALL.into_iter().filter(|k| k.action() == Action::Sign).collect();
        assert_eq!(sign, vec![CodeOfConduct, ProducerAgreement, W9]);
    }
}
