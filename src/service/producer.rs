//! What the producer does in a session: consent, view, review, sign,
//! finish, submit, upload and resubmit.

use std::sync::Arc;

use super::{Caller, Committed, Planned, Service, ServiceError, blob, blocking, sha256_hex};
use crate::documents::{DocumentKind, EntityType, RenderedDocument, SigningChoices, TaxClassification};
use crate::packet::{Completion, Refusal, Request, Sealed, SignerName, Upload};
use crate::signing::into_review_copy;
use crate::uploads::{MAX_UPLOAD_BYTES, UploadError, sniff};

/// The consent to electronic records and signatures, versioned; its hash
/// goes into the audit trail.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Consent {
    /// Version label.
    pub version: &'static str,
    /// The text.
    pub text: &'static str,
    /// SHA-256 of the text.
    pub sha256: String,
}

const CONSENT_VERSION: &str = "ESIGN-CONSENT-2026.1";
const CONSENT_TEXT: &str = include_str!("../../letters/esign-consent.txt");

/// The current consent text.
pub fn consent_text() -> Consent {
    Consent { version: CONSENT_VERSION, text: CONSENT_TEXT, sha256: sha256_hex(CONSENT_TEXT.as_bytes()) }
}

/// What the producer enters to sign a step.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInput {
    /// The typed signature.
    pub name: String,
    /// Producer Agreement: the agency's entity type.
    #[serde(default)]
    pub entity_type: Option<EntityType>,
    /// W-9: the federal tax classification.
    #[serde(default)]
    pub tax_classification: Option<TaxClassification>,
}

impl Service {
    /// Records consent to electronic records and signatures.
    ///
    /// # Errors
    /// 409 when already given or the packet is past that point.
    pub async fn consent(&self, id: &str, caller: &Caller) -> Result<Committed, ServiceError> {
        let hash = consent_text().sha256;
        self.transition(id, caller, |_| Ok(Planned::just(Request::Consent(hash.clone())))).await
    }

    /// The review copy of step `n` (1-based), recording that it was shown in
    /// full with the hash of the bytes served. Completed steps serve their
    /// signed or sealed PDF and record nothing.
    ///
    /// # Errors
    /// 404 for no such step, 409 before consent or out of the packet's status.
    pub async fn view_step(&self, id: &str, n: usize, caller: &Caller) -> Result<(Vec<u8>, bool), ServiceError> {
        let packet = self.packet(id).await?;
        let index = step_index(&packet.state, n)?;
        let step = &packet.state.steps[index];
        if let Some(done) = &step.done {
            return Ok((self.stored(id, done.stored_sha256()).await?, true));
        }
        let bytes = self.stored(id, &step.content_sha256).await?;
        let served = sha256_hex(&bytes);
        match self.transition(id, caller, |_| Ok(Planned::just(Request::Viewed(index, served.clone())))).await {
            Ok(_) => Ok((bytes, false)),
            // Completed from another window meanwhile: show what was completed.
            Err(ServiceError::Refused(Refusal::AlreadyDone(_))) => Box::pin(self.view_step(id, n, caller)).await,
            Err(e) => Err(e),
        }
    }

