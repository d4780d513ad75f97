//! Starting a server process and running CLI commands against it.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_firebreak");

/// How long a server may take to print its listening line. Only a bound
/// for a hung start; a healthy start is read as soon as it happens.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A `firebreak` command with no `FIREBREAK_` settings inherited from the
/// environment of whoever runs the tests.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("FIREBREAK_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// Runs `firebreak args…` to the end, with `stdin` on its standard input.
pub fn run_with_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn firebreak");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    Run::new(args, child.wait_with_output().unwrap())
}

pub fn run(args: &[&str]) -> Run {
    let output = command(args)
        .stdin(Stdio::null())
        .output()
        .expect("run firebreak");
    Run::new(args, output)
}

/// The outcome of one command.
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn new(args: &[&str], out: Output) -> Run {
        Run {
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(
            self.code,
            Some(0),
            "firebreak {:?} failed:\n{}",
            self.args,
            self.stderr
        );
        self.stdout
    }

    /// Asserts exit code `code` and returns stderr.
    pub fn fails(self, code: i32) -> String {
        assert_eq!(
            self.code,
            Some(code),
            "firebreak {:?}: expected exit {code}\nstdout: {}\nstderr: {}",
            self.args,
            self.stdout,
            self.stderr
        );
        self.stderr
    }

    pub fn json(self) -> serde_json::Value {
        let out = self.ok();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }
}

/// A `firebreak serve` child process on a fresh data directory, killed
/// when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    pub admin_password: String,
    pub data_dir: PathBuf,
    log: PathBuf,
    // Last, so the directory outlives the process.
    _dir: TempDir,
}

impl Server {
    pub fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let log = dir.path().join("server.log");
        let mut child = command(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data_dir.to_str().unwrap(),
        ])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(&log).unwrap())
        .spawn()
        .expect("spawn firebreak serve");

        // Lines arrive on a thread so a hung start fails the test instead
        // of hanging it; the thread drains stdout until the process ends.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });

        let mut admin_password = None;
        loop {
            let line = match rx.recv_timeout(START_TIMEOUT) {
                Ok(line) => line,
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "server did not print its listening line ({e}); log:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
            };
            if let Some((_, pw)) = line.split_once("with password: ") {
                assert!(
                    admin_password.is_none(),
                    "the admin password is printed twice"
                );
                admin_password = Some(pw.trim().to_owned());
            }
            if let Some(url) = line.strip_prefix("firebreak listening on ") {
                let url = url.trim().to_owned();
                let password =
                    admin_password.expect("the admin password before the listening line");
                return Server {
                    child,
                    url,
                    admin_password: password,
                    data_dir,
                    log,
                    _dir: dir,
                };
            }
        }
    }

    pub fn data_dir(&self) -> &str {
        self.data_dir.to_str().unwrap()
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("firebreak.db")
    }

    /// Runs a client command as the owner of `token`.
    pub fn as_user<'a>(&'a self, token: &'a str) -> As<'a> {
        As {
            server: self,
            token,
        }
    }

    /// A local admin command on this server's database.
    pub fn local(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data-dir", self.data_dir()]);
        run(&all)
    }

    /// Stops the server now; its data directory stays until the drop.
    pub fn stop(&mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    #[allow(dead_code)]
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A user of the CLI: every command gets `--url` and `--token`.
pub struct As<'a> {
    server: &'a Server,
    token: &'a str,
}

impl As<'_> {
    pub fn run(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--url", &self.server.url, "--token", self.token]);
        run(&all)
    }
}

/// Opens the SQLite file directly, as an attacker with file access would.
pub fn sql(db: &Path, statement: &'static str) {
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(db);
        let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        let done = sqlx::query(statement).execute(&mut conn).await.unwrap();
        assert_eq!(done.rows_affected(), 1, "{statement}");
        conn.close().await.unwrap();
    });
}
