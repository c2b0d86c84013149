//! The `inkseal` binary: see `inkseal --help`.

fn main() -> std::process::ExitCode {
    inkseal::cli::run()
}
