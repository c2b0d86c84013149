/*!
The `inkseal` command line. `main` calls [`run`], which maps every outcome to
an exit code in one place:

- 0: success;
- 1: the work failed (I/O, a broken template);
- 2: the input is invalid (case data, arguments) — nothing was written.
*/

mod bench;
mod demo;
mod keys;
mod render;
mod serve;
mod store;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use time::Date;

use crate::case::{CaseErrors, parse_date};
use crate::documents::Renderer;
use crate::templates::TemplateSet;

/// The example case shipped with inkseal (spec `examples/case-ok-tx-nm.json`).
pub const EXAMPLE_CASE: &str = include_str!("../examples/case-ok-tx-nm.json");

/// The as-of date the example case is valid on (its E&O policy runs
/// 2026-06-01 to 2027-06-01).
pub const EXAMPLE_AS_OF: &str = "2026-12-01";

#[derive(Parser, Debug)]
#[command(
    name = "inkseal",
    version,
    about = "Render, sign, seal and verify insurance producer onboarding packets",
    long_about = "inkseal turns an onboarding case (JSON) into the packet of PDFs a producer reviews \
and signs: Code of Conduct, Producer Agreement, New Mexico / Oklahoma / Montana addenda and a \
substitute W-9, as PDF/A-4 (PDF 2.0) with all fonts embedded.\n\nExit codes: 0 success, 1 failure, \
2 invalid input (nothing written).",
    after_help = "Start with `inkseal demo --out out/` to render the example case."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Render a case's packet: one PDF per document plus manifest.json.
    Render(render::RenderArgs),
    /// Render the example case (OK, TX, NM with BlueLincs HMO) into a folder.
    Demo(demo::DemoArgs),
    /// Measure rendering speed: one document and a whole packet, warm and cold.
    Bench(bench::BenchArgs),
    /// Manage signing keys (`keys init` creates development keys).
    Keys(keys::KeysArgs),
    /// Run the packet service: the portal's JSON API, the producer's
    /// signing pages and endpoints (/s/…), the compliance page /verify,
    /// /api/openapi.json and /healthz.
    Serve(serve::ServeArgs),
    /// Look after the database: `store check` (consistency of every packet)
    /// and `store rekey` (encrypt everything with the newest data key).
    Store(store::StoreCommandArgs),
    /// Verify signed PDFs: exit 0 when every file is valid, 1 when any
    /// signature is invalid, untrusted, missing or the file changed after
    /// signing, 2 when a file cannot be read as PDF.
    Verify(verify::VerifyArgs),
}

/// Options shared by the commands that render.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct TemplateArgs {
    /// Use the templates in DIR instead of the ones built into the binary
    /// (for template authors). DIR must hold the six document templates and
    /// `reference/`.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

impl TemplateArgs {
    fn renderer(&self) -> Result<Renderer, Failure> {
        let set = match &self.templates {
            Some(dir) => TemplateSet::from_dir(dir).map_err(|e| Failure::Invalid(e.to_string()))?,
            None => TemplateSet::embedded(),
        };
        Renderer::new(set).map_err(|e| Failure::Invalid(e.to_string()))
    }
}

/// Why a command failed, deciding the exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The case data broke rules (exit 2).
    Case(CaseErrors),
    /// Other invalid input: arguments, template folder (exit 2).
    Invalid(String),
    /// The work itself failed (exit 1).
    Failed(anyhow::Error),
    /// The command already reported everything; exit with this code.
    Silent(u8),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Failed(e)
    }
}

/// Parses `--as-of`, defaulting to today's UTC date.
pub(crate) fn as_of(arg: Option<&str>) -> Result<Date, Failure> {
    match arg {
        Some(text) => parse_date(text)
            .ok_or_else(|| Failure::Invalid(format!("--as-of {text:?} is not a real date written YYYY-MM-DD"))),
        None => Ok(time::OffsetDateTime::now_utc().date()),
    }
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => render::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Keys(args) => keys::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Store(args) => store::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Case(errors)) => {
            eprintln!("error: the case data is invalid ({} problem{}):", errors.0.len(), plural(errors.0.len()));
            for e in &errors.0 {
                eprintln!("  {}: {}", e.field, e.message);
            }
            eprintln!("Nothing was written. Fix the fields above and run the command again.");
            ExitCode::from(2)
        }
        Err(Failure::Invalid(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Silent(code)) => ExitCode::from(code),
        Err(Failure::Failed(err)) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
