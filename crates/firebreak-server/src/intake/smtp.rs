//! The optional SMTP listener (`firebreak serve --smtp-listen ADDR`, off by
//! default): mail sent to it is stored exactly as `POST
//! /api/v1/inbound/email` stores it, for the enabled `email` integration
//! named by the local part of a recipient (`security@…` for an integration
//! named `security`, in any case), else for the oldest enabled one. Mail
//! whose recipients name only disabled integrations is refused (`550`).
//!
//! The protocol is `mailin`'s state machine driven by a small tokio loop.
//! The final `250` of a message is sent only after the message is
//! committed; a database fault answers `451` (the sending server retries),
//! a message with no headers `554`, one over [`EMAIL_LIMIT`] `552`, and no
//! `email` integration `451` (so mail waits in the sender's queue until an
//! admin creates one). It accepts every recipient and relays nothing: bind
//! it where only your mail gateway can reach it. There is no TLS or AUTH;
//! put it behind the gateway that has them.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::{Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use firebreak_intake::email::parse_email;

use crate::AppState;
use crate::error::ApiError;
use crate::intake::{EMAIL_LIMIT, email, load_integration};

/// Longest command or data line read; SMTP allows 1,000 octets.
const MAX_LINE: u64 = 64 * 1024;

/// Accepts SMTP connections on `listener` until the task is dropped or the
/// listener fails. Each connection is served by its own task.
/// At most `intake.smtp_max_connections` connections are served at once:
/// one more is answered `421` and closed.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(
        state.config.intake.smtp_max_connections,
    ));
    loop {
        let (mut stream, peer) = listener.accept().await?;
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "SMTP connection refused: too many at once");
            tokio::spawn(async move {
                let busy = b"421 4.3.2 too many connections, try again later\r\n";
                let _ = tokio::time::timeout(Duration::from_secs(5), stream.write_all(busy)).await;
            });
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = session(stream, peer.ip(), state).await {
                tracing::debug!(error = %e, %peer, "SMTP session ended with an error");
            }
            drop(slot);
        });
    }
}

/// Recipients kept per message; RFC 5321 asks servers to take at least 100.
const MAX_RECIPIENTS: usize = 100;

/// A finished message (with its recipients) waiting to be stored, or the
/// reason it was refused.
type Done = Arc<Mutex<Option<Result<(Vec<u8>, Vec<String>), ()>>>>;

struct Collector {
    current: Vec<u8>,
    recipients: Vec<String>,
    too_big: bool,
    done: Done,
}

impl Handler for Collector {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        self.current.clear();
        self.recipients.clear();
        self.too_big = false;
        mailin::response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if self.recipients.len() >= MAX_RECIPIENTS {
            return Response::custom(452, "too many recipients".to_owned());
        }
        self.recipients.push(to.to_owned());
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.current.len() + buf.len() > EMAIL_LIMIT {
            self.too_big = true;
            self.current.clear();
        } else if !self.too_big {
            self.current.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = if self.too_big {
            Err(())
        } else {
            Ok((
                std::mem::take(&mut self.current),
                std::mem::take(&mut self.recipients),
            ))
        };
        if let Ok(mut done) = self.done.lock() {
            *done = Some(message);
        }
        // Provisional: the loop replaces it with the outcome of storing.
        mailin::response::OK
    }
}

