//! The fields a producer fills in at signing time (spec §2): the agency's
//! entity type on the Producer Agreement and its federal tax classification on
//! the W-9. The review copy shows them blank until chosen.

use serde::{Deserialize, Serialize};

/// The agency's entity type on the Producer Agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "description", rename_all = "snake_case")]
pub enum EntityType {
    /// A partnership.
    Partnership,
    /// A corporation.
    Corporation,
    /// Something else, described.
    Other(String),
}

/// The tax classification of an LLC on W-9 line 3a.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LlcClass {
    /// Taxed as a C corporation.
    C,
    /// Taxed as an S corporation.
    S,
    /// Taxed as a partnership.
    P,
}

/// Federal tax classification, W-9 (Rev. March 2024) line 3a.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "detail", rename_all = "snake_case")]
pub enum TaxClassification {
    /// Individual/sole proprietor.
    Individual,
    /// C corporation.
    CCorporation,
    /// S corporation.
    SCorporation,
    /// Partnership.
    Partnership,
    /// Trust/estate.
    TrustEstate,
    /// Limited liability company with its tax classification.
    Llc(LlcClass),
    /// Other (see instructions), described.
    Other(String),
}

/// Choices made at signing time; `None` renders the field blank.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningChoices {
    /// Producer Agreement: entity type.
    pub entity_type: Option<EntityType>,
    /// W-9: tax classification.
    pub tax_classification: Option<TaxClassification>,
}
