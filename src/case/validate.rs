//! From [`CaseInput`] to [`Case`]: every rule of spec §3, with all problems
//! collected at once as `{field, message}` pairs. The as-of date is an input;
//! nothing here reads the clock.

use time::{Date, Duration, format_description::BorrowedFormatItem, macros::format_description};

use super::address::is_po_box;
use super::ids::{AccountNumber, Ein, Email, Npn, Phone, RoutingNumber, Rule, Ssn, UsState, Zip};
use super::input::*;
use super::model::*;
use super::{CaseErrors, FieldError};
use crate::money::Money;
use crate::reference::{BackgroundQuestions, ContractState, Reference};

const ISO_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");
const MAX_TEXT_CHARS: usize = 200;

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text.trim(), ISO_DATE).ok()
}

/// Collects field errors while walking the input.
struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.into(), message: message.into() });
    }

    /// A required, trimmed, printable text value.
    fn text(&mut self, field: &str, value: Option<&String>) -> Option<String> {
        match value.map(|v| v.trim()) {
            None | Some("") => {
                self.fail(field, "is required");
                None
            }
            Some(v) => self.printable(field, v),
        }
    }

    /// An optional text value: `null`, absent and blank all mean "none".
    fn optional_text(&mut self, field: &str, value: Option<&String>) -> Option<String> {
        match value.map(|v| v.trim()) {
            None | Some("") => None,
            Some(v) => self.printable(field, v),
        }
    }

    fn printable(&mut self, field: &str, v: &str) -> Option<String> {
        if v.chars().any(char::is_control) {
            self.fail(field, "must be printable text (no control characters or line breaks)");
            None
        } else if v.chars().count() > MAX_TEXT_CHARS {
            self.fail(field, format!("must be at most {MAX_TEXT_CHARS} characters"));
            None
        } else {
            Some(v.to_owned())
        }
    }

    /// A required value parsed by one of the `ids` newtypes.
    fn parsed<T>(&mut self, field: &str, value: Option<&String>, parse: fn(&str) -> Result<T, Rule>) -> Option<T> {
        match value.map(|v| v.trim()) {
            None | Some("") => {
                self.fail(field, "is required");
                None
            }
            Some(v) => parse(v).map_err(|rule| self.fail(field, rule)).ok(),
        }
    }

    fn date(&mut self, field: &str, value: Option<&String>) -> Option<Date> {
        self.parsed(field, value, |v| parse_date(v).ok_or("must be a real date written YYYY-MM-DD"))
    }

    fn object<'a, T>(&mut self, field: &str, value: Option<&'a T>) -> Option<&'a T> {
        if value.is_none() {
            self.fail(field, "is required");
        }
        value
    }
}

/// Validates a case against the rules of spec §3 as of `as_of`.
///
/// # Errors
/// Every broken rule, each with the JSON path of its field.
pub fn validate(input: &CaseInput, as_of: Date, reference: &Reference) -> Result<Case, CaseErrors> {
    let mut c = Check { errors: Vec::new() };
    let case_key = c.parsed("case_key", input.case_key.as_ref(), |v| {
        if (1..=64).contains(&v.len()) && v.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')) {
            Ok(())
        } else {
            Err("must be 1 to 64 letters, digits, dots, dashes or underscores")
        }
    });
    let agency = c.object("agency", input.agency.as_ref()).map(|a| agency(&mut c, a));
    let principal = c.object("principal", input.principal.as_ref()).map(|p| principal(&mut c, p, as_of));
    let contact = c.object("contact", input.contact.as_ref()).map(|ct| contact(&mut c, ct));
    let licenses = c.object("licenses", input.licenses.as_ref()).map(|l| licenses(&mut c, l));
    let background = background(&mut c, input.background.as_deref());
    let states = licenses.as_ref().and_then(|(s, _)| s.clone());
    let eo = c
        .object("errors_and_omissions", input.errors_and_omissions.as_ref())
        .map(|e| errors_and_omissions(&mut c, e, as_of, states.as_deref(), reference));
    let banking = c.object("banking", input.banking.as_ref()).map(|b| banking(&mut c, b));
    let appointments = input.appointments.clone();

    match (case_key, agency, principal, contact, licenses, background, eo, banking) {
        (
            Some(()),
            Some(Some(agency)),
            Some(Some(principal)),
            Some(Some(contact)),
            Some((Some(states), Some(bluelincs_hmo))),
            Some(background),
            Some(Some(errors_and_omissions)),
            Some(Some(banking)),
        ) if c.errors.is_empty() => Ok(Case {
            case_key: input.case_key.as_deref().unwrap_or_default().trim().to_owned(),
            agency,
            principal,
            contact,
            states,
            bluelincs_hmo,
            appointments,
            background,
            errors_and_omissions,
            banking,
        }),
        _ => Err(CaseErrors(c.errors)),
    }
}

