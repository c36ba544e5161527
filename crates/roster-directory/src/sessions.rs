//! Browser sessions: the admin console's and the end-user pages'.
//!
//! A session is a document of kind `session` keyed by the SHA-256 of its random token (the token
//! itself lives only in the browser's cookie), so sessions work across several `roster serve` on
//! one database and a leaked database does not give a usable cookie. Every request re-checks the
//! session against the user as stored now: a session ends when it is idle or old past its limits,
//! when the user is no longer ACTIVE (deactivated, suspended, locked out), when the user's
//! password changed after the session began, and, for the console, when the user no longer holds
//! an admin role. Nothing has to remember to end sessions when those things happen. End-user
//! sessions (`/app`) have their own audiences, so a console cookie never opens `/app` and an
//! end-user cookie never opens the console.

use roster_core::{Role, Timestamp, User, UserStatus};
use roster_store::{Document, StoreError};
use secrecy::SecretString;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::authn::AuthnStatus;
use crate::{Ctx, Directory, DirectoryError, Result};

const KIND: &str = "session";
const TOKEN_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What a session lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAudience {
    /// The admin console (`/admin`).
    Admin,
    /// Only the change of an expired password, right after a sign-in that found it expired.
    PasswordChange,
    /// The end-user pages (`/app`): any ACTIVE user, no admin role needed.
    User,
    /// Only the change of an expired password, right after an end-user sign-in (`/login`) that
    /// found it expired.
    UserPasswordChange,
}

impl SessionAudience {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionAudience::Admin => "ADMIN",
            SessionAudience::PasswordChange => "PASSWORD_CHANGE",
            SessionAudience::User => "USER",
            SessionAudience::UserPasswordChange => "USER_PASSWORD_CHANGE",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            SessionAudience::Admin,
            SessionAudience::PasswordChange,
            SessionAudience::User,
            SessionAudience::UserPasswordChange,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// Session lifetimes, in minutes.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// A session unused this long ends.
    pub idle_minutes: i64,
    /// A session ends this long after sign-in, however busy.
    pub absolute_minutes: i64,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle_minutes: 60,
            absolute_minutes: 12 * 60,
        }
    }
}

/// A new session: its token goes into the cookie and is never stored.
#[derive(Debug)]
pub struct NewSession {
    pub token: SecretString,
    pub csrf: String,
    pub user: User,
}

/// A live session, as checked for one request.
#[derive(Debug, Clone)]
pub struct Session {
    /// The stored id (the SHA-256 of the token), never the token.
    pub id: String,
    pub audience: SessionAudience,
    pub user: User,
    /// The strongest admin role the user holds now (always `Some` for an admin session).
    pub role: Option<Role>,
    /// The token every state-changing form of this session must carry.
    pub csrf: String,
    pub created: Timestamp,
}

/// The outcome of a console sign-in.
#[derive(Debug)]
pub enum AdminSignIn {
    Started(NewSession),
    /// The password is right but expired: a short session that can only change it.
    PasswordExpired(NewSession),
    /// The account is locked out (the same answer whether or not the password was right).
    LockedOut,
    /// The password is right, but the user holds no admin role.
    NotAnAdmin,
}

/// The outcome of an end-user sign-in (`/login`).
#[derive(Debug)]
pub enum UserSignIn {
    Started(NewSession),
    /// The password is right but expired: a short session that can only change it.
    PasswordExpired(NewSession),
    /// The account is locked out (the same answer whether or not the password was right).
    LockedOut,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| char::from(TOKEN_ALPHABET[rng.gen_range(0..TOKEN_ALPHABET.len())]))
        .collect()
}

fn ts(body: &Value, key: &str) -> Option<Timestamp> {
    body.get(key)
        .and_then(Value::as_str)
        .and_then(Timestamp::parse)
}

