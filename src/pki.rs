/*!
Certificates: the two signature algorithms inkseal speaks (Ed25519, the
design; ECDSA P-256 with SHA-256, for validators that lack Ed25519), verifying
a signature with a certificate's public key, and checking a chain to a trusted
root at a point in time (RFC 5280 §6, reduced to what a closed deployment
needs: names chain, signatures verify, every certificate is valid then, CAs
are CAs).
*/

use std::time::SystemTime;

use der::referenced::OwnedToRef as _;
use der::{Decode as _, Encode as _};
use der::oid::ObjectIdentifier;
use der::oid::db::rfc5912::{ECDSA_WITH_SHA_256, ID_EC_PUBLIC_KEY};
use der::oid::db::rfc8410::ID_ED_25519;
use spki::{DecodePublicKey as _, SubjectPublicKeyInfoRef};
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;

/// The signature algorithms inkseal signs and verifies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Ed25519 (RFC 8032; in CMS per RFC 8419, with SHA-512 digests).
    Ed25519,
    /// ECDSA on NIST P-256 with SHA-256.
    P256,
}

impl Algorithm {
    /// Name as printed in reports.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "Ed25519",
            Algorithm::P256 => "ECDSA P-256 with SHA-256",
        }
    }
}

/// Why a certificate or signature does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PkiError {
    /// The public key or signature algorithm is not one inkseal supports.
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// A key or signature could not be decoded.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The signature does not verify with the key.
    #[error("the signature does not verify with the certificate's public key")]
    BadSignature,
    /// No trusted root issued the chain.
    #[error("the certificate does not chain to a trusted root")]
    Untrusted,
    /// A certificate in the chain is outside its validity period.
    #[error("certificate \"{subject}\" is not valid at that time (valid {not_before} to {not_after})")]
    NotValidAt {
        /// Subject of the certificate.
        subject: String,
        /// Start of validity.
        not_before: String,
        /// End of validity.
        not_after: String,
    },
    /// An issuing certificate is not a CA.
    #[error("certificate \"{0}\" issued another certificate but is not a CA")]
    NotACa(String),
}

/// The algorithm of a subject public key.
///
/// # Errors
/// For keys other than Ed25519 and P-256.
pub fn key_algorithm(spki: SubjectPublicKeyInfoRef<'_>) -> Result<Algorithm, PkiError> {
    match spki.algorithm.oid {
        ID_ED_25519 => Ok(Algorithm::Ed25519),
        ID_EC_PUBLIC_KEY => {
            let curve = spki.algorithm.parameters.and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            if curve == Some(der::oid::db::rfc5912::SECP_256_R_1) {
                Ok(Algorithm::P256)
            } else {
                Err(PkiError::UnsupportedAlgorithm("an elliptic curve other than P-256".into()))
            }
        }
        other => Err(PkiError::UnsupportedAlgorithm(other.to_string())),
    }
}

/// Verifies `signature` over `message` with a certificate's public key,
/// given the signature algorithm OID the signer declared.
///
/// # Errors
/// When the algorithm is unsupported or does not match the key, or the
/// signature does not verify.
pub fn verify_signature(
    spki: SubjectPublicKeyInfoRef<'_>,
    signature_algorithm: ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Result<(), PkiError> {
    let spki_der = spki.to_der().map_err(|_| PkiError::Malformed("public key"))?;
    match (key_algorithm(spki)?, signature_algorithm) {
        (Algorithm::Ed25519, ID_ED_25519) => {
            let key = ed25519_dalek::VerifyingKey::from_public_key_der(&spki_der)
                .map_err(|_| PkiError::Malformed("Ed25519 public key"))?;
            let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| PkiError::Malformed("Ed25519 signature"))?;
            key.verify_strict(message, &sig).map_err(|_| PkiError::BadSignature)
        }
        (Algorithm::P256, ECDSA_WITH_SHA_256) => {
            use p256::ecdsa::signature::Verifier as _;
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der)
                .map_err(|_| PkiError::Malformed("P-256 public key"))?;
            let sig = p256::ecdsa::DerSignature::from_bytes(signature).map_err(|_| PkiError::Malformed("ECDSA signature"))?;
            key.verify(message, &sig).map_err(|_| PkiError::BadSignature)
        }
        (_, other) => Err(PkiError::UnsupportedAlgorithm(format!("signature algorithm {other} for this key"))),
    }
}

