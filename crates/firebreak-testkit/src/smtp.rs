//! Real SMTP over loopback sockets, both ways: [`SmtpSink`], a mail server
//! that keeps every message it accepts (mailin's state machine over a
//! tokio socket), for tests of outgoing email; and [`smtp_send`], a client
//! that speaks to the server's own SMTP listener and returns its reply
//! codes, for tests of inbound email.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The user name the sink accepts with `AUTH PLAIN`.
pub const USERNAME: &str = "firebreak";
/// The password the sink accepts with `AUTH PLAIN`.
pub const PASSWORD: &str = "smtp-pass";

/// One message the sink accepted.
#[derive(Clone, Debug, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
    /// The credentials the session authenticated with, if any.
    pub auth: Option<(String, String)>,
}

/// The messages a sink has accepted, in order.
pub type Mails = Arc<Mutex<Vec<Mail>>>;

/// How the sink answers `RCPT TO`.
#[derive(Clone, Copy, Debug)]
pub enum Rcpt {
    Accept,
    Refuse(u16),
}

/// An SMTP server on 127.0.0.1:0 that keeps every message it accepts.
pub struct SmtpSink {
    pub port: u16,
    pub mails: Mails,
}

struct SinkHandler {
    mails: Mails,
    current: Mail,
    auth: Option<(String, String)>,
    rcpt: Rcpt,
}

impl mailin::Handler for SinkHandler {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> mailin::Response {
        self.current = Mail {
            from: from.to_owned(),
            auth: self.auth.clone(),
            ..Mail::default()
        };
        mailin::response::OK
    }

    fn rcpt(&mut self, to: &str) -> mailin::Response {
        match self.rcpt {
            Rcpt::Accept => {
                self.current.to.push(to.to_owned());
                mailin::response::OK
            }
            Rcpt::Refuse(code) => mailin::Response::custom(code, "refused by the test sink".into()),
        }
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin::Response {
        self.mails
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.current));
        mailin::response::OK
    }

    fn auth_plain(
        &mut self,
        _authorization_id: &str,
        authentication_id: &str,
        password: &str,
    ) -> mailin::Response {
        self.auth = Some((authentication_id.to_owned(), password.to_owned()));
        if (authentication_id, password) == (USERNAME, PASSWORD) {
            mailin::response::AUTH_OK
        } else {
            mailin::response::INVALID_CREDENTIALS
        }
    }
}

impl SmtpSink {
    /// Starts a sink on the current runtime that answers `RCPT TO` as
    /// `rcpt` says.
    pub async fn start(rcpt: Rcpt) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Mails::default();
        let store = mails.clone();
        tokio::spawn(async move {
            loop {
                let (stream, peer) = listener.accept().await.unwrap();
                let handler = SinkHandler {
                    mails: store.clone(),
                    current: Mail::default(),
                    auth: None,
                    rcpt,
                };
                tokio::spawn(session(stream, peer.ip(), handler));
            }
        });
        SmtpSink { port, mails }
    }

    /// A copy of the messages accepted so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

async fn session(stream: tokio::net::TcpStream, peer: std::net::IpAddr, handler: SinkHandler) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut session = mailin::SessionBuilder::new("sink.test")
        .enable_auth(mailin::AuthMechanism::Plain)
        .insecure_enable_plaintext_auth()
        .build(peer, handler);
    writer
        .write_all(&session.greeting().buffer().unwrap())
        .await
        .unwrap();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
            break;
        }
        let response = session.process(&line);
        match response.action {
            mailin::Action::Reply => {
                writer.write_all(&response.buffer().unwrap()).await.unwrap();
            }
            mailin::Action::Close => {
                let _ = writer.write_all(&response.buffer().unwrap()).await;
                break;
            }
            mailin::Action::NoReply => {}
            mailin::Action::UpgradeTls => break,
        }
    }
}

/// Sends one message over SMTP to `security@firebreak.example` on
/// 127.0.0.1:`port`; the reply codes, in order.
pub async fn smtp_send(port: u16, data: &[u8]) -> Vec<u16> {
    smtp_send_to(port, "security@firebreak.example", data).await
}

/// Sends one message over SMTP to `rcpt`; the reply codes, in order.
pub async fn smtp_send_to(port: u16, rcpt: &str, data: &[u8]) -> Vec<u16> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut codes = Vec::new();
    async fn reply(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> u16 {
        loop {
            let mut line = String::new();
            r.read_line(&mut line).await.unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line[..3].parse().unwrap();
            }
        }
    }
    codes.push(reply(&mut r).await);
    for cmd in [
        "EHLO gateway.example\r\n".to_owned(),
        "MAIL FROM:<ada@example.org>\r\n".to_owned(),
        format!("RCPT TO:<{rcpt}>\r\n"),
        "DATA\r\n".to_owned(),
    ] {
        w.write_all(cmd.as_bytes()).await.unwrap();
        codes.push(reply(&mut r).await);
    }
    w.write_all(data).await.unwrap();
    w.write_all(b"\r\n.\r\n").await.unwrap();
    codes.push(reply(&mut r).await);
    w.write_all(b"QUIT\r\n").await.unwrap();
    codes.push(reply(&mut r).await);
    codes
}
