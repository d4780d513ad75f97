//! Settings of `serve` and the local admin commands, in layers: defaults,
//! then a TOML file (`--config` or `FIREBREAK_CONFIG`), then `FIREBREAK_`
//! environment variables, then flags. Each layer only overrides what it
//! sets.
//!
//! Unknown keys in the file are an error naming the key, so a misspelt
//! setting is never silently ignored. The database URL may carry a password,
//! so it can come from a file (`database_url_file`,
//! `FIREBREAK_DATABASE_URL_FILE`) and never shows in `Debug` output.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cli::{DbArgs, ServeArgs};
use firebreak_core::comms::CommsPolicy;
use firebreak_core::disclosure::DisclosurePolicy;
use firebreak_server::escalate::EscalationConfig;
use firebreak_server::intake::IntakeConfig;
use firebreak_server::notify::{OutgoingPolicy, SmtpConfig};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./firebreak-data";
/// The SQLite file inside the data directory.
pub const DB_FILE: &str = "firebreak.db";

/// A secret string: shown as `[redacted]` by `Debug`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The config file. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<Secret>,
    pub database_url_file: Option<PathBuf>,
    pub public_url: Option<String>,
    pub secure_cookies: Option<bool>,
    pub body_limit: Option<usize>,
    pub session_hours: Option<i64>,
    /// `[escalation]`: the incident-lead policy and the leadership group.
    pub escalation: Option<EscalationConfig>,
    /// `[smtp]`: the server that sends email notifications.
    pub smtp: Option<SmtpConfig>,
    /// Accept inbound email over SMTP on this address.
    pub smtp_listen: Option<String>,
    /// `[outgoing]`: private targets opened for everyone's contact methods.
    pub outgoing: Option<OutgoingConfig>,
    /// The key that signs audit checkpoints; `<data_dir>/audit.key` when unset.
    pub audit_key_file: Option<PathBuf>,
    /// `[intake]`: the longest silence, inbound e-mail and SMTP limits.
    pub intake: Option<IntakeConfig>,
    /// The bearer token `/metrics` requires; without one, `/metrics` is
    /// open and counts no confidential record.
    pub metrics_token: Option<Secret>,
    /// A file holding the metrics token (its first line).
    pub metrics_token_file: Option<PathBuf>,
    /// `[comms]`: when customer notices fall due (`notice_within_secs`,
    /// `update_every_critical_secs`, `update_every_high_secs`,
    /// `formal_within_secs`).
    pub comms: Option<CommsPolicy>,
    /// `[status_page]`: the public status page.
    pub status_page: Option<StatusPageFile>,
    /// `[disclosure]`: the responsible-disclosure policy.
    pub disclosure: Option<DisclosurePolicy>,
}

/// `[status_page]`: `name` is the page's title (default: "<host> status").
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusPageFile {
    pub name: Option<String>,
}

/// `[outgoing]`: the notifier's outgoing request policy. `allow` lists CIDR
/// ranges (`"127.0.0.1/8"`), addresses and host names (`"sms-gw.internal"`)
/// that contact methods users add for themselves may reach even though
/// they are loopback, link-local or private. Admin-set targets need no entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutgoingConfig {
    #[serde(default)]
    pub allow: Vec<String>,
}

impl FileConfig {
    pub fn parse(text: &str, path: &Path) -> Result<FileConfig> {
        // toml's message names the unknown key, its line, and the keys
        // that are known.
        toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("invalid config file {}: {e}", path.display()))
    }

    pub fn load(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        FileConfig::parse(&text, path)
    }
}

