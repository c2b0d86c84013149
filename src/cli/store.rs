//! Where the database is and which data keys seal it (shared by `serve` and
//! `store`), and `inkseal store check|rekey` for operators.

use std::path::PathBuf;

use anyhow::Context as _;

use super::Failure;
use crate::store::{DEV_DATA_KEY_FILE, DataKey, DataKeys, Store};

/// The database and its data keys.
#[derive(clap::Args, Debug)]
pub(crate) struct StoreArgs {
    /// Folder for the SQLite database (`inkseal.db`) and development keys.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub(crate) data: PathBuf,
    /// PostgreSQL instead of the embedded SQLite, e.g. postgres://user@host/db.
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Data key files that encrypt SSNs, EINs, bank numbers and stored PDFs
    /// at rest (64 hex digits, mode 0600; `inkseal keys data-key` makes one),
    /// comma-separated or repeated: the first encrypts, all decrypt (rotation).
    /// Without any, a development key in DIR/keys/ is used.
    #[arg(long, env = "INKSEAL_DATA_KEYS", value_name = "FILE", value_delimiter = ',')]
    data_keys: Vec<PathBuf>,
}

impl StoreArgs {
    /// Whether production data keys were given.
    pub(crate) fn has_data_keys(&self) -> bool {
        !self.data_keys.is_empty()
    }

    /// The data keys: the configured files, or the development key
    /// (created when `create` and missing).
    fn keys(&self, create: bool) -> Result<DataKeys, Failure> {
        if self.has_data_keys() {
            return DataKeys::load(&self.data_keys).map_err(|e| Failure::Invalid(format!("--data-keys: {e}")));
        }
        let dir = self.data.join("keys");
        if !create && !dir.join(DEV_DATA_KEY_FILE).exists() {
            return Err(Failure::Invalid(format!(
                "no data key: pass --data-keys (INKSEAL_DATA_KEYS), or --data with the folder `inkseal serve` used \
                 ({} has no {DEV_DATA_KEY_FILE})",
                dir.display()
            )));
        }
        let (key, created) = DataKey::development(&dir).map_err(|e| Failure::Invalid(format!("development data key: {e}")))?;
        if created {
            tracing::warn!(
                "created a DEVELOPMENT data key in {} — set INKSEAL_DATA_KEYS in production",
                dir.join(DEV_DATA_KEY_FILE).display()
            );
        }
        DataKeys::new(vec![key]).map_err(|e| Failure::Invalid(e.to_string()))
    }

    /// Opens and migrates the database with its keys, refusing one that
    /// holds rows sealed with a key that was not given.
    pub(crate) async fn open(&self, create_dev_key: bool) -> Result<Store, Failure> {
        let keys = self.keys(create_dev_key)?;
        let store = match &self.database_url {
            Some(url) if !url.is_empty() => Store::open(url, keys).await.context("opening the database named by DATABASE_URL")?,
            _ => {
                let path = self.data.join("inkseal.db");
                if !create_dev_key && !path.exists() {
                    // A mistyped --data must not pass as an empty, consistent database.
                    return Err(Failure::Invalid(format!(
                        "no database at {}: pass --data with the folder `inkseal serve` used, or --database-url",
                        path.display()
                    )));
                }
                Store::open_sqlite(&path, keys).await.with_context(|| format!("opening {}", path.display()))?
            }
        };
        let missing = store.missing_keys().await.context("reading which data keys the database uses")?;
        if !missing.is_empty() {
            return Err(Failure::Invalid(format!(
                "the database holds data encrypted with data key {}, which was not given \
                 (configured: {}); give every replica the same INKSEAL_DATA_KEYS, keeping old keys after the first until \
                 `inkseal store rekey` has run",
                missing.join(", "),
                store.keys().ids().join(", ")
            )));
        }
        Ok(store)
    }
}

/// Arguments of `inkseal store`.
#[derive(clap::Args, Debug)]
pub(crate) struct StoreCommandArgs {
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(clap::Subcommand, Debug)]
enum StoreCommand {
    /// Check every packet: state and case decrypt, the audit chain is intact
    /// and anchored, every document is stored and hashes to its address,
    /// every completed step has its audit record, no orphan rows. Exit 0
    /// when consistent, 1 when anything is wrong.
    Check {
        #[command(flatten)]
        store: StoreArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Encrypt every case and stored PDF with the first data key: rows
    /// sealed with an older key (given after the first) and rows written in
    /// clear. Safe while the service runs.
    Rekey {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub(crate) fn run(args: &StoreCommandArgs) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async {
        match &args.command {
            StoreCommand::Check { store, json } => {
                let store = store.open(false).await?;
                let report = store.check().await.context("reading the database")?;
                store.close().await;
                if *json {
                    println!("{}", serde_json::to_string_pretty(&report).context("writing the report")?);
                } else {
                    println!(
                        "{} packets, {} documents, {} audit records checked; {} rows not encrypted",
                        report.packets, report.blobs, report.audit_records, report.unencrypted_rows
                    );
                    for p in &report.problems {
                        println!("problem: {p}");
                    }
                    println!("{}", if report.problems.is_empty() { "consistent" } else { "NOT consistent" });
                }
                if report.problems.is_empty() { Ok(()) } else { Err(Failure::Silent(1)) }
            }
            StoreCommand::Rekey { store } => {
                let store = store.open(false).await?;
                let report = store.rekey().await.context("re-encrypting")?;
                store.close().await;
                println!("sealed {} cases and {} documents again with data key {}", report.cases, report.blobs, report.key_id);
                Ok(())
            }
        }
    })
}
