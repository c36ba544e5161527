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

#[derive(Args, Debug)]
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
}
