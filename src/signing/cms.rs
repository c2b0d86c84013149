//! The CMS signature inside a PDF signature (PAdES baseline B-B, ETSI EN
//! 319 142-1; CMS per RFC 5652): a detached `SignedData` with exactly one
//! `SignerInfo` whose signed attributes are content-type, message-digest and
//! ESS signing-certificate-v2 (RFC 5035). No signing-time attribute: PAdES
//! puts the time in the signature dictionary's `/M`.
//!
//! Ed25519 signs with SHA-512 message digests (RFC 8419 §3); P-256 uses
//! ECDSA with SHA-256.

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::{OctetString, SetOfVec};
use der::oid::ObjectIdentifier;
use der::oid::db::rfc5911::ID_DATA;
use der::oid::db::rfc5912::{ID_SHA_256, ID_SHA_512};
use der::{Any, Encode as _, Sequence};
use sha2::{Digest as _, Sha256, Sha512};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

use super::keys::SigningKey;
use crate::pki::Algorithm;

/// `id-aa-signingCertificateV2` (RFC 5035).
pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// ```text
/// SigningCertificateV2 ::= SEQUENCE {
///     certs        SEQUENCE OF ESSCertIDv2,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL }
/// ```
/// [RFC 5035 §3]; inkseal never writes `policies`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    /// The signer's certificate first.
    pub certs: Vec<EssCertIdV2>,
}

/// ```text
/// ESSCertIDv2 ::= SEQUENCE {
///     hashAlgorithm  AlgorithmIdentifier DEFAULT {algorithm id-sha256},
///     certHash       Hash,
///     issuerSerial   IssuerSerial OPTIONAL }
/// ```
/// inkseal writes SHA-256 (so `hashAlgorithm` is omitted, as DER requires for
/// a default) and no `issuerSerial`; it reads any hash algorithm it knows.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    /// Hash algorithm; absent means SHA-256.
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    /// Hash of the certificate's DER.
    pub cert_hash: OctetString,
    /// Issuer and serial (ignored by inkseal).
    #[asn1(optional = "true")]
    pub issuer_serial: Option<Any>,
}

/// Errors building a CMS signature.
#[derive(Debug, thiserror::Error)]
#[error("could not build the CMS signature: {0}")]
pub struct CmsError(String);

fn err(e: impl std::fmt::Display) -> CmsError {
    CmsError(e.to_string())
}

/// The digest algorithm paired with a signature algorithm.
pub fn digest_algorithm(algorithm: Algorithm) -> ObjectIdentifier {
    match algorithm {
        Algorithm::Ed25519 => ID_SHA_512,
        Algorithm::P256 => ID_SHA_256,
    }
}

/// Hashes the signed byte ranges with the algorithm's digest.
pub fn digest(algorithm: ObjectIdentifier, parts: &[&[u8]]) -> Option<Vec<u8>> {
    match algorithm {
        ID_SHA_256 => {
            let mut h = Sha256::new();
            parts.iter().for_each(|p| h.update(p));
            Some(h.finalize().to_vec())
        }
        ID_SHA_512 => {
            let mut h = Sha512::new();
            parts.iter().for_each(|p| h.update(p));
            Some(h.finalize().to_vec())
        }
        _ => None,
    }
}

/// Builds the DER `ContentInfo` of a detached signature over `message_digest`.
///
/// # Errors
/// Only if encoding fails.
pub fn sign_detached(
    key: &SigningKey,
    certificate: &Certificate,
    chain: &[Certificate],
    message_digest: &[u8],
) -> Result<Vec<u8>, CmsError> {
    let digest_alg = AlgorithmIdentifierOwned { oid: digest_algorithm(key.algorithm()), parameters: None };
    let content = EncapsulatedContentInfo { econtent_type: ID_DATA, econtent: None };
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: certificate.tbs_certificate().issuer().clone(),
        serial_number: certificate.tbs_certificate().serial_number().clone(),
    });
    let mut signer_info =
        SignerInfoBuilder::new(sid, digest_alg.clone(), &content, Some(message_digest)).map_err(err)?;
    signer_info.add_signed_attribute(signing_certificate_v2(certificate)?).map_err(err)?;

    let mut builder = SignedDataBuilder::new(&content);
    builder.add_digest_algorithm(digest_alg).map_err(err)?;
    for cert in std::iter::once(certificate).chain(chain) {
        builder.add_certificate(CertificateChoices::Certificate(cert.clone())).map_err(err)?;
    }
    match key {
        SigningKey::Ed25519(k) => builder.add_signer_info::<_, ed25519_dalek::Signature>(signer_info, k),
        SigningKey::P256(k) => builder.add_signer_info::<_, p256::ecdsa::DerSignature>(signer_info, k),
    }
    .map_err(err)?;
    builder.build().map_err(err)?.to_der().map_err(err)
}

fn signing_certificate_v2(certificate: &Certificate) -> Result<Attribute, CmsError> {
    let cert_hash = Sha256::digest(certificate.to_der().map_err(err)?);
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(cert_hash.to_vec()).map_err(err)?,
            issuer_serial: None,
        }],
    };
    let any = Any::encode_from(&value).map_err(err)?;
    Ok(Attribute { oid: ID_AA_SIGNING_CERTIFICATE_V2, values: SetOfVec::try_from(vec![any]).map_err(err)? })
}
