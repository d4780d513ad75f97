//! The arguments of the commands that work on the database directly:
//! `serve`, `user …`, `token …` and `audit …` (`migrate` takes only
//! [`DbArgs`]).

use clap::{Args, Subcommand};

use firebreak_api::Role;

use super::DbArgs;
use super::values::named;

#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The URL people reach the server at, used in links.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Also accept inbound email over SMTP on this address (off by default).
    #[arg(long, value_name = "ADDR")]
    pub smtp_listen: Option<String>,
    /// Open a private range or host for users' contact methods, as
    /// `[outgoing] allow` (repeat the flag; replaces the file's list).
    #[arg(long = "outgoing-allow", value_name = "CIDR|HOST")]
    pub outgoing_allow: Vec<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add(UserAddArgs),
    /// Change a user's role (audited; the last enabled admin keeps theirs).
    SetRole(UserSetRoleArgs),
    /// Disable a user: their sessions end and their tokens stop at once.
    Disable(UserNameArgs),
    /// Enable a disabled user again.
    Enable(UserNameArgs),
}

#[derive(Debug, Args)]
pub struct UserSetRoleArgs {
    pub name: String,
    #[arg(value_parser = named::<Role>())]
    pub role: Role,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct UserNameArgs {
    pub name: String,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// User name: letters, digits and . _ - @.
    pub name: String,
    #[arg(long, value_parser = named::<Role>())]
    pub role: Role,
    /// Read the password (at least 12 characters) from one line of stdin.
    /// Without it the user can sign in only with a token.
    #[arg(long)]
    pub password_stdin: bool,
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it, alone, on stdout.
    Create(TokenCreateArgs),
    /// List API tokens (never their secrets), of one user or of everyone.
    List(TokenListArgs),
    /// Revoke an API token by its id: it stops working at once.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Only this user's tokens.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id, as `token list` shows it.
    pub id: i64,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The user the token acts as.
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// A label for the token, for example the script that uses it.
    #[arg(long, value_name = "LABEL")]
    pub name: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit hash chain; exit 1 and name the first bad entry
    /// if it was tampered with, or, with `--checkpoint`, if the log is
    /// shorter than or differs from the checkpoint.
    Verify(AuditVerifyArgs),
    /// Print a signed checkpoint of the audit log's head, to keep somewhere
    /// else (signed with the audit key file, created if missing).
    Checkpoint(DbArgs),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// A checkpoint printed by `firebreak audit checkpoint`: the log must
    /// still reach it and agree with it.
    #[arg(long, value_name = "TEXT")]
    pub checkpoint: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}
