//! Identifiers and contact values that cannot hold a bad value: each is built
//! only through `parse`, which returns the plain-English rule it broke.
//! Sensitive ones (SSN, EIN, bank numbers) mask themselves in `Debug` and
//! `Display`; their full value is reachable only through an explicit method.

use std::fmt;

/// What `parse` returns on failure: the rule, phrased to follow the field name.
pub type Rule = &'static str;

fn digits_only(text: &str, allowed_punctuation: &[char]) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for ch in text.trim().chars() {
        if ch.is_ascii_digit() {
            out.push(ch);
        } else if !allowed_punctuation.contains(&ch) {
            return None;
        }
    }
    Some(out)
}

fn last_four(digits: &str) -> &str {
    &digits[digits.len().saturating_sub(4)..]
}

/// An employer identification number, `NN-NNNNNNN`, with a prefix the IRS issues.
#[derive(Clone, PartialEq, Eq)]
pub struct Ein(String);

/// EIN prefixes the IRS has never assigned.
const UNUSED_EIN_PREFIXES: [u8; 17] = [0, 7, 8, 9, 17, 18, 19, 28, 29, 49, 69, 70, 78, 79, 89, 96, 97];

impl Ein {
    /// Parses `NN-NNNNNNN` or nine digits.
    ///
    /// # Errors
    /// When the shape is wrong or the prefix is not one the IRS issues.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        let t = text.trim();
        let digits: String = match t.len() {
            9 if t.bytes().all(|b| b.is_ascii_digit()) => t.to_owned(),
            10 if t.as_bytes()[2] == b'-' && t.bytes().enumerate().all(|(i, b)| i == 2 || b.is_ascii_digit()) => {
                t.replace('-', "")
            }
            _ => return Err("must be an EIN written NN-NNNNNNN or as 9 digits"),
        };
        let prefix = (digits.as_bytes()[0] - b'0') * 10 + (digits.as_bytes()[1] - b'0');
        if UNUSED_EIN_PREFIXES.contains(&prefix) {
            return Err("must start with a prefix the IRS issues (this EIN prefix is never assigned)");
        }
        Ok(Ein(digits))
    }

    /// The full EIN as `NN-NNNNNNN` (printed on the W-9; never logged).
    pub fn expose_formatted(&self) -> String {
        format!("{}-{}", &self.0[..2], &self.0[2..])
    }

    /// `**-***1937`.
    pub fn masked(&self) -> String {
        format!("**-***{}", last_four(&self.0))
    }
}

impl fmt::Debug for Ein {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ein({})", self.masked())
    }
}

/// A national producer number: 1–10 digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Npn(String);

impl Npn {
    /// # Errors
    /// Unless 1–10 digits.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        let t = text.trim();
        if (1..=10).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Npn(t.to_owned()))
        } else {
            Err("must be a National Producer Number of 1 to 10 digits")
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A social security number. Never printed in full.
#[derive(Clone, PartialEq, Eq)]
pub struct Ssn(String);

impl Ssn {
    /// Parses nine digits, dashes optional (`123-45-6789` or `123456789`).
    ///
    /// # Errors
    /// When the shape is wrong, the area is 000, 666 or 900–999, the group is
    /// 00 or the serial 0000.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        let t = text.trim();
        let shape_ok = match t.len() {
            9 => t.bytes().all(|b| b.is_ascii_digit()),
            11 => t.bytes().enumerate().all(|(i, b)| if i == 3 || i == 6 { b == b'-' } else { b.is_ascii_digit() }),
            _ => false,
        };
        if !shape_ok {
            return Err("must be a Social Security number of 9 digits (dashes optional)");
        }
        let d = t.replace('-', "");
        let (area, group, serial) = (&d[..3], &d[3..5], &d[5..]);
        if area == "000" || area == "666" || area.starts_with('9') {
            return Err("must have a valid area number (not 000, 666 or 900-999)");
        }
        if group == "00" {
            return Err("must have a valid group number (not 00)");
        }
        if serial == "0000" {
            return Err("must have a valid serial number (not 0000)");
        }
        Ok(Ssn(d))
    }

    /// `***-**-4471`.
    pub fn masked(&self) -> String {
        format!("***-**-{}", last_four(&self.0))
    }
}

