//! How long one Argon2id hash and one verification take on this machine, at Roster's parameters.
//!
//! `cargo run --release -p roster-credentials --example hash_timing`

use std::time::Instant;

use roster_credentials::{
    hash_password, verify_password, ARGON2_M_COST_KIB, ARGON2_P_COST, ARGON2_T_COST,
};

fn main() -> Result<(), roster_credentials::CredentialError> {
    println!("argon2id m={ARGON2_M_COST_KIB} KiB, t={ARGON2_T_COST}, p={ARGON2_P_COST}");
    let mut stored = String::new();
    for round in 1..=5 {
        let started = Instant::now();
        stored = hash_password("Timing-Test-Passw0rd!")?;
        let hashed = started.elapsed();
        let started = Instant::now();
        let verified = verify_password("Timing-Test-Passw0rd!", &stored)?;
        let checked = started.elapsed();
        println!("round {round}: hash {hashed:.1?}, verify {checked:.1?} ({verified:?})");
    }
    let parameters: Vec<&str> = stored.split('$').take(4).collect();
    println!("stored as {}$<salt>$<hash>", parameters.join("$"));
    Ok(())
}
