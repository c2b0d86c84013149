/*!
Reference data that the business changes without a code change: the five
contracting states with their appointment rules, fees and E&O minimums, the
BlueLincs HMO surcharge, and the twelve background questions.

The data lives as versioned JSON beside the templates
(`document-templates/reference/`); this module parses it into types and owns
the fee rule (spec §3): the fees of the selected states, plus BlueLincs HMO
when chosen, deducted from the first month's commissions.
*/

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::templates::{TemplateError, TemplateSet};

/// Path of the state table inside a template set.
pub const STATES_FILE: &str = "reference/states.json";
/// Path of the background questions inside a template set.
pub const QUESTIONS_FILE: &str = "reference/background-questions.json";

/// The states a producer can be contracted for (spec §3 `licenses.states`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ContractState {
    /// Illinois.
    IL,
    /// Montana.
    MT,
    /// New Mexico.
    NM,
    /// Oklahoma.
    OK,
    /// Texas.
    TX,
}

impl ContractState {
    /// All contracting states in table order.
    pub const ALL: [ContractState; 5] =
        [ContractState::IL, ContractState::MT, ContractState::NM, ContractState::OK, ContractState::TX];

    /// Parses a two-letter code (upper case, as the contract spells it).
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The two-letter code.
    pub fn code(self) -> &'static str {
        match self {
            ContractState::IL => "IL",
            ContractState::MT => "MT",
            ContractState::NM => "NM",
            ContractState::OK => "OK",
            ContractState::TX => "TX",
        }
    }
}

impl fmt::Display for ContractState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Errors in the reference data files.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// A file is missing.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A file is not valid JSON of the expected shape.
    #[error("{file} is malformed: {source}")]
    Malformed {
        /// The file.
        file: &'static str,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The data is well-formed but incomplete or contradictory.
    #[error("{file}: {message}")]
    Invalid {
        /// The file.
        file: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// One row of the state table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRule {
    /// Which state.
    pub code: ContractState,
    /// Its full name, e.g. "New Mexico".
    pub name: String,
    /// The HCSC plan that contracts there.
    pub plan: String,
    /// Who is appointed, in the manual's words.
    pub appointment_rule: String,
    #[serde(rename = "appointment_fee_cents", deserialize_with = "cents")]
    /// The appointment fee.
    pub appointment_fee: Money,
    #[serde(rename = "eo_minimum_per_claim_cents", deserialize_with = "cents")]
    /// Minimum E&O limit per claim.
    pub eo_minimum_per_claim: Money,
    #[serde(rename = "eo_minimum_aggregate_cents", deserialize_with = "cents")]
    /// Minimum E&O aggregate limit.
    pub eo_minimum_aggregate: Money,
}

/// The BlueLincs HMO surcharge (Oklahoma only).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmoRule {
    /// The state it belongs to.
    pub state: ContractState,
    /// Product name.
    pub name: String,
    /// What the extra appointment is.
    pub appointment_rule: String,
    #[serde(rename = "appointment_fee_cents", deserialize_with = "cents")]
    /// Its extra appointment fee.
    pub appointment_fee: Money,
}

fn cents<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
    u64::deserialize(d).map(Money::from_cents)
}

/// The versioned state table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateTable {
    /// Version of the table, printed in the manifest.
    pub version: String,
    /// Date from which it applies (informational).
    pub effective: String,
    /// A note for authors.
    #[serde(default)]
    pub note: String,
    states: Vec<StateRule>,
    /// The BlueLincs HMO surcharge.
    pub bluelincs_hmo: HmoRule,
}

impl StateTable {
    /// The rule for one state (the table is checked to be complete on load).
    pub fn rule(&self, state: ContractState) -> &StateRule {
        // `load` guarantees exactly one row per state, in `ContractState::ALL` order.
        &self.states[ContractState::ALL.iter().position(|s| *s == state).unwrap_or(0)]
    }