impl fmt::Debug for Ssn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ssn({})", self.masked())
    }
}

/// A US state, district or territory code used by USPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsState(&'static str);

const US_STATES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    "AS", "GU", "MP", "PR", "VI",
];

impl UsState {
    /// # Errors
    /// Unless a two-letter USPS code of a state, DC or a territory (upper case).
    pub fn parse(text: &str) -> Result<Self, Rule> {
        US_STATES
            .iter()
            .find(|s| **s == text.trim())
            .map(|s| UsState(s))
            .ok_or("must be a two-letter US state code such as OK or TX")
    }

    /// The code.
    pub fn code(self) -> &'static str {
        self.0
    }
}

/// A ZIP code: `NNNNN` or ZIP+4 `NNNNN-NNNN`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zip(String);

impl Zip {
    /// # Errors
    /// Unless 5 digits or ZIP+4.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        let t = text.trim();
        let ok = match t.len() {
            5 => t.bytes().all(|b| b.is_ascii_digit()),
            10 => t.bytes().enumerate().all(|(i, b)| if i == 5 { b == b'-' } else { b.is_ascii_digit() }),
            _ => false,
        };
        if ok { Ok(Zip(t.to_owned())) } else { Err("must be a ZIP code of 5 digits or ZIP+4 (74764 or 74764-1234)") }
    }

    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A 10-digit North American phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Accepts any common punctuation (`580-933-4212`, `(580) 933-4212`,
    /// `580.933.4212`, `+1 580 933 4212`).
    ///
    /// # Errors
    /// Unless ten digits (after an optional country code 1) with an area code
    /// and exchange that do not start with 0 or 1.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        const RULE: Rule = "must be a 10-digit US phone number such as 580-933-4212";
        let digits = digits_only(text, &[' ', '-', '.', '(', ')', '+']).ok_or(RULE)?;
        let digits = match digits.len() {
            10 => digits,
            11 if digits.starts_with('1') => digits[1..].to_owned(),
            _ => return Err(RULE),
        };
        let b = digits.as_bytes();
        if b[0] < b'2' || b[3] < b'2' {
            return Err("must be a valid US phone number (area code and exchange cannot start with 0 or 1)");
        }
        Ok(Phone(digits))
    }

    /// `580-933-4212`.
    pub fn formatted(&self) -> String {
        format!("{}-{}-{}", &self.0[..3], &self.0[3..6], &self.0[6..])
    }
}

/// A plausible email address: one `@`, a local part, a dotted domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// # Errors
    /// Unless it looks like `name@example.com`.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        const RULE: Rule = "must be an email address such as name@example.com";
        let t = text.trim();
        let (local, domain) = t.split_once('@').ok_or(RULE)?;
        let printable = |s: &str| s.chars().all(|c| c.is_ascii_graphic() && c != '@' && c != '<' && c != '>');
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty() && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        let tld_ok = domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if t.len() <= 254 && !local.is_empty() && local.len() <= 64 && printable(local) && domain.contains('.') && labels_ok && tld_ok
        {
            Ok(Email(t.to_owned()))
        } else {
            Err(RULE)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ABA routing transit number: nine digits passing the ABA checksum.
#[derive(Clone, PartialEq, Eq)]
pub struct RoutingNumber(String);

impl RoutingNumber {
    /// # Errors
    /// Unless nine digits with a valid ABA check digit.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        let t = text.trim();
        if t.len() != 9 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be a 9-digit bank routing number");
        }
        let d: Vec<u32> = t.bytes().map(|b| u32::from(b - b'0')).collect();
        let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
        if !sum.is_multiple_of(10) {
            return Err("is not a valid routing number (the ABA check digit does not match)");
        }
        Ok(RoutingNumber(t.to_owned()))
    }

    /// `•••••0025`: the last four digits only.
    pub fn masked(&self) -> String {
        format!("•••••{}", last_four(&self.0))
    }
}