fn agency(c: &mut Check, a: &AgencyInput) -> Option<Agency> {
    let legal_name = c.text("agency.legal_name", a.legal_name.as_ref());
    let dba_name = c.optional_text("agency.dba_name", a.dba_name.as_ref());
    let tax_id = c.parsed("agency.tax_id", a.tax_id.as_ref(), Ein::parse);
    let npn = c.parsed("agency.npn", a.npn.as_ref(), Npn::parse);
    let business_state = c.parsed("agency.business_state", a.business_state.as_ref(), UsState::parse);
    Some(Agency { legal_name: legal_name?, dba_name, tax_id: tax_id?, npn: npn?, business_state: business_state? })
}

fn principal(c: &mut Check, p: &PrincipalInput, as_of: Date) -> Option<Principal> {
    let first_name = c.text("principal.first_name", p.first_name.as_ref());
    let middle_name = c.optional_text("principal.middle_name", p.middle_name.as_ref());
    let last_name = c.text("principal.last_name", p.last_name.as_ref());
    let npn = c.parsed("principal.npn", p.npn.as_ref(), Npn::parse);
    let ssn = c.parsed("principal.ssn", p.ssn.as_ref(), Ssn::parse);
    let resident_state = c.parsed("principal.resident_state", p.resident_state.as_ref(), UsState::parse);
    let birth_date = c.date("principal.birth_date", p.birth_date.as_ref());
    if let Some(born) = birth_date
        && age_on(born, as_of) < 18 {
            c.fail("principal.birth_date", format!("must show the principal is at least 18 years old on {as_of}"));
        }
    Some(Principal {
        first_name: first_name?,
        middle_name,
        last_name: last_name?,
        npn: npn?,
        ssn: ssn?,
        resident_state: resident_state?,
        birth_date: birth_date.filter(|b| age_on(*b, as_of) >= 18)?,
    })
}

/// Whole years between `born` and `on` (negative if born later).
fn age_on(born: Date, on: Date) -> i32 {
    let had_birthday = (on.month() as u8, on.day()) >= (born.month() as u8, born.day());
    on.year() - born.year() - i32::from(!had_birthday)
}

fn contact(c: &mut Check, ct: &ContactInput) -> Option<Contact> {
    let business_phone = c.parsed("contact.business_phone", ct.business_phone.as_ref(), Phone::parse);
    let email = c.parsed("contact.email", ct.email.as_ref(), Email::parse);
    let address = c.object("contact.address", ct.address.as_ref()).and_then(|a| address(c, a));
    Some(Contact { business_phone: business_phone?, email: email?, address: address? })
}

fn address(c: &mut Check, a: &AddressInput) -> Option<Address> {
    let mut line1 = c.text("contact.address.line1", a.line1.as_ref());
    if line1.as_deref().is_some_and(is_po_box) {
        c.fail("contact.address.line1", "must be a street address, not a P.O. Box (the primary address cannot be a P.O. Box)");
        line1 = None;
    }
    let line2 = c.optional_text("contact.address.line2", a.line2.as_ref());
    let city = c.text("contact.address.city", a.city.as_ref());
    let state = c.parsed("contact.address.state", a.state.as_ref(), UsState::parse);
    let zip = c.parsed("contact.address.zip", a.zip.as_ref(), Zip::parse);
    let county = c.optional_text("contact.address.county", a.county.as_ref());
    Some(Address { line1: line1?, line2, city: city?, state: state?, zip: zip?, county })
}

