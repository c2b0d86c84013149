//! Serialising `lopdf` objects to PDF syntax (ISO 32000-1 §7.3).

use lopdf::{Dictionary, Object};

/// Appends `obj` in PDF syntax. Strings are written in hexadecimal form, so
/// no value can break out of its string; names escape every byte outside
/// the regular characters (§7.3.5).
pub fn write_object(out: &mut Vec<u8>, obj: &Object) {
    match obj {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => out.extend_from_slice(format_real(f64::from(*r)).as_bytes()),
        Object::Name(name) => write_name(out, name),
        Object::String(bytes, _) => write_string_hex(out, bytes),
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, item);
            }
            out.push(b']');
        }
        Object::Dictionary(dict) => write_dictionary(out, dict),
        Object::Stream(stream) => {
            let mut dict = stream.dict.clone();
            dict.set("Length", Object::Integer(stream.content.len() as i64));
            write_dictionary(out, &dict);
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&stream.content);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference((num, generation)) => out.extend_from_slice(format!("{num} {generation} R").as_bytes()),
    }
}

/// `<< /Key value … >>`.
pub fn write_dictionary(out: &mut Vec<u8>, dict: &Dictionary) {
    out.extend_from_slice(b"<<");
    for (key, value) in dict.iter() {
        write_name(out, key);
        out.push(b' ');
        write_object(out, value);
    }
    out.extend_from_slice(b">>");
}

/// `<48656C6C6F>`.
pub fn write_string_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'<');
    out.extend_from_slice(hex::encode_upper(bytes).as_bytes());
    out.push(b'>');
}

fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &b in name {
        let regular = b.is_ascii_graphic() && !b"()<>[]{}/%#".contains(&b);
        if regular {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

/// A real number without exponent, at most four decimals, no trailing zeros.
pub fn format_real(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() { "0".to_owned() } else { s.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(obj: &Object) -> String {
        let mut out = Vec::new();
        write_object(&mut out, obj);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn primitives() {
        assert_eq!(text(&Object::Name(b"A B#".to_vec())), "/A#20B#23");
        assert_eq!(text(&Object::String(b"(x)".to_vec(), lopdf::StringFormat::Literal)), "<287829>");
        assert_eq!(text(&Object::Real(12.5)), "12.5");
        assert_eq!(text(&Object::Real(3.0)), "3");
        assert_eq!(text(&Object::Reference((12, 0))), "12 0 R");
        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"Sig".to_vec()));
        d.set("N", Object::Array(vec![Object::Integer(1), Object::Boolean(true), Object::Null]));
        assert_eq!(text(&Object::Dictionary(d)), "<</Type /Sig/N [1 true null]>>");
    }
}
