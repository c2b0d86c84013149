//! A small, bounded PDF object parser for untrusted files: just enough to
//! find indirect objects and read signature dictionaries, with the byte
//! position of every value so the verifier can check what `/ByteRange`
//! excludes. Depth, object count and token sizes are bounded; nothing here
//! allocates more than the input's size.

use std::collections::BTreeMap;

/// Deepest nesting of arrays and dictionaries accepted.
const MAX_DEPTH: usize = 32;
/// Most indirect objects scanned in one file.
pub(crate) const MAX_OBJECTS: usize = 500_000;

/// A parsed value with its byte span in the file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Spanned {
    pub(crate) value: Value,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// PDF values (ISO 32000-1 §7.3), streams excluded.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    String(Vec<u8>),
    Array(Vec<Spanned>),
    Dict(BTreeMap<Vec<u8>, Spanned>),
    Ref(u32, u16),
}

impl Value {
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Spanned> {
        match self {
            Value::Dict(d) => d.get(key),
            _ => None,
        }
    }

    pub(crate) fn name(&self) -> Option<&[u8]> {
        match self {
            Value::Name(n) => Some(n),
            _ => None,
        }
    }
}

/// An indirect object `N G obj … endobj` found in the file.
#[derive(Clone, Debug)]
pub(crate) struct IndirectObject {
    pub(crate) num: u32,
    /// Offset of the object header.
    pub(crate) start: usize,
    pub(crate) value: Spanned,
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    b"()<>[]{}/%".contains(&b)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.pos < self.bytes.len() && !matches!(self.bytes[self.pos], b'\r' | b'\n') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn regular_token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.pos < self.bytes.len() && !is_white(self.bytes[self.pos]) && !is_delim(self.bytes[self.pos]) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    fn value(&mut self, depth: usize) -> Option<Spanned> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        let start = self.pos;
        let value = match self.peek()? {
            b'/' => {
                self.pos += 1;
                let raw = self.regular_token();
                Value::Name(decode_name(raw))
            }
            b'(' => Value::String(self.literal_string()?),
            b'<' if self.bytes.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                let mut dict = BTreeMap::new();
                loop {
                    self.skip_ws();
                    if self.bytes.get(self.pos..self.pos + 2) == Some(b">>") {
                        self.pos += 2;
                        break;
                    }
                    let key = self.value(depth + 1)?;
                    let Value::Name(name) = key.value else { return None };
                    let v = self.value(depth + 1)?;
                    dict.insert(name, v);
                }
                Value::Dict(dict)
            }
            b'<' => {
                self.pos += 1;
                let from = self.pos;
                while self.peek()? != b'>' {
                    self.pos += 1;
                }
                let hex: Vec<u8> = self.bytes[from..self.pos].iter().copied().filter(|b| !is_white(*b)).collect();
                self.pos += 1;
                Value::String(decode_hex(&hex)?)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek()? == b']' {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            _ => {
                let token = self.regular_token();
                match token {
                    b"" => return None,
                    b"null" => Value::Null,
                    b"true" => Value::Bool(true),
                    b"false" => Value::Bool(false),
                    _ => self.number_or_ref(token)?,
                }
            }
        };
        Some(Spanned { value, start, end: self.pos })
    }

    fn number_or_ref(&mut self, token: &[u8]) -> Option<Value> {
        let text = std::str::from_utf8(token).ok()?;
        if let Ok(i) = text.parse::<i64>() {
            // `N G R`?
            let save = self.pos;
            self.skip_ws();
            let generation = self.regular_token();
            self.skip_ws();
            if let (Ok(g), Some(b'R')) = (std::str::from_utf8(generation).unwrap_or("").parse::<u16>(), self.peek()) {
                let after = self.bytes.get(self.pos + 1).copied();
                if after.is_none_or(|b| is_white(b) || is_delim(b)) && !generation.is_empty() {
                    self.pos += 1;
                    return Some(Value::Ref(u32::try_from(i).ok()?, g));
                }
            }
            self.pos = save;
            return Some(Value::Int(i));
        }
        text.parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::Real)
    }

    fn literal_string(&mut self) -> Option<Vec<u8>> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'\\' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(out);
                    }
                    out.push(b);
                }
                _ => out.push(b),
            }
        }
    }
}

fn decode_name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'#' && i + 2 < raw.len()
            && let Some(v) = std::str::from_utf8(&raw[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        out.push(raw[i]);
        i += 1;
    }
    out
}

fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    let mut digits: Vec<u8> = Vec::with_capacity(hex.len() + 1);
    for &b in hex {
        digits.push(match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        });
    }
    if digits.len() % 2 == 1 {
        digits.push(0);
    }
    Some(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
}

