//! The data a template sees: a JSON file served inside the Typst world at
//! [`DATA_PATH`], built from the validated case. Templates only present;
//! every rule (fees, masking, selection) is applied here in Rust, and values
//! reach Typst as data, never as markup, so nothing in a case can inject code.

use serde::Serialize;
use time::{Date, format_description::BorrowedFormatItem, macros::format_description};

use super::catalog::{Action, DocumentKind};
use super::choices::{EntityType, LlcClass, SigningChoices, TaxClassification};
use crate::case::{AccountType, Answer, Case};
use crate::money::Money;
use crate::reference::Reference;

/// Where templates find their data: `json("/data/document.json")`.
pub const DATA_PATH: &str = "/data/document.json";

const LONG_DATE: &[BorrowedFormatItem<'static>] = format_description!("[month repr:long] [day padding:none], [year]");

/// Formats a date as "December 3, 2026".
pub fn long_date(date: Date) -> String {
    date.format(LONG_DATE).unwrap_or_else(|_| date.to_string())
}

#[derive(Serialize)]
struct DocumentData {
    document: DocumentInfo,
    as_of: String,
    agency: AgencyData,
    principal: PrincipalData,
    contact: ContactData,
    states: Vec<StateData>,
    bluelincs_hmo: BlueLincsData,
    fees: FeesData,
    errors_and_omissions: EoData,
    banking: BankingData,
    background: Vec<BackgroundData>,
    appointments: Vec<AppointmentData>,
    choices: ChoicesData,
}

#[derive(Serialize)]
struct DocumentInfo {
    kind: &'static str,
    title: &'static str,
    action: Action,
    case_key: String,
}

#[derive(Serialize)]
struct AgencyData {
    legal_name: String,
    dba_name: Option<String>,
    /// Full EIN on the W-9 only; masked everywhere else.
    tax_id: String,
    npn: String,
    business_state: &'static str,
}

#[derive(Serialize)]
struct PrincipalData {
    full_name: String,
    first_name: String,
    middle_name: Option<String>,
    last_name: String,
    npn: String,
    ssn: String,
    resident_state: &'static str,
}

#[derive(Serialize)]
struct ContactData {
    business_phone: String,
    email: String,
    line1: String,
    line2: Option<String>,
    city: String,
    state: &'static str,
    zip: String,
    county: Option<String>,
    city_state_zip: String,
}

#[derive(Serialize)]
struct StateData {
    code: &'static str,
    name: String,
    plan: String,
    appointment_rule: String,
    fee: String,
    eo_minimum: String,
}

#[derive(Serialize)]
struct BlueLincsData {
    offered: bool,
    selected: bool,
    name: String,
    appointment_rule: String,
    fee: String,
}

#[derive(Serialize)]
struct FeesData {
    lines: Vec<FeeLineData>,
    total: String,
}

#[derive(Serialize)]
struct FeeLineData {
    label: String,
    amount: String,
}

#[derive(Serialize)]
struct EoData {
    carrier: String,
    policy_number: String,
    effective_date: String,
    expiration_date: String,
    per_occurrence_limit: String,
    aggregate_limit: String,
}

#[derive(Serialize)]
struct BankingData {
    payment_type: &'static str,
    account_type: &'static str,
    routing_number: String,
    account_number: String,
}

#[derive(Serialize)]
struct BackgroundData {
    number: usize,
    question: String,
    answer: &'static str,
    explanation: Option<String>,
}

#[derive(Serialize)]
struct AppointmentData {
    holder: String,
    state: String,
    line_of_authority: String,
    company: String,
    status: String,
    status_date: String,
}

#[derive(Serialize)]
struct ChoicesData {
    entity_type: Option<&'static str>,
    entity_description: Option<String>,
    tax_classification: Option<&'static str>,
    llc_class: Option<&'static str>,
    tax_other: Option<String>,
}

/// Serialises the data for one document of a case.
pub(crate) fn document_json(
    case: &Case,
    kind: DocumentKind,
    choices: &SigningChoices,
    as_of: Date,
    reference: &Reference,
) -> Vec<u8> {
    let table = &reference.states;
    let fees = table.fees(&case.states, case.bluelincs_hmo);
    let addr = &case.contact.address;
    let hmo = &table.bluelincs_hmo;
    let eo = &case.errors_and_omissions;
    let data = DocumentData {
        document: DocumentInfo {
            kind: kind.slug(),
            title: kind.title(),
            action: kind.action(),
            case_key: case.case_key.clone(),
        },
        as_of: long_date(as_of),
        agency: AgencyData {
            legal_name: case.agency.legal_name.clone(),
            dba_name: case.agency.dba_name.clone(),
            tax_id: if kind == DocumentKind::W9 {
                case.agency.tax_id.expose_formatted()
            } else {
                case.agency.tax_id.masked()
            },
            npn: case.agency.npn.as_str().to_owned(),
            business_state: case.agency.business_state.code(),
        },
        principal: PrincipalData {
            full_name: case.principal.full_name(),
            first_name: case.principal.first_name.clone(),
            middle_name: case.principal.middle_name.clone(),
            last_name: case.principal.last_name.clone(),
            npn: case.principal.npn.as_str().to_owned(),
            ssn: case.principal.ssn.masked(),
            resident_state: case.principal.resident_state.code(),
        },
        contact: ContactData {
            business_phone: case.contact.business_phone.formatted(),
            email: case.contact.email.as_str().to_owned(),
            line1: addr.line1.clone(),
            line2: addr.line2.clone(),
            city: addr.city.clone(),
            state: addr.state.code(),
            zip: addr.zip.as_str().to_owned(),
            county: addr.county.clone(),
            city_state_zip: format!("{}, {} {}", addr.city, addr.state.code(), addr.zip.as_str()),
        },
        states: case
            .states
            .iter()
            .map(|s| {
                let r = table.rule(*s);
                StateData {
                    code: s.code(),
                    name: r.name.clone(),
                    plan: r.plan.clone(),
                    appointment_rule: r.appointment_rule.clone(),
                    fee: r.appointment_fee.to_string(),
                    eo_minimum: r.eo_minimum_per_claim.to_string(),
                }
            })
            .collect(),
        bluelincs_hmo: BlueLincsData {
            offered: case.states.contains(&hmo.state),
            selected: case.bluelincs_hmo,
            name: hmo.name.clone(),
            appointment_rule: hmo.appointment_rule.clone(),
            fee: hmo.appointment_fee.to_string(),
        },
        fees: FeesData {
            lines: fees.lines.iter().map(|l| FeeLineData { label: l.label.clone(), amount: l.amount.to_string() }).collect(),
            total: fees.total.to_string(),
        },
        errors_and_omissions: EoData {
            carrier: eo.carrier.clone(),
            policy_number: eo.policy_number.clone(),
            effective_date: long_date(eo.effective_date),
            expiration_date: long_date(eo.expiration_date),
            per_occurrence_limit: money(eo.per_occurrence_limit),
            aggregate_limit: money(eo.aggregate_limit),
        },
        banking: BankingData {
            payment_type: "EFT",
            account_type: match case.banking.account_type {
                AccountType::Checking => "Checking",
                AccountType::Savings => "Savings",
            },
            routing_number: case.banking.routing_number.masked(),
            account_number: case.banking.account_number.masked(),
        },
        background: case
            .background
            .iter()
            .map(|b| BackgroundData {
                number: b.question,
                question: reference.questions.text(b.question).to_owned(),
                answer: match b.answer {
                    Answer::Yes => "Yes",
                    Answer::No => "No",
                },
                explanation: b.explanation.clone(),
            })
            .collect(),
        appointments: case
            .appointments
            .iter()
            .map(|a| AppointmentData {
                holder: capitalize(&a.holder),
                state: a.state.clone(),
                line_of_authority: a.line_of_authority.clone(),
                company: a.company.clone(),
                status: a.status.clone(),
                status_date: crate::case::parse_date(&a.status_date).map_or_else(|| a.status_date.clone(), long_date),
            })
            .collect(),
        choices: choices_data(choices),
    };
    // Serialising plain structs of strings cannot fail.
    serde_json::to_vec(&data).unwrap_or_default()
}

/// "agency" → "Agency"; NIPR codes and names are shown as given otherwise.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

fn money(m: Money) -> String {
    m.to_string()
}

fn choices_data(choices: &SigningChoices) -> ChoicesData {
    let (entity_type, entity_description) = match &choices.entity_type {
        None => (None, None),
        Some(EntityType::Partnership) => (Some("partnership"), None),
        Some(EntityType::Corporation) => (Some("corporation"), None),
        Some(EntityType::Other(d)) => (Some("other"), Some(d.clone())),
    };
    let (tax_classification, llc_class, tax_other) = match &choices.tax_classification {
        None => (None, None, None),
        Some(TaxClassification::Individual) => (Some("individual"), None, None),
        Some(TaxClassification::CCorporation) => (Some("c_corporation"), None, None),
        Some(TaxClassification::SCorporation) => (Some("s_corporation"), None, None),
        Some(TaxClassification::Partnership) => (Some("partnership"), None, None),
        Some(TaxClassification::TrustEstate) => (Some("trust_estate"), None, None),
        Some(TaxClassification::Llc(class)) => (
            Some("llc"),
            Some(match class {
                LlcClass::C => "C",
                LlcClass::S => "S",
                LlcClass::P => "P",
            }),
            None,
        ),
        Some(TaxClassification::Other(d)) => (Some("other"), None, Some(d.clone())),
    };
    ChoicesData { entity_type, entity_description, tax_classification, llc_class, tax_other }
}
