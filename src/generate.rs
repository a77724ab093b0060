//! `hadns generate` (hidden): the man pages and shell completions the
//! packages install, rendered from the command-line definitions at
//! packaging time (`tests/package/build.sh`), so they cannot drift from
//! the options the binary takes. A subcommand rather than a build script:
//! the pages need the whole `Cli`, which lives in the binary, and every
//! ordinary build would otherwise pay for them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap_complete::Shell;

/// What `hadns generate` writes.
#[derive(clap::Subcommand)]
pub enum GenerateCommand {
    /// One man page per command (hadns.1, hadns-serve.1, hadns-zone-check.1, …) into DIR.
    Man {
        /// Where the pages go (created if missing).
        dir: PathBuf,
    },
    /// Completions for bash (hadns.bash), zsh (_hadns) and fish (hadns.fish) into DIR.
    Completions {
        /// Where the files go (created if missing).
        dir: PathBuf,
    },
}

/// Runs `hadns generate` for `command`, the whole command-line definition.
pub fn generate_command(what: GenerateCommand, command: clap::Command) -> anyhow::Result<ExitCode> {
    match what {
        GenerateCommand::Man { dir } => {
            create(&dir)?;
            clap_mangen::generate_to(command, &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
        }
        GenerateCommand::Completions { dir } => {
            create(&dir)?;
            let mut command = command;
            for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
                clap_complete::generate_to(shell, &mut command, "hadns", &dir).with_context(
                    || {
                        format!(
                            "cannot write the {shell} completions into {}",
                            dir.display()
                        )
                    },
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn create(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}
