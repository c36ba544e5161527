//! `roster admin create --login LOGIN`: the first super administrator of a fresh install, made
//! directly in the database (the server may be running). The password comes from
//! `ROSTER_ADMIN_PASSWORD` or standard input, never from a flag (flags end up in shell history
//! and `ps`). An existing user with that login keeps its profile and gets its password set.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use clap::{Args, Subcommand};
use roster_core::event::Actor;
use roster_core::Role;
use roster_directory::{Ctx, Directory, DirectoryError, NewUser, PasswordInput, SetPasswordMode};
use roster_server::Clock;
use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::cli::DbArgs;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create (or promote) a user as SUPER_ADMIN; the password is read from
    /// ROSTER_ADMIN_PASSWORD or standard input.
    Create(CreateArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The admin's login (an email address).
    #[arg(long)]
    pub login: String,
    #[arg(long, default_value = "Roster")]
    pub first_name: String,
    #[arg(long, default_value = "Administrator")]
    pub last_name: String,
    /// Defaults to the login.
    #[arg(long)]
    pub email: Option<String>,
    /// READ_ONLY_ADMIN makes a read-only administrator instead.
    #[arg(long, default_value = "SUPER_ADMIN")]
    pub role: String,
}

fn read_password() -> anyhow::Result<SecretString> {
    if let Ok(p) = std::env::var("ROSTER_ADMIN_PASSWORD") {
        if !p.is_empty() {
            return Ok(SecretString::from(p));
        }
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "Password for the new administrator (input is shown; prefer ROSTER_ADMIN_PASSWORD): "
        );
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password given: set ROSTER_ADMIN_PASSWORD or pipe it on standard input"
    );
    Ok(SecretString::from(password))
}

fn describe(err: &DirectoryError) -> String {
    format!(
        "{err}\ncause: {}\nwhat to do: {}",
        err.cause(),
        err.remediation()
    )
}

pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::Create(args) = command;
    let role = Role::parse(&args.role).with_context(|| {
        format!(
            "unknown role {:?}: use SUPER_ADMIN or READ_ONLY_ADMIN",
            args.role
        )
    })?;
    let password = read_password()?;
    let store = args.db.open().await?;
    let directory = Directory::new(store.clone());
    let now = Clock::System.now();
    directory
        .ensure_defaults(now)
        .await
        .map_err(|e| anyhow::anyhow!(describe(&e)))?;
    let ctx = Ctx::new(
        Actor {
            id: "roster-cli".into(),
            kind: "SystemPrincipal".into(),
            alternate_id: Some("roster admin create".into()),
            display_name: Some("roster admin create".into()),
        },
        now,
    );
    let user = match directory.get_user(&args.login).await {
        Ok(existing) => directory
            .set_password(&ctx, &existing.id, &password, SetPasswordMode::Admin)
            .await
            .map_err(|e| anyhow::anyhow!(describe(&e)))?,
        Err(DirectoryError::NotFound { .. }) => {
            let mut profile = Map::new();
            profile.insert("login".into(), Value::String(args.login.clone()));
            profile.insert(
                "email".into(),
                Value::String(args.email.clone().unwrap_or_else(|| args.login.clone())),
            );
            profile.insert("firstName".into(), Value::String(args.first_name.clone()));
            profile.insert("lastName".into(), Value::String(args.last_name.clone()));
            let new = NewUser {
                profile,
                password: Some(PasswordInput::Value(password)),
                provider: None,
                activate: true,
                next_login_change_password: false,
                group_ids: Vec::new(),
            };
            directory
                .create_user(&ctx, new)
                .await
                .map_err(|e| anyhow::anyhow!(describe(&e)))?
                .0
        }
        Err(e) => anyhow::bail!(describe(&e)),
    };
    directory
        .grant_role(&ctx, &user.id, role)
        .await
        .map_err(|e| anyhow::anyhow!(describe(&e)))?;
    println!("{}", user.id);
    eprintln!(
        "{} ({}) is {} and holds {}; sign in at /admin/login",
        user.login(),
        user.id,
        user.status.as_str(),
        role.as_str()
    );
    store.close().await;
    Ok(())
}
