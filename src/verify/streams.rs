//! Reading streams from untrusted files, within limits: a stream may not
//! claim more than [`MAX_STREAM_BYTES`], and inflating one may produce
//! neither more than [`MAX_INFLATED_BYTES`] nor more than
//! [`MAX_INFLATE_RATIO`] times its compressed size (a "zip bomb" stops at
//! the limit instead of filling memory).
//!
//! The verifier needs this only to name the objects an update appended
//! after the last signature hides inside compressed object streams.

use std::borrow::Cow;
use std::fmt;

use super::syntax::{IndirectObject, Value};

/// Longest stream the verifier reads.
pub(crate) const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;
/// Most bytes one stream may inflate to.
pub(crate) const MAX_INFLATED_BYTES: usize = 16 * 1024 * 1024;
/// Most a stream may grow when inflated, as a multiple of its size.
pub(crate) const MAX_INFLATE_RATIO: usize = 100;

/// Why a stream was not read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StreamError {
    /// No `stream` keyword or no usable `/Length`.
    Malformed,
    /// `/Length` beyond [`MAX_STREAM_BYTES`].
    TooLong(u64),
    /// `/Length` runs past the end of the file.
    Truncated,
    /// A filter other than none or `/FlateDecode`.
    Filter(String),
    /// Inflating would pass [`MAX_INFLATED_BYTES`].
    InflatesTooLarge,
    /// Inflating would pass [`MAX_INFLATE_RATIO`].
    InflateRatio,
    /// Not valid zlib data.
    Corrupt,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => write!(f, "a stream without a usable /Length"),
            Self::TooLong(n) => write!(f, "a stream claiming {n} bytes, more than the verifier's limit of {MAX_STREAM_BYTES}"),
            Self::Truncated => write!(f, "a stream whose /Length runs past the end of the file"),
            Self::Filter(name) => write!(f, "a stream compressed with /{name}, which the verifier does not decode"),
            Self::InflatesTooLarge => {
                write!(f, "a compressed stream that expands past the verifier's limit of {MAX_INFLATED_BYTES} bytes")
            }
            Self::InflateRatio => {
                write!(f, "a compressed stream that expands more than {MAX_INFLATE_RATIO} times its size (a decompression bomb)")
            }
            Self::Corrupt => write!(f, "a compressed stream that is not valid zlib data"),
        }
    }
}

/// The stream data that follows `obj`'s dictionary, as stored.
pub(crate) fn raw<'a>(pdf: &'a [u8], obj: &IndirectObject, objects: &[IndirectObject]) -> Result<&'a [u8], StreamError> {
    let len = match obj.value.value.get(b"Length").map(|l| &l.value) {
        Some(Value::Int(n)) => *n,
        Some(Value::Ref(num, _)) => match objects.iter().rev().find(|o| o.num == *num).map(|o| &o.value.value) {
            Some(Value::Int(n)) => *n,
            _ => return Err(StreamError::Malformed),
        },
        _ => return Err(StreamError::Malformed),
    };
    let len = u64::try_from(len).map_err(|_| StreamError::Malformed)?;
    if len > MAX_STREAM_BYTES as u64 {
        return Err(StreamError::TooLong(len));
    }
    let mut at = obj.value.end;
    while pdf.get(at).is_some_and(|b| b" \t\r\n\x0c\0".contains(b)) && !pdf[at..].starts_with(b"stream") {
        at += 1;
    }
    let rest = pdf.get(at..).and_then(|r| r.strip_prefix(b"stream")).ok_or(StreamError::Malformed)?;
    let rest = rest.strip_prefix(b"\r\n").or_else(|| rest.strip_prefix(b"\n")).ok_or(StreamError::Malformed)?;
    rest.get(..len as usize).ok_or(StreamError::Truncated)
}

/// The stream's data with its filter undone.
pub(crate) fn decoded<'a>(pdf: &'a [u8], obj: &IndirectObject, objects: &[IndirectObject]) -> Result<Cow<'a, [u8]>, StreamError> {
    let data = raw(pdf, obj, objects)?;
    let filters: Vec<&[u8]> = match obj.value.value.get(b"Filter").map(|f| &f.value) {
        None => Vec::new(),
        Some(Value::Name(n)) => vec![n.as_slice()],
        Some(Value::Array(items)) => items.iter().filter_map(|i| i.value.name()).collect(),
        Some(_) => return Err(StreamError::Malformed),
    };
    match filters.as_slice() {
        [] => Ok(Cow::Borrowed(data)),
        [b"FlateDecode"] => inflate(data).map(Cow::Owned),
        [other, ..] if *other != b"FlateDecode" => Err(StreamError::Filter(String::from_utf8_lossy(other).into_owned())),
        _ => Err(StreamError::Filter("FlateDecode followed by other filters".into())),
    }
}