/// Every `N G obj` in the file whose value parses, in file order. Values that
/// do not parse are skipped (they cannot be signature dictionaries).
///
/// The bytes the parser may read in total are bounded by a multiple of the
/// file's size, so a file of many unterminated objects cannot make the scan
/// quadratic.
pub(crate) fn indirect_objects(bytes: &[u8]) -> Result<Vec<IndirectObject>, &'static str> {
    const WORK_PER_BYTE: usize = 8;
    let budget = bytes.len().saturating_mul(WORK_PER_BYTE).max(1 << 20);
    let mut work = 0usize;
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(found) = find(&bytes[i..], b"obj") {
        let at = i + found;
        i = at + 3;
        // The header is `num ws gen ws obj` right before `obj`.
        let Some((num, start)) = header_before(bytes, at) else { continue };
        if bytes.get(at + 3).is_some_and(|b| !is_white(*b) && !is_delim(*b)) {
            continue;
        }
        let mut p = Parser { bytes, pos: at + 3 };
        let parsed = p.value(0);
        work = work.saturating_add(p.pos.saturating_sub(at));
        if work > budget {
            return Err("the file's structure is too convoluted for the verifier to read within its limits");
        }
        if let Some(value) = parsed {
            out.push(IndirectObject { num, start, value });
            if out.len() > MAX_OBJECTS {
                return Err("the file has more indirect objects than the verifier accepts");
            }
        }
    }
    Ok(out)
}

fn header_before(bytes: &[u8], obj_at: usize) -> Option<(u32, usize)> {
    let mut j = obj_at;
    let skip_ws_back = |j: &mut usize| {
        while *j > 0 && is_white(bytes[*j - 1]) {
            *j -= 1;
        }
    };
    let digits_back = |j: &mut usize| {
        let end = *j;
        while *j > 0 && bytes[*j - 1].is_ascii_digit() && end - *j < 10 {
            *j -= 1;
        }
        (*j, end)
    };
    skip_ws_back(&mut j);
    if j == obj_at {
        return None;
    }
    let (gs, ge) = digits_back(&mut j);
    if gs == ge {
        return None;
    }
    let before_gen = j;
    skip_ws_back(&mut j);
    if j == before_gen {
        return None;
    }
    let (ns, ne) = digits_back(&mut j);
    if ns == ne || (ns > 0 && !is_white(bytes[ns - 1]) && !is_delim(bytes[ns - 1])) {
        return None;
    }
    let num = std::str::from_utf8(&bytes[ns..ne]).ok()?.parse().ok()?;
    std::str::from_utf8(&bytes[gs..ge]).ok()?.parse::<u16>().ok()?;
    Some((num, ns))
}

/// Position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects_with_spans() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<</Type /Sig/ByteRange [0 10 20 30]/Contents <0A0b>/Name (A\\(b\\))/P 3 0 R>>\nendobj\n";
        let objs = indirect_objects(pdf).unwrap();
        assert_eq!(objs.len(), 1);
        let v = &objs[0].value.value;
        assert_eq!(v.get(b"Type").and_then(|s| s.value.name()), Some(&b"Sig"[..]));
        let contents = v.get(b"Contents").unwrap();
        assert_eq!(contents.value, Value::String(vec![0x0a, 0x0b]));
        assert_eq!(&pdf[contents.start..contents.end], b"<0A0b>");
        assert_eq!(v.get(b"Name").unwrap().value, Value::String(b"A(b)".to_vec()));
        assert_eq!(v.get(b"P").unwrap().value, Value::Ref(3, 0));
    }

    #[test]
    fn many_unterminated_objects_stay_linear() {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        for _ in 0..20_000 {
            pdf.extend_from_slice(b"1 0 obj [ ");
        }
        let result = indirect_objects(&pdf);
        assert!(result.is_err() || result.is_ok_and(|o| o.is_empty()));
    }

    #[test]
    fn more_objects_than_the_limit_are_refused() {
        let one = b"1 0 obj null endobj\n";
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.reserve(one.len() * (MAX_OBJECTS + 1));
        for _ in 0..MAX_OBJECTS {
            pdf.extend_from_slice(one);
        }
        assert_eq!(indirect_objects(&pdf).map(|o| o.len()), Ok(MAX_OBJECTS));
        pdf.extend_from_slice(one);
        assert!(indirect_objects(&pdf).unwrap_err().contains("more indirect objects"));
    }

    #[test]
    fn bounded_depth_and_garbage() {
        let deep = format!("1 0 obj\n{}1{}\nendobj", "[".repeat(100), "]".repeat(100));
        assert!(indirect_objects(deep.as_bytes()).unwrap().is_empty());
        assert!(indirect_objects(b"obj obj 1 obj <<").unwrap().is_empty());
        assert!(indirect_objects(b"").unwrap().is_empty());
    }
}
