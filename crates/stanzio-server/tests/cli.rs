//! The `stanzio-server` command: accounts managed with the password on
//! stdin, `run` stopped by SIGTERM with `system-shutdown` for its
//! sessions and exit status 0, and configuration errors that name the
//! key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use stanzio_sasl::HashAlgorithm;
use stanzio_server::{Config, Storage};
use stanzio_stanza::StreamCondition;
use stanzio_stream::{ClientEvent, ConnectionError};
use stanzio_tokio::{Client, ClientTlsSettings, ConnectOptions, Endpoint, Event, Target};

const BINARY: &str = env!("CARGO_BIN_EXE_stanzio-server");

/// A configuration file in `dir` with its database next to it.
fn write_config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let path = dir.join("stanzio-server.toml");
    let text = format!(
        "{}{extra}",
        Setup::default().text(&dir.join("server.sqlite"))
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the command with `stdin` as its standard input.
fn run(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BINARY)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before it reads its input closes the pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether `password` logs `alice` in on a server started in-process on
/// the configuration's database.
async fn logs_in(config: &Path, password: &str) -> bool {
    let config = Config::load(config).unwrap();
    let storage = std::sync::Arc::new(open_storage(&config));
    let server = stanzio_server::start(config, storage).await.unwrap();
    let ca = &server.generated.as_ref().unwrap().ca_pem;
    let tls = ClientTlsSettings::without_default_roots()
        .add_ca_pem(ca.as_bytes())
        .and_then(ClientTlsSettings::build)
        .unwrap();
    let target = Target::domain(DOMAIN)
        .with_endpoint(Endpoint::starttls("127.0.0.1", server.c2s.unwrap().port()));
    let result = Client::connect(
        client_config("alice", password),
        ConnectOptions::new(target, tls),
    )
    .await;
    let ok = match result {
        Ok(client) => {
            client.close().await;
            true
        }
        Err(error) => {
            assert!(login_refused(&error), "{error:?}");
            false
        }
    };
    server.shutdown(Duration::from_secs(2)).await;
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adduser_passwd_and_deluser_take_the_password_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");

    let output = run(&config, &["adduser", "alice@localhost"], "first password\n");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "created alice@localhost\n");
    assert!(logs_in(&config, "first password").await);
    // Only SCRAM records are stored (RFC 5802 §3), for every hash.
    let storage = open_storage(&Config::load(&config).unwrap());
    for hash in [
        HashAlgorithm::Sha1,
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha512,
    ] {
        assert!(
            storage
                .credentials(&bare("alice@localhost"), hash)
                .unwrap()
                .is_some()
        );
    }
    drop(storage);
    let database = std::fs::read(dir.path().join("server.sqlite")).unwrap();
    assert!(
        !database
            .windows(b"first password".len())
            .any(|w| w == b"first password")
    );

    // An account that exists, a domain not served, no localpart, an empty
    // password: refused, saying why.
    for (args, stdin, why) in [
        (["adduser", "alice@localhost"], "again\n", "alice@localhost"),
        (["adduser", "alice@example.org"], "pw\n", "example.org"),
        (["adduser", "localhost"], "pw\n", "localpart"),
        (["adduser", "bob@localhost"], "\n", "empty"),
    ] {
        let output = run(&config, &args, stdin);
        assert!(!output.status.success(), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }

    let output = run(&config, &["passwd", "alice@localhost"], "second password\n");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!logs_in(&config, "first password").await);
    assert!(logs_in(&config, "second password").await);

    let output = run(&config, &["deluser", "alice@localhost"], "");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "deleted alice@localhost\n");
    assert!(!logs_in(&config, "second password").await);
    let output = run(&config, &["passwd", "alice@localhost"], "third\n");
    assert!(!output.status.success());
}