/// The resolved settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    /// Set when the database is not the SQLite file in `data_dir`.
    pub database_url: Option<Secret>,
    pub public_url: Option<String>,
    pub secure_cookies: Option<bool>,
    pub body_limit: Option<usize>,
    pub session_hours: Option<i64>,
    pub escalation: EscalationConfig,
    pub smtp: Option<SmtpConfig>,
    pub smtp_listen: Option<String>,
    /// `[outgoing] allow`, checked (each entry parses) when resolved.
    pub outgoing_allow: Vec<String>,
    pub audit_key_file: Option<PathBuf>,
    pub intake: IntakeConfig,
    pub metrics_token: Option<Secret>,
    pub comms: CommsPolicy,
    /// `[status_page] name`.
    pub status_page_name: Option<String>,
    /// `[disclosure]`.
    pub disclosure: DisclosurePolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: DEFAULT_LISTEN.to_owned(),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: None,
            public_url: None,
            secure_cookies: None,
            body_limit: None,
            session_hours: None,
            escalation: EscalationConfig::default(),
            smtp: None,
            smtp_listen: None,
            outgoing_allow: Vec::new(),
            audit_key_file: None,
            intake: IntakeConfig::default(),
            metrics_token: None,
            comms: CommsPolicy::default(),
            status_page_name: None,
            disclosure: DisclosurePolicy::default(),
        }
    }
}

impl Settings {
    /// The layers in order: defaults, `file`, the environment (`env` looks a
    /// variable up), then the flags.
    pub fn resolve(
        file: Option<FileConfig>,
        env: &dyn Fn(&str) -> Option<String>,
        db: &DbArgs,
        serve: Option<&ServeArgs>,
    ) -> Result<Settings> {
        let mut s = Settings::default();

        if let Some(f) = file {
            if f.database_url.is_some() && f.database_url_file.is_some() {
                bail!("the config file sets both `database_url` and `database_url_file`; keep one");
            }
            set(&mut s.listen, f.listen);
            set(&mut s.data_dir, f.data_dir);
            if let Some(url) = f.database_url {
                s.database_url = Some(url);
            }
            if let Some(path) = f.database_url_file {
                s.database_url = Some(read_secret_file(&path, "database_url_file")?);
            }
            s.public_url = f.public_url.or(s.public_url);
            s.secure_cookies = f.secure_cookies.or(s.secure_cookies);
            s.body_limit = f.body_limit.or(s.body_limit);
            s.session_hours = f.session_hours.or(s.session_hours);
            if let Some(e) = f.escalation {
                s.escalation = e;
            }
            s.smtp = f.smtp.or(s.smtp);
            s.smtp_listen = f.smtp_listen.or(s.smtp_listen);
            if let Some(o) = f.outgoing {
                s.outgoing_allow = o.allow;
            }
            s.audit_key_file = f.audit_key_file.or(s.audit_key_file);
            if let Some(i) = f.intake {
                s.intake = i;
            }
            if f.metrics_token.is_some() && f.metrics_token_file.is_some() {
                bail!(
                    "the config file sets both `metrics_token` and `metrics_token_file`; keep one"
                );
            }
            if let Some(token) = f.metrics_token {
                s.metrics_token = Some(token);
            }
            if let Some(path) = f.metrics_token_file {
                s.metrics_token = Some(read_secret_file(&path, "metrics_token_file")?);
            }
            if let Some(p) = f.status_page {
                s.status_page_name = p.name.filter(|n| !n.trim().is_empty());
            }
            if let Some(c) = f.comms {
                for (key, secs) in [
                    ("notice_within_secs", c.notice_within_secs),
                    ("update_every_critical_secs", c.update_every_critical_secs),
                    ("update_every_high_secs", c.update_every_high_secs),
                    ("formal_within_secs", c.formal_within_secs),
                ] {
                    if !(60..=90 * 24 * 3600).contains(&secs) {
                        bail!(
                            "[comms] {key} = {secs}: between 60 (a minute) and 7776000 (90 days)"
                        );
                    }
                }
                s.comms = c;
            }
            if let Some(d) = f.disclosure {
                if let Some(why) = d.invalid() {
                    bail!("[disclosure] {why}");
                }
                s.disclosure = d;
            }
        }

        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        set(&mut s.listen, env("FIREBREAK_LISTEN"));
        set(
            &mut s.data_dir,
            env("FIREBREAK_DATA_DIR").map(PathBuf::from),
        );
        if let Some(url) = env_secret(&env, "FIREBREAK_DATABASE_URL")? {
            s.database_url = Some(url);
        }
        if let Some(token) = env_secret(&env, "FIREBREAK_METRICS_TOKEN")? {
            s.metrics_token = Some(token);
        }
        s.public_url = env("FIREBREAK_PUBLIC_URL").or(s.public_url);
        s.smtp_listen = env("FIREBREAK_SMTP_LISTEN").or(s.smtp_listen);
        s.audit_key_file = env("FIREBREAK_AUDIT_KEY_FILE")
            .map(PathBuf::from)
            .or(s.audit_key_file);
        if let Some(v) = env("FIREBREAK_SECURE_COOKIES") {
            s.secure_cookies = Some(parse_env("FIREBREAK_SECURE_COOKIES", &v)?);
        }
        if let Some(v) = env("FIREBREAK_BODY_LIMIT") {
            s.body_limit = Some(parse_env("FIREBREAK_BODY_LIMIT", &v)?);
        }
        if let Some(v) = env("FIREBREAK_SESSION_HOURS") {
            s.session_hours = Some(parse_env("FIREBREAK_SESSION_HOURS", &v)?);
        }
        if let Some(v) = env("FIREBREAK_OUTGOING_ALLOW") {
            s.outgoing_allow = v
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect();
        }

        set(&mut s.data_dir, db.data_dir.clone());
        if let Some(url) = &db.database_url {
            s.database_url = Some(Secret(url.clone()));
        }
        if let Some(serve) = serve {
            set(&mut s.listen, serve.listen.clone());
            s.public_url = serve.public_url.clone().or(s.public_url);
            s.smtp_listen = serve.smtp_listen.clone().or(s.smtp_listen);
            if !serve.outgoing_allow.is_empty() {
                s.outgoing_allow = serve.outgoing_allow.clone();
            }
        }
        s.outgoing_policy()?;
        Ok(s)
    }

