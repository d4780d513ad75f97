//! The `firebreak` binary: the server (`serve`), admin commands that work
//! on the database directly (`migrate`, `user add`, `token create`,
//! `audit verify`), and client commands over the API (`incident …`,
//! `report …`, `oncall`, `schedule …`, `policy …`, `service …`,
//! `contact …`, and intake's `integration …`, `rule …`, `silence …`,
//! `maintenance …`, `alert list`).
//!
//! Exit codes: 0 on success, 1 when the server refuses a request, cannot be
//! reached, or a check fails, 2 for a usage error (clap's).

mod advisories;
mod cli;
mod config;
mod customers;
mod disclosures;
mod escalation;
mod intake;
mod local;
mod remote;
mod render;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{AuditCommand, Cli, Command, TokenCommand, UserCommand};

/// mimalloc: under the intake benchmark glibc's allocator took about a
/// seventh of the server's CPU time (every request's alerts are allocated on
/// one thread and freed on the intake writer's), and mimalloc took
/// single-alert intake up by about a quarter (bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before any TLS: reqwest and sqlx use rustls with this provider. It
    // fails only if one is installed already, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, so stdout carries only results (a token, JSON).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => local::serve(&args).await,
        Command::Migrate(db) => local::migrate(&db).await,
        Command::User(UserCommand::Add(args)) => local::user_add(&args).await,
        Command::User(UserCommand::SetRole(args)) => {
            local::user_update(&args.name, Some(args.role), None, &args.db, "user set-role").await
        }
        Command::User(UserCommand::Disable(args)) => {
            local::user_update(&args.name, None, Some(true), &args.db, "user disable").await
        }
        Command::User(UserCommand::Enable(args)) => {
            local::user_update(&args.name, None, Some(false), &args.db, "user enable").await
        }
        Command::Token(TokenCommand::Create(args)) => local::token_create(&args).await,
        Command::Token(TokenCommand::List(args)) => local::token_list(&args).await,
        Command::Token(TokenCommand::Revoke(args)) => local::token_revoke(&args).await,
        Command::Audit(AuditCommand::Verify(args)) => local::audit_verify(&args).await,
        Command::Audit(AuditCommand::Checkpoint(db)) => local::audit_checkpoint(&db).await,
        Command::Incident(cmd) => remote::incident(cmd).await,
        Command::Report(cmd) => remote::report(cmd).await,
        Command::Notices(cmd) => remote::notices(cmd).await,
        Command::Oncall(args) => escalation::oncall(args).await,
        Command::Doctor(args) => escalation::doctor(args).await,
        Command::Schedule(cmd) => escalation::schedule(cmd).await,
        Command::Policy(cmd) => escalation::policy(cmd).await,
        Command::Service(cmd) => escalation::service(cmd).await,
        Command::Contact(cmd) => escalation::contact(cmd).await,
        Command::Integration(cmd) => intake::integration(cmd).await,
        Command::Rule(cmd) => intake::rule(cmd).await,
        Command::Silence(cmd) => intake::silence(cmd).await,
        Command::Maintenance(cmd) => intake::maintenance(cmd).await,
        Command::Alert(cmd) => intake::alert(cmd).await,
        Command::Customer(cmd) => customers::customer(cmd).await,
        Command::Advisory(cmd) => advisories::advisory(cmd).await,
        Command::Disclosure(cmd) => disclosures::disclosure(cmd).await,
        Command::Component(cmd) => customers::component(cmd).await,
    }
}

/// `error: <title>: <detail> (field: x) (gate: y)` for refusals from the
/// server, `error: <message>: <cause>` for everything else.
fn report_error(e: &anyhow::Error) {
    match e.downcast_ref::<firebreak_client::Error>() {
        Some(firebreak_client::Error::Api { status, problem }) => {
            eprintln!("error: {}", firebreak_client::describe_problem(problem));
            if *status == 401 {
                eprintln!(
                    "hint: pass an API token with --token or FIREBREAK_TOKEN; \
                     an admin can make one with `firebreak token create --user NAME`"
                );
            }
        }
        _ => eprintln!("error: {e:#}"),
    }
}
