//! Sealing one review copy: the visible stamp on sign documents, an
//! invisible seal on review documents. Shared by the service and `demo`.

use time::OffsetDateTime;

use crate::documents::{Action, RenderError, RenderedDocument, Renderer, StampData};
use crate::signing::{SealError, SealInfo, SigningIdentity, Stamp, seal, signature_id, stamp_time};

/// Why a document could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealDocumentError {
    /// The stamp did not render.
    #[error(transparent)]
    Stamp(#[from] RenderError),
    /// The seal failed.
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// Seals `doc` (a review copy with its signature field) as signed by
/// `signer` at `now`: sign documents get the visible stamp with the typed
/// name, review documents an invisible seal.
///
/// # Errors
/// When the stamp cannot be rendered or the seal cannot be made.
pub fn seal_document(
    renderer: &Renderer,
    identity: &SigningIdentity,
    doc: &RenderedDocument,
    signer: &str,
    now: OffsetDateTime,
) -> Result<Vec<u8>, SealDocumentError> {
    let reason = match doc.action {
        Action::Sign => format!("Signed by the principal: {}", doc.title),
        Action::Review => format!("Reviewed by the principal and sealed: {}", doc.title),
    };
    let info = SealInfo { signer_name: signer, reason: &reason, time: now };
    let stamp_pdf = match (doc.action, doc.signature) {
        (Action::Sign, Some(rect)) => Some(renderer.render_stamp(&StampData {
            name: signer.to_owned(),
            time: stamp_time(now),
            id: signature_id(&doc.pdf, now),
            width: rect.x2 - rect.x1,
            height: rect.y2 - rect.y1,
        })?),
        _ => None,
    };
    let stamp = stamp_pdf.as_deref().map(|pdf| Stamp { pdf });
    Ok(seal(&doc.pdf, &info, identity, stamp.as_ref())?)
}
