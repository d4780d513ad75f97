//! Starting a server process and running CLI commands against it.

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

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Options {
    /// A database URL (PostgreSQL); the SQLite file in a fresh data
    /// directory when `None`.
    pub database_url: Option<String>,
    /// The text of a config file passed with `--config`.
    pub config: Option<String>,
    /// Whether the server is to create the first admin.
    pub admin: Admin,
}

/// What a start does about the first admin user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admin {
    /// The database is empty: the server creates `admin` and prints its
    /// password, once, before the listening line.
    Created,
    /// The database has users: printing a password fails the start.
    Existing,
    /// Either (servers started at once on one empty database).
    Either,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            database_url: None,
            config: None,
            admin: Admin::Created,
        }
    }
}

/// A `firebreak serve` child process, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    /// The first admin's password, printed by a start on an empty database.
    pub admin_password: Option<String>,
    pub data_dir: PathBuf,
    /// `--data-dir …` or `--database-url …`, for local commands.
    db_args: Vec<String>,
    /// `serve` and its flags, to start again after a kill.
    serve_args: Vec<String>,
    log: PathBuf,
    // Last, so the directory outlives the process.
    _dir: TempDir,
}

impl Server {
    /// A server on the SQLite file of a fresh data directory.
    pub fn start() -> Server {
        Server::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let log = dir.path().join("server.log");
        let db_args: Vec<String> = match &options.database_url {
            Some(url) => vec!["--database-url".into(), url.clone()],
            None => vec!["--data-dir".into(), data_dir.to_str().unwrap().to_owned()],
        };
        let mut serve_args: Vec<String> =
            vec!["serve".into(), "--listen".into(), "127.0.0.1:0".into()];
        serve_args.extend(db_args.iter().cloned());
        if let Some(text) = &options.config {
            let path = dir.path().join("firebreak.toml");
            std::fs::write(&path, text).unwrap();
            serve_args.extend(["--config".to_owned(), path.to_str().unwrap().to_owned()]);
        }
        let (child, url, admin_password) = spawn_server(&serve_args, &log, options.admin);
        Server {
            child,
            url,
            admin_password,
            data_dir,
            db_args,
            serve_args,
            log,
            _dir: dir,
        }
    }

    /// Starts the server again on the same database and config, after a
    /// [`Server::kill`]. It listens on a new port: `url` changes.
    pub fn restart(&mut self) {
        self.kill();
        let (child, url, _) = spawn_server(&self.serve_args, &self.log, Admin::Existing);
        self.child = child;
        self.url = url;
    }

    pub fn data_dir(&self) -> &str {
        self.data_dir.to_str().unwrap()
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("firebreak.db")
    }

    /// Runs a client command as the owner of `token`.
    pub fn as_user(&self, token: &str) -> As<'_> {
        As {
            server: self,
            token: token.to_owned(),
        }
    }

    /// Runs client commands as `admin`, with a new token.
    pub fn as_admin(&self) -> As<'_> {
        self.as_user(&self.token("admin"))
    }

    /// A local admin command on this server's database.
    pub fn local(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(self.db_args.iter().map(String::as_str));
        run(&all)
    }

    /// Adds a user with `role` with the local command; its output.
    pub fn add_user(&self, name: &str, role: &str) -> String {
        self.local(&["user", "add", name, "--role", role]).ok()
    }

    /// A new API token for `user`, made with the local command.
    pub fn token(&self, user: &str) -> String {
        let out = self.local(&["token", "create", "--user", user]).ok();
        out.trim().to_owned()
    }

    /// Stops the server now; its data directory stays until the drop.
    pub fn stop(&mut self) {
        self.kill();
    }

    /// SIGKILL (what `Child::kill` sends on unix): no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    #[allow(dead_code)]
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Spawns `firebreak serve …` and reads its stdout up to the listening
/// line: the process, its URL, and the admin password if one was printed.
fn spawn_server(args: &[String], log: &Path, admin: Admin) -> (Child, String, Option<String>) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = command(&args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
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
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
        };
        if line.to_lowercase().contains("password") {
            if admin == Admin::Existing {
                let _ = child.kill();
                let _ = child.wait();
                panic!("a server on a database that has users printed a password: {line}");
            }
            if let Some((_, pw)) = line.split_once("with password: ") {
                assert!(
                    admin_password.is_none(),
                    "the admin password is printed twice"
                );
                admin_password = Some(pw.trim().to_owned());
            }
        }
        if let Some(url) = line.strip_prefix("firebreak listening on ") {
            let url = url.trim().to_owned();
            if admin == Admin::Created {
                assert!(
                    admin_password.is_some(),
                    "the admin password before the listening line"
                );
            }
            return (child, url, admin_password);
        }
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
    token: String,
}

impl As<'_> {
    pub fn run(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--url", &self.server.url, "--token", &self.token]);
        run(&all)
    }

    /// Gives `user` a contact method labelled `pager` on the channel
    /// `channel_json`; the command's output.
    pub fn add_pager(&self, user: &str, channel_json: &str) -> String {
        self.run(&[
            "contact",
            "add",
            user,
            "--label",
            "pager",
            "--channel-json",
            channel_json,
        ])
        .ok()
    }

    /// `<what> put <name> --file -` with `file` on standard input (a
    /// policy or schedule); the command's output.
    pub fn put_stdin(&self, what: &str, name: &str, file: &str) -> String {
        self.run_with_stdin(&[what, "put", name, "--file", "-"], file)
            .ok()
    }

    /// `incident declare --title <title> --kind <kind> <flags…> --json`:
    /// the incident.
    pub fn declare(&self, title: &str, kind: &str, flags: &[&str]) -> serde_json::Value {
        let mut args = vec!["incident", "declare", "--title", title, "--kind", kind];
        args.extend(flags);
        args.push("--json");
        self.run(&args).json()
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--url", &self.server.url, "--token", &self.token]);
        run_with_stdin(&all, stdin)
    }
}

/// Writes `text` to a new file in `dir` and returns its path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Opens the SQLite file directly, as an attacker with file access would.
pub fn sql(db: &Path, statement: &'static str) {
    use sqlx::Connection;
    firebreak_testkit::block_on(async {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(db);
        let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        let done = sqlx::query(statement).execute(&mut conn).await.unwrap();
        assert_eq!(done.rows_affected(), 1, "{statement}");
        conn.close().await.unwrap();
    });
}
