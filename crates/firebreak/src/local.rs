//! Commands that work on the database directly: `serve`, `migrate`,
//! `user add`, `token create` and `audit verify`. They resolve the database
//! the same way (see [`crate::config`]) and record themselves in the audit
//! log as `local:<command>`.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use tokio::net::TcpListener;

use firebreak_core::users;
use firebreak_server::{AppState, ServerConfig, checkpoint};
use firebreak_store::{Actor, NewUser, Store, StoreError, secrets};

use crate::cli::{
    AuditVerifyArgs, DbArgs, ServeArgs, TokenCreateArgs, TokenListArgs, TokenRevokeArgs,
    UserAddArgs,
};
use crate::config::Settings;

async fn open_store(settings: &Settings) -> Result<Store> {
    let url = settings.database_url()?;
    Store::open(url.expose())
        .await
        .context("cannot open the database")
}

/// The store of `user add`, `token create` and `audit verify`: the
/// database must exist (see [`Settings::existing_database_url`]).
async fn open_existing_store(settings: &Settings) -> Result<Store> {
    let url = settings.existing_database_url()?;
    Store::open(url.expose())
        .await
        .context("cannot open the database")
}

pub async fn serve(args: &ServeArgs) -> Result<ExitCode> {
    let settings = Settings::load(&args.db, Some(args))?;
    tracing::debug!(?settings, "settings");
    let store = open_store(&settings).await?;
    // The key that signs audit checkpoints lives outside the database.
    // The server itself does not need it, so a key file that cannot be
    // made is a warning, not a reason to stay down. On PostgreSQL without
    // `audit_key_file` there may be no data directory of ours to put it in:
    // the first `audit checkpoint` creates it.
    let key_path = settings.audit_key_path();
    let make_key = settings.database_url.is_none() || settings.audit_key_file.is_some();
    match make_key
        .then(|| checkpoint::ensure_key(&key_path))
        .transpose()
    {
        Ok(Some((_, true))) => {
            tracing::info!(path = %key_path.display(), "created the audit key file");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("{e}; `firebreak audit checkpoint` cannot sign checkpoints"),
    }
    let created = match firebreak_server::bootstrap_admin(&store, Utc::now()).await {
        Ok(created) => created,
        // Several servers started at once on an empty shared database: each
        // saw no users, and another one's `admin` got in first. That one
        // printed the password; this one has nothing to print.
        Err(StoreError::Conflict(_)) => {
            tracing::info!("another server created the first admin user");
            None
        }
        Err(e) => return Err(e).context("cannot create the first admin user"),
    };
    if let Some(password) = created {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "Created the first user `admin` with password: {password}"
        )?;
        writeln!(out, "This password is shown only once; keep it safe.")?;
        out.flush()?;
    }
    let listener = TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let defaults = ServerConfig::default();
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let config = ServerConfig {
        secure_cookies: settings
            .secure_cookies
            .unwrap_or_else(|| public_url.starts_with("https://")),
        public_url,
        body_limit: settings.body_limit.unwrap_or(defaults.body_limit),
        session_hours: settings.session_hours.unwrap_or(defaults.session_hours),
        escalation: settings.escalation.clone(),
        outgoing: settings.outgoing_policy()?,
        email_configured: settings.smtp.is_some(),
        intake: settings.intake.clone(),
        comms: settings.comms.clone(),
        disclosure: settings.disclosure.clone(),
        metrics_token: settings
            .metrics_token
            .as_ref()
            .map(|t| firebreak_server::notify::Secret::new(t.expose())),
        status_page: firebreak_server::status::StatusPageConfig {
            name: settings.status_page_name.clone(),
        },
    };
    let state = AppState::new(store.clone(), config);
    // What the config file names that does not exist pages nobody: say so
    // now, not when an incident needs it (`/readyz` says it too).
    match firebreak_server::config_warnings(&state).await {
        Ok(warnings) => {
            for w in warnings {
                tracing::warn!("{w}");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot check the configuration's references"),
    }
    let notifier = firebreak_server::notify::Notifier::new(
        settings.smtp.clone(),
        firebreak_server::notify::Templates::default(),
    )
    .context("invalid notification settings")?;
    let workers = firebreak_server::workers::Workers::new(
        state.clone(),
        notifier,
        firebreak_server::workers::WorkerConfig::default(),
    )
    .await
    .context("cannot start the workers")?;
    let (stop_workers, stopped) = tokio::sync::watch::channel(false);
    let worker_task = tokio::spawn(workers.run(stopped));
    if let Some(addr) = &settings.smtp_listen {
        let smtp = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for SMTP on {addr}"))?;
        let smtp_addr = smtp.local_addr()?;
        let smtp_state = state.clone();
        tokio::spawn(async move {
            match firebreak_server::intake::smtp::serve(smtp, smtp_state).await {
                Ok(()) => tracing::warn!("the SMTP intake listener stopped"),
                Err(e) => tracing::error!(error = %e, "the SMTP intake listener failed"),
            }
        });
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "firebreak accepting inbound email (SMTP) on {smtp_addr}"
        )?;
        out.flush()?;
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "firebreak listening on http://{addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, public_url = %state.config.public_url, "serving");
    let result = firebreak_server::serve(listener, state, shutdown_signal()).await;
    let _ = stop_workers.send(true);
    if let Err(e) = worker_task.await {
        tracing::error!(error = %e, "the worker task ended abnormally");
    }
    store.close().await;
    result.context("the server stopped with an error")?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Completes on ctrl-c or SIGTERM. A signal that cannot be listened to
/// never fires, rather than stopping the server at once.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}

pub async fn migrate(db: &DbArgs) -> Result<ExitCode> {
    let settings = Settings::load(db, None)?;
    let store = open_store(&settings).await?;
    store.close().await;
    println!("database is up to date");
    Ok(ExitCode::SUCCESS)
}

pub async fn user_add(args: &UserAddArgs) -> Result<ExitCode> {
    if !users::valid_user_name(&args.name) {
        bail!(
            "`{}` is not a valid user name: use {}",
            args.name,
            users::NAME_RULE
        );
    }
    let email = users::email(args.email.as_deref())?;
    let display_name = match args.display_name.as_deref().map(str::trim) {
        Some("") => bail!("the display name must not be empty"),
        Some(d) if d.chars().any(char::is_control) => bail!("the display name must be one line"),
        Some(d) => d.to_owned(),
        None => args.name.clone(),
    };
    let password_hash = if args.password_stdin {
        let password = read_password_line()?;
        Some(secrets::hash_password(&password).context("cannot hash the password")?)
    } else {
        None
    };
    let settings = Settings::load(&args.db, None)?;
    let store = open_existing_store(&settings).await?;
    let new = NewUser {
        name: args.name.clone(),
        display_name,
        email: email.map(str::to_owned),
        role: args.role,
        password_hash,
    };
    let result = store
        .create_user(&new, &Actor::local("user add"), Utc::now())
        .await;
    store.close().await;
    let user = match result {
        Ok(u) => u,
        Err(StoreError::Conflict(_)) => bail!("user `{}` already exists", args.name),
        Err(e) => return Err(e).context("cannot create the user"),
    };
    println!("created user {} ({})", user.name, user.role);
    Ok(ExitCode::SUCCESS)
}

/// One line of stdin, without its line ending.
fn read_password_line() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\n', '\r']);
    // The same rule as the API's.
    if let Err(e) = firebreak_core::password::check_password(password) {
        bail!("{e}");
    }
    Ok(password.to_owned())
}

pub async fn token_create(args: &TokenCreateArgs) -> Result<ExitCode> {
    let label = match args.name.as_deref().map(str::trim) {
        Some("") => bail!("the token name must not be empty"),
        Some(n) if n.chars().any(char::is_control) || n.chars().count() > 200 => {
            bail!("the token name must be one line of at most 200 characters")
        }
        Some(n) => n.to_owned(),
        None => "cli".to_owned(),
    };
    let settings = Settings::load(&args.db, None)?;
    let store = open_existing_store(&settings).await?;
    let result = async {
        let user = match store.user_by_name(&args.user).await {
            Ok(Some(u)) => u,
            Ok(None) => bail!("no user named `{}`", args.user),
            Err(e) => return Err(e).context("cannot look the user up"),
        };
        // A token for a disabled user (integrations' service users are
        // disabled) would be refused at every request: say so now.
        if user.disabled {
            bail!(
                "`{}` is disabled: a token would be refused (`firebreak user enable {}` first)",
                user.name,
                user.name
            );
        }
        let user = firebreak_api::UserRef {
            id: user.id,
            name: user.name,
        };
        let token = secrets::new_token();
        store
            .create_token(
                &user,
                &label,
                &token,
                &Actor::local("token create"),
                Utc::now(),
            )
            .await
            .context("cannot create the token")?;
        Ok(token)
    }
    .await;
    store.close().await;
    // The token alone on stdout, so `TOKEN=$(firebreak token create …)` works.
    println!("{}", result?);
    Ok(ExitCode::SUCCESS)
}

/// `user set-role`, `user disable`, `user enable`: the store's one rule
/// (audited; the last enabled admin stays; disabling ends sessions).
pub async fn user_update(
    name: &str,
    role: Option<firebreak_api::Role>,
    disabled: Option<bool>,
    db: &DbArgs,
    command: &str,
) -> Result<ExitCode> {
    let settings = Settings::load(db, None)?;
    let store = open_existing_store(&settings).await?;
    let result = store
        .update_user(name, role, disabled, &Actor::local(command), Utc::now())
        .await;
    store.close().await;
    let user = match result {
        Ok(u) => u,
        Err(StoreError::NotFound(_)) => bail!("no user named `{name}`"),
        Err(StoreError::Conflict(m)) => bail!("{m}"),
        Err(e) => return Err(e).context("cannot change the user"),
    };
    let status = if user.disabled { "disabled" } else { "enabled" };
    println!("{} ({}, {status})", user.name, user.role);
    Ok(ExitCode::SUCCESS)
}

pub async fn token_list(args: &TokenListArgs) -> Result<ExitCode> {
    let settings = Settings::load(&args.db, None)?;
    let store = open_existing_store(&settings).await?;
    let result = async {
        let owner = match &args.user {
            Some(name) => match store.user_ref(name).await {
                Ok(u) => Some(u.id),
                Err(StoreError::NotFound(_)) => bail!("no user named `{name}`"),
                Err(e) => return Err(e).context("cannot look the user up"),
            },
            None => None,
        };
        store.list_tokens(owner).await.context("cannot list tokens")
    }
    .await;
    store.close().await;
    let tokens = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&tokens)?);
        return Ok(ExitCode::SUCCESS);
    }
    for t in tokens {
        let state = match t.revoked_at {
            Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M UTC")),
            None => "active".to_owned(),
        };
        println!(
            "{:>5}  {:<20}  {:<24}  created {}  {state}",
            t.id,
            t.user.name,
            t.name,
            t.created_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token_revoke(args: &TokenRevokeArgs) -> Result<ExitCode> {
    let settings = Settings::load(&args.db, None)?;
    let store = open_existing_store(&settings).await?;
    let result = store
        .revoke_token(args.id, None, &Actor::local("token revoke"), Utc::now())
        .await;
    store.close().await;
    let t = match result {
        Ok(t) => t,
        Err(StoreError::NotFound(_)) => bail!("no token with id {}", args.id),
        Err(e) => return Err(e).context("cannot revoke the token"),
    };
    println!("revoked token {} ({}) of {}", t.id, t.name, t.user.name);
    Ok(ExitCode::SUCCESS)
}

pub async fn audit_verify(args: &AuditVerifyArgs) -> Result<ExitCode> {
    let settings = Settings::load(&args.db, None)?;
    // The checkpoint is checked before the database is opened: a forged or
    // mistyped one is named as such.
    let expected = match &args.checkpoint {
        Some(text) => {
            let key = checkpoint::load_key(&settings.audit_key_path())?;
            Some(checkpoint::verify(&key, text)?)
        }
        None => None,
    };
    let store = open_existing_store(&settings).await?;
    let result = match &expected {
        Some((seq, hash)) => store.verify_audit_against(*seq, hash).await,
        None => store.verify_audit().await,
    };
    store.close().await;
    let v = result.context("cannot read the audit log")?;
    if v.ok {
        match &expected {
            Some((seq, _)) => println!(
                "audit log OK: {} entries, and it holds the checkpoint at entry {seq}",
                v.entries
            ),
            None => println!("audit log OK: {} entries", v.entries),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let at = v
        .first_bad_seq
        .map_or_else(|| "an unknown entry".to_owned(), |s| format!("entry {s}"));
    let problem = v
        .problem
        .as_deref()
        .unwrap_or("the hash chain does not hold");
    eprintln!("audit log BROKEN at {at}: {problem}");
    eprintln!("({} entries before it verified)", v.entries);
    Ok(ExitCode::FAILURE)
}

/// Prints a signed checkpoint of the verified head of the audit log.
pub async fn audit_checkpoint(db: &DbArgs) -> Result<ExitCode> {
    let settings = Settings::load(db, None)?;
    // The database first: no key file is made beside a database that is not there.
    let store = open_existing_store(&settings).await?;
    let path = settings.audit_key_path();
    let (key, created) = match checkpoint::ensure_key(&path) {
        Ok(k) => k,
        Err(e) => {
            store.close().await;
            return Err(e.into());
        }
    };
    if created {
        eprintln!("created the audit key file {}", path.display());
    }
    let result = async {
        let v = store.verify_audit().await?;
        let head = store.audit_head().await?;
        Ok::<_, StoreError>((v, head))
    }
    .await;
    store.close().await;
    let (v, (seq, hash)) = result.context("cannot read the audit log")?;
    if !v.ok {
        bail!(
            "the audit log does not verify ({}); run `firebreak audit verify` and sign no checkpoint of it",
            v.problem
                .as_deref()
                .unwrap_or("the hash chain does not hold")
        );
    }
    // The checkpoint alone on stdout, so `firebreak audit checkpoint >> file` works.
    println!("{}", checkpoint::sign(&key, seq, &hash));
    Ok(ExitCode::SUCCESS)
}
