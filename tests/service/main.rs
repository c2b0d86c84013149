//! The packet service end to end: the real HTTP server on a random port,
//! spoken to with reqwest, on SQLite and on PostgreSQL (a throw-away schema
//! per test in the `test` database on 127.0.0.1:5432; override with
//! `INKSEAL_TEST_POSTGRES`).

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod harness;

mod access;
mod concurrency;
mod errors;
mod lifecycle;
mod limits;
mod links;
mod openapi;
mod secrets;

use harness::Db;

/// Declares each scenario once per database.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::scenarios::$name(super::Db::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::scenarios::$name(super::Db::Postgres).await
                }
            )*
        }
    };
}

mod scenarios {
    pub use super::access::*;
    pub use super::concurrency::*;
    pub use super::errors::*;
    pub use super::lifecycle::*;
    pub use super::links::*;
    pub use super::secrets::*;
}

on_both!(
    whole_life_of_the_example_case,
    whole_life_of_a_montana_only_case,
    editing_after_signing_voids_and_forces_a_new_signature,
    audit_tampering_is_detected,
    a_document_altered_in_storage_is_reported_not_served,
    certificate_of_completion_is_sealed_and_lists_every_event,
    portal_errors_have_the_right_status_and_code,
    producer_errors_have_the_right_status_and_code,
    uploads_are_judged_by_content_and_size,
    links_are_single_use_and_expire,
    sessions_time_out_when_idle,
    credentials_do_not_cross_between_portal_and_producer,
    two_requests_for_one_step_make_one_signature,
    two_windows_racing_through_the_packet_never_double_sign,
    a_producer_id_is_never_assigned_twice,
    documents_are_shown_page_by_page,
    secrets_are_encrypted_at_rest_and_never_answered,
    a_session_reaches_only_its_own_packet,
    forged_altered_and_replayed_tokens_open_nothing,
    every_page_carries_the_security_headers,
);
