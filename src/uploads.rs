/*!
Uploaded documents (the E&O declaration page, requested documents): the
manual's rules — PDF, JPG, JPEG, PNG, GIF or TIFF, at most 3072 KB, one file
— with the type decided by the file's bytes, never its name.
*/

use serde::Serialize;

/// The manual's limit: 3072 KB.
pub const MAX_UPLOAD_BYTES: usize = 3072 * 1024;

/// An accepted file type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadKind {
    /// `%PDF-`.
    Pdf,
    /// JPEG/JPG (`FF D8 FF`).
    Jpeg,
    /// PNG signature.
    Png,
    /// `GIF87a` / `GIF89a`.
    Gif,
    /// Little- or big-endian TIFF.
    Tiff,
}

impl UploadKind {
    /// The media type to serve it with.
    pub fn media_type(self) -> &'static str {
        match self {
            UploadKind::Pdf => "application/pdf",
            UploadKind::Jpeg => "image/jpeg",
            UploadKind::Png => "image/png",
            UploadKind::Gif => "image/gif",
            UploadKind::Tiff => "image/tiff",
        }
    }
}

/// Why an upload is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// Nothing was sent.
    #[error("the file is empty")]
    Empty,
    /// Over 3072 KB (HTTP 413).
    #[error("the file is {0} KB; the limit is 3072 KB (3 MB) — resize it and upload again")]
    TooLarge(usize),
    /// Not one of the accepted types (HTTP 415).
    #[error("the file is not a PDF, JPG/JPEG, PNG, GIF or TIFF (judged by its content, not its name)")]
    UnsupportedType,
}

/// Decides an upload's type from its bytes and checks its size.
///
/// # Errors
/// [`UploadError`] for empty, oversized or unsupported files.
pub fn sniff(bytes: &[u8]) -> Result<UploadKind, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(UploadError::TooLarge(bytes.len().div_ceil(1024)));
    }
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"%PDF-") {
        Ok(UploadKind::Pdf)
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        Ok(UploadKind::Jpeg)
    } else if starts(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Ok(UploadKind::Png)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Ok(UploadKind::Gif)
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Ok(UploadKind::Tiff)
    } else {
        Err(UploadError::UnsupportedType)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(UploadKind::Pdf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Ok(UploadKind::Jpeg));
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]), Ok(UploadKind::Png));
        assert_eq!(sniff(b"GIF89a...."), Ok(UploadKind::Gif));
        assert_eq!(sniff(b"GIF87a...."), Ok(UploadKind::Gif));
        assert_eq!(sniff(b"II*\0...."), Ok(UploadKind::Tiff));
        assert_eq!(sniff(b"MM\0*...."), Ok(UploadKind::Tiff));
        // A name says nothing: a Word file or script renamed .pdf is refused.
        assert_eq!(sniff(b"PK\x03\x04 word/document.xml"), Err(UploadError::UnsupportedType));
        assert_eq!(sniff(b"<html><script>"), Err(UploadError::UnsupportedType));
        assert_eq!(sniff(b" %PDF-1.7"), Err(UploadError::UnsupportedType));
        assert_eq!(sniff(b""), Err(UploadError::Empty));
    }

    #[test]
    fn size_limit_is_3072_kb() {
        let mut exact = b"%PDF-".to_vec();
        exact.resize(MAX_UPLOAD_BYTES, b' ');
        assert_eq!(sniff(&exact), Ok(UploadKind::Pdf));
        exact.push(b' ');
        assert_eq!(sniff(&exact), Err(UploadError::TooLarge(3073)));
    }
}
