/*!
Signing: the deployment's signing key and certificate chain, and (in the
sealing issue) the PDF signatures made with them.

Keys are passed in, never looked up: [`SigningIdentity::load`] checks a
production key and chain before the service starts; [`init_dev_keys`]
creates a development root CA and a document-signing certificate.
*/

mod cms;
mod keys;
mod seal;
mod stamp;

pub use cms::{CmsError, EssCertIdV2, ID_AA_SIGNING_CERTIFICATE_V2, SigningCertificateV2, digest, digest_algorithm, sign_detached};
pub use stamp::{signature_id, stamp_time};
pub use seal::{CONTENTS_BYTES, Prepared, SealError, SealInfo, Stamp, add_signature_field, into_review_copy, pdf_date, prepare, seal};
pub use keys::{DOCUMENT_SIGNING, DevKeyFiles, KeyError, SigningIdentity, SigningKey, TrustStore, init_dev_keys};
