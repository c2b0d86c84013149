//! Signing keys and certificates: creating development ones and loading
//! (with every safety check) production ones.

use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::{Duration, SystemTime};

use der::EncodePem as _;
use der::pem::LineEnding;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use spki::{EncodePublicKey as _, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder as _, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, ToExtension as _};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use crate::pki::{self, Algorithm, PkiError};

/// `id-kp-documentSigning` (RFC 9336).
pub const DOCUMENT_SIGNING: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.36");

/// `id-kp-emailProtection` (RFC 5280).
const EMAIL_PROTECTION: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");

const ROOT_YEARS: u64 = 10;
const SIGNING_YEARS: u64 = 3;
const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// Errors about keys and certificates.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key or certificate file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Files exist and `--force` was not given.
    #[error("{0} already exists; keep it, or pass --force to replace the development keys")]
    Exists(PathBuf),
    /// A private key file can be read by other users.
    #[error("{0} is readable by other users (mode {1:o}); run `chmod 600` on it")]
    Permissions(PathBuf, u32),
    /// A PEM file holds no usable key or certificate.
    #[error("{path}: {what}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The private key is not the one the certificate certifies.
    #[error("the private key {key} does not match the certificate {cert}")]
    Mismatch {
        /// Key file.
        key: PathBuf,
        /// Certificate file.
        cert: PathBuf,
    },
    /// The certificate may not sign documents.
    #[error("the certificate {0} is not allowed to sign documents (needs key usage digitalSignature and nonRepudiation)")]
    Usage(PathBuf),
    /// The chain does not verify.
    #[error("the signing certificate {path} cannot be used: {source}")]
    Chain {
        /// Certificate file.
        path: PathBuf,
        /// Why.
        source: PkiError,
    },
    /// Certificate building failed (a bug or an exhausted random source).
    #[error("could not create a certificate: {0}")]
    Build(String),
}

/// A private signing key.
#[derive(Clone)]
pub enum SigningKey {
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
    /// ECDSA P-256.
    P256(p256::ecdsa::SigningKey),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, ***)", self.algorithm().name())
    }
}

impl SigningKey {
    /// A new random key.
    ///
    /// # Errors
    /// When the operating system's random source fails.
    pub fn generate(algorithm: Algorithm) -> Result<Self, KeyError> {
        loop {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| KeyError::Build(format!("random source failed: {e}")))?;
            match algorithm {
                Algorithm::Ed25519 => return Ok(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))),
                // A random 256-bit value is a valid scalar with overwhelming probability; retry otherwise.
                Algorithm::P256 => {
                    if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&seed) {
                        return Ok(SigningKey::P256(key));
                    }
                }
            }
        }
    }

    /// Which algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            SigningKey::Ed25519(_) => Algorithm::Ed25519,
            SigningKey::P256(_) => Algorithm::P256,
        }
    }

    /// The public key as a SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// Only if encoding fails, which it does not for valid keys.
    pub fn public_key(&self) -> Result<SubjectPublicKeyInfoOwned, KeyError> {
        let der = match self {
            SigningKey::Ed25519(k) => k.verifying_key().to_public_key_der(),
            SigningKey::P256(k) => k.verifying_key().to_public_key_der(),
        }
        .map_err(|e| KeyError::Build(e.to_string()))?;
        SubjectPublicKeyInfoOwned::try_from(der.as_bytes()).map_err(|e| KeyError::Build(e.to_string()))
    }

    fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        let pem = match self {
            // PKCS #8 v1 (RFC 8410 without the optional public key): what
            // OpenSSL, Python's cryptography (pyHanko) and others all read.
            SigningKey::Ed25519(k) => {
                ed25519_dalek::pkcs8::KeypairBytes { secret_key: k.to_bytes(), public_key: None }.to_pkcs8_pem(LineEnding::LF)
            }
            SigningKey::P256(k) => k.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|e| KeyError::Build(e.to_string()))?;
        Ok(pem.to_string())
    }

    /// Reads a PKCS #8 PEM private key (Ed25519 or P-256).
    pub fn from_pkcs8_pem(pem: &str) -> Option<Self> {
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            return Some(SigningKey::Ed25519(k));
        }
        p256::ecdsa::SigningKey::from_pkcs8_pem(pem).ok().map(SigningKey::P256)
    }

    /// Signs a certificate builder with this key.
    fn sign_certificate<P: BuilderProfile>(&self, builder: CertificateBuilder<P>) -> Result<Certificate, KeyError> {
        let built = match self {
            SigningKey::Ed25519(k) => builder.build::<_, ed25519_dalek::Signature>(k),
            SigningKey::P256(k) => builder.build::<_, p256::ecdsa::DerSignature>(k),
        };
        built.map_err(|e| KeyError::Build(e.to_string()))
    }
}

