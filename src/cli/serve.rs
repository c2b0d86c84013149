//! `inkseal serve`: the packet service over HTTP. Zero configuration on the
//! embedded default (SQLite under `--data`, development keys created on first
//! start); PostgreSQL and production keys by configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;

use super::store::StoreArgs;
use super::{Failure, TemplateArgs};
use crate::http::{ApiKeys, AppState, Limits, Rate, TrustedProxies};
use crate::pki::Algorithm;
use crate::service::{Config, Service};
use crate::signing::{SigningIdentity, TrustStore};

/// Arguments of `inkseal serve`.
#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
    /// Comma-separated portal API keys (kept only as hashes). Without any,
    /// every /api/v1 request is refused with 401.
    #[arg(long, env = "INKSEAL_API_KEYS", value_name = "KEYS", hide_env_values = true, default_value = "")]
    api_keys: String,
    /// The URL signing links start with (default: http://<addr>).
    #[arg(long, env = "INKSEAL_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Production signing key (PKCS#8 PEM, not readable by others). With
    /// --signing-cert and --trust; without them development keys are used.
    #[arg(long, env = "INKSEAL_SIGNING_KEY", value_name = "FILE")]
    signing_key: Option<PathBuf>,
    /// Production signing certificate chain (PEM, signer first).
    #[arg(long, env = "INKSEAL_SIGNING_CERT", value_name = "FILE")]
    signing_cert: Option<PathBuf>,
    /// Trusted root certificates (PEM), comma-separated or repeated.
    #[arg(long, env = "INKSEAL_TRUST", value_name = "FILE", value_delimiter = ',')]
    trust: Vec<PathBuf>,
    /// Seconds a signing link works unused.
    #[arg(long, env = "INKSEAL_LINK_TTL_SECS", value_name = "SECONDS", default_value_t = 30 * 60)]
    link_ttl: u64,
    /// Seconds a producer session may idle.
    #[arg(long, env = "INKSEAL_SESSION_IDLE_SECS", value_name = "SECONDS", default_value_t = 45 * 60)]
    session_idle: u64,
    #[command(flatten)]
    templates: TemplateArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

/// What one client may ask of the server.
#[derive(clap::Args, Debug)]
struct LimitArgs {
    /// Signing-link redemptions (GET or POST /s/link/{token}) one client
    /// address may make per minute, in a burst of as many; 0 turns the limit off.
    #[arg(long, env = "INKSEAL_LINK_RATE", value_name = "PER_MINUTE", default_value_t = 30)]
    link_rate: u32,
    /// PDF verification uploads (POST /verify, POST /api/v1/verify) one client
    /// address may make per minute; 0 turns the limit off.
    #[arg(long, env = "INKSEAL_VERIFY_RATE", value_name = "PER_MINUTE", default_value_t = 30)]
    verify_rate: u32,
    /// Seconds a request may take, body included, before it is answered 408.
    #[arg(long, env = "INKSEAL_REQUEST_TIMEOUT_SECS", value_name = "SECONDS", default_value_t = 60)]
    request_timeout: u64,
    /// Seconds a client may take to send a request's headers before the
    /// connection is closed.
    #[arg(long, env = "INKSEAL_HEADER_TIMEOUT_SECS", value_name = "SECONDS", default_value_t = 10)]
    header_timeout: u64,
    /// Connections served at once; more wait until one closes.
    #[arg(long, env = "INKSEAL_MAX_CONNECTIONS", value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    /// Reverse proxies in front of inkseal (comma-separated addresses or
    /// ranges such as 10.0.0.0/8): from them, X-Forwarded-For names the
    /// client for the audit trail and the rate limits. Without any, the
    /// header is ignored.
    #[arg(long, env = "INKSEAL_TRUSTED_PROXIES", value_name = "RANGES", default_value = "")]
    trusted_proxies: String,
}