impl Directory {
    /// Sign in to the console with a username and password: the same check as
    /// `POST /api/v1/authn` (lockout, the same work and answer for an unknown user, expiry),
    /// then the admin role.
    pub async fn admin_sign_in(
        &self,
        ctx: &Ctx,
        username: &str,
        password: &SecretString,
    ) -> Result<AdminSignIn> {
        let outcome = self.authenticate(ctx, username, password).await?;
        match outcome.status {
            AuthnStatus::LockedOut => Ok(AdminSignIn::LockedOut),
            AuthnStatus::PasswordExpired => {
                if self.roles_of(&outcome.user.id).await?.is_empty() {
                    return Ok(AdminSignIn::NotAnAdmin);
                }
                let session = self
                    .start_session(ctx, outcome.user, SessionAudience::PasswordChange)
                    .await?;
                Ok(AdminSignIn::PasswordExpired(session))
            }
            AuthnStatus::Success => {
                let roles = self.roles_of(&outcome.user.id).await?;
                let Some(role) = crate::roles::strongest(&roles) else {
                    let event = ctx
                        .event(
                            "user.session.access_admin_app",
                            "User accessing Okta admin app",
                        )
                        .with_target(&outcome.user.id, "User", Some(outcome.user.login()), None)
                        .failure("NOT_AN_ADMIN");
                    self.store.append_events(&[event]).await?;
                    return Ok(AdminSignIn::NotAnAdmin);
                };
                let user = outcome.user;
                let event = ctx
                    .event(
                        "user.session.access_admin_app",
                        "User accessing Okta admin app",
                    )
                    .with_target(&user.id, "User", Some(user.login()), None)
                    .with_debug("role", role.as_str());
                let session = self
                    .start_session_with(ctx, user, SessionAudience::Admin, &[event])
                    .await?;
                Ok(AdminSignIn::Started(session))
            }
        }
    }

    /// Sign in to the end-user pages with a username and password: the same check as
    /// `POST /api/v1/authn` (lockout, the same work and answer for an unknown user, expiry). No
    /// admin role is needed.
    pub async fn user_sign_in(
        &self,
        ctx: &Ctx,
        username: &str,
        password: &SecretString,
    ) -> Result<UserSignIn> {
        let outcome = self.authenticate(ctx, username, password).await?;
        match outcome.status {
            AuthnStatus::LockedOut => Ok(UserSignIn::LockedOut),
            AuthnStatus::PasswordExpired => {
                let session = self
                    .start_session(ctx, outcome.user, SessionAudience::UserPasswordChange)
                    .await?;
                Ok(UserSignIn::PasswordExpired(session))
            }
            AuthnStatus::Success => {
                let session = self
                    .start_session(ctx, outcome.user, SessionAudience::User)
                    .await?;
                Ok(UserSignIn::Started(session))
            }
        }
    }

    async fn start_session(
        &self,
        ctx: &Ctx,
        user: User,
        audience: SessionAudience,
    ) -> Result<NewSession> {
        self.start_session_with(ctx, user, audience, &[]).await
    }

    async fn start_session_with(
        &self,
        ctx: &Ctx,
        user: User,
        audience: SessionAudience,
        events: &[roster_core::LogEvent],
    ) -> Result<NewSession> {
        let token = random_token(43);
        let csrf = random_token(32);
        let doc = Document {
            kind: KIND.into(),
            id: hash(&token),
            priority: 0,
            body: json!({
                "userId": user.id,
                "audience": audience.as_str(),
                "created": ctx.now.to_string(),
                "lastSeen": ctx.now.to_string(),
                "csrf": csrf,
            }),
            version: 0,
            updated: ctx.now,
        };
        self.store.put_document(&doc, Some(0), events).await?;
        Ok(NewSession {
            token: SecretString::from(token),
            csrf,
            user,
        })
    }