/// The profile of the two development certificates.
struct DevProfile {
    subject: Name,
    issuer: Option<Name>,
}

impl BuilderProfile for DevProfile {
    fn get_issuer(&self, subject: &Name) -> Name {
        self.issuer.clone().unwrap_or_else(|| subject.clone())
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut ext = Vec::new();
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        let aki = SubjectKeyIdentifier::try_from(issuer_spk)?;
        let subject = tbs.subject();
        ext.push(AuthorityKeyIdentifier { key_identifier: Some(aki.0), ..Default::default() }.to_extension(subject, &ext)?);
        ext.push(ski.to_extension(subject, &ext)?);
        if self.issuer.is_none() {
            ext.push(BasicConstraints { ca: true, path_len_constraint: Some(0) }.to_extension(subject, &ext)?);
            ext.push(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign).to_extension(subject, &ext)?);
        } else {
            ext.push(BasicConstraints { ca: false, path_len_constraint: None }.to_extension(subject, &ext)?);
            ext.push(KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation).to_extension(subject, &ext)?);
            // documentSigning for what it is; emailProtection because NSS
            // (poppler's pdfsig) validates signers with the e-mail signer usage.
            ext.push(ExtendedKeyUsage(vec![DOCUMENT_SIGNING, EMAIL_PROTECTION]).to_extension(subject, &ext)?);
        }
        Ok(ext)
    }
}

fn serial() -> Result<SerialNumber, KeyError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| KeyError::Build(format!("random source failed: {e}")))?;
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // no leading zero byte to strip
    SerialNumber::new(&bytes).map_err(|e| KeyError::Build(e.to_string()))
}

fn validity(from: SystemTime, years: u64) -> Result<Validity, KeyError> {
    let time = |t: SystemTime| Time::try_from(t).map_err(|e| KeyError::Build(e.to_string()));
    Ok(Validity::new(time(from)?, time(from + YEAR * years as u32)?))
}

fn name(text: &str) -> Result<Name, KeyError> {
    Name::from_str(text).map_err(|e| KeyError::Build(e.to_string()))
}

/// The files `keys init` writes.
#[derive(Clone, Debug)]
pub struct DevKeyFiles {
    /// The development root CA certificate (give it to validators).
    pub root_cert: PathBuf,
    /// Its private key (0600).
    pub root_key: PathBuf,
    /// The document-signing certificate.
    pub signing_cert: PathBuf,
    /// Its private key (0600).
    pub signing_key: PathBuf,
}

impl DevKeyFiles {
    /// The standard file names inside `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            root_cert: dir.join("root-ca.pem"),
            root_key: dir.join("root-ca-key.pem"),
            signing_cert: dir.join("signing.pem"),
            signing_key: dir.join("signing-key.pem"),
        }
    }

    fn all(&self) -> [&PathBuf; 4] {
        [&self.root_cert, &self.root_key, &self.signing_cert, &self.signing_key]
    }

    /// Whether all four files exist.
    pub fn exist(&self) -> bool {
        self.all().iter().all(|p| p.exists())
    }
}

