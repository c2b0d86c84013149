/*!
Low-level PDF: serialising objects and appending incremental updates
(ISO 32000-1 §7.5.6) to bytes that must stay untouched — the reviewed bytes
of a document are a prefix of its signed file.

Reading uses `lopdf`, only on PDFs inkseal rendered itself; the verifier
does its own bounded parsing of untrusted files.
*/

mod update;
mod write;

pub use update::{Base, Update, UpdateError};
pub use write::{format_real, write_dictionary, write_object, write_string_hex};
