//! `roster bench ...`: benchmarks of the storage layer that print their figures. Performance is
//! measured here, never asserted in timed tests. `scripts/bench-store.sh` runs them all and adds
//! the `sqlite3 .import` comparison.

use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use hdrhistogram::Histogram;
use rand::Rng;
use roster_core::event::Actor;
use roster_core::ids::{make_id, IdKind};
use roster_core::{Credentials, LogEvent, Timestamp, User, UserStatus};
use roster_store::{EventQuery, Order};
use serde_json::{json, Map, Value};

use crate::cli::DbArgs;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Create COUNT users through the store's batched path; prints users/s.
    Users {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        #[arg(long, default_value_t = 2_000)]
        batch: usize,
    },
    /// Look up random users by login (after `bench users`); prints p50 and p99.
    FindLogin {
        #[command(flatten)]
        db: DbArgs,
        /// How many users `bench users` made (logins are user{N}@example.com).
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        #[arg(long, default_value_t = 20_000)]
        lookups: usize,
    },
    /// Time Argon2id password hashing and verification (the bound on authn throughput).
    Hash {
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Append EVENTS System Log events, then time `eventType eq "..."` to the first page of 100.
    LogFilter {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value_t = 10_000_000)]
        events: usize,
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
        /// Skip loading (the events are already there).
        #[arg(long)]
        skip_load: bool,
    },
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Users { db, count, batch } => bench_users(&db, count, batch).await,
        BenchCommand::FindLogin { db, count, lookups } => {
            bench_find_login(&db, count, lookups).await
        }
        BenchCommand::LogFilter {
            db,
            events,
            batch,
            skip_load,
        } => bench_log_filter(&db, events, batch, skip_load).await,
        BenchCommand::Hash { rounds } => bench_hash(rounds),
    }
}

/// The user every benchmark makes as number `i`.
pub fn bench_user(i: usize, now: Timestamp, random: u64) -> User {
    let mut profile = Map::new();
    profile.insert("login".into(), json!(format!("user{i}@example.com")));
    profile.insert("email".into(), json!(format!("user{i}@example.com")));
    profile.insert("firstName".into(), json!(format!("First{i}")));
    profile.insert("lastName".into(), json!(format!("Last{i}")));
    profile.insert("department".into(), json!(format!("dept{}", i % 50)));
    profile.insert("employeeNumber".into(), json!(format!("{i:08}")));
    User::new(
        make_id(IdKind::User, now, random),
        UserStatus::Active,
        profile,
        Credentials::okta(),
        now,
    )
}

fn now() -> Timestamp {
    roster_server::Clock::System.now()
}

