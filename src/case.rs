/*!
Case data: the JSON contract with the portal (spec §3) and every rule it must
satisfy.

Parsing happens in two levels: [`CaseInput`] mirrors the wire format (unknown
fields refused), then [`validate`] turns it into a [`Case`] whose values cannot
be wrong, or returns *all* problems as [`FieldError`]s naming the JSON path
and the rule. The as-of date and the reference data (E&O minimums) are inputs.
*/

mod address;
mod ids;
mod input;
mod model;
mod validate;

use std::fmt;

use serde::Serialize;
use time::Date;

pub use address::is_po_box;
pub use ids::{AccountNumber, Ein, Email, Npn, Phone, RoutingNumber, Rule, Ssn, UsState, Zip};
pub use input::*;
pub use model::*;
pub use validate::{parse_date, validate};

use crate::reference::Reference;

/// One broken rule: the JSON path of the field and a plain-English message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON path, e.g. `contact.address.line1` or `background[4].explanation`.
    pub field: String,
    /// What is wrong, phrased to follow the field name.
    pub message: String,
}

/// Every problem found in a case, in document order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CaseErrors(pub Vec<FieldError>);

impl fmt::Display for CaseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for CaseErrors {}

/// Reads a case from JSON bytes and validates it as of `as_of`.
///
/// # Errors
/// A single error when the JSON is malformed, has an unknown field or a value
/// of the wrong type (with the path where it happened); otherwise every
/// broken rule of spec §3.
pub fn parse_case(json: &[u8], as_of: Date, reference: &Reference) -> Result<Case, CaseErrors> {
    let input = parse_input(json)?;
    validate(&input, as_of, reference)
}

/// Reads the wire form of a case without applying the rules.
///
/// # Errors
/// When the JSON is malformed, has an unknown field or a wrongly typed value.
pub fn parse_input(json: &[u8]) -> Result<CaseInput, CaseErrors> {
    let de = &mut serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = describe_json_error(&inner);
        // serde_path_to_error's path already ends with an unknown field's name.
        let field = if path == "." || path.is_empty() { "(document)".to_owned() } else { path };
        CaseErrors(vec![FieldError { field, message }])
    })
}

fn describe_json_error(err: &serde_json::Error) -> String {
    let text = err.to_string();
    // Drop serde_json's " at line L column C" suffix from the message body and
    // keep the position in a friendlier form.
    let body = text.split(" at line ").next().unwrap_or(&text);
    if let Some(rest) = body.strip_prefix("unknown field ") {
        let name = rest.split('`').nth(1).unwrap_or(rest);
        return format!("unknown field `{name}` is not part of the case format");
    }
    match err.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("is not valid JSON: {body} (line {}, column {})", err.line(), err.column())
        }
        _ => format!("has the wrong type: {body}"),
    }
}
