/*!
The packet service: what the portal and the producer can do to a packet,
with rendering, sealing and storage put together. Each operation loads the
packet, asks the pure life cycle ([`crate::packet::apply`]) whether the
request is allowed, does the expensive work (rendering, sealing) outside any
transaction, and commits the new state, its blobs and its audit record in one
transaction guarded by the packet's version. A writer that lost a race
re-reads and re-asks, so the loser of two identical requests gets the life
cycle's refusal (409), never a second signature.

HTTP lives elsewhere ([`crate::http`]); this module knows nothing of it.
*/

mod admin;
mod producer;
mod sealing;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::audit::{Actor, Entry, Record};
use crate::case::{Case, CaseErrors, parse_case};
use crate::documents::{RenderError, Renderer, SigningChoices};
use crate::packet::{DocumentRef, Event, NameMismatch, Packet, Refusal, Request};
use crate::signing::{SealError, SigningIdentity, TrustStore, into_review_copy};
use crate::store::{Blob, Change, LinkRefusal, NewPacket, Store, StoreError, StoredPacket};
use crate::uploads::UploadError;

pub use admin::{DocumentCheck, PacketVerification, status_label};
pub use producer::{Consent, SignInput, consent_text};
pub use sealing::{SealDocumentError, seal_document};
pub use tokens::{IssuedLink, OpenedSession, csrf_matches, csrf_token, session_id};

/// How long a signing link works unused, and a session idles (spec §7).
#[derive(Clone, Debug)]
pub struct Config {
    /// Base URL that signing links start with, e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
    /// A signing link's life (30 minutes).
    pub link_ttl: Duration,
    /// A session's idle timeout (45 minutes).
    pub session_idle: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            link_ttl: Duration::from_secs(30 * 60),
            session_idle: Duration::from_secs(45 * 60),
        }
    }
}

/// The clock the service reads; tests pass their own.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Who is asking, as far as the edge knows.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Portal key, producer session or staff.
    pub actor: Actor,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
}

/// Why a service operation failed. The HTTP edge maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The case breaks rules (422 with every field).
    #[error("the case data is invalid")]
    InvalidCase(CaseErrors),
    /// A request field is missing or wrong (422).
    #[error("{field}: {message}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// The rule.
        message: String,
    },
    /// The typed signature is not the principal's name (422).
    #[error(transparent)]
    NameMismatch(#[from] NameMismatch),
    /// No such thing (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The life cycle refuses (409, or 404/422 for some refusals).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The request kept losing races (409).
    #[error("the packet is being changed by another request; reload and try again")]
    Busy,
    /// The signing link does not work: unknown, spent or expired.
    #[error("{}", link_message(*.0))]
    Link(LinkRefusal),
    /// The session is unknown or timed out.
    #[error("your session has ended; open your signing link again")]
    SessionEnded,
    /// An upload is refused (413 or 415).
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// Something on our side failed (500); the message is for logs.
    #[error("{0}")]
    Internal(String),
}

fn link_message(why: LinkRefusal) -> &'static str {
    match why {
        LinkRefusal::Unknown => "this signing link is not valid",
        LinkRefusal::Spent => "this signing link was already used; ask for a new one",
        LinkRefusal::Expired => "this signing link has expired; ask for a new one",
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict | StoreError::ProducerIdTaken => ServiceError::Busy,
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

impl From<RenderError> for ServiceError {
    fn from(e: RenderError) -> Self {
        ServiceError::Internal(format!("rendering failed: {e}"))
    }
}

impl From<SealError> for ServiceError {
    fn from(e: SealError) -> Self {
        ServiceError::Internal(format!("sealing failed: {e}"))
    }
}

impl From<SealDocumentError> for ServiceError {
    fn from(e: SealDocumentError) -> Self {
        ServiceError::Internal(format!("sealing failed: {e}"))
    }
}

/// The result of a committed change.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The packet after the change.
    pub packet: StoredPacket,
    /// The audit records written.
    pub records: Vec<Record>,
}

/// A request with the blobs and side data it commits.
struct Planned {
    request: Request,
    blobs: Vec<Blob>,
    case: Option<(String, String)>,
    producer_id: Option<String>,
}

impl Planned {
    fn just(request: Request) -> Self {
        Self { request, blobs: Vec::new(), case: None, producer_id: None }
    }
}

/// How often a change is retried after losing a race before giving up.
const ATTEMPTS: usize = 8;

/// The packet service.
#[derive(Clone)]
pub struct Service {
    store: Store,
    renderer: Arc<Renderer>,
    identity: Arc<SigningIdentity>,
    trust: Arc<TrustStore>,
    config: Config,
    clock: Clock,
}

impl Service {
    /// Puts the parts together.
    pub fn new(
        store: Store,
        renderer: Arc<Renderer>,
        identity: Arc<SigningIdentity>,
        trust: Arc<TrustStore>,
        config: Config,
        clock: Clock,
    ) -> Self {
        Self { store, renderer, identity, trust, config, clock }
    }