async fn bench_users(db: &DbArgs, count: usize, batch: usize) -> anyhow::Result<()> {
    let store = db.open().await?;
    let already = store.count_users().await? as usize;
    let mut rng = rand::thread_rng();
    let started = Instant::now();
    let mut done = 0;
    while done < count {
        let n = batch.min(count - done);
        let t = now();
        let users: Vec<User> = (0..n)
            .map(|k| bench_user(already + done + k, t, rng.gen()))
            .collect();
        store
            .insert_users_batch(&users, &[])
            .await
            .context("inserting a batch")?;
        done += n;
        if done % (batch * 50).max(1) == 0 {
            eprintln!(
                "  {done} users, {:.0} users/s",
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!("bench users: dialect={} count={count} batch={batch} seconds={secs:.2} users_per_second={:.0}", store.dialect(), count as f64 / secs);
    store.close().await;
    Ok(())
}

async fn bench_find_login(db: &DbArgs, count: usize, lookups: usize) -> anyhow::Result<()> {
    let store = db.open().await?;
    let mut hist = Histogram::<u64>::new(3).context("histogram")?;
    let mut rng = rand::thread_rng();
    let mut found = 0usize;
    let started = Instant::now();
    for _ in 0..lookups {
        let i = rng.gen_range(0..count);
        // Mixed case on purpose: login lookups are case-insensitive.
        let login = format!("User{i}@Example.com");
        let t = Instant::now();
        if store.get_user_by_login(&login).await?.is_some() {
            found += 1;
        }
        hist.record(t.elapsed().as_micros() as u64).ok();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "bench find-login: dialect={} users={} lookups={lookups} found={found} p50_us={} p99_us={} max_us={} lookups_per_second={:.0}",
        store.dialect(),
        store.count_users().await?,
        hist.value_at_quantile(0.50),
        hist.value_at_quantile(0.99),
        hist.max(),
        lookups as f64 / secs
    );
    anyhow::ensure!(found == lookups, "only {found} of {lookups} logins were found: run `roster bench users --count {count}` first");
    store.close().await;
    Ok(())
}

/// Event types with a skewed distribution: a few common, many rare, like a real System Log.
fn event_type(i: usize) -> String {
    const COMMON: [&str; 4] = [
        "user.session.start",
        "user.authentication.sso",
        "application.provision.user.push",
        "user.lifecycle.update",
    ];
    if i % 1000 == 7 {
        "app.user_management.update_from_master_failed".into()
    } else if i % 10 == 3 {
        format!("system.rare.type{}", i % 97)
    } else {
        COMMON[i % COMMON.len()].into()
    }
}

async fn bench_log_filter(
    db: &DbArgs,
    events: usize,
    batch: usize,
    skip_load: bool,
) -> anyhow::Result<()> {
    let store = db.open().await?;
    if !skip_load {
        let started = Instant::now();
        let mut done = 0;
        let base = now().as_millis() - events as i64;
        while done < events {
            let n = batch.min(events - done);
            let chunk: Vec<LogEvent> = (done..done + n)
                .map(|i| {
                    let t = Timestamp::from_millis(base + i as i64);
                    LogEvent::new(
                        format!("{:032x}", i as u128),
                        t,
                        &event_type(i),
                        "benchmark event",
                        Actor::system(),
                        "bench",
                    )
                    .with_target(
                        &format!("00u{i:017}"),
                        "User",
                        Some(&format!("user{i}@example.com")),
                        None,
                    )
                    .with_debug(
                        "ErrorCode",
                        Value::String(if i % 1000 == 7 {
                            "notUniqueWithinOrg".into()
                        } else {
                            "none".into()
                        }),
                    )
                })
                .collect();
            store
                .append_events_batch(&chunk)
                .await
                .context("appending events")?;
            done += n;
            if done % (batch * 200).max(1) == 0 {
                eprintln!(
                    "  {done} events, {:.0} events/s",
                    done as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "bench log-load: dialect={} events={events} seconds={secs:.1} events_per_second={:.0}",
            store.dialect(),
            events as f64 / secs
        );
    }
    for (label, et) in [
        (
            "rare (0.1%)",
            "app.user_management.update_from_master_failed",
        ),
        ("common (22%)", "user.session.start"),
    ] {
        let filter = roster_filter::parse(&format!("eventType eq \"{et}\""))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut hist = Histogram::<u64>::new(3).context("histogram")?;
        let mut got = 0;
        for _ in 0..20 {
            let query = EventQuery {
                filter: Some(filter.clone()),
                since: None,
                until: None,
                after: None,
                limit: 100,
                order: Order::Asc,
            };
            let t = Instant::now();
            let page = store.list_events(&query).await?;
            hist.record(t.elapsed().as_micros() as u64).ok();
            got = page.items.len();
        }
        println!(
            "bench log-filter: dialect={} filter=eventType eq \"{et}\" [{label}] first_page={got} p50_ms={:.2} max_ms={:.2}",
            store.dialect(),
            hist.value_at_quantile(0.5) as f64 / 1000.0,
            hist.max() as f64 / 1000.0
        );
    }
    store.close().await;
    Ok(())
}

fn bench_hash(rounds: usize) -> anyhow::Result<()> {
    let mut hash_hist = Histogram::<u64>::new(3).context("histogram")?;
    let mut verify_hist = Histogram::<u64>::new(3).context("histogram")?;
    for i in 0..rounds.max(1) {
        let password = format!("Bench-Password-{i}!");
        let t = Instant::now();
        let hash =
            roster_credentials::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
        hash_hist.record(t.elapsed().as_micros() as u64).ok();
        let t = Instant::now();
        let ok = roster_credentials::verify_password(&password, &hash)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        verify_hist.record(t.elapsed().as_micros() as u64).ok();
        anyhow::ensure!(ok.is_match(), "verification failed");
    }
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let verify_ms = verify_hist.value_at_quantile(0.5) as f64 / 1000.0;
    println!(
        "bench hash: argon2id m=19456 t=2 p=1 hash_p50_ms={:.1} verify_p50_ms={verify_ms:.1} cores={cores} authn_ceiling_per_second={:.0}",
        hash_hist.value_at_quantile(0.5) as f64 / 1000.0,
        cores as f64 * 1000.0 / verify_ms
    );
    Ok(())
}