/// Creates a development root CA and a document-signing certificate issued
/// by it in `dir`. Private keys are written with mode 0600.
///
/// # Errors
/// When a file exists and `force` is false, or a file cannot be written.
pub fn init_dev_keys(dir: &Path, algorithm: Algorithm, now: SystemTime, force: bool) -> Result<DevKeyFiles, KeyError> {
    let files = DevKeyFiles::in_dir(dir);
    if !force
        && let Some(existing) = files.all().into_iter().find(|p| p.exists()) {
            return Err(KeyError::Exists(existing.clone()));
        }
    fs::create_dir_all(dir).map_err(|source| KeyError::Io { path: dir.to_path_buf(), source })?;

    let root_key = SigningKey::generate(algorithm)?;
    let root_name = name(&format!("CN=inkseal Development Root CA ({}),O=inkseal development,OU=NOT FOR PRODUCTION", algorithm.name()))?;
    // Backdate slightly so a signature made in the same second is inside validity.
    let start = now - Duration::from_secs(60);
    let root_builder = CertificateBuilder::new(
        DevProfile { subject: root_name.clone(), issuer: None },
        serial()?,
        validity(start, ROOT_YEARS)?,
        root_key.public_key()?,
    )
    .map_err(|e| KeyError::Build(e.to_string()))?;
    let root = root_key.sign_certificate(root_builder)?;

    let signing_key = SigningKey::generate(algorithm)?;
    let signing_builder = CertificateBuilder::new(
        DevProfile { subject: name("CN=inkseal Development Document Signing,O=inkseal development,OU=NOT FOR PRODUCTION")?, issuer: Some(root_name) },
        serial()?,
        validity(start, SIGNING_YEARS)?,
        signing_key.public_key()?,
    )
    .map_err(|e| KeyError::Build(e.to_string()))?;
    let signing = root_key.sign_certificate(signing_builder)?;

    write_private(&files.root_key, &root_key.to_pkcs8_pem()?)?;
    write_private(&files.signing_key, &signing_key.to_pkcs8_pem()?)?;
    write_public(&files.root_cert, &pem(&root)?)?;
    write_public(&files.signing_cert, &pem(&signing)?)?;
    Ok(files)
}

fn pem(cert: &Certificate) -> Result<String, KeyError> {
    cert.to_pem(LineEnding::LF).map_err(|e| KeyError::Build(e.to_string()))
}

fn write_private(path: &Path, text: &str) -> Result<(), KeyError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let io = |source| KeyError::Io { path: path.to_path_buf(), source };
    let _ = fs::remove_file(path);
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

fn write_public(path: &Path, text: &str) -> Result<(), KeyError> {
    fs::write(path, text).map_err(|source| KeyError::Io { path: path.to_path_buf(), source })
}

/// The certificates a deployment trusts as roots (several, for rotation).
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    roots: Vec<Certificate>,
}

impl TrustStore {
    /// A store of the given roots.
    pub fn new(roots: Vec<Certificate>) -> Self {
        Self { roots }
    }

    /// Loads every certificate in each PEM file.
    ///
    /// # Errors
    /// When a file cannot be read or holds no certificate.
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Self, KeyError> {
        let mut roots = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let bytes = fs::read(path).map_err(|source| KeyError::Io { path: path.to_path_buf(), source })?;
            roots.extend(
                pki::parse_pem_certificates(&bytes)
                    .map_err(|e| KeyError::Malformed { path: path.to_path_buf(), what: e.to_string() })?,
            );
        }
        Ok(Self { roots })
    }

    /// The roots.
    pub fn roots(&self) -> &[Certificate] {
        &self.roots
    }
}

/// A checked signing key with its certificate and chain.
#[derive(Clone, Debug)]
pub struct SigningIdentity {
    key: SigningKey,
    certificate: Certificate,
    chain: Vec<Certificate>,
}

impl SigningIdentity {
    /// Loads a private key (PKCS #8 PEM) and a certificate file (the signing
    /// certificate first, then any intermediates), and refuses unless: the
    /// key file is private to its owner, the key matches the certificate,
    /// the certificate may sign documents, and it chains to a trusted root
    /// with every certificate valid at `now`.
    ///
    /// # Errors
    /// A [`KeyError`] naming the file and what to do.
    pub fn load(key_path: &Path, cert_path: &Path, trust: &TrustStore, now: SystemTime) -> Result<Self, KeyError> {
        check_private_permissions(key_path)?;
        let key_text = fs::read_to_string(key_path).map_err(|source| KeyError::Io { path: key_path.to_path_buf(), source })?;
        let key = SigningKey::from_pkcs8_pem(&key_text).ok_or_else(|| KeyError::Malformed {
            path: key_path.to_path_buf(),
            what: "not a PKCS #8 PEM private key for Ed25519 or P-256".into(),
        })?;
        let cert_bytes = fs::read(cert_path).map_err(|source| KeyError::Io { path: cert_path.to_path_buf(), source })?;
        let mut certs = pki::parse_pem_certificates(&cert_bytes)
            .map_err(|e| KeyError::Malformed { path: cert_path.to_path_buf(), what: e.to_string() })?;
        let certificate = certs.remove(0);
        if certificate.tbs_certificate().subject_public_key_info() != &key.public_key()? {
            return Err(KeyError::Mismatch { key: key_path.to_path_buf(), cert: cert_path.to_path_buf() });
        }
        let usage_ok = certificate
            .tbs_certificate()
            .get_extension::<KeyUsage>()
            .ok()
            .flatten()
            .is_some_and(|(_, ku)| ku.digital_signature() && ku.non_repudiation());
        if !usage_ok {
            return Err(KeyError::Usage(cert_path.to_path_buf()));
        }
        let path = pki::verify_chain(&certificate, &certs, trust.roots(), now)
            .map_err(|source| KeyError::Chain { path: cert_path.to_path_buf(), source })?;
        let chain = path.into_iter().skip(1).collect();
        Ok(Self { key, certificate, chain })
    }