/// Inflates zlib data within both limits.
pub(crate) fn inflate(data: &[u8]) -> Result<Vec<u8>, StreamError> {
    let by_ratio = data.len().saturating_mul(MAX_INFLATE_RATIO);
    let limit = by_ratio.min(MAX_INFLATED_BYTES);
    match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, limit) {
        Ok(out) => Ok(out),
        Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
            Err(if limit == by_ratio { StreamError::InflateRatio } else { StreamError::InflatesTooLarge })
        }
        Err(_) => Err(StreamError::Corrupt),
    }
}

/// The object numbers an object stream (`/Type /ObjStm`) holds: the first
/// `/N` pairs of its header.
pub(crate) fn object_stream_members(obj: &IndirectObject, decoded: &[u8]) -> Vec<u32> {
    let int = |key: &[u8]| match obj.value.value.get(key).map(|v| &v.value) {
        Some(Value::Int(n)) => usize::try_from(*n).ok(),
        _ => None,
    };
    let (Some(n), Some(first)) = (int(b"N"), int(b"First")) else { return Vec::new() };
    let header = &decoded[..first.min(decoded.len())];
    header
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .step_by(2)
        .take(n)
        .filter_map(|t| std::str::from_utf8(t).ok()?.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::syntax::indirect_objects;
    use super::*;

    fn zlib(data: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(data, 9)
    }

    fn stream_object(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut pdf = format!("%PDF-1.7\n7 0 obj\n<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        pdf.extend_from_slice(data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        pdf
    }

    fn decode(pdf: &[u8]) -> Result<Vec<u8>, StreamError> {
        let objects = indirect_objects(pdf).unwrap();
        decoded(pdf, &objects[0], &objects).map(Cow::into_owned)
    }

    #[test]
    fn an_object_stream_names_its_members() {
        let body = b"12 0 13 20 << /Type /Annot >> << /Type /Page >>";
        let pdf = stream_object("/Type /ObjStm /N 2 /First 11 /Filter /FlateDecode", &zlib(body));
        let objects = indirect_objects(&pdf).unwrap();
        let inflated = decoded(&pdf, &objects[0], &objects).unwrap();
        assert_eq!(object_stream_members(&objects[0], &inflated), vec![12, 13]);
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_ratio_limit() {
        let bomb = zlib(&vec![0u8; 8 * 1024 * 1024]);
        assert!(bomb.len() * MAX_INFLATE_RATIO < 8 * 1024 * 1024, "the bomb compresses well enough to test the ratio");
        assert_eq!(decode(&stream_object("/Filter /FlateDecode", &bomb)), Err(StreamError::InflateRatio));
    }

    #[test]
    fn inflating_stops_at_the_size_limit() {
        // Random-looking data barely compresses, so only the size limit applies.
        let mut state = 0x2545_f491_u32;
        let noise: Vec<u8> = (0..MAX_INFLATED_BYTES + 1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        assert_eq!(inflate(&zlib(&noise)), Err(StreamError::InflatesTooLarge));
    }

    #[test]
    fn a_stream_may_not_claim_more_than_the_limit_or_the_file() {
        let mut pdf = stream_object("", b"abc");
        let claimed = (MAX_STREAM_BYTES + 1).to_string();
        pdf = String::from_utf8(pdf).unwrap().replace("/Length 3", &format!("/Length {claimed}")).into_bytes();
        assert_eq!(decode(&pdf), Err(StreamError::TooLong(MAX_STREAM_BYTES as u64 + 1)));
        let pdf = String::from_utf8(stream_object("", b"abc")).unwrap().replace("/Length 3", "/Length 3000").into_bytes();
        assert_eq!(decode(&pdf), Err(StreamError::Truncated));
    }

    #[test]
    fn unknown_filters_and_corrupt_data_are_named() {
        assert_eq!(decode(&stream_object("/Filter /LZWDecode", b"x")), Err(StreamError::Filter("LZWDecode".into())));
        assert_eq!(decode(&stream_object("/Filter /FlateDecode", b"not zlib")), Err(StreamError::Corrupt));
    }
}