    /// The storage, for health checks.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The roots signatures are checked against.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    fn entry(&self, caller: &Caller, at: OffsetDateTime, event: Event) -> Entry {
        Entry {
            at: rfc3339(at),
            actor: caller.actor.clone(),
            ip: caller.ip.clone(),
            user_agent: caller.user_agent.clone(),
            event,
        }
    }

    /// Creates a packet from the portal's case JSON: validates it as of
    /// today, renders the review copies and stores them with the first
    /// audit record.
    ///
    /// # Errors
    /// [`ServiceError::InvalidCase`] with every problem, or an internal failure.
    pub async fn create_packet(&self, case_json: Vec<u8>, caller: &Caller) -> Result<StoredPacket, ServiceError> {
        let now = self.now();
        let as_of = now.date();
        let (case, documents) = self.render_case(case_json.clone(), as_of).await?;
        let case_text = String::from_utf8(case_json).map_err(|_| ServiceError::Internal("case is not UTF-8".into()))?;
        let id = format!("pkt_{}", random_token(16)?);
        let refs: Vec<DocumentRef> = documents.iter().map(doc_ref).collect();
        let state = Packet::new(refs.clone());
        let blobs = documents.into_iter().map(|d| blob(d.pdf, d.sha256, "review")).collect::<Vec<_>>();
        let event = Event::Created { case_key: case.case_key.clone(), documents: refs };
        self.store
            .create_packet(
                &NewPacket { id: &id, case_key: &case.case_key, case_json: &case_text, as_of: &as_of.to_string(), state: &state },
                &blobs,
                self.entry(caller, now, event),
            )
            .await?;
        self.packet(&id).await
    }

    /// Loads a packet.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] when there is none with that id.
    pub async fn packet(&self, id: &str) -> Result<StoredPacket, ServiceError> {
        self.store.packet(id).await?.ok_or(ServiceError::NotFound("packet"))
    }

    /// The packet's validated case, as of its rendering date.
    ///
    /// # Errors
    /// When the stored case no longer validates (reference data changed).
    pub fn case_of(&self, packet: &StoredPacket) -> Result<Case, ServiceError> {
        let as_of = stored_date(&packet.as_of)?;
        // It validated when stored; failing now means the reference data
        // changed under it, which is ours to fix, not the caller's.
        parse_case(packet.case_json.as_bytes(), as_of, self.renderer.reference())
            .map_err(|e| ServiceError::Internal(format!("stored case of packet {} no longer validates: {e}", packet.id)))
    }

    /// Replaces the case before submission (or while information is
    /// requested): re-renders and voids reviews and signatures on changed content.
    ///
    /// # Errors
    /// 422 with every field error, 409 once submitted.
    pub async fn update_case(&self, id: &str, case_json: Vec<u8>, caller: &Caller) -> Result<Committed, ServiceError> {
        let current = self.packet(id).await?;
        let now = self.now();
        let as_of = now.date();
        let (case, documents) = self.render_case(case_json.clone(), as_of).await?;
        if current.case_key != case.case_key {
            return Err(ServiceError::InvalidField {
                field: "case_key",
                message: "cannot change; create a new packet for another case".into(),
            });
        }
        let text = String::from_utf8(case_json).map_err(|_| ServiceError::Internal("case is not UTF-8".into()))?;
        let refs: Vec<DocumentRef> = documents.iter().map(doc_ref).collect();
        let blobs: Vec<Blob> = documents.into_iter().map(|d| blob(d.pdf, d.sha256, "review")).collect();
        let as_of = as_of.to_string();
        self.transition(id, caller, |_| {
            Ok(Planned {
                request: Request::EditCase(refs.clone()),
                blobs: blobs.clone(),
                case: Some((text.clone(), as_of.clone())),
                producer_id: None,
            })
        })
        .await
    }

    async fn render_case(&self, json: Vec<u8>, as_of: Date) -> Result<(Case, Vec<crate::documents::RenderedDocument>), ServiceError> {
        let renderer = Arc::clone(&self.renderer);
        blocking(move || {
            let case = parse_case(&json, as_of, renderer.reference()).map_err(ServiceError::InvalidCase)?;
            let documents = renderer
                .render_packet(&case, &SigningChoices::default(), as_of)?
                .into_iter()
                .map(into_review_copy)
                .collect::<Result<Vec<_>, _>>()?;
            Ok((case, documents))
        })
        .await
    }

    /// Loads, asks the life cycle, commits; re-reads and re-asks after a lost race.
    async fn transition(
        &self,
        id: &str,
        caller: &Caller,
        mut plan: impl FnMut(&StoredPacket) -> Result<Planned, ServiceError>,
    ) -> Result<Committed, ServiceError> {
        for _ in 0..ATTEMPTS {
            let current = self.packet(id).await?;
            let planned = plan(&current)?;
            let (next, event) = crate::packet::apply(&current.state, &planned.request)?;
            let now = self.now();
            let change = Change {
                state: &next,
                case: planned.case.as_ref().map(|(json, as_of)| (json.as_str(), as_of.as_str())),
                producer_id: planned.producer_id.as_deref(),
                blobs: planned.blobs,
                entries: vec![self.entry(caller, now, event)],
                now: &rfc3339(now),
            };
            match self.store.commit(id, current.version, change).await {
                Ok(records) => return Ok(Committed { packet: self.packet(id).await?, records }),
                Err(StoreError::Conflict | StoreError::ProducerIdTaken) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Busy)
    }
}

/// A stored as-of date (YYYY-MM-DD).
fn stored_date(text: &str) -> Result<Date, ServiceError> {
    crate::case::parse_date(text).ok_or_else(|| ServiceError::Internal(format!("stored as-of date {text:?}")))
}

/// RFC 3339 UTC with whole seconds.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `n` random bytes from the OS, hex-encoded.
fn random_token(n: usize) -> Result<String, ServiceError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

fn doc_ref(d: &crate::documents::RenderedDocument) -> DocumentRef {
    DocumentRef { kind: d.kind, action: d.action, sha256: d.sha256.clone(), pages: d.page_count }
}

fn blob(bytes: Vec<u8>, sha256: String, role: &'static str) -> Blob {
    Blob { sha256, media_type: "application/pdf".into(), bytes, role }
}

/// Runs CPU-bound work (Typst, signatures) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ServiceError::Internal(format!("worker failed: {e}")))?
}
