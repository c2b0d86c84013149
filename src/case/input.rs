//! The case as the portal sends it: the JSON contract of spec §3, close to
//! the wire. Every leaf is optional or loosely typed here so that validation
//! can report *all* missing and malformed values at once; unknown fields are
//! refused by serde.

use serde::{Deserialize, Serialize};

/// A case exactly as received (`examples/case-ok-tx-nm.json`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct CaseInput {
    pub case_key: Option<String>,
    pub agency: Option<AgencyInput>,
    pub principal: Option<PrincipalInput>,
    pub contact: Option<ContactInput>,
    pub licenses: Option<LicensesInput>,
    #[serde(default)]
    pub appointments: Vec<Appointment>,
    pub background: Option<Vec<BackgroundAnswerInput>>,
    pub errors_and_omissions: Option<EoInput>,
    pub banking: Option<BankingInput>,
}

/// `agency`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct AgencyInput {
    pub legal_name: Option<String>,
    pub dba_name: Option<String>,
    pub tax_id: Option<String>,
    pub npn: Option<String>,
    pub business_state: Option<String>,
}

/// `principal`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct PrincipalInput {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub npn: Option<String>,
    pub ssn: Option<String>,
    pub resident_state: Option<String>,
    pub birth_date: Option<String>,
}

/// `contact`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct ContactInput {
    pub business_phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<AddressInput>,
}

/// `contact.address`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct AddressInput {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub county: Option<String>,
}

/// `licenses`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct LicensesInput {
    pub states: Option<Vec<String>>,
    #[serde(default)]
    pub bluelincs_hmo: bool,
}

/// One NIPR appointment. Reference data: shown as given, never validated
/// beyond its shape, so the wire type is also the validated type.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct Appointment {
    pub holder: String,
    pub state: String,
    pub line_of_authority: String,
    pub company: String,
    pub status: String,
    pub status_date: String,
}

/// One background answer.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct BackgroundAnswerInput {
    pub question: Option<u32>,
    pub answer: Option<String>,
    pub explanation: Option<String>,
}

/// `errors_and_omissions`. Limits are JSON numbers of dollars.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct EoInput {
    pub carrier: Option<String>,
    pub policy_number: Option<String>,
    pub effective_date: Option<String>,
    pub expiration_date: Option<String>,
    pub per_occurrence_limit: Option<serde_json::Number>,
    pub aggregate_limit: Option<serde_json::Number>,
}

/// `banking`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "fields mirror the JSON contract of spec §3")]
pub struct BankingInput {
    pub payment_type: Option<String>,
    pub account_type: Option<String>,
    pub routing_number: Option<String>,
    pub routing_number_confirmation: Option<String>,
    pub account_number: Option<String>,
    pub account_number_confirmation: Option<String>,
}