/// Drops terminal colour codes from a log line.
fn without_ansi(line: &str) -> String {
    let mut plain = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_until_sigterm_ends_every_session_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");
    let output = run(&config, &["adduser", "alice@localhost"], "alice's secret\n");
    assert!(output.status.success(), "{}", text(&output.stderr));

    let mut child = Command::new(BINARY)
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log (stderr) names the listener's port and prints the CA.
    let (lines_tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if lines_tx.send(without_ansi(&line)).is_err() {
                return;
            }
        }
    });
    let mut log = Vec::new();
    let mut port = None;
    let mut ca = String::new();
    let mut in_ca = false;
    while port.is_none() || ca.is_empty() || in_ca {
        let line = lines
            .recv_timeout(STEP)
            .unwrap_or_else(|_| panic!("the server did not start: {log:#?}"));
        if line.contains("listening") {
            port = line
                .split_whitespace()
                .find_map(|field| field.strip_prefix("local="))
                .and_then(|address| address.parse::<std::net::SocketAddr>().ok())
                .map(|address| address.port());
        }
        if line.starts_with("-----BEGIN CERTIFICATE-----") {
            in_ca = true;
        }
        if in_ca {
            ca.push_str(&line);
            ca.push('\n');
        }
        if line.starts_with("-----END CERTIFICATE-----") {
            in_ca = false;
        }
        log.push(line);
    }
    let port = port.unwrap();

    let tls = ClientTlsSettings::without_default_roots()
        .add_ca_pem(ca.as_bytes())
        .and_then(ClientTlsSettings::build)
        .unwrap();
    let target = Target::domain(DOMAIN).with_endpoint(Endpoint::starttls("127.0.0.1", port));
    let mut alice = Client::connect(
        client_config("alice/cli", "alice's secret"),
        ConnectOptions::new(target, tls),
    )
    .await
    .unwrap();

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    // RFC 6120 §4.9.3.17: every session gets system-shutdown.
    let deadline = tokio::time::Instant::now() + STEP;
    let error = loop {
        let event = tokio::time::timeout_at(deadline, alice.next_event())
            .await
            .expect("the session ends")
            .expect("a Disconnected event");
        if let Event::Stream(ClientEvent::Disconnected(error)) = event {
            break error;
        }
    };
    assert!(
        matches!(
            &error,
            Some(ConnectionError::StreamError(e)) if e.condition == StreamCondition::SystemShutdown
        ),
        "{error:?}"
    );

    let started = tokio::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < STEP, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status.code(), Some(0), "{log:#?}");
}

#[test]
fn unknown_config_keys_and_bad_values_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");
    let good = std::fs::read_to_string(&config).unwrap();
    for (from, to, key) in [
        ("domains = ", "colour = \"blue\"\ndomains = ", "colour"),
        ("[limits]\n", "[limits]\nmax_stanzas = 5\n", "max_stanzas"),
        (
            "iterations = 4096",
            "iterations = 4096\nhash = \"md5\"",
            "hash",
        ),
        (
            "[auth]",
            "[tls]\ncertificat = \"cert.pem\"\n[auth]",
            "certificat",
        ),
        ("iterations = 4096", "iterations = 100", "auth.iterations"),
        ("c2s = \"127.0.0.1:0\"", "c2s = \"nowhere\"", "c2s"),
        (
            "[limits]\n",
            "[limits]\nnegotiation_seconds = 0\n",
            "limits.negotiation_seconds",
        ),
    ] {
        assert!(good.contains(from), "{from}");
        std::fs::write(&config, good.replace(from, to)).unwrap();
        let output = run(&config, &["run"], "");
        assert!(!output.status.success(), "{to}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(key), "{to}: {stderr}");
    }
    let config = write_config(
        dir.path(),
        "[[components]]\ndomain = \"c.localhost\"\nsecret = \"0123456789abcdef\"\nport = 1\n",
    );
    let output = run(&config, &["run"], "");
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("port"), "{stderr}");
    // A missing file is named too.
    let output = run(&dir.path().join("missing.toml"), &["run"], "");
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("missing.toml"));
}
