//! The validated case: every value here has passed the rules of spec §3.

use time::Date;

use super::input::Appointment;
use super::ids::{AccountNumber, Ein, Email, Npn, Phone, RoutingNumber, Ssn, UsState, Zip};
use crate::money::Money;
use crate::reference::ContractState;

/// A validated onboarding case.
#[derive(Clone, Debug)]
pub struct Case {
    /// The portal's case key, e.g. `OB-2026-000123`.
    pub case_key: String,
    /// The agency being contracted.
    pub agency: Agency,
    /// The agency's principal, who signs.
    pub principal: Principal,
    /// Business contact details.
    pub contact: Contact,
    /// The states to contract for, in the order given.
    pub states: Vec<ContractState>,
    /// Whether BlueLincs HMO is chosen (only with Oklahoma).
    pub bluelincs_hmo: bool,
    /// NIPR appointments, shown for reference.
    pub appointments: Vec<Appointment>,
    /// The twelve background answers, in question order.
    pub background: Vec<BackgroundAnswer>,
    /// The errors-and-omissions policy.
    pub errors_and_omissions: ErrorsAndOmissions,
    /// Where commissions are paid.
    pub banking: Banking,
}

/// `agency`.
#[derive(Clone, Debug)]
pub struct Agency {
    /// Legal name.
    pub legal_name: String,
    /// Doing-business-as name.
    pub dba_name: Option<String>,
    /// Employer identification number.
    pub tax_id: Ein,
    /// Agency NPN.
    pub npn: Npn,
    /// Business state.
    pub business_state: UsState,
}

/// `principal`.
#[derive(Clone, Debug)]
pub struct Principal {
    /// First name.
    pub first_name: String,
    /// Middle name, if any.
    pub middle_name: Option<String>,
    /// Last name.
    pub last_name: String,
    /// Principal NPN.
    pub npn: Npn,
    /// Social security number (masked everywhere).
    pub ssn: Ssn,
    /// Resident license state.
    pub resident_state: UsState,
    /// Date of birth.
    pub birth_date: Date,
}

impl Principal {
    /// "First Middle Last", or "First Last" without a middle name.
    pub fn full_name(&self) -> String {
        match &self.middle_name {
            Some(m) => format!("{} {} {}", self.first_name, m, self.last_name),
            None => format!("{} {}", self.first_name, self.last_name),
        }
    }
}

/// `contact`.
#[derive(Clone, Debug)]
pub struct Contact {
    /// Business phone.
    pub business_phone: Phone,
    /// Contact email.
    pub email: Email,
    /// Primary business address (never a P.O. Box).
    pub address: Address,
}

/// `contact.address`.
#[derive(Clone, Debug)]
pub struct Address {
    /// Street line.
    pub line1: String,
    /// Suite, floor, etc.
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State.
    pub state: UsState,
    /// ZIP code.
    pub zip: Zip,
    /// County.
    pub county: Option<String>,
}

/// Yes or no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Yes.
    Yes,
    /// No.
    No,
}

/// One background answer.
#[derive(Clone, Debug)]
pub struct BackgroundAnswer {
    /// Question number, 1–12.
    pub question: usize,
    /// The answer.
    pub answer: Answer,
    /// Required when the answer is yes.
    pub explanation: Option<String>,
}

/// `errors_and_omissions`.
#[derive(Clone, Debug)]
pub struct ErrorsAndOmissions {
    /// Insurance carrier.
    pub carrier: String,
    /// Policy number.
    pub policy_number: String,
    /// Effective date (not after the as-of date).
    pub effective_date: Date,
    /// Expiration date (more than 7 days after the as-of date).
    pub expiration_date: Date,
    /// Per-occurrence (per-claim) limit.
    pub per_occurrence_limit: Money,
    /// Aggregate limit.
    pub aggregate_limit: Money,
}

/// Checking or savings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountType {
    /// Checking.
    Checking,
    /// Savings.
    Savings,
}

/// `banking` (payment type is always EFT).
#[derive(Clone, Debug)]
pub struct Banking {
    /// Account type.
    pub account_type: AccountType,
    /// Routing number.
    pub routing_number: RoutingNumber,
    /// Account number.
    pub account_number: AccountNumber,
}
