//! `inkseal serve` as separate processes: started, killed and restarted,
//! several at once on one database, their logs read.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod flow;
mod server;

mod crash;
mod logs;
mod replicas;
mod serve;
mod store;