    /// The private key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The signing certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The issuing chain up to and including the root.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }
}

fn check_private_permissions(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = fs::metadata(path).map_err(|source| KeyError::Io { path: path.to_path_buf(), source })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions(path.to_path_buf(), mode));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000) // 2026-11
    }

    #[test]
    fn dev_keys_load_for_both_algorithms() {
        for alg in [Algorithm::Ed25519, Algorithm::P256] {
            let dir = tempfile::tempdir().unwrap();
            let files = init_dev_keys(dir.path(), alg, now(), false).unwrap();
            let trust = TrustStore::load(&[&files.root_cert]).unwrap();
            let id = SigningIdentity::load(&files.signing_key, &files.signing_cert, &trust, now()).unwrap();
            assert_eq!(id.key().algorithm(), alg);
            assert_eq!(id.chain().len(), 1);
        }
    }

    #[test]
    fn refuses_unsafe_or_wrong_keys() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let files = init_dev_keys(dir.path(), Algorithm::Ed25519, now(), false).unwrap();
        let trust = TrustStore::load(&[&files.root_cert]).unwrap();
        assert!(matches!(init_dev_keys(dir.path(), Algorithm::Ed25519, now(), false), Err(KeyError::Exists(_))));

        // Expired at `now`.
        let later = now() + YEAR * 4;
        let err = SigningIdentity::load(&files.signing_key, &files.signing_cert, &trust, later).unwrap_err();
        assert!(matches!(err, KeyError::Chain { source: PkiError::NotValidAt { .. }, .. }), "{err}");

        // Key of another certificate.
        let err = SigningIdentity::load(&files.root_key, &files.signing_cert, &trust, now()).unwrap_err();
        assert!(matches!(err, KeyError::Mismatch { .. }), "{err}");

        // Untrusted root.
        let other = tempfile::tempdir().unwrap();
        let other_files = init_dev_keys(other.path(), Algorithm::Ed25519, now(), false).unwrap();
        let other_trust = TrustStore::load(&[&other_files.root_cert]).unwrap();
        let err = SigningIdentity::load(&files.signing_key, &files.signing_cert, &other_trust, now()).unwrap_err();
        assert!(matches!(err, KeyError::Chain { source: PkiError::Untrusted, .. }), "{err}");

        // Rotation: trusting both roots accepts both identities.
        let both = TrustStore::load(&[&files.root_cert, &other_files.root_cert]).unwrap();
        SigningIdentity::load(&files.signing_key, &files.signing_cert, &both, now()).unwrap();
        SigningIdentity::load(&other_files.signing_key, &other_files.signing_cert, &both, now()).unwrap();

        // The root CA certificate cannot sign documents.
        let err = SigningIdentity::load(&files.root_key, &files.root_cert, &trust, now()).unwrap_err();
        assert!(matches!(err, KeyError::Usage(_)), "{err}");

        // Readable by others.
        fs::set_permissions(&files.signing_key, fs::Permissions::from_mode(0o644)).unwrap();
        let err = SigningIdentity::load(&files.signing_key, &files.signing_cert, &trust, now()).unwrap_err();
        assert!(matches!(err, KeyError::Permissions(_, 0o644)), "{err}");
    }

    #[test]
    fn private_keys_are_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let files = init_dev_keys(dir.path(), Algorithm::P256, now(), false).unwrap();
        for key in [&files.root_key, &files.signing_key] {
            assert_eq!(fs::metadata(key).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
