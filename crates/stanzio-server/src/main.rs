//! The `stanzio-server` command: run the server, manage accounts.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use stanzio_jid::BareJid;
use stanzio_sasl::RecordParameters;
use stanzio_server::{Config, SqliteStorage, Storage};

/// A small XMPP server built on stanzio.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The configuration file.
    #[arg(long, short, global = true, default_value = "stanzio-server.toml")]
    config: PathBuf,
    /// Log level: error, warn, info, debug or trace (stanza content is
    /// logged at trace only; passwords never).
    #[arg(long, global = true, default_value = "info")]
    log_level: tracing_subscriber::filter::LevelFilter,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server until SIGTERM or Ctrl-C.
    Run,
    /// Create an account; the password is read from a prompt or stdin,
    /// never from the command line.
    Adduser {
        /// The account, e.g. juliet@example.com.
        jid: String,
    },
    /// Change an account's password (prompt or stdin).
    Passwd {
        /// The account.
        jid: String,
    },
    /// Delete an account and everything it owns.
    Deluser {
        /// The account.
        jid: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_max_level(cli.log_level)
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("stanzio-server: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load(&cli.config)?;
    let mut parameters = RecordParameters::default();
    parameters.iterations = config.auth.iterations;
    let storage = SqliteStorage::open(&config.storage, parameters)?;
    match cli.command {
        Command::Run => serve(config, Arc::new(storage)),
        Command::Adduser { jid } => {
            let jid = account(&jid, &config)?;
            storage.create_account(&jid, &password()?)?;
            println!("created {jid}");
            Ok(())
        }
        Command::Passwd { jid } => {
            let jid = account(&jid, &config)?;
            storage.set_password(&jid, &password()?)?;
            println!("changed the password of {jid}");
            Ok(())
        }
        Command::Deluser { jid } => {
            let jid = account(&jid, &config)?;
            storage.delete_account(&jid)?;
            println!("deleted {jid}");
            Ok(())
        }
    }
}

/// An account JID of a served domain.
fn account(jid: &str, config: &Config) -> Result<BareJid, Box<dyn std::error::Error>> {
    let jid = BareJid::new(jid)?;
    if jid.node().is_none() {
        return Err(format!("{jid} has no localpart").into());
    }
    if !config.domains.iter().any(|d| d == jid.domain()) {
        return Err(format!("{} is not a served domain", jid.domain()).into());
    }
    Ok(jid)
}

/// The password: a prompt without echo on a terminal, else the first line
/// of stdin.
fn password() -> Result<String, Box<dyn std::error::Error>> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("password: ")?;
        let again = rpassword::prompt_password("again: ")?;
        if first != again {
            return Err("the passwords differ".into());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        return Err("the password is empty".into());
    }
    Ok(password)
}

fn serve(config: Config, storage: Arc<dyn Storage>) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = stanzio_server::start(config, storage).await?;
        if let Some(generated) = &server.generated {
            eprintln!(
                "the generated CA (trust it in clients):\n{}",
                generated.ca_pem
            );
        }
        shutdown_signal().await;
        tracing::info!("shutting down");
        server.shutdown(Duration::from_secs(5)).await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

/// SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
