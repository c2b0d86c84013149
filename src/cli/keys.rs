//! `inkseal keys`: development signing keys, checking production ones, and
//! data keys for encryption at rest.

use std::path::PathBuf;
use std::time::SystemTime;

use super::Failure;
use crate::pki::Algorithm;
use crate::signing::{KeyError, SigningIdentity, TrustStore, init_dev_keys};
use crate::store::DataKey;

/// Arguments of `inkseal keys`.
#[derive(clap::Args, Debug)]
pub(crate) struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(clap::Subcommand, Debug)]
enum KeysCommand {
    /// Check a production key and certificate chain the way the service
    /// loads them: the key file must be private to its owner (mode 0600),
    /// match the certificate, the certificate must allow document signing,
    /// and chain to one of the trusted roots with every certificate valid now.
    /// Exit 0 when usable, 2 with the reason when not.
    Check {
        /// The signing private key (PKCS #8 PEM, Ed25519 or P-256).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The signing certificate, followed by any intermediates (PEM).
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
        /// A trusted root certificate (PEM); repeat for several (rotation).
        #[arg(long, value_name = "ROOT.pem", required = true)]
        trust: Vec<PathBuf>,
    },
    /// Create a development root CA and a document-signing certificate issued
    /// by it (key usage digitalSignature + nonRepudiation, extended key usage
    /// documentSigning). Private keys are written with mode 0600 and are
    /// ignored by git. Not for production: production loads its own key and
    /// chain.
    Init {
        /// Folder to write root-ca.pem, root-ca-key.pem, signing.pem and signing-key.pem into.
        #[arg(long, value_name = "DIR", default_value = "keys")]
        dir: PathBuf,
        /// Signature algorithm. Ed25519 is the design; P-256 for validators
        /// that cannot check Ed25519 (poppler/NSS, OpenSSL `cms -verify`, many desktop readers).
        #[arg(long, value_enum, default_value_t = Algorithm::Ed25519)]
        algorithm: Algorithm,
        /// Replace existing development keys.
        #[arg(long)]
        force: bool,
    },
    /// Create a data key: 32 random bytes (64 hex digits) in a new file with
    /// mode 0600, for `serve --data-keys` / INKSEAL_DATA_KEYS. It encrypts
    /// SSNs, EINs, bank numbers and stored PDFs at rest; keep it as safe as
    /// the database backups, and keep old keys (after the new one) until
    /// `inkseal store rekey` has run. An existing file is never overwritten.
    DataKey {
        /// The file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

pub(crate) fn run(args: &KeysArgs) -> Result<(), Failure> {
    match &args.command {
        KeysCommand::Check { key, cert, trust } => {
            let trust = TrustStore::load(trust).map_err(|e| Failure::Invalid(e.to_string()))?;
            let identity = SigningIdentity::load(key, cert, &trust, SystemTime::now())
                .map_err(|e| Failure::Invalid(format!("refusing this signing key: {e}")))?;
            println!(
                "OK: {} key matching {}, chained to {}",
                identity.key().algorithm().name(),
                crate::pki::subject(identity.certificate()),
                identity.chain().last().map_or_else(|| "a trusted root".to_owned(), crate::pki::subject)
            );
            Ok(())
        }
        KeysCommand::Init { dir, algorithm, force } => {
            let files = init_dev_keys(dir, *algorithm, SystemTime::now(), *force).map_err(|e| match e {
                KeyError::Exists(_) => Failure::Invalid(e.to_string()),
                other => Failure::Failed(other.into()),
            })?;
            println!("Created development keys ({}), NOT for production:", algorithm.name());
            println!("  root CA certificate      {}", files.root_cert.display());
            println!("  root CA private key      {} (mode 0600)", files.root_key.display());
            println!("  signing certificate      {}", files.signing_cert.display());
            println!("  signing private key      {} (mode 0600)", files.signing_key.display());
            Ok(())
        }
        KeysCommand::DataKey { out } => {
            if out.exists() {
                return Err(Failure::Invalid(format!("{} exists; choose a new file (a data key is never overwritten)", out.display())));
            }
            let key = DataKey::generate().map_err(|e| Failure::Failed(e.into()))?;
            key.write(out, "inkseal data key").map_err(|e| Failure::Invalid(e.to_string()))?;
            println!("Created data key {} in {} (mode 0600)", key.id(), out.display());
            Ok(())
        }
    }
}
