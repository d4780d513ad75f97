//! Users, API tokens and browser sessions.

use chrono::{DateTime, Utc};
use sqlx::Row;

use firebreak_api::{Role, TokenInfo, User, UserRef};

use crate::record::{Record, name_free, returned_id};
use crate::row::col;
use crate::secrets::secret_hash;
use crate::{Actor, Result, Store, StoreError, ms};

/// A user to create. `password_hash` is argon2id, from
/// [`crate::secrets::hash_password`].
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub password_hash: Option<String>,
}

/// A live browser session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "id, name, display_name, email, role, disabled, created_at";

impl Record for User {
    const TABLE: &'static str = "users";
    const SELECT: &'static str =
        "SELECT id, name, display_name, email, role, disabled, created_at FROM users";
    const NOUN: &'static str = "user";

    fn from_row(row: &sqlx::any::AnyRow) -> Result<User> {
        from_row! { row, User { id, name, display_name, email, role, disabled, created_at } }
    }

    fn audit_target(&self, _id: i64) -> String {
        format!("user:{}", self.name)
    }
}

/// Whether `name` is fit to be a user name: the core's one rule.
pub use firebreak_core::users::valid_user_name;

impl Store {
    pub async fn create_user(
        &self,
        new: &NewUser,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        name_free::<User>(&mut tx, &new.name, None).await?;
        let row = sqlx::query(
            "INSERT INTO users (name, display_name, email, role, password_hash, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6) RETURNING id",
        )
        .bind(&new.name)
        .bind(&new.display_name)
        .bind(new.email.as_deref())
        .bind(new.role.as_str())
        .bind(new.password_hash.as_deref())
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        let details = serde_json::json!({"id": id, "role": new.role, "email": new.email});
        self.commit_record(tx, id, "user.create", details, actor, now)
            .await
    }

