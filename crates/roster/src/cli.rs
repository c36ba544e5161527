//! Command-line flags. The names and environment variables of `serve` are fixed by PRODUCT.md.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "roster",
    version,
    about = "Identity lifecycle and provisioning engine"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the Management API, SCIM and health endpoints.
    Serve(ServeArgs),
    /// Manage API tokens directly in the database (works while the server runs).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Benchmarks that print their figures.
    #[command(subcommand)]
    Bench(crate::bench::BenchCommand),
    /// Administrators of the console (`admin create --login LOGIN`).
    Admin {
        #[command(subcommand)]
        command: crate::admin_cli::AdminCommand,
    },
    /// Start an import on a running server (`--app ID [--file users.csv] [--wait]`), or show
    /// one (`import status JOB`).
    Import(crate::import_cli::ImportArgs),
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token and print it once.
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        name: String,
        /// SUPER_ADMIN or READ_ONLY_ADMIN.
        #[arg(long, default_value = "SUPER_ADMIN")]
        role: String,
    },
}

/// Where the directory lives.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// Directory holding the embedded SQLite database.
    #[arg(long, env = "ROSTER_DATA_DIR", default_value = "./roster-data")]
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://...`; overrides --data-dir.
    #[arg(long, env = "ROSTER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ROSTER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Base URL used in Link headers and _links (default http://LISTEN).
    #[arg(long, env = "ROSTER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Requests per API token per minute on /api/v1 (default 6000).
    #[arg(long, env = "ROSTER_RATE_LIMIT_PER_MINUTE")]
    pub rate_limit_per_minute: Option<u32>,
    /// SMTP server for mail: smtp://[user:password@]host[:port] (STARTTLS when offered;
    /// ?tls=required to insist, ?tls=none for a local relay) or smtps://host[:465].
    #[arg(long, env = "ROSTER_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// SMTP user, instead of the one in the URL.
    #[arg(long, env = "ROSTER_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP password, instead of the one in the URL (prefer the environment variable).
    #[arg(long, env = "ROSTER_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// Sender of mail: `Name <address>` or an address.
    #[arg(long, env = "ROSTER_EMAIL_FROM")]
    pub email_from: Option<String>,
    /// The organisation's name in mail (`${org.name}`).
    #[arg(long, env = "ROSTER_ORG_NAME", default_value = "Roster")]
    pub org_name: String,
}

/// By hand, so the SMTP URL and password (which may carry a secret) never print.
impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "<hidden>");
        f.debug_struct("ServeArgs")
            .field("listen", &self.listen)
            .field("db", &self.db)
            .field("public_url", &self.public_url)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("smtp_url", &hidden(&self.smtp_url))
            .field("smtp_username", &self.smtp_username)
            .field("smtp_password", &hidden(&self.smtp_password))
            .field("email_from", &self.email_from)
            .field("org_name", &self.org_name)
            .finish()
    }
}