fn licenses(c: &mut Check, l: &LicensesInput) -> (Option<Vec<ContractState>>, Option<bool>) {
    let Some(codes) = l.states.as_ref().filter(|s| !s.is_empty()) else {
        c.fail("licenses.states", "must list at least one of IL, MT, NM, OK, TX");
        return (None, None);
    };
    let mut states = Vec::with_capacity(codes.len());
    let mut ok = true;
    for (i, code) in codes.iter().enumerate() {
        match ContractState::parse(code.trim()) {
            Some(s) if states.contains(&s) => {
                c.fail(format!("licenses.states[{i}]"), format!("lists {s} more than once"));
                ok = false;
            }
            Some(s) => states.push(s),
            None => {
                c.fail(format!("licenses.states[{i}]"), "must be one of IL, MT, NM, OK, TX");
                ok = false;
            }
        }
    }
    let bluelincs = if l.bluelincs_hmo && !states.contains(&ContractState::OK) {
        c.fail("licenses.bluelincs_hmo", "can only be true when OK is selected in licenses.states");
        None
    } else {
        Some(l.bluelincs_hmo)
    };
    (ok.then_some(states), bluelincs)
}

fn background(c: &mut Check, answers: Option<&[BackgroundAnswerInput]>) -> Option<Vec<BackgroundAnswer>> {
    let Some(answers) = answers else {
        c.fail("background", "is required: answer all 12 background questions");
        return None;
    };
    let before = c.errors.len();
    let mut seen: [Option<BackgroundAnswer>; BackgroundQuestions::COUNT] = Default::default();
    for (i, a) in answers.iter().enumerate() {
        let number = match a.question {
            Some(n @ 1..=12) => n as usize,
            Some(_) => {
                c.fail(format!("background[{i}].question"), "must be a question number from 1 to 12");
                continue;
            }
            None => {
                c.fail(format!("background[{i}].question"), "is required");
                continue;
            }
        };
        let answer = match a.answer.as_deref().map(str::trim) {
            Some("yes") => Answer::Yes,
            Some("no") => Answer::No,
            Some(_) => {
                c.fail(format!("background[{i}].answer"), "must be yes or no");
                continue;
            }
            None => {
                c.fail(format!("background[{i}].answer"), "is required");
                continue;
            }
        };
        let explanation = c.optional_text(&format!("background[{i}].explanation"), a.explanation.as_ref());
        if answer == Answer::Yes && explanation.is_none() && a.explanation.as_deref().is_none_or(|e| e.trim().is_empty()) {
            c.fail(format!("background[{i}].explanation"), format!("is required because question {number} is answered yes"));
        }
        if seen[number - 1].is_some() {
            c.fail(format!("background[{i}].question"), format!("answers question {number} more than once"));
            continue;
        }
        seen[number - 1] = Some(BackgroundAnswer { question: number, answer, explanation });
    }
    let missing: Vec<String> =
        seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| (i + 1).to_string()).collect();
    if !missing.is_empty() && c.errors.len() == before {
        c.fail("background", format!("must answer all 12 questions; missing: {}", missing.join(", ")));
    }
    if c.errors.len() > before {
        return None;
    }
    seen.into_iter().collect()
}

