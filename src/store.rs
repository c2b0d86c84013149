/*!
Storage (spec §8): packets, their immutable content-addressed PDFs and
uploads, the hash-chained audit trail, signing links and sessions, in
embedded SQLite (the default) or PostgreSQL (`DATABASE_URL=postgres://…`).

One code path serves both databases through sqlx's `Any` driver; the
migrations in `migrations/sqlite` and `migrations/postgres` differ only in
column types. Every state change is one transaction guarded by the packet's
version: a writer that read an older version changes nothing and learns so
([`StoreError::Conflict`]), which is what keeps two windows or two replicas
from completing the same step twice.

Secrets are encrypted before they reach the database ([`DataKeys`]): the
case JSON (SSN, EIN, bank numbers) and every blob (the W-9 prints the EIN),
each row with the id of the key that sealed it.
*/

mod crypt;
mod maintenance;
mod packets;
mod tokens;

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::AnyPool;

pub use crypt::{DEV_DATA_KEY_FILE, DataKey, DataKeyError, DataKeys, OpenError};
pub use maintenance::{CheckReport, RekeyReport};
pub use packets::{Blob, Change, NewPacket, StoredPacket};
pub use tokens::{LinkRefusal, SessionRow};

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else changed the packet since it was read.
    #[error("the packet was changed by another request")]
    Conflict,
    /// The producer identification number is taken.
    #[error("that producer identification number is already assigned")]
    ProducerIdTaken,
    /// A stored value could not be read back (corruption or a foreign writer).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// An encrypted value does not open: a missing data key, or tampering.
    #[error("{what} {source}")]
    Sealed {
        /// Which value.
        what: String,
        /// Why.
        source: OpenError,
    },
    /// A value could not be encrypted.
    #[error(transparent)]
    Key(#[from] DataKeyError),
    /// The URL names no supported database.
    #[error("unsupported database URL (use sqlite://… or postgres://…)")]
    UnsupportedUrl,
    /// Migrations failed.
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A connection pool with the schema in place, and the data keys that
/// seal what it stores.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    keys: DataKeys,
}

impl Store {
    /// Opens (creating if needed) the SQLite file at `path`.
    ///
    /// # Errors
    /// When the folder cannot be created or the database cannot be opened or migrated.
    pub async fn open_sqlite(path: &Path, keys: DataKeys) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        Self::open(&format!("sqlite://{}?mode=rwc", path.display()), keys).await
    }

    /// Opens a database by URL (`sqlite://…` or `postgres://…`) and migrates
    /// it; `keys` seal what is written and open what is read.
    ///
    /// # Errors
    /// When the URL is unsupported or the database cannot be reached or migrated.
    pub async fn open(url: &str, keys: DataKeys) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        if backend == Backend::Sqlite {
            // WAL lets readers go on while one writer commits; it persists in the file.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        }
        let store = Self { pool, backend, keys };
        store.migrator().run(&store.pool).await?;
        Ok(store)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The data keys.
    pub fn keys(&self) -> &DataKeys {
        &self.keys
    }

    /// The pool, for tests and tools that inspect the raw tables.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Checks that the database answers.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn migrator(&self) -> Migrator {
        let files: &[(i64, &str, &str)] = match self.backend {
            Backend::Sqlite => &[
                (1, "packets", include_str!("../migrations/sqlite/0001_packets.sql")),
                (2, "encryption at rest", include_str!("../migrations/sqlite/0002_encryption_at_rest.sql")),
            ],
            Backend::Postgres => &[
                (1, "packets", include_str!("../migrations/postgres/0001_packets.sql")),
                (2, "encryption at rest", include_str!("../migrations/postgres/0002_encryption_at_rest.sql")),
            ],
        };
        let migrations = files
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(*version, Cow::Borrowed(*name), MigrationType::Simple, Cow::Borrowed(*sql), false)
            })
            .collect::<Vec<_>>();
        Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT }
    }
}
