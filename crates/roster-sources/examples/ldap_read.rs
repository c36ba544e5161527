//! Read benchmark: load N users (default 100,000) into a private slapd with `slapadd`, then read
//! them all with `LdapSource`'s paged search (500 a page) as the service account, and print
//! users/s.
//!
//! ```text
//! cargo run --release -p roster-sources --example ldap_read -- 100000
//! ```
//!
//! Needs Debian's `slapd` and `ldap-utils` (`scripts/test-tools.sh`).

#[path = "../tests/support/slapd.rs"]
mod slapd;

use std::time::Instant;

use roster_sources::{LdapSettings, LdapSource, ReadMode, Source};
use secrecy::SecretString;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    if !slapd::available() {
        eprintln!("slapd/ldap-utils are not installed; run scripts/test-tools.sh");
        return Ok(());
    }

    let started = Instant::now();
    let ldif = tempfile::NamedTempFile::new()?;
    std::fs::write(ldif.path(), slapd::people_ldif(n))?;
    let server = slapd::Slapd::start(slapd::SlapdOptions {
        tls: false,
        initial_ldif: Some(ldif.path().to_path_buf()),
        ad_schema: false,
    });
    println!(
        "loaded {n} users with slapadd and started slapd in {:.2}s",
        started.elapsed().as_secs_f64()
    );

    let mut settings = LdapSettings::new(&server.url, slapd::PEOPLE_DN, slapd::GROUPS_DN);
    settings.bind_dn = slapd::READER_DN.to_string();
    settings.bind_password = Some(SecretString::from(slapd::READER_PASSWORD));
    let source = LdapSource::new(settings)?;

    for round in 1..=2 {
        let started = Instant::now();
        let mut users = 0usize;
        let mut warnings = 0usize;
        source
            .for_each_user(&ReadMode::Full, |r| match r {
                Ok(_) => users += 1,
                Err(_) => warnings += 1,
            })
            .await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "streamed read {round}: {users} users, {warnings} warnings in {secs:.2}s = {:.0} users/s",
            users as f64 / secs
        );
    }

    let started = Instant::now();
    let read = source.read_users(&ReadMode::Full).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "collected read: {} users in {secs:.2}s = {:.0} users/s",
        read.items.len(),
        read.items.len() as f64 / secs
    );
    Ok(())
}