impl LimitArgs {
    fn limits(&self) -> Result<Limits, Failure> {
        let trusted_proxies =
            TrustedProxies::parse(&self.trusted_proxies).map_err(|e| Failure::Invalid(format!("--trusted-proxies: {e}")))?;
        Ok(Limits {
            link_redemptions: Rate::per_minute(self.link_rate),
            verify_uploads: Rate::per_minute(self.verify_rate),
            request_timeout: Duration::from_secs(self.request_timeout.max(1)),
            header_timeout: Duration::from_secs(self.header_timeout.max(1)),
            max_connections: self.max_connections.max(1),
            trusted_proxies,
        })
    }
}

pub(crate) fn run(args: &ServeArgs) -> Result<(), Failure> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("INKSEAL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colour).with_writer(std::io::stderr).try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(serve(args))
}

fn load_identity(args: &ServeArgs) -> Result<(SigningIdentity, TrustStore), Failure> {
    let given = [args.signing_key.is_some(), args.signing_cert.is_some(), !args.trust.is_empty()];
    if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
        return Err(Failure::Invalid(
            "refusing to start: production signing needs all of --signing-key, --signing-cert and --trust \
             (INKSEAL_SIGNING_KEY, INKSEAL_SIGNING_CERT, INKSEAL_TRUST); set none of them for development keys"
                .into(),
        ));
    }
    match (&args.signing_key, &args.signing_cert) {
        (Some(key), Some(cert)) => {
            if !args.store.has_data_keys() {
                return Err(Failure::Invalid(
                    "refusing to start: production signing keys are set but no data keys (--data-keys, INKSEAL_DATA_KEYS); \
                     production encrypts secrets at rest with its own key (create one with `inkseal keys data-key --out FILE`)"
                        .into(),
                ));
            }
            let trust = TrustStore::load(&args.trust).map_err(|e| Failure::Invalid(format!("--trust: {e}")))?;
            let identity = SigningIdentity::load(key, cert, &trust, SystemTime::now())
                .map_err(|e| Failure::Invalid(format!("refusing to start: the signing key or certificate is not usable: {e}")))?;
            Ok((identity, trust))
        }
        _ => {
            let dir = args.store.data.join("keys");
            let (_, identity, trust) = super::demo::dev_identity(&dir, Algorithm::Ed25519)?;
            tracing::warn!(
                "signing with DEVELOPMENT keys from {} — documents will not be trusted outside this installation; \
                 set INKSEAL_SIGNING_KEY, INKSEAL_SIGNING_CERT and INKSEAL_TRUST in production",
                dir.display()
            );
            Ok((identity, trust))
        }
    }
}

/// Says that configuration the server was given stops it from starting.
fn refusing_to_start(e: Failure) -> Failure {
    match e {
        Failure::Invalid(m) => Failure::Invalid(format!("refusing to start: {m}")),
        other => other,
    }
}

async fn serve(args: &ServeArgs) -> Result<(), Failure> {
    // Bad limits are refused before anything is opened or created.
    let limits = args.limits.limits().map_err(refusing_to_start)?;
    let (identity, trust) = load_identity(args)?;
    let store = args.store.open(true).await.map_err(refusing_to_start)?;
    let renderer = args.templates.renderer()?;
    let api_keys = ApiKeys::parse(&args.api_keys);
    if api_keys.is_empty() {
        tracing::warn!("no API keys configured (INKSEAL_API_KEYS): the portal API will refuse every request");
    }
    let listener = tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("listening on {}", args.addr))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    let config = Config {
        public_url: args.public_url.clone().unwrap_or_else(|| format!("http://{bound}")),
        link_ttl: Duration::from_secs(args.link_ttl),
        session_idle: Duration::from_secs(args.session_idle),
    };
    let service = Service::new(
        store.clone(),
        Arc::new(renderer),
        Arc::new(identity),
        Arc::new(trust),
        config,
        Arc::new(time::OffsetDateTime::now_utc),
    );
    tracing::info!(database = ?store.backend(), api_keys = api_keys.len(), "inkseal listening on http://{bound}");
    // The one line scripts and tests read to find the port.
    println!("listening on http://{bound}");
    crate::http::serve(listener, AppState::new(service, api_keys, limits), shutdown_signal()).await.context("serving")?;
    store.close().await;
    tracing::info!("stopped after finishing requests in flight");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