    /// The live session a cookie names, checked against the user as stored now, or `None` when
    /// it is unknown, of another audience, or ended (see the module's docs). A session is touched
    /// at most once a minute, so reading pages does not write on every request.
    pub async fn session(
        &self,
        token: &str,
        audience: SessionAudience,
        limits: SessionLimits,
        now: Timestamp,
    ) -> Result<Option<Session>> {
        if token.is_empty() || token.len() > 128 || !Self::storable(token) {
            return Ok(None);
        }
        let id = hash(token);
        let Some(doc) = self.store.get_document(KIND, &id).await? else {
            return Ok(None);
        };
        let body = &doc.body;
        let stored_audience = body
            .get("audience")
            .and_then(Value::as_str)
            .and_then(SessionAudience::parse);
        let (Some(created), Some(last_seen), Some(user_id), Some(csrf), Some(stored_audience)) = (
            ts(body, "created"),
            ts(body, "lastSeen"),
            body.get("userId").and_then(Value::as_str),
            body.get("csrf").and_then(Value::as_str),
            stored_audience,
        ) else {
            self.drop_session(&id).await?;
            return Ok(None);
        };
        if stored_audience != audience {
            return Ok(None);
        }
        let (idle, absolute) = match audience {
            SessionAudience::Admin | SessionAudience::User => {
                (limits.idle_minutes, limits.absolute_minutes)
            }
            SessionAudience::PasswordChange | SessionAudience::UserPasswordChange => (10, 10),
        };
        if last_seen.plus_minutes(idle) <= now || created.plus_minutes(absolute) <= now {
            self.drop_session(&id).await?;
            return Ok(None);
        }
        let Some(user) = self.store.get_user(user_id).await? else {
            self.drop_session(&id).await?;
            return Ok(None);
        };
        let status_ok = match audience {
            SessionAudience::Admin | SessionAudience::User => user.status == UserStatus::Active,
            SessionAudience::PasswordChange | SessionAudience::UserPasswordChange => {
                user.status == UserStatus::PasswordExpired
            }
        };
        let password_changed_since = user.password_changed.is_some_and(|c| c > created);
        if !status_ok || password_changed_since {
            self.drop_session(&id).await?;
            return Ok(None);
        }
        let role = crate::roles::strongest(&self.roles_of(&user.id).await?);
        let needs_role = matches!(
            audience,
            SessionAudience::Admin | SessionAudience::PasswordChange
        );
        if needs_role && role.is_none() {
            self.drop_session(&id).await?;
            return Ok(None);
        }
        if last_seen.plus_minutes(1) <= now {
            let mut touched = doc.clone();
            if let Some(obj) = touched.body.as_object_mut() {
                obj.insert("lastSeen".into(), Value::String(now.to_string()));
            }
            touched.updated = now;
            match self
                .store
                .put_document(&touched, Some(doc.version), &[])
                .await
            {
                Ok(_)
                | Err(StoreError::VersionConflict { .. })
                | Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(Session {
            id,
            audience,
            user,
            role,
            csrf: csrf.to_owned(),
            created,
        }))
    }

    /// Sign out: the session is deleted with a `user.session.end` event.
    pub async fn end_session(&self, ctx: &Ctx, session: &Session) -> Result<()> {
        let event = ctx
            .event("user.session.end", "User logout from Okta")
            .with_target(&session.user.id, "User", Some(session.user.login()), None);
        match self
            .store
            .delete_document(KIND, &session.id, &[event])
            .await
        {
            Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Change an expired password from a password-change session, ending that session. The user
    /// signs in again with the new password.
    pub async fn change_expired_password(
        &self,
        ctx: &Ctx,
        session: &Session,
        old: &SecretString,
        new: &SecretString,
    ) -> Result<User> {
        if !matches!(
            session.audience,
            SessionAudience::PasswordChange | SessionAudience::UserPasswordChange
        ) {
            return Err(DirectoryError::invalid(
                "session",
                "this session cannot change a password",
                "sign in again",
            ));
        }
        let user = self
            .change_password(ctx, &session.user.id, old, new)
            .await?;
        self.drop_session(&session.id).await?;
        Ok(user)
    }

    /// Change the password from an end-user session (`/app`): the same checks as
    /// [`Directory::change_password`] (old password, policy, minimum age, history). A changed
    /// password ends every session that began before it, this one included, so the holder gets
    /// a new session in its place (its token goes into the cookie).
    pub async fn change_own_password(
        &self,
        ctx: &Ctx,
        session: &Session,
        old: &SecretString,
        new: &SecretString,
    ) -> Result<NewSession> {
        if session.audience != SessionAudience::User {
            return Err(DirectoryError::invalid(
                "session",
                "this session cannot change a password",
                "sign in again",
            ));
        }
        let user = self
            .change_password(ctx, &session.user.id, old, new)
            .await?;
        self.drop_session(&session.id).await?;
        self.start_session(ctx, user, SessionAudience::User).await
    }

    async fn drop_session(&self, id: &str) -> Result<()> {
        match self.store.delete_document(KIND, id, &[]).await {
            Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
