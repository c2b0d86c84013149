/*!
Signing: the deployment's signing key and certificate chain, and (in the
sealing issue) the PDF signatures made with them.

Keys are passed in, never looked up: [`SigningIdentity::load`] checks a
production key and chain before the service starts; [`init_dev_keys`]
creates a development root CA and a document-signing certificate.
*/

mod keys;

pub use keys::{DOCUMENT_SIGNING, DevKeyFiles, KeyError, SigningIdentity, SigningKey, TrustStore, init_dev_keys};
