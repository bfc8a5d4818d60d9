//! `cognito-to-descope`: answers `completions` / `man` / `report` at once, else reads `.env`,
//! parses the command line, runs.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    // Completions, the man page and a report's HTML page need no settings: answered before .env is
    // read, so they work on a machine where nothing is configured and cannot be steered by a stray
    // .env.
    match importer::docs::offline_request(std::env::args_os()) {
        Ok(Some(command)) => {
            if let Some(code) = importer::docs::answer(&command).or_else(|| importer::html_report::answer(&command)) {
                return code;
            }
        }
        Ok(None) => {}
        // A wrong command line (exit 2, clap's message), whatever the settings would be.
        Err(e) => e.exit(),
    }
    // Settings may live in a .env file in the working directory, as with the official tool: that
    // directory only. (`dotenvy::dotenv()` would also search every parent directory, so a .env
    // planted higher up could redirect DESCOPE_BASE_URL and receive the management key.)
    match dotenvy::from_path(std::path::Path::new(".env")) {
        Ok(_) => {}
        Err(e) if e.not_found() => {}
        Err(e) => {
            eprintln!("error: cannot read .env in the working directory: {e}");
            return ExitCode::from(importer::run::EXIT_CONFIG);
        }
    }
    let cli = importer::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(importer::run::run(cli))
}