    /// Reads the config file named by the flag (or `FIREBREAK_CONFIG`,
    /// which clap folds into it) and the process environment.
    pub fn load(db: &DbArgs, serve: Option<&ServeArgs>) -> Result<Settings> {
        let file = db.config.as_deref().map(FileConfig::load).transpose()?;
        Settings::resolve(file, &|name| std::env::var(name).ok(), db, serve)
    }

    /// The outgoing request policy of `[outgoing] allow`; an entry that is
    /// neither a range, an address nor a host name is an error naming it.
    pub fn outgoing_policy(&self) -> Result<OutgoingPolicy> {
        OutgoingPolicy::new(&self.outgoing_allow).map_err(|e| anyhow::anyhow!("invalid {e}"))
    }

    /// The URL to open the store with. For the default SQLite file this
    /// creates the data directory.
    pub fn database_url(&self) -> Result<Secret> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                self.data_dir.display()
            )
        })?;
        self.default_sqlite_url()
    }

    /// The URL of the default SQLite file, in the data directory.
    fn default_sqlite_url(&self) -> Result<Secret> {
        let path = self.data_dir.join(DB_FILE);
        let path = path.to_str().with_context(|| {
            format!(
                "the data directory {} is not valid UTF-8",
                self.data_dir.display()
            )
        })?;
        Ok(Secret(format!("sqlite:{path}")))
    }
}

impl Settings {
    /// The audit key file: `audit_key_file`, or `audit.key` in the data
    /// directory.
    pub fn audit_key_path(&self) -> PathBuf {
        self.audit_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join(firebreak_server::checkpoint::KEY_FILE))
    }

    /// The URL of a database that must exist already, for the local admin
    /// commands: a SQLite file that is not there is an error naming the
    /// path looked at, instead of a new empty database (only `serve` and
    /// `migrate` create one). The data directory is not created.
    pub fn existing_database_url(&self) -> Result<Secret> {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => self.default_sqlite_url()?,
        };
        if let Some(path) = sqlite_path(url.expose())
            && !Path::new(path).is_file()
        {
            bail!(
                "no database at {path}: start `firebreak serve` there first, or point to the \
                 server's database with --data-dir or --database-url"
            );
        }
        Ok(url)
    }
}