/// Whether `cert` was signed by `issuer`'s key (and names the issuer).
///
/// # Errors
/// When the names differ or the signature does not verify.
pub fn verify_issued_by(cert: &Certificate, issuer: &Certificate) -> Result<(), PkiError> {
    if cert.tbs_certificate().issuer() != issuer.tbs_certificate().subject() {
        return Err(PkiError::Untrusted);
    }
    let tbs = cert.tbs_certificate().to_der().map_err(|_| PkiError::Malformed("certificate"))?;
    let signature = cert.signature().as_bytes().ok_or(PkiError::Malformed("certificate signature"))?;
    verify_signature(
        issuer.tbs_certificate().subject_public_key_info().owned_to_ref(),
        cert.signature_algorithm().oid,
        &tbs,
        signature,
    )
}

/// The subject of a certificate as text (`CN=…,O=…`).
pub fn subject(cert: &Certificate) -> String {
    cert.tbs_certificate().subject().to_string()
}

/// Checks that `at` lies within the certificate's validity period.
///
/// # Errors
/// [`PkiError::NotValidAt`].
pub fn check_validity(cert: &Certificate, at: SystemTime) -> Result<(), PkiError> {
    let validity = cert.tbs_certificate().validity();
    let (from, to) = (SystemTime::from(validity.not_before), SystemTime::from(validity.not_after));
    if at < from || at > to {
        return Err(PkiError::NotValidAt {
            subject: subject(cert),
            not_before: validity.not_before.to_string(),
            not_after: validity.not_after.to_string(),
        });
    }
    Ok(())
}

fn is_ca(cert: &Certificate) -> bool {
    cert.tbs_certificate()
        .get_extension::<BasicConstraints>()
        .ok()
        .flatten()
        .is_some_and(|(_, bc)| bc.ca)
}

/// Finds a path from `leaf` through `intermediates` to one of `roots`, with
/// every certificate valid at `at`. Returns the path, leaf first, root last.
///
/// # Errors
/// [`PkiError::Untrusted`] when no path reaches a trusted root; the first
/// validity or CA problem found on an otherwise complete path.
pub fn verify_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    roots: &[Certificate],
    at: SystemTime,
) -> Result<Vec<Certificate>, PkiError> {
    let mut path = vec![leaf.clone()];
    // Bounded: a deployment's chain is short; this also stops loops.
    for _ in 0..8 {
        let current = path.last().cloned().ok_or(PkiError::Untrusted)?;
        if let Some(root) = roots.iter().find(|r| verify_issued_by(&current, r).is_ok()) {
            if *root != current {
                path.push((*root).clone());
            }
            for (i, cert) in path.iter().enumerate() {
                check_validity(cert, at)?;
                if i > 0 && !is_ca(cert) {
                    return Err(PkiError::NotACa(subject(cert)));
                }
            }
            return Ok(path);
        }
        match intermediates.iter().find(|c| **c != current && verify_issued_by(&current, c).is_ok()) {
            Some(next) => path.push(next.clone()),
            None => return Err(PkiError::Untrusted),
        }
    }
    Err(PkiError::Untrusted)
}

/// Parses one or more PEM certificates.
///
/// # Errors
/// When the text holds no certificate or a malformed one.
pub fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    let certs = Certificate::load_pem_chain(pem).map_err(|_| PkiError::Malformed("PEM certificate"))?;
    if certs.is_empty() {
        return Err(PkiError::Malformed("PEM certificate (none found)"));
    }
    Ok(certs)
}

/// Parses a DER certificate.
///
/// # Errors
/// When the bytes are not a certificate.
pub fn parse_der_certificate(der: &[u8]) -> Result<Certificate, PkiError> {
    Certificate::from_der(der).map_err(|_| PkiError::Malformed("DER certificate"))
}
