/*!
US dollar amounts held as whole cents, so that fee totals are exact.
*/

use std::fmt;

/// An amount of US dollars in whole cents; never negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(u64);

impl Money {
    /// Zero dollars.
    pub const ZERO: Money = Money(0);

    /// An amount from whole cents.
    pub const fn from_cents(cents: u64) -> Self {
        Money(cents)
    }

    /// The amount in cents.
    pub const fn cents(self) -> u64 {
        self.0
    }

    /// Parses a JSON number of dollars with at most two decimals
    /// (`1000000`, `13.5`, `13.50`). Returns `None` for negative amounts,
    /// more than two decimals, exponents or amounts beyond a trillion dollars.
    pub fn parse_dollars(text: &str) -> Option<Self> {
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty() || whole.len() > 13 || frac.len() > 2 {
            return None;
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let dollars: u64 = whole.parse().ok()?;
        let cents: u64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<u64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        Some(Money(dollars.checked_mul(100)?.checked_add(cents)?))
    }

    /// The sum of two amounts (saturating; amounts here are far below the limit).
    pub fn plus(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }
}

/// `$1,000,000.00`, `$13.50`, `$0.00`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dollars = (self.0 / 100).to_string();
        let mut grouped = String::with_capacity(dollars.len() + dollars.len() / 3);
        for (i, ch) in dollars.chars().enumerate() {
            if i > 0 && (dollars.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        write!(f, "${grouped}.{:02}", self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_thousands_and_cents() {
        assert_eq!(Money::from_cents(100_000_000).to_string(), "$1,000,000.00");
        assert_eq!(Money::from_cents(1350).to_string(), "$13.50");
        assert_eq!(Money::ZERO.to_string(), "$0.00");
        assert_eq!(Money::from_cents(99_999).to_string(), "$999.99");
    }

    #[test]
    fn parses_dollars() {
        assert_eq!(Money::parse_dollars("1000000"), Some(Money::from_cents(100_000_000)));
        assert_eq!(Money::parse_dollars("13.5"), Some(Money::from_cents(1350)));
        assert_eq!(Money::parse_dollars("13.05"), Some(Money::from_cents(1305)));
        for bad in ["-1", "1.234", "1e6", "", ".5", "abc", "99999999999999"] {
            assert_eq!(Money::parse_dollars(bad), None, "{bad}");
        }
    }
}