async fn session(stream: TcpStream, ip: IpAddr, state: AppState) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let done: Done = Arc::default();
    let mut session = SessionBuilder::new("firebreak").build(
        ip,
        Collector {
            current: Vec::new(),
            recipients: Vec::new(),
            too_big: false,
            done: done.clone(),
        },
    );
    writer.write_all(&session.greeting().buffer()?).await?;
    let idle = Duration::from_secs(state.config.intake.smtp_idle_secs);
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut limited = (&mut reader).take(MAX_LINE);
        let read = limited.read_until(b'\n', &mut line);
        let Ok(n) = tokio::time::timeout(idle, read).await else {
            let r = Response::custom(421, "idle too long, closing the connection".to_owned());
            writer.write_all(&r.buffer()?).await?;
            return Ok(());
        };
        let n = n?;
        if n == 0 {
            return Ok(());
        }
        if !line.ends_with(b"\n") {
            let r = Response::custom(500, "line too long".to_owned());
            writer.write_all(&r.buffer()?).await?;
            return Ok(());
        }
        let mut response = session.process(&line);
        let finished = done.lock().ok().and_then(|mut d| d.take());
        if let Some(message) = finished {
            response = match message {
                Err(()) => {
                    Response::custom(552, format!("message exceeds the {EMAIL_LIMIT} byte limit"))
                }
                Ok((raw, recipients)) => store(&state, &raw, &recipients).await,
            };
        }
        match response.action {
            mailin::Action::Reply => writer.write_all(&response.buffer()?).await?,
            mailin::Action::Close | mailin::Action::UpgradeTls => {
                writer.write_all(&response.buffer()?).await?;
                return Ok(());
            }
            mailin::Action::NoReply => {}
        }
    }
}

/// Where a message goes.
enum Mailbox {
    /// The enabled `email` integration a recipient's local part names, else
    /// the oldest enabled one.
    To(Box<firebreak_store::intake::IntegrationRecord>),
    /// No enabled `email` integration exists (yet).
    NoneYet,
    /// Every recipient that names an `email` integration names a disabled
    /// one: the mail is refused rather than filed in another mailbox.
    Disabled(String),
}

async fn integration_for(
    state: &AppState,
    recipients: &[String],
) -> Result<Mailbox, firebreak_store::StoreError> {
    let mailboxes: Vec<_> = state
        .store
        .integrations()
        .await?
        .into_iter()
        .filter(|i| i.kind == "email")
        .collect();
    let named: Vec<_> = recipients
        .iter()
        .filter_map(|r| {
            let address = r.trim().trim_start_matches('<').trim_end_matches('>');
            let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
            mailboxes
                .iter()
                .find(|i| i.name.eq_ignore_ascii_case(local))
        })
        .collect();
    if let Some(i) = named.iter().find(|i| i.is_enabled()) {
        return Ok(Mailbox::To(Box::new((*i).clone())));
    }
    if let Some(i) = named.first() {
        return Ok(Mailbox::Disabled(i.name.clone()));
    }
    Ok(mailboxes
        .into_iter()
        .filter(|i| i.is_enabled())
        .min_by_key(|i| i.id)
        .map_or(Mailbox::NoneYet, |i| Mailbox::To(Box::new(i))))
}

/// Stores one message; the SMTP reply says how it went.
async fn store(state: &AppState, raw: &[u8], recipients: &[String]) -> Response {
    let record = match integration_for(state, recipients).await {
        Ok(Mailbox::To(r)) => *r,
        Ok(Mailbox::NoneYet) => {
            return Response::custom(451, "no email integration is configured yet".to_owned());
        }
        Ok(Mailbox::Disabled(name)) => {
            return Response::custom(550, format!("mailbox {name} is disabled"));
        }
        Err(e) => {
            tracing::warn!(error = %e, "SMTP intake: reading integrations failed");
            return Response::custom(451, "temporary failure, try again later".to_owned());
        }
    };
    let integration = match load_integration(state, record).await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = ?e, "SMTP intake: loading the integration failed");
            return Response::custom(451, "temporary failure, try again later".to_owned());
        }
    };
    let parsed = match parse_email(raw) {
        Ok(p) => p,
        Err(e) => return Response::custom(554, format!("message refused: {e}")),
    };
    match email::deliver(state, &integration, raw, &parsed).await {
        Ok(r) => Response::custom(250, format!("stored as report {}", r.report_id)),
        Err(ApiError::Unavailable(e) | ApiError::Internal(e)) => {
            tracing::warn!(error = %e, "SMTP intake: storing a message failed");
            Response::custom(451, "temporary failure, try again later".to_owned())
        }
        Err(e) => Response::custom(554, format!("message refused: {e}")),
    }
}
