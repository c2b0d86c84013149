//! The verification report (spec §6): the same JSON from the CLI and the API.

use serde::Serialize;

/// The verdict on one file.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// True only when the file carries at least one signature, every
    /// signature is intact and trusted, and nothing was changed after the
    /// last one.
    pub valid: bool,
    /// Each signature found, in file order.
    pub signatures: Vec<SignatureReport>,
    /// Bytes after the end of the last signed revision, if any.
    pub appended_bytes: usize,
    /// Problems with the file as a whole, in plain English.
    pub problems: Vec<String>,
}

/// The verdict on one signature.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SignatureReport {
    /// `/Name` from the signature dictionary, or the certificate's common name.
    pub signer_name: Option<String>,
    /// `/M` as RFC 3339 UTC, when present and well-formed.
    pub signing_time: Option<String>,
    /// The signature algorithm, e.g. "Ed25519".
    pub algorithm: Option<String>,
    /// The digest algorithm, e.g. "SHA-512".
    pub digest_algorithm: Option<String>,
    /// `/SubFilter`.
    pub subfilter: Option<String>,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/ByteRange` as found.
    pub byte_range: Option<[u64; 4]>,
    /// The byte range covers the whole file except this signature's `/Contents`.
    pub covers_whole_file: bool,
    /// The digest of the covered bytes matches the signed message digest and
    /// the CMS signature verifies.
    pub integrity: bool,
    /// The signer certificate's subject.
    pub certificate_subject: Option<String>,
    /// The certificate chains to a trusted root and was valid at the signing time.
    pub trusted: bool,
    /// What is wrong with this signature, in plain English.
    pub problems: Vec<String>,
}
