//! The command line as a product, from the real binary: shell completions, the man page and every
//! command's `--help`. Completions and the man page must work where nothing is configured: they
//! run here with an empty environment (plus one malformed setting) in a directory whose `.env`
//! cannot be parsed, and a control run shows that the same stage stops any other command.

use std::{path::Path, process::Output};

use clap::CommandFactory as _;
use importer::cli::Cli;

const BIN: &str = env!("CARGO_BIN_EXE_cognito-to-descope");

/// The subcommands as the clap definition declares them (clap's own `help` is added later, at
/// build time, so it is not among them): a new command is covered without touching this file.
fn subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect()
}

/// The binary in `dir` with an empty environment but for `env`.
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    std::process::Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap()
}

/// A directory whose `.env` no parser accepts: reading it fails the run (exit 2).
fn dir_with_broken_dotenv() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "this line is not KEY=VALUE\n").unwrap();
    dir
}

/// A setting the normal parse refuses: if `completions`/`man` read the environment, they would fail.
const BAD_SETTING: (&str, &str) = ("MIGRATION_BATCH_SIZE", "not-a-number");

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn the_unconfigured_stage_stops_other_commands() {
    // The control for the tests below: the broken .env and the bad setting are each noticed.
    let dir = dir_with_broken_dotenv();
    let out = run_in(dir.path(), &["migrate", "--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read .env"));

    let clean = tempfile::tempdir().unwrap();
    let out = run_in(clean.path(), &["status"], &[BAD_SETTING]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-number"));
}

#[test]
fn completions_work_unconfigured_for_every_shell_and_complete_every_command() {
    let dir = dir_with_broken_dotenv();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&run_in(dir.path(), &["completions", shell], &[BAD_SETTING]));
        assert!(script.contains("cognito-to-descope"), "{shell}: {script}");
        for command in subcommands() {
            assert!(script.contains(&command), "{shell} completions lack `{command}`");
        }
        assert!(
            script.contains("user-pool-id"),
            "{shell} completions lack the global options"
        );
    }

    // A shell that does not exist is a usage error, reported without touching the .env.
    let out = run_in(dir.path(), &["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains("invalid value 'tcsh'") && !error.contains(".env"),
        "{error}"
    );

    // Bash itself completes from the script, through the function it registers for the command
    // name: `cognito-to-descope <TAB>` offers every command, `... sync --d<TAB>` the sync flags.
    let script = dir.path().join("completion.bash");
    std::fs::write(&script, stdout(&run_in(dir.path(), &["completions", "bash"], &[]))).unwrap();
    let complete = |words: &str, current: usize| -> Vec<String> {
        let probe = format!(
            "source {}; spec=$(complete -p cognito-to-descope); function=${{spec##*-F }}; function=${{function%% *}}; \
             COMP_WORDS=({words}); COMP_CWORD={current}; COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; \
             \"$function\" cognito-to-descope \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &probe])
            .output()
            .unwrap();
        stdout(&out).lines().map(str::to_owned).collect()
    };
    let offered = complete("cognito-to-descope ''", 1);
    for command in subcommands() {
        assert!(offered.contains(&command), "bash offers {offered:?}, not `{command}`");
    }
    let offered = complete("cognito-to-descope sync --d", 2);
    assert!(offered.contains(&"--dry-run".to_owned()), "{offered:?}");
    assert!(offered.contains(&"--delete-removed".to_owned()), "{offered:?}");
}

/// The roff requests the page may use: man(7) macros and the few requests clap_mangen emits.
const ROFF_REQUESTS: [&str; 14] = [
    "TH", "SH", "SS", "TP", "PP", "IP", "RS", "RE", "nf", "fi", "br", "ie", "el", "ds",
];

#[test]
fn man_page_works_unconfigured_and_documents_every_command_and_the_exit_status() {
    let dir = dir_with_broken_dotenv();
    let page = stdout(&run_in(dir.path(), &["man"], &[BAD_SETTING]));

    // Roff: every control line is a known request, and the page is a man(7) page of section 1.
    for line in page.lines().filter(|l| l.starts_with('.') || l.starts_with('\'')) {
        let request = line[1..].split_whitespace().next().unwrap_or("");
        assert!(ROFF_REQUESTS.contains(&request), "unexpected roff line {line:?}");
    }
    let th = page.lines().find(|l| l.starts_with(".TH")).unwrap();
    assert!(th.starts_with(".TH cognito-to-descope 1 "), "{th}");
    let sections: Vec<&str> = page.lines().filter_map(|l| l.strip_prefix(".SH ")).collect();
    for expected in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "COMMANDS",
        "\"EXIT STATUS\"",
        "NOTES",
    ] {
        assert!(sections.contains(&expected), "no {expected} section in {sections:?}");
    }
    // No section twice (the preamble and the sections are stitched from several renderings).
    let mut unique = sections.clone();
    unique.dedup();
    assert_eq!(unique.len(), sections.len(), "{sections:?}");
    assert_eq!(page.matches(".ie \\n(.g").count(), 1, "one apostrophe preamble");

    // Every command has its subsection, with its examples.
    let subsections: Vec<&str> = page.lines().filter_map(|l| l.strip_prefix(".SS ")).collect();
    for command in subcommands() {
        let heading = format!("cognito-to-descope {command} ");
        assert!(
            subsections.iter().any(|s| s.trim_matches('"').starts_with(&heading)),
            "no subsection for `{command}` in {subsections:?}"
        );
    }
    assert_eq!(page.matches("Examples:").count(), subcommands().len());

    // The exit status section lists every code --help lists.
    let exit_status = page.split(".SH \"EXIT STATUS\"").nth(1).unwrap();
    let exit_status = exit_status.split("\n.SH ").next().unwrap();
    for code in [
        "0  every user migrated",
        "1  the run finished",
        "2  configuration problem",
        "3  the run stopped",
        "130/143",
    ] {
        assert!(exit_status.contains(code), "exit status lacks {code:?}: {exit_status}");
    }
    // The settings' environment variables are documented; the key's value never could be (none set).
    for variable in ["COGNITO_USER_POOL_ID", "DESCOPE_PROJECT_ID", "DESCOPE_MANAGEMENT_KEY"] {
        assert!(page.contains(variable), "{variable} missing from the man page");
    }
}

#[test]
fn every_command_help_ends_with_examples_of_itself() {
    let dir = tempfile::tempdir().unwrap();
    let commands = subcommands();
    assert!(commands.len() >= 6, "{commands:?}");
    for command in commands {
        for flag in ["--help", "-h"] {
            let help = stdout(&run_in(dir.path(), &[&command, flag], &[]));
            let (_, examples) = help
                .rsplit_once("Examples:")
                .unwrap_or_else(|| panic!("`{command} {flag}` has no Examples: block:\n{help}"));
            assert!(
                examples.contains(&format!("cognito-to-descope {command}")),
                "`{command} {flag}` examples do not run `{command}`:\n{examples}"
            );
            // The examples end the help: no other block follows them.
            assert!(
                !examples.trim_end().contains("\n\n"),
                "`{command} {flag}` has more after its examples:\n{examples}"
            );
        }
    }
}