impl fmt::Debug for RoutingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoutingNumber({})", self.masked())
    }
}

/// A bank account number: 4–17 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountNumber(String);

impl AccountNumber {
    /// # Errors
    /// Unless 4–17 digits.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        let t = text.trim();
        if (4..=17).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountNumber(t.to_owned()))
        } else {
            Err("must be a bank account number of 4 to 17 digits")
        }
    }

    /// `••••••3210`: never more than the last four digits.
    pub fn masked(&self) -> String {
        format!("••••••{}", last_four(&self.0))
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ein() {
        for good in ["73-4821937", "734821937", "01-2345678", "99-0000001"] {
            assert!(Ein::parse(good).is_ok(), "{good}");
        }
        for bad in ["7-34821937", "73-482193", "73_4821937", "00-1234567", "07-1234567", "89-1234567", "96-1234567", "", "abcdefghi"] {
            assert!(Ein::parse(bad).is_err(), "{bad}");
        }
        let ein = Ein::parse("734821937").unwrap();
        assert_eq!(ein.expose_formatted(), "73-4821937");
        assert_eq!(format!("{ein:?}"), "Ein(**-***1937)");
    }

    #[test]
    fn npn() {
        assert!(Npn::parse("1").is_ok());
        assert!(Npn::parse("1234567890").is_ok());
        for bad in ["", "12345678901", "12a", "-1", "1 2"] {
            assert!(Npn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ssn() {
        for good in ["512-38-4471", "512384471", "899-01-0001"] {
            assert!(Ssn::parse(good).is_ok(), "{good}");
        }
        for bad in ["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "512-00-4471", "512-38-0000", "51238447", "512-384-471", "5123-8-4471"] {
            assert!(Ssn::parse(bad).is_err(), "{bad}");
        }
        let ssn = Ssn::parse("512-38-4471").unwrap();
        assert_eq!(format!("{ssn:?}"), "Ssn(***-**-4471)");
    }

    #[test]
    fn state_zip_phone_email() {
        assert!(UsState::parse("OK").is_ok());
        assert!(UsState::parse("DC").is_ok());
        assert!(UsState::parse("ok").is_err());
        assert!(UsState::parse("XX").is_err());
        assert!(Zip::parse("74764").is_ok());
        assert!(Zip::parse("74764-1234").is_ok());
        for bad in ["7476", "747641", "74764-123", "74764 1234", "ABCDE"] {
            assert!(Zip::parse(bad).is_err(), "{bad}");
        }
        for good in ["580-933-4212", "(580) 933-4212", "580.933.4212", "5809334212", "+1 580 933 4212", "1-580-933-4212"] {
            assert_eq!(Phone::parse(good).map(|p| p.formatted()), Ok("580-933-4212".to_owned()), "{good}");
        }
        for bad in ["933-4212", "080-933-4212", "580-133-4212", "580-933-42123", "580/933/4212", "phone"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
        for good in ["charles.ray@example.com", "a+b@mail.example.org"] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
        for bad in ["charles", "charles@", "@example.com", "a@b", "a b@example.com", "a@@example.com", "a@example.c", "a@-x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn routing_and_account() {
        for good in ["111000025", "021000021", "011000015"] {
            assert!(RoutingNumber::parse(good).is_ok(), "{good}");
        }
        for bad in ["111000026", "123456789", "11100002", "1110000255", "11100002a"] {
            assert!(RoutingNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(AccountNumber::parse("1234").is_ok());
        assert!(AccountNumber::parse("12345678901234567").is_ok());
        for bad in ["123", "123456789012345678", "12-34", ""] {
            assert!(AccountNumber::parse(bad).is_err(), "{bad}");
        }
        let acct = AccountNumber::parse("9876543210").unwrap();
        assert_eq!(acct.masked(), "••••••3210");
        assert!(!format!("{acct:?}").contains("98765"));
    }
}