fn errors_and_omissions(
    c: &mut Check,
    e: &EoInput,
    as_of: Date,
    states: Option<&[ContractState]>,
    reference: &Reference,
) -> Option<ErrorsAndOmissions> {
    let carrier = c.text("errors_and_omissions.carrier", e.carrier.as_ref());
    let policy_number = c.text("errors_and_omissions.policy_number", e.policy_number.as_ref());
    let effective_date = c.date("errors_and_omissions.effective_date", e.effective_date.as_ref());
    let expiration_date = c.date("errors_and_omissions.expiration_date", e.expiration_date.as_ref());
    if effective_date.is_some_and(|d| d > as_of) {
        c.fail("errors_and_omissions.effective_date", format!("must not be after {as_of} (no future effective dates)"));
    }
    if expiration_date.is_some_and(|d| d <= as_of + Duration::days(7)) {
        c.fail(
            "errors_and_omissions.expiration_date",
            format!("must be more than 7 days after {as_of} (the policy cannot expire within the next 7 days)"),
        );
    }
    let limits = [
        ("per_occurrence_limit", e.per_occurrence_limit.as_ref(), "per claim"),
        ("aggregate_limit", e.aggregate_limit.as_ref(), "aggregate"),
    ]
    .map(|(name, value, what)| {
        let field = format!("errors_and_omissions.{name}");
        let Some(number) = value else {
            c.fail(&field, "is required");
            return None;
        };
        let Some(amount) = Money::parse_dollars(&number.to_string()).filter(|m| *m > Money::ZERO) else {
            c.fail(&field, "must be an amount of dollars greater than 0");
            return None;
        };
        for s in states.unwrap_or_default() {
            let rule = reference.states.rule(*s);
            let minimum = if what == "per claim" { rule.eo_minimum_per_claim } else { rule.eo_minimum_aggregate };
            if amount < minimum {
                c.fail(&field, format!("must be at least {minimum} {what}, the minimum for {} ({s})", rule.name));
                return None;
            }
        }
        Some(amount)
    });
    let [per_occurrence_limit, aggregate_limit] = limits;
    Some(ErrorsAndOmissions {
        carrier: carrier?,
        policy_number: policy_number?,
        effective_date: effective_date.filter(|d| *d <= as_of)?,
        expiration_date: expiration_date.filter(|d| *d > as_of + Duration::days(7))?,
        per_occurrence_limit: per_occurrence_limit?,
        aggregate_limit: aggregate_limit?,
    })
}

fn banking(c: &mut Check, b: &BankingInput) -> Option<Banking> {
    match b.payment_type.as_deref().map(str::trim) {
        Some("EFT") => {}
        None | Some("") => c.fail("banking.payment_type", "is required and must be EFT"),
        Some(_) => c.fail("banking.payment_type", "must be EFT (electronic funds transfer is the only payment type)"),
    }
    let account_type = match b.account_type.as_deref().map(str::trim) {
        Some("checking") => Some(AccountType::Checking),
        Some("savings") => Some(AccountType::Savings),
        None | Some("") => {
            c.fail("banking.account_type", "is required: checking or savings");
            None
        }
        Some(_) => {
            c.fail("banking.account_type", "must be checking or savings");
            None
        }
    };
    let routing = c.parsed("banking.routing_number", b.routing_number.as_ref(), RoutingNumber::parse);
    let routing = confirmed(c, routing, b.routing_number_confirmation.as_ref(), "banking.routing_number", RoutingNumber::parse);
    let account = c.parsed("banking.account_number", b.account_number.as_ref(), AccountNumber::parse);
    let account = confirmed(c, account, b.account_number_confirmation.as_ref(), "banking.account_number", AccountNumber::parse);
    if b.payment_type.as_deref().map(str::trim) != Some("EFT") {
        return None;
    }
    Some(Banking { account_type: account_type?, routing_number: routing?, account_number: account? })
}

/// Checks that `<field>_confirmation` repeats the value exactly.
fn confirmed<T: PartialEq>(
    c: &mut Check,
    value: Option<T>,
    confirmation: Option<&String>,
    field: &str,
    parse: fn(&str) -> Result<T, Rule>,
) -> Option<T> {
    let conf_field = format!("{field}_confirmation");
    let Some(conf) = confirmation.map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        c.fail(&conf_field, format!("is required and must repeat {field}"));
        return None;
    };
    let value = value?;
    if parse(conf).ok().as_ref() != Some(&value) {
        c.fail(&conf_field, format!("must match {field}"));
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::age_on;
    use time::macros::date;

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(date!(2008 - 12 - 03), date!(2026 - 12 - 03)), 18);
        assert_eq!(age_on(date!(2008 - 12 - 04), date!(2026 - 12 - 03)), 17);
        assert_eq!(age_on(date!(2008 - 02 - 29), date!(2026 - 02 - 28)), 17);
        assert_eq!(age_on(date!(2030 - 01 - 01), date!(2026 - 12 - 03)), -4);
    }
}
