//! `completions` and `man`: shell completions and the man page, generated from the clap
//! definitions of [`crate::cli`]. Both answer before any setting is read: no `.env`, no
//! environment variable, no network, so they work on a machine where nothing is configured.

use std::{ffi::OsString, io::Write, process::ExitCode};

use clap::{CommandFactory as _, FromArgMatches as _};
use roff::{Roff, bold, roman};

use crate::cli::{Cli, Command};

/// The binary's name, as completions and the man page call it.
const BIN: &str = "cognito-to-descope";

/// The command the arguments ask for when it is `completions`, `man` or `report` (which reads only
/// the JSON report it is given), parsed without reading any
/// environment variable (a malformed or hostile setting cannot stop or steer them); `Ok(None)` for
/// every other command line, which is then parsed as usual (after `.env`), and for `--help` and
/// `--version` (whose help shows the settings' values). A command line that is wrong whatever the
/// settings (no argument is required, so none can come from the environment) is the error clap
/// prints, with no `.env` read first.
pub fn offline_request<I, T>(args: I) -> Result<Option<Command>, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    use clap::error::ErrorKind;
    let command = Cli::command().mut_args(|arg| arg.env(None::<&'static str>));
    let matches = match command.try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if !matches!(matches.subcommand_name(), Some("completions" | "man" | "report")) {
        return Ok(None);
    }
    Ok(Some(Cli::from_arg_matches(&matches)?.command))
}

/// Prints the completions or the man page to stdout and returns the exit code; `None` for the
/// commands that migrate, verify, sync or report status.
pub fn answer(command: &Command) -> Option<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    let written = match command {
        Command::Completions { shell } => completions(*shell, &mut stdout),
        Command::Man => man(&mut stdout),
        _ => return None,
    };
    // A closed pipe (`... | head`) is the reader's choice, not a failure worth a message.
    Some(match written.and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            ExitCode::FAILURE
        }
    })
}

/// Writes the completion script of `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut command = Cli::command();
    // Generated into memory, so that a failed write surfaces as the returned error.
    let mut buffer = Vec::new();
    if shell == clap_complete::Shell::Bash {
        // clap_complete's bash script never completes a subcommand's options when the binary name
        // has a hyphen (clap-rs/clap#6421, open): generate it for a name without one, then
        // register its function for the real name.
        clap_complete::generate(shell, &mut command, BASH_NAME, &mut buffer);
        let script = String::from_utf8_lossy(&buffer)
            .replace(&format!(" -o default {BASH_NAME}\n"), &format!(" -o default {BIN}\n"));
        return out.write_all(script.as_bytes());
    }
    clap_complete::generate(shell, &mut command, BIN, &mut buffer);
    out.write_all(&buffer)
}

/// The name the bash script is generated for (see [`completions`]).
const BASH_NAME: &str = "cognito_to_descope";

/// Writes the man page (section 1): clap_mangen's name, synopsis, description and options, then
/// every command in full (usage, description, its own options, examples), the exit status and the
/// notes that `--help` ends with.
pub fn man(out: &mut dyn Write) -> std::io::Result<()> {
    let mut command = Cli::command();
    command.build();
    // The root's closing text gets sections of its own below, so clap_mangen must not render it.
    let page = clap_mangen::Man::new(command.clone().after_help(None::<&'static str>));
    // Every `render_*` starts with the same apostrophe preamble (what an empty page renders):
    // keep the first only.
    let preamble = Roff::new().render();
    let mut text = preamble.clone();
    let mut section = |render: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| -> std::io::Result<()> {
        let mut buffer = Vec::new();
        render(&mut buffer)?;
        let rendered = String::from_utf8_lossy(&buffer).into_owned();
        text.push_str(rendered.strip_prefix(&preamble).unwrap_or(&rendered));
        Ok(())
    };
    section(&|w| page.render_title(w))?;
    section(&|w| page.render_name_section(w))?;
    section(&|w| page.render_synopsis_section(w))?;
    section(&|w| page.render_description_section(w))?;
    section(&|w| page.render_options_section(w))?;
    section(&|w| commands(&command).to_writer(w))?;
    section(&|w| closing_sections(&command).to_writer(w))?;
    section(&|w| page.render_version_section(w))?;
    out.write_all(text.as_bytes())
}

/// `COMMANDS`: per subcommand, its usage, description, own options (the global ones are in
/// `OPTIONS`) and examples.
fn commands(root: &clap::Command) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in root
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let usage = sub.clone().render_usage().to_string();
        let usage = usage.trim().trim_start_matches("Usage:").trim().to_owned();
        roff.control("SS", [usage.as_str()]);
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            roff.text([roman(about.to_string())]);
        }
        for arg in sub
            .get_arguments()
            .filter(|a| !a.is_global_set() && !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"))
        {
            roff.control("TP", []);
            let name = match arg.get_long() {
                Some(long) => format!("--{long}"),
                None => format!("<{}>", arg.get_id().as_str().to_uppercase()),
            };
            roff.text([bold(name)]);
            let mut help = arg
                .get_long_help()
                .or_else(|| arg.get_help())
                .map(ToString::to_string)
                .unwrap_or_default();
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect();
            if !values.is_empty() {
                let stop = if help.is_empty() || help.ends_with('.') {
                    ""
                } else {
                    "."
                };
                help.push_str(&format!("{stop} One of: {}.", values.join(", ")));
            }
            roff.text([roman(help)]);
        }
        if let Some(after) = sub.get_after_long_help().or_else(|| sub.get_after_help()) {
            roff.control("PP", []);
            preformatted(&mut roff, &after.to_string());
        }
    }
    roff
}

/// The root's closing text (`--help`'s last part), block by block: `Exit codes:` becomes
/// `EXIT STATUS`, anything else `NOTES`. Kept as laid out in `--help` (no filling).
fn closing_sections(root: &clap::Command) -> Roff {
    let mut roff = Roff::new();
    let Some(after) = root.get_after_long_help().or_else(|| root.get_after_help()) else {
        return roff;
    };
    let after = after.to_string();
    let mut notes = Vec::new();
    for block in after.split("\n\n").map(str::trim_end).filter(|b| !b.trim().is_empty()) {
        match block.strip_prefix("Exit codes:") {
            Some(codes) => {
                roff.control("SH", ["EXIT STATUS"]);
                preformatted(&mut roff, codes.trim_start_matches('\n'));
            }
            None => notes.push(block),
        }
    }
    if !notes.is_empty() {
        roff.control("SH", ["NOTES"]);
        for (n, block) in notes.into_iter().enumerate() {
            if n > 0 {
                roff.control("PP", []);
            }
            roff.text([roman(block.replace('\n', " "))]);
        }
    }
    roff
}

/// Lines kept as they are (examples, the exit code table), indented like a displayed block.
fn preformatted(roff: &mut Roff, text: &str) {
    roff.control("nf", []);
    for line in text.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
}
