//! The password escrow: a password set from a clear value, kept sealed with the master key for
//! the apps that sync passwords until their pushes have it (see ARCHITECTURE.md).

use roster_core::event::Actor;
use roster_core::{Timestamp, User};
use roster_directory::Ctx;
use roster_store::{Document, StoreError};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::engine::{app_event, now, Provisioning, Result, PUSH_USER};
use crate::model::{App, ESCROW_KIND, PASSWORD_CAPTURED, PASSWORD_WAITS_FOR_SIGN_IN};

impl Provisioning {
    /// Escrow a password set at `captured` (`sealed` with [`escrow_purpose`], from the change's
    /// outbox entry) when an active app syncs passwords, and queue a push of it to every app the
    /// user is assigned to whose password change mode is CHANGE, or whose app user still waits
    /// for a password.
    pub(crate) async fn capture_password(
        &self,
        user: &User,
        sealed: &str,
        captured: Timestamp,
    ) -> Result<()> {
        let apps: Vec<App> = self
            .list_apps()
            .await?
            .into_iter()
            .filter(|a| a.status == "ACTIVE" && a.provisioning.syncs_passwords())
            .collect();
        if apps.is_empty() {
            return Ok(());
        }
        self.put_escrow(&user.id, sealed, captured).await?;
        let ctx = Ctx::new(Actor::system(), captured);
        for app in &apps {
            if let Some(au) = self.find_app_user(&app.id, &user.id).await? {
                // KEEP_EXISTING leaves a target's password alone, but one pushed without a
                // password has none to keep.
                if app.provisioning.password_change != "CHANGE" && au.password_state.is_none() {
                    continue;
                }
                self.enqueue_marking(
                    &ctx,
                    app,
                    &user.id,
                    PUSH_USER,
                    json!({}),
                    crate::lifecycle::syncing(ctx.now),
                    &[],
                )
                .await?;
            }
        }
        Ok(())
    }