    /// Page `page` of step `n`'s document as a PNG, recording that it was
    /// shown; once every page was, the step counts as viewed. Completed
    /// steps show their signed or sealed PDF and record nothing.
    ///
    /// # Errors
    /// 404 for no such step or page, 409 before consent or out of status.
    pub async fn view_page(&self, id: &str, n: usize, page: usize, caller: &Caller) -> Result<Vec<u8>, ServiceError> {
        let packet = self.packet(id).await?;
        let index = step_index(&packet.state, n)?;
        let step = &packet.state.steps[index];
        let (sha, record) = match &step.done {
            Some(done) => (done.stored_sha256().to_owned(), false),
            None => (step.content_sha256.clone(), true),
        };
        if record {
            // Asked first, so that a refused view draws nothing.
            crate::packet::apply(&packet.state, &Request::PageShown(index, page, sha.clone()))?;
        }
        let pdf = self.stored(id, &sha).await?;
        let png = blocking(move || {
            crate::preview::page_png(&pdf, page).map_err(|e| match e {
                crate::preview::PreviewError::NoSuchPage { .. } => ServiceError::NotFound("page"),
                other => ServiceError::Internal(other.to_string()),
            })
        })
        .await?;
        if record {
            match self.transition(id, caller, |_| Ok(Planned::just(Request::PageShown(index, page, sha.clone())))).await {
                Ok(_) | Err(ServiceError::Refused(Refusal::AlreadyDone(_))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(png)
    }

    /// Confirms review of step `n` and seals its review copy.
    ///
    /// # Errors
    /// 409 out of order, before viewing, or on a sign step.
    pub async fn confirm_review(&self, id: &str, n: usize, caller: &Caller) -> Result<Committed, ServiceError> {
        let packet = self.packet(id).await?;
        let index = step_index(&packet.state, n)?;
        // Ask first with a placeholder so a refusal costs no seal.
        let step = packet.state.steps[index].clone();
        let probe = Sealed { reviewed_sha256: step.content_sha256.clone(), sealed_sha256: String::new() };
        crate::packet::apply(&packet.state, &Request::ConfirmReview(index, probe))?;
        let signer = self.case_of(&packet)?.principal.full_name();
        // The stored review copy, exactly as shown, is what gets sealed.
        let doc = RenderedDocument {
            kind: step.kind,
            title: step.kind.title(),
            action: step.action,
            page_count: 0,
            template_version: String::new(),
            signature: None,
            pdf: self.stored(id, &step.content_sha256).await?,
            sha256: step.content_sha256.clone(),
            warnings: Vec::new(),
        };
        let (renderer, identity, now) = (Arc::clone(&self.renderer), Arc::clone(&self.identity), self.now());
        let sealed = blocking(move || Ok(super::seal_document(&renderer, &identity, &doc, &signer, now)?)).await?;
        let sealed_sha = sha256_hex(&sealed);
        let reviewed = step.content_sha256.clone();
        let blobs = vec![blob(sealed, sealed_sha.clone(), "sealed")];
        self.transition(id, caller, |_| {
            let sealed = Sealed { reviewed_sha256: reviewed.clone(), sealed_sha256: sealed_sha.clone() };
            Ok(Planned { blobs: blobs.clone(), ..Planned::just(Request::ConfirmReview(index, sealed)) })
        })
        .await
    }

    /// Signs step `n`: checks the typed name against the principal and the
    /// choice the document asks for, renders the copy with that choice and
    /// seals it with the visible stamp.
    ///
    /// # Errors
    /// 409 out of order or before viewing; 422 for a wrong name or a missing choice.
    pub async fn sign(&self, id: &str, n: usize, input: SignInput, caller: &Caller) -> Result<Committed, ServiceError> {
        let packet = self.packet(id).await?;
        let index = step_index(&packet.state, n)?;
        let step = packet.state.steps[index].clone();
        let probe = Completion::Signed {
            name: String::new(),
            reviewed_sha256: step.content_sha256.clone(),
            sealed_copy_sha256: String::new(),
            signed_sha256: String::new(),
        };
        crate::packet::apply(&packet.state, &Request::Sign(index, probe))?;
        let case = self.case_of(&packet)?;
        SignerName::from(&case.principal).check(&input.name)?;
        let choices = choices_for(step.kind, &input)?;
        let (renderer, identity, now) = (Arc::clone(&self.renderer), Arc::clone(&self.identity), self.now());
        let as_of = super::stored_date(&packet.as_of)?;
        let name = input.name.trim().to_owned();
        let signer = name.clone();
        let (copy, signed) = blocking(move || {
            let doc = into_review_copy(renderer.render(&case, step.kind, &choices, as_of)?)?;
            let signed = super::seal_document(&renderer, &identity, &doc, &signer, now)?;
            Ok((doc, signed))
        })
        .await?;
        let completion = Completion::Signed {
            name,
            reviewed_sha256: step.content_sha256.clone(),
            sealed_copy_sha256: copy.sha256.clone(),
            signed_sha256: sha256_hex(&signed),
        };
        let blobs = vec![blob(copy.pdf, copy.sha256, "review"), blob(signed.clone(), sha256_hex(&signed), "signed")];
        self.transition(id, caller, |_| Ok(Planned { blobs: blobs.clone(), ..Planned::just(Request::Sign(index, completion.clone())) }))
            .await
    }

    /// Finishes after the last step.
    ///
    /// # Errors
    /// 409 with steps left.
    pub async fn finish(&self, id: &str, caller: &Caller) -> Result<Committed, ServiceError> {
        self.transition(id, caller, |_| Ok(Planned::just(Request::Finish))).await
    }

    /// Submits for review ("HCSC Review").
    ///
    /// # Errors
    /// 409 unless finished.
    pub async fn submit(&self, id: &str, caller: &Caller) -> Result<Committed, ServiceError> {
        self.transition(id, caller, |_| Ok(Planned::just(Request::Submit))).await
    }

    /// Resubmits after an information request.
    ///
    /// # Errors
    /// 409 unless information was requested.
    pub async fn resubmit(&self, id: &str, caller: &Caller) -> Result<Committed, ServiceError> {
        self.transition(id, caller, |_| Ok(Planned::just(Request::Resubmit))).await
    }

    /// Stores an uploaded file (the E&O declaration page or a requested
    /// document); it replaces the packet's earlier upload, which stays stored
    /// and in the audit trail.
    ///
    /// # Errors
    /// 413 over 3072 KB, 415 for a type other than PDF/JPEG/PNG/GIF/TIFF by
    /// content, 409 after submission.
    pub async fn upload(&self, id: &str, bytes: Vec<u8>, filename: &str, caller: &Caller) -> Result<Committed, ServiceError> {
        if bytes.len() > MAX_UPLOAD_BYTES {
            return Err(UploadError::TooLarge(bytes.len().div_ceil(1024)).into());
        }
        let kind = sniff(&bytes)?;
        let sha = sha256_hex(&bytes);
        let upload = Upload {
            sha256: sha.clone(),
            media_type: kind.media_type().to_owned(),
            size: bytes.len() as u64,
            filename: clean_filename(filename),
        };
        let stored = crate::store::Blob { sha256: sha, media_type: upload.media_type.clone(), bytes, role: "upload" };
        self.transition(id, caller, |_| {
            Ok(Planned { blobs: vec![stored.clone()], ..Planned::just(Request::Upload(upload.clone())) })
        })
        .await
    }

    /// A stored blob (PDF or upload) that belongs to the packet.
    ///
    /// # Errors
    /// 404 when the packet has no such blob.
    pub async fn stored(&self, id: &str, sha256: &str) -> Result<Vec<u8>, ServiceError> {
        Ok(self.store.blob(id, sha256).await?.ok_or(ServiceError::NotFound("document"))?.1)
    }
}

/// 1-based step number to index.
fn step_index(state: &crate::packet::Packet, n: usize) -> Result<usize, ServiceError> {
    if n == 0 || n > state.steps.len() {
        return Err(ServiceError::NotFound("step"));
    }
    Ok(n - 1)
}

/// The signing-time choice the document asks for, required where it asks.
fn choices_for(kind: DocumentKind, input: &SignInput) -> Result<SigningChoices, ServiceError> {
    let mut choices = SigningChoices::default();
    match kind {
        DocumentKind::ProducerAgreement => {
            let entity = input.entity_type.clone().ok_or(ServiceError::InvalidField {
                field: "entity_type",
                message: "is required to sign the Producer Agreement (partnership, corporation or other)".into(),
            })?;
            if let EntityType::Other(d) = &entity
                && d.trim().is_empty()
            {
                return Err(ServiceError::InvalidField { field: "entity_type", message: "\"other\" needs a description".into() });
            }
            choices.entity_type = Some(entity);
        }
        DocumentKind::W9 => {
            let class = input.tax_classification.clone().ok_or(ServiceError::InvalidField {
                field: "tax_classification",
                message: "is required to sign the W-9 (line 3a)".into(),
            })?;
            if let TaxClassification::Other(d) = &class
                && d.trim().is_empty()
            {
                return Err(ServiceError::InvalidField {
                    field: "tax_classification",
                    message: "\"other\" needs a description".into(),
                });
            }
            choices.tax_classification = Some(class);
        }
        _ => {}
    }
    Ok(choices)
}

/// A file name fit for display: no path, no control characters, bounded.
fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    if cleaned.trim().is_empty() { "upload".into() } else { cleaned }
}