    /// The fees owed for a selection of states (spec §3): each selected
    /// state's appointment fee, plus the BlueLincs HMO fee when chosen.
    pub fn fees(&self, states: &[ContractState], bluelincs_hmo: bool) -> FeeSummary {
        let mut lines: Vec<FeeLine> = states
            .iter()
            .map(|s| {
                let rule = self.rule(*s);
                FeeLine { label: format!("{} appointment", rule.name), state: *s, amount: rule.appointment_fee }
            })
            .collect();
        if bluelincs_hmo && states.contains(&self.bluelincs_hmo.state) {
            lines.push(FeeLine {
                label: format!("{} appointment", self.bluelincs_hmo.name),
                state: self.bluelincs_hmo.state,
                amount: self.bluelincs_hmo.appointment_fee,
            });
        }
        let total = lines.iter().fold(Money::ZERO, |sum, l| sum.plus(l.amount));
        FeeSummary { lines, total }
    }
}

/// One line of the fee summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeLine {
    /// What the fee is for.
    pub label: String,
    /// The state it belongs to.
    pub state: ContractState,
    /// The amount.
    pub amount: Money,
}

/// The fees owed and their total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeSummary {
    /// One line per selected state, then BlueLincs HMO if chosen.
    pub lines: Vec<FeeLine>,
    /// The sum of all lines.
    pub total: Money,
}

/// The twelve background questions, in order.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundQuestions {
    /// Version of the wording.
    pub version: String,
    questions: Vec<String>,
}

impl BackgroundQuestions {
    /// Number of questions every case must answer.
    pub const COUNT: usize = 12;

    /// The text of question `number` (1-based).
    pub fn text(&self, number: usize) -> &str {
        self.questions.get(number.wrapping_sub(1)).map_or("", String::as_str)
    }
}

/// All reference data, parsed and checked.
#[derive(Clone, Debug)]
pub struct Reference {
    /// States, fees and E&O minimums.
    pub states: StateTable,
    /// Background questions.
    pub questions: BackgroundQuestions,
}

impl Reference {
    /// Parses and checks the reference files of a template set.
    ///
    /// # Errors
    /// When a file is missing, malformed, lacks a state, or has a number of
    /// background questions other than twelve.
    pub fn load(templates: &TemplateSet) -> Result<Self, ReferenceError> {
        let mut states: StateTable = parse(templates, STATES_FILE)?;
        states.states.sort_by_key(|r| r.code);
        let codes: Vec<_> = states.states.iter().map(|r| r.code).collect();
        if codes != ContractState::ALL {
            return Err(ReferenceError::Invalid {
                file: STATES_FILE,
                message: "needs exactly one row for each of IL, MT, NM, OK and TX".to_owned(),
            });
        }
        let questions: BackgroundQuestions = parse(templates, QUESTIONS_FILE)?;
        if questions.questions.len() != BackgroundQuestions::COUNT {
            return Err(ReferenceError::Invalid {
                file: QUESTIONS_FILE,
                message: format!("needs exactly {} questions", BackgroundQuestions::COUNT),
            });
        }
        Ok(Self { states, questions })
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    templates: &TemplateSet,
    file: &'static str,
) -> Result<T, ReferenceError> {
    let bytes = templates.require(file)?;
    serde_json::from_slice(bytes).map_err(|source| ReferenceError::Malformed { file, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContractState::*;

    fn table() -> StateTable {
        Reference::load(&TemplateSet::embedded()).expect("embedded reference data").states
    }

    #[test]
    fn fees_follow_the_faq() {
        let t = table();
        let cents = |s| t.rule(s).appointment_fee.cents();
        assert_eq!([cents(IL), cents(MT), cents(NM), cents(OK), cents(TX)], [0, 0, 2000, 3000, 1350]);
    }

    #[test]
    fn fee_total_adds_bluelincs_only_with_oklahoma() {
        let t = table();
        assert_eq!(t.fees(&[NM, OK, TX], true).total, Money::from_cents(2000 + 3000 + 3000 + 1350));
        assert_eq!(t.fees(&[NM, OK, TX], false).total, Money::from_cents(6350));
        assert_eq!(t.fees(&[TX], true).total, Money::from_cents(1350));
        assert_eq!(t.fees(&[IL, MT], false).total, Money::ZERO);
        assert_eq!(t.fees(&[OK], true).lines.len(), 2);
    }

    #[test]
    fn eo_minimums_are_half_a_million_except_montana() {
        let t = table();
        for s in [IL, NM, OK, TX] {
            assert_eq!(t.rule(s).eo_minimum_per_claim, Money::from_cents(50_000_000));
        }
        assert_eq!(t.rule(MT).eo_minimum_aggregate, Money::from_cents(100_000_000));
    }
}
