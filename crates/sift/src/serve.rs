//! `sift serve`, `sift migrate`, `sift user create` and `sift default-config`: the commands
//! that run or prepare the server. The work is in `sift-server`; this module parses, sets up
//! logging and metrics, and owns the runtime.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use sift_server::flags::ServeFlags;
use sift_server::settings::{LogFormat, Settings};
use tokio_util::sync::CancellationToken;

use crate::cli::{UserCommand, UserCreateArgs};
use sift_server::flags::StoreFlags;

/// The process environment as the loaders take it.
pub(crate) fn environment() -> BTreeMap<String, String> {
    std::env::vars().collect()
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Structured logs to stderr: `RUST_LOG` wins over `server.log_filter`.
pub(crate) fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&settings.server.log_filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests calling in-process) keeps the first subscriber.
    let _ = match settings.server.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

pub(crate) fn run(flags: &ServeFlags) -> anyhow::Result<()> {
    let env = environment();
    let settings = flags.settings(&env)?;
    init_logging(&settings);
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok();
    runtime()?.block_on(async {
        let cancel = CancellationToken::new();
        tokio::spawn(sift_server::serve::shutdown_on_signals(cancel.clone()));
        sift_server::serve::run(settings, &env, metrics, cancel, None).await
    })
}

pub(crate) fn migrate(flags: &StoreFlags) -> anyhow::Result<()> {
    let env = environment();
    let settings = flags.settings(&env)?;
    init_logging(&settings);
    runtime()?.block_on(async {
        let store = sift_server::serve::open_store(&settings).await?;
        store.close().await;
        anyhow::Ok(())
    })?;
    writeln!(std::io::stdout(), "migrations applied")?;
    Ok(())
}

pub(crate) fn user(command: &UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create(args) => create_user(args),
    }
}

fn create_user(args: &UserCreateArgs) -> anyhow::Result<()> {
    let env = environment();
    let settings = args.store.settings(&env)?;
    let password = read_password(args.password_stdin)?;
    runtime()?.block_on(async {
        let store = sift_server::serve::open_store(&settings).await?;
        let result = sift_server::bootstrap::create_user(
            store.as_ref(),
            &args.email,
            &password,
            args.tier,
            args.admin,
        )
        .await;
        store.close().await;
        result
    })?;
    writeln!(
        std::io::stdout(),
        "user {} created{}",
        args.email.trim(),
        if args.admin { " (admin)" } else { "" }
    )?;
    Ok(())
}

/// From one line of stdin (`--password-stdin`, or stdin is not a terminal), else asked for
/// twice on the terminal without echo.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            bail!("no password on stdin");
        }
        return Ok(password);
    }
    let first = rpassword::prompt_password("password: ")?;
    let second = rpassword::prompt_password("again: ")?;
    if first != second {
        bail!("the passwords differ");
    }
    Ok(first)
}

pub(crate) fn default_config() -> anyhow::Result<()> {
    std::io::stdout().write_all(sift_server::DEFAULT_CONFIG.as_bytes())?;
    Ok(())
}
