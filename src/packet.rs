/*!
The packet: the steps a producer goes through and the rules that decide
whether an action is allowed. Pure functions over plain types; no I/O.
*/

mod lifecycle;
mod signer_name;

pub use lifecycle::{Completion, DocumentRef, Event, Packet, Refusal, Request, Sealed, Status, Step, Upload, apply};
pub use signer_name::{NameMismatch, SignerName, normalize_name};