    /// A sign-in proved `password`: escrow it and queue its push to the apps that sync
    /// passwords and whose app user of `user` still waits for it ([`PASSWORD_WAITS_FOR_SIGN_IN`],
    /// or [`PASSWORD_CAPTURED`] whose escrow is gone: a dismissed task, an expired escrow).
    /// A sign-in of a user no app waits for reads the apps and app users and writes nothing.
    /// This is not a password change: the app user's `passwordChanged` moves only when the push
    /// sets the password on the target.
    pub(crate) async fn capture_at_sign_in(
        &self,
        user: &User,
        password: &SecretString,
    ) -> Result<()> {
        let mut waiting = Vec::new();
        let mut escrow_held = None;
        for app in self.list_apps().await? {
            if app.status != "ACTIVE" || !app.provisioning.syncs_passwords() {
                continue;
            }
            let Some(au) = self.find_app_user(&app.id, &user.id).await? else {
                continue;
            };
            let waits = match au.password_state.as_deref() {
                Some(PASSWORD_WAITS_FOR_SIGN_IN) => true,
                Some(PASSWORD_CAPTURED) => {
                    if escrow_held.is_none() {
                        escrow_held =
                            Some(self.escrowed_password(&user.id, now()).await?.is_some());
                    }
                    escrow_held == Some(false)
                }
                _ => false,
            };
            if waits {
                waiting.push((app, au));
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        let captured = now();
        self.store_escrow(&user.id, password, captured).await?;
        let ctx = Ctx::new(Actor::system(), captured);
        for (app, _) in waiting {
            let mut mark = crate::lifecycle::syncing(captured);
            mark.insert("passwordState".into(), Value::from(PASSWORD_CAPTURED));
            let event = app_event(
                &ctx,
                "application.provision.user.capture_password",
                "Capture user's password at sign-in for password sync",
                &app,
            )
            .with_target(&user.id, "User", Some(user.login()), None)
            .with_debug("appId", app.id.as_str())
            .with_debug(
                "reason",
                "the user's password predates the app's password sync; the sign-in captured it and its push is queued",
            );
            self.enqueue_marking(&ctx, &app, &user.id, PUSH_USER, json!({}), mark, &[event])
                .await?;
        }
        Ok(())
    }

    /// Seal `password` into the user's escrow document (replacing any), captured at `captured`
    /// and kept for the configured number of days.
    pub(crate) async fn store_escrow(
        &self,
        user_id: &str,
        password: &SecretString,
        captured: Timestamp,
    ) -> Result<()> {
        let sealed = self
            .inner
            .keys
            .key()?
            .seal(&escrow_purpose(user_id), password)?;
        self.put_escrow(user_id, &sealed, captured).await
    }

    /// Make `sealed` (sealed with [`escrow_purpose`]) the user's escrow (replacing any).
    pub(crate) async fn put_escrow(
        &self,
        user_id: &str,
        sealed: &str,
        captured: Timestamp,
    ) -> Result<()> {
        let doc = Document {
            kind: ESCROW_KIND.into(),
            id: user_id.to_owned(),
            priority: 0,
            body: json!({
                "sealed": sealed,
                "capturedAt": captured,
                "storedAt": now(),
                "expiresAt": captured.plus_days(self.inner.settings.escrow_days),
            }),
            version: 0,
            updated: captured,
        };
        self.store().put_document(&doc, None, &[]).await?;
        Ok(())
    }

    /// The user's escrowed password and when it was captured; `None` when there is none (or it
    /// expired, and is deleted now).
    pub(crate) async fn escrowed_password(
        &self,
        user_id: &str,
        now: Timestamp,
    ) -> Result<Option<(SecretString, Timestamp)>> {
        let Some(doc) = self.store().get_document(ESCROW_KIND, user_id).await? else {
            return Ok(None);
        };
        let expired = doc
            .body
            .get("expiresAt")
            .and_then(Value::as_str)
            .and_then(Timestamp::parse)
            .is_none_or(|t| t <= now);
        if expired {
            self.forget_escrow(user_id).await;
            return Ok(None);
        }
        let sealed = doc
            .body
            .get("sealed")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let captured = doc
            .body
            .get("capturedAt")
            .and_then(Value::as_str)
            .and_then(Timestamp::parse)
            .unwrap_or(doc.updated);
        let password = self
            .inner
            .keys
            .key()?
            .open(&escrow_purpose(user_id), sealed)?;
        Ok(Some((password, captured)))
    }

    /// Drop the escrow once no job (queued, running or failed into an open task) needs it —
    /// unless it was stored after `since` (the finishing job's claim): a password set while
    /// the job ran was not pushed by it, and its own push may not be queued yet.
    pub(crate) async fn forget_escrow_if_unneeded(&self, user_id: &str, since: Timestamp) {
        let unneeded = async {
            if self.store().count_jobs_for_user(user_id).await? > 0 {
                return Ok::<_, StoreError>(());
            }
            let Some(doc) = self.store().get_document(ESCROW_KIND, user_id).await? else {
                return Ok(());
            };
            let stored = doc
                .body
                .get("storedAt")
                .and_then(Value::as_str)
                .and_then(Timestamp::parse)
                .unwrap_or(doc.updated);
            if stored < since {
                self.store()
                    .delete_document_version(ESCROW_KIND, user_id, doc.version)
                    .await?;
            }
            Ok(())
        };
        if let Err(e) = unneeded.await {
            tracing::warn!(error = %e, "could not check whether an escrowed password is still needed");
        }
    }

    pub(crate) async fn forget_escrow(&self, user_id: &str) {
        match self
            .store()
            .delete_document(ESCROW_KIND, user_id, &[])
            .await
        {
            Ok(()) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, "could not delete an escrowed password"),
        }
    }
}

pub(crate) fn escrow_purpose(user_id: &str) -> String {
    format!("escrow:{user_id}")
}