/// The file of a SQLite URL (`sqlite:PATH`, `sqlite://PATH` or a bare
/// path), as the store reads it; `None` for PostgreSQL.
fn sqlite_path(url: &str) -> Option<&str> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    path.split('?').next()
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn parse_env<T: std::str::FromStr>(name: &str, value: &str) -> Result<T>
where
    T::Err: fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid {name} `{value}`: {e}"))
}

/// A secret kept in a file, as container secrets are: the first line,
/// without surrounding whitespace.
/// A secret from the variable `name`, or from the file `<name>_FILE`
/// names; both set is an error, neither is none.
fn env_secret(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Result<Option<Secret>> {
    let file_var = format!("{name}_FILE");
    match (env(name), env(&file_var)) {
        (Some(_), Some(_)) => bail!("both {name} and {file_var} are set; keep one"),
        (Some(value), None) => Ok(Some(Secret(value))),
        (None, Some(path)) => Ok(Some(read_secret_file(Path::new(&path), &file_var)?)),
        (None, None) => Ok(None),
    }
}

fn read_secret_file(path: &Path, what: &str) -> Result<Secret> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    let value = text.lines().next().unwrap_or("").trim();
    if value.is_empty() {
        bail!("{what} {} is empty", path.display());
    }
    Ok(Secret(value.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn file(text: &str) -> FileConfig {
        FileConfig::parse(text, Path::new("test.toml")).unwrap()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = Settings::resolve(None, &env_of(&[]), &DbArgs::default(), None).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./firebreak-data"));
    }

    #[test]
    fn layers_override_in_order() {
        let f = || {
            file(
                "listen = \"0.0.0.0:1\"\ndata_dir = \"/from/file\"\npublic_url = \"https://file\"\n",
            )
        };
        let s = Settings::resolve(Some(f()), &env_of(&[]), &DbArgs::default(), None).unwrap();
        assert_eq!(
            (s.listen.as_str(), s.data_dir.to_str().unwrap()),
            ("0.0.0.0:1", "/from/file")
        );

        let env = env_of(&[
            ("FIREBREAK_LISTEN", "0.0.0.0:2"),
            ("FIREBREAK_PUBLIC_URL", "https://env"),
        ]);
        let s = Settings::resolve(Some(f()), &env, &DbArgs::default(), None).unwrap();
        assert_eq!(s.listen, "0.0.0.0:2");
        assert_eq!(s.data_dir, PathBuf::from("/from/file"));
        assert_eq!(s.public_url.as_deref(), Some("https://env"));

        let serve = ServeArgs {
            listen: Some("0.0.0.0:3".into()),
            ..ServeArgs::default()
        };
        let db = DbArgs {
            data_dir: Some("/from/flag".into()),
            ..DbArgs::default()
        };
        let s = Settings::resolve(Some(f()), &env, &db, Some(&serve)).unwrap();
        assert_eq!(s.listen, "0.0.0.0:3");
        assert_eq!(s.data_dir, PathBuf::from("/from/flag"));
    }

    #[test]
    fn intake_limits_come_from_the_file() {
        let f = FileConfig::parse(
            "[intake]\nmax_silence_secs = 3600\nsmtp_max_connections = 4\n",
            Path::new("f.toml"),
        )
        .unwrap();
        let s = Settings::resolve(Some(f), &|_| None, &DbArgs::default(), None).unwrap();
        assert_eq!(s.intake.max_silence_secs, 3600);
        assert_eq!(s.intake.smtp_max_connections, 4);
        assert_eq!(
            s.intake.email_max_attachments, 20,
            "the rest keep their defaults"
        );
        let err = FileConfig::parse("[intake]\nmax_silence = 1\n", Path::new("f.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_silence"), "{err}");
    }

    #[test]
    fn the_comms_policy_comes_from_the_file_with_the_process_defaults() {
        let s = Settings::resolve(None, &|_| None, &DbArgs::default(), None).unwrap();
        assert_eq!(s.comms, CommsPolicy::default());
        assert_eq!(s.comms.update_every_critical_secs, 3600);
        assert_eq!(s.comms.update_every_high_secs, 4 * 3600);
        let f = FileConfig::parse(
            "[comms]\nnotice_within_secs = 600\nupdate_every_critical_secs = 1800\n",
            Path::new("f.toml"),
        )
        .unwrap();
        let s = Settings::resolve(Some(f), &|_| None, &DbArgs::default(), None).unwrap();
        assert_eq!(s.comms.notice_within_secs, 600);
        assert_eq!(s.comms.update_every_critical_secs, 1800);
        assert_eq!(
            s.comms.update_every_high_secs,
            4 * 3600,
            "the rest keep their defaults"
        );
        let err = FileConfig::parse("[comms]\nnotice_within = 1\n", Path::new("f.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("notice_within"), "{err}");
        let f =
            FileConfig::parse("[comms]\nnotice_within_secs = 0\n", Path::new("f.toml")).unwrap();
        let err = Settings::resolve(Some(f), &|_| None, &DbArgs::default(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("notice_within_secs"), "{err}");
    }

    #[test]
    fn admin_commands_do_not_create_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("nothing-here");
        let s = Settings {
            data_dir: data_dir.clone(),
            ..Settings::default()
        };
        let err = s.existing_database_url().unwrap_err().to_string();
        assert!(
            err.contains(&data_dir.join(DB_FILE).display().to_string()),
            "{err}"
        );
        assert!(!data_dir.exists(), "nothing is created");
        let file = dir.path().join("f.db");
        let s = Settings {
            database_url: Some(Secret(format!("sqlite:{}?mode=rwc", file.display()))),
            ..Settings::default()
        };
        assert!(s.existing_database_url().is_err());
        std::fs::write(&file, b"").unwrap();
        assert!(s.existing_database_url().is_ok());
        assert_eq!(sqlite_path("postgres://db/x"), None);
    }

    #[test]
    fn outgoing_allow_comes_from_file_env_and_flags_and_is_checked() {
        let f = || file("[outgoing]\nallow = [\"127.0.0.1/8\", \"sms-gw.internal\"]\n");
        let s = Settings::resolve(Some(f()), &env_of(&[]), &DbArgs::default(), None).unwrap();
        assert_eq!(s.outgoing_allow, ["127.0.0.1/8", "sms-gw.internal"]);
        let policy = s.outgoing_policy().unwrap();
        assert!(policy.ip_allowed("127.0.0.5".parse().unwrap()));
        assert!(policy.host_allowed("sms-gw.internal"));
        let env = env_of(&[("FIREBREAK_OUTGOING_ALLOW", "10.0.0.0/8, fd00::/8")]);
        let s = Settings::resolve(Some(f()), &env, &DbArgs::default(), None).unwrap();
        assert_eq!(s.outgoing_allow, ["10.0.0.0/8", "fd00::/8"]);
        let serve = ServeArgs {
            outgoing_allow: vec!["192.168.1.9".into()],
            ..ServeArgs::default()
        };
        let s = Settings::resolve(Some(f()), &env, &DbArgs::default(), Some(&serve)).unwrap();
        assert_eq!(s.outgoing_allow, ["192.168.1.9"]);
        let err = Settings::resolve(
            Some(file("[outgoing]\nallow = [\"10.0.0.0/40\"]\n")),
            &env_of(&[]),
            &DbArgs::default(),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("outgoing.allow") && err.contains("10.0.0.0/40"),
            "{err}"
        );
        assert!(FileConfig::parse("[outgoing]\nalow = []\n", Path::new("f.toml")).is_err());
    }

    #[test]
    fn the_disclosure_policy_comes_from_the_file_checked() {
        let s = Settings::resolve(None, &|_| None, &DbArgs::default(), None).unwrap();
        assert_eq!(s.disclosure, DisclosurePolicy::default());
        let f = FileConfig::parse(
            "[disclosure]\nembargo_days = 45\n[disclosure.critical]\nacknowledge_secs = 3600\ntriage_secs = 7200\nfix_secs = 86400\n",
            Path::new("f.toml"),
        )
        .unwrap();
        let s = Settings::resolve(Some(f), &|_| None, &DbArgs::default(), None).unwrap();
        assert_eq!(s.disclosure.embargo_days, 45);
        assert_eq!(s.disclosure.critical.acknowledge_secs, 3600);
        assert_eq!(s.disclosure.high, DisclosurePolicy::default().high);
        let f = FileConfig::parse("[disclosure]\nembargo_days = 0\n", Path::new("f.toml")).unwrap();
        let err = Settings::resolve(Some(f), &|_| None, &DbArgs::default(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("[disclosure] embargo_days"), "{err}");
        assert!(FileConfig::parse("[disclosure]\nembargo = 1\n", Path::new("f.toml")).is_err());
    }

    #[test]
    fn the_status_page_name_comes_from_the_file() {
        let f = FileConfig::parse(
            "[status_page]\nname = \"Acme status\"\n",
            Path::new("f.toml"),
        )
        .unwrap();
        let s = Settings::resolve(Some(f), &|_| None, &DbArgs::default(), None).unwrap();
        assert_eq!(s.status_page_name.as_deref(), Some("Acme status"));
        let s = Settings::resolve(None, &|_| None, &DbArgs::default(), None).unwrap();
        assert_eq!(
            s.status_page_name, None,
            "the server names it after public_url"
        );
        let err = FileConfig::parse("[status_page]\ntitle = \"x\"\n", Path::new("f.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("title"), "{err}");
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = FileConfig::parse(
            "listen = \"x\"\nlisten_adress = \"y\"\n",
            Path::new("f.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("listen_adress"), "{err}");
        assert!(err.contains("f.toml"), "{err}");
    }

    #[test]
    fn the_database_url_comes_from_a_file_and_stays_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db-url");
        std::fs::write(&secret, "postgres://u:hunter2@db/firebreak\n").unwrap();
        let env = env_of(&[("FIREBREAK_DATABASE_URL_FILE", secret.to_str().unwrap())]);
        let s = Settings::resolve(None, &env, &DbArgs::default(), None).unwrap();
        assert_eq!(
            s.database_url().unwrap().expose(),
            "postgres://u:hunter2@db/firebreak"
        );
        assert!(!format!("{s:?}").contains("hunter2"));

        let both = env_of(&[
            ("FIREBREAK_DATABASE_URL", "x"),
            ("FIREBREAK_DATABASE_URL_FILE", "y"),
        ]);
        assert!(Settings::resolve(None, &both, &DbArgs::default(), None).is_err());
    }

    #[test]
    fn the_metrics_token_comes_from_the_file_or_env_and_stays_hidden() {
        assert_eq!(Settings::default().metrics_token, None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics-token");
        std::fs::write(&path, "s3cret-metrics\n").unwrap();
        let f = file(&format!(
            "metrics_token_file = {:?}\n",
            path.to_str().unwrap()
        ));
        let s = Settings::resolve(Some(f), &env_of(&[]), &DbArgs::default(), None).unwrap();
        assert_eq!(s.metrics_token.as_ref().unwrap().expose(), "s3cret-metrics");
        assert!(!format!("{s:?}").contains("s3cret"));
        let env = env_of(&[("FIREBREAK_METRICS_TOKEN", "from-env")]);
        let f = file("metrics_token = \"from-file\"\n");
        let s = Settings::resolve(Some(f), &env, &DbArgs::default(), None).unwrap();
        assert_eq!(s.metrics_token.unwrap().expose(), "from-env");
        let both = file(&format!(
            "metrics_token = \"x\"\nmetrics_token_file = {:?}\n",
            path.to_str().unwrap()
        ));
        assert!(Settings::resolve(Some(both), &env_of(&[]), &DbArgs::default(), None).is_err());
    }

    #[test]
    fn the_default_database_is_a_file_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let db = DbArgs {
            data_dir: Some(data.clone()),
            ..DbArgs::default()
        };
        let s = Settings::resolve(None, &env_of(&[]), &db, None).unwrap();
        let url = s.database_url().unwrap();
        assert_eq!(
            url.expose(),
            format!("sqlite:{}", data.join("firebreak.db").display())
        );
        assert!(data.is_dir());
    }
}