    /// Sets a user's password (argon2id hash).
    pub async fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
            .bind(password_hash)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user `{name}`")));
        }
        self.commit_audited(
            tx,
            actor,
            "user.password",
            &format!("user:{name}"),
            serde_json::json!({}),
            now,
        )
        .await
    }

    /// Resets a user's password (argon2id hash) and ends their browser
    /// sessions in the same transaction, as disabling does; answers how
    /// many ended. Audited as `user.password_reset`.
    pub async fn reset_password(
        &self,
        name: &str,
        password_hash: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let row = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2 RETURNING id")
            .bind(password_hash)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user `{name}`")))?;
        let id = returned_id(&row)?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        self.commit_audited(
            tx,
            actor,
            "user.password_reset",
            &format!("user:{name}"),
            serde_json::json!({"sessions_ended": ended}),
            now,
        )
        .await?;
        Ok(ended)
    }

    pub async fn user_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.read)
            .await?;
        Ok(row.try_get("n")?)
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        self.first_record("WHERE name = $1", name.to_owned()).await
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        self.first_record("WHERE id = $1", id).await
    }

    /// The user by name, as other records refer to them; `NotFound` names
    /// the user.
    pub async fn user_ref(&self, name: &str) -> Result<UserRef> {
        self.user_by_name(name)
            .await?
            .map(|u| UserRef {
                id: u.id,
                name: u.name,
            })
            .ok_or_else(|| StoreError::NotFound(format!("user `{name}`")))
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        self.records("ORDER BY name", None::<i64>).await
    }

    /// The user and stored password hash for a sign-in attempt.
    pub async fn user_for_login(&self, name: &str) -> Result<Option<(User, Option<String>)>> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE name = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| Ok((User::from_row(&row)?, col(&row, "password_hash")?)))
            .transpose()
    }

    /// Stores a new API token (its hash) for `user_id`.
    pub async fn create_token(
        &self,
        user: &UserRef,
        name: &str,
        token: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user.id)
        .bind(name)
        .bind(secret_hash(token))
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        self.commit_audited(
            tx,
            actor,
            "token.create",
            &format!("user:{}", user.name),
            serde_json::json!({"token_id": id, "name": name}),
            now,
        )
        .await?;
        Ok(id)
    }

    /// The enabled user a bearer token belongs to, if the token is live.
    pub async fn user_by_token(&self, token: &str) -> Result<Option<User>> {
        let clause = "WHERE disabled = 0 AND id IN (SELECT t.user_id FROM api_tokens t \
                      WHERE t.token_hash = $1 AND t.revoked_at IS NULL)";
        self.first_record(clause, secret_hash(token)).await
    }

    /// Changes a user's role and/or disabled flag. Disabling ends the
    /// user's sessions in the same transaction (their tokens stop because
    /// every token lookup requires an enabled user). Refuses to leave no
    /// enabled admin. Each change is audited (`user.role`, `user.disable`,
    /// `user.enable`).
    pub async fn update_user(
        &self,
        name: &str,
        role: Option<Role>,
        disabled: Option<bool>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        let lock = self.for_update();
        let sql = format!("{} WHERE name = $1{lock}", User::SELECT);
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user `{name}`")))?;
        let mut user = User::from_row(&row)?;
        let old_role = user.role;
        let was_disabled = user.disabled;
        if let Some(r) = role {
            user.role = r;
        }
        if let Some(d) = disabled {
            user.disabled = d;
        }
        let still_admin = user.role == Role::Admin && !user.disabled;
        if old_role == Role::Admin && !was_disabled && !still_admin {
            // Lock the admins on PostgreSQL so two demotions cannot race.
            let sql = format!(
                "SELECT id FROM users WHERE role = 'admin' AND disabled = 0 AND id <> $1{lock}"
            );
            let others = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(user.id)
                .fetch_all(&mut *tx)
                .await?;
            if others.is_empty() {
                return Err(StoreError::Conflict(format!(
                    "`{name}` is the last enabled admin; make another admin first"
                )));
            }
        }
        sqlx::query("UPDATE users SET role = $1, disabled = $2 WHERE id = $3")
            .bind(user.role.as_str())
            .bind(i64::from(user.disabled))
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let target = format!("user:{name}");
        if user.role != old_role {
            self.audit(
                &mut tx,
                actor,
                "user.role",
                &target,
                serde_json::json!({"from": old_role, "to": user.role}),
                now,
            )
            .await?;
        }
        if user.disabled != was_disabled {
            let ended = if user.disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user.id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            } else {
                0
            };
            let action = if user.disabled {
                "user.disable"
            } else {
                "user.enable"
            };
            self.audit(
                &mut tx,
                actor,
                action,
                &target,
                serde_json::json!({"sessions_ended": ended}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// API tokens (never their secrets) of one user, or of everyone,
    /// newest first.
    pub async fn list_tokens(&self, user_id: Option<i64>) -> Result<Vec<TokenInfo>> {
        let base = "SELECT t.id, t.name, t.created_at, t.last_used_at, t.revoked_at, \
                    u.id AS user_id, u.name AS user_name \
                    FROM api_tokens t JOIN users u ON u.id = t.user_id";
        let rows = match user_id {
            Some(id) => {
                let sql = format!("{base} WHERE t.user_id = $1 ORDER BY t.id DESC");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_all(&self.read)
                    .await?
            }
            None => {
                let sql = format!("{base} ORDER BY t.id DESC");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&self.read)
                    .await?
            }
        };
        rows.iter()
            .map(|r| {
                let user = from_row! { r, UserRef { id: "user_id", name: "user_name" } }?;
                from_row! { r, TokenInfo { id, name, user = user, created_at, last_used_at,
                revoked_at } }
            })
            .collect()
    }

    /// Revokes token `id`; with `owner`, only if it belongs to that user
    /// (otherwise it does not exist for them). Revoking a revoked token
    /// changes nothing. Audited as `token.revoke`.
    pub async fn revoke_token(
        &self,
        id: i64,
        owner: Option<i64>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<TokenInfo> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "SELECT t.user_id, t.revoked_at, u.name FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("token {id}")));
        };
        let user_id: i64 = row.try_get("user_id")?;
        let user_name: String = row.try_get("name")?;
        if owner.is_some_and(|o| o != user_id) {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_none() {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
                .bind(ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            self.audit(
                &mut tx,
                actor,
                "token.revoke",
                &format!("user:{user_name}"),
                serde_json::json!({"token_id": id}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.list_tokens(Some(user_id))
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("token {id}")))
    }

    /// Ends a session write: the audit entry `action`, by and about the
    /// session's user, and the commit.
    async fn commit_session_audit(
        &self,
        tx: crate::Tx,
        user: &User,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let actor = Actor::user(user.id, &user.name);
        let target = format!("user:{}", user.name);
        self.commit_audited(tx, &actor, action, &target, serde_json::json!({}), now)
            .await
    }

    /// Stores a browser session (the hash of its id).
    pub async fn create_session(
        &self,
        session_id: &str,
        user: &User,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secret_hash(session_id))
        .bind(user.id)
        .bind(csrf_token)
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(&mut *tx)
        .await?;
        self.commit_session_audit(tx, user, "session.login", now)
            .await
    }

    pub async fn session(
        &self,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionInfo>> {
        let sql = "SELECT u.id, u.name, u.display_name, u.email, u.role, u.disabled, u.created_at, \
                   s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
                   WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = 0";
        let row = sqlx::query(sql)
            .bind(secret_hash(session_id))
            .bind(ms(now))
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| {
            from_row! { &row, SessionInfo { user = User::from_row(&row)?, csrf_token, expires_at } }
        })
        .transpose()
    }

    /// Signs a session out (deletes it) and audits the logout.
    pub async fn end_session(
        &self,
        session_id: &str,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.delete_session_in(session_id).await?;
        self.commit_session_audit(tx, user, "session.logout", now)
            .await
    }

    pub async fn delete_session(&self, session_id: &str) -> Result<()> {
        self.delete_session_in(session_id).await?.commit().await?;
        Ok(())
    }

    /// Deletes a session in a new transaction, left open.
    async fn delete_session_in(&self, session_id: &str) -> Result<crate::Tx> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(secret_hash(session_id))
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}
