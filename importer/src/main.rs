//! `cognito-to-descope`: reads `.env`, parses the command line, runs.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
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
