//! Street addresses and the "primary address cannot be a P.O. Box" rule.
//!
//! The rule works on words, not substrings: the line is lower-cased, split on
//! anything that is not a letter or digit, and runs of single letters are
//! joined (`P. O. B.` becomes `pob`). A `box` or `drawer` word counts as a
//! mailbox when a postal word comes before it or a number after it, so
//! "Box 12" and "Post Office Box 5" are refused while "1200 Boxwood Ln" and
//! "300 Box Elder St" are streets.

/// Words that, placed before `box`/`drawer`, make it a postal box.
const POSTAL_PREFIXES: [&str; 10] = ["po", "p", "o", "post", "office", "postal", "lock", "caller", "call", "firm"];

/// Single words that are a postal box on their own.
const POSTAL_WORDS: [&str; 6] = ["pobox", "pob", "lockbox", "postbox", "pobx", "pdrawer"];

/// Whether an address line is a post office box (in any common spelling).
pub fn is_po_box(line: &str) -> bool {
    let words = words(line);
    for (i, word) in words.iter().enumerate() {
        let w = word.as_str();
        let next_is_number = words.get(i + 1).is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()));
        let prev_is_postal = i > 0 && POSTAL_PREFIXES.contains(&words[i - 1].as_str());
        if POSTAL_WORDS.contains(&w) {
            return true;
        }
        if matches!(w, "box" | "bx" | "drawer" | "drawers") && (prev_is_postal || next_is_number || i == 0 && words.len() == 1) {
            return true;
        }
        // `PO 1234` and `POB12`-style words glued to their number.
        if w == "po" && next_is_number {
            return true;
        }
        let letters = w.trim_end_matches(|c: char| c.is_ascii_digit());
        if letters.len() < w.len() && matches!(letters, "box" | "pobox" | "pob" | "lockbox" | "drawer") {
            return true;
        }
    }
    false
}

fn words(line: &str) -> Vec<String> {
    let lower = line.to_lowercase();
    let raw: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    let mut run = String::new();
    for w in raw {
        if w.chars().count() == 1 && w.chars().all(char::is_alphabetic) {
            run.push_str(w);
            continue;
        }
        if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
        out.push(w.to_owned());
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_po_box;

    #[test]
    fn refuses_post_office_boxes_in_every_common_spelling() {
        for line in [
            "P.O. Box 123",
            "PO Box 123",
            "P O Box 123",
            "p.o.box 123",
            "P.O.Box123",
            "POBox 123",
            "pobox123",
            "Post Office Box 123",
            "POB 123",
            "P.O.B. 123",
            "Box 123",
            "BOX 4420",
            "Lock Box 55",
            "Lockbox 55",
            "Drawer 9",
            "P.O. Drawer 77",
            "Postal Box 9",
            "Caller Box 301",
            "PO 4420",
            "Box #12",
            "1 Main St, PO Box 5",
            "P. O. Box 60545",
            "Post Box 7",
        ] {
            assert!(is_po_box(line), "{line:?} should be refused");
        }
    }

    #[test]
    fn accepts_streets_that_merely_contain_box() {
        for line in [
            "1200 Boxwood Ln",
            "55 Boxer Rd",
            "9 Sandbox Ct",
            "77 Mailbox Way",
            "300 Box Elder St",
            "12 Drawbridge Rd",
            "401 W Wilson St",
            "100 Post Oak Blvd",
            "15 Pobst St",
            "8 Oxbow Bend",
            "2 Boxford Place",
            "Suite 400, 1 Poplar Ave",
        ] {
            assert!(!is_po_box(line), "{line:?} should be accepted");
        }
    }
}
