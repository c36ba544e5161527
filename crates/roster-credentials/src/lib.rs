//! Password hashing for Roster.
//!
//! - New passwords are hashed with **Argon2id** at OWASP's recommended minimum (19 MiB of memory,
//!   2 iterations, 1 lane; see [`ARGON2_M_COST_KIB`]), with a random 16-byte salt from the OS, and
//!   stored as a PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
//! - Hashes imported through Okta's `credentials.password.hash` (BCRYPT, SHA-512, SHA-256, SHA-1,
//!   MD5, PBKDF2) are validated by [`ImportedHash::validate`] and stored by
//!   [`ImportedHash::encode`] as `$roster-import$...`.
//! - [`verify_password`] understands both, compares in constant time, and says when a matching
//!   hash should be replaced by a fresh [`hash_password`] (`needs_upgrade`): any imported or
//!   non-Argon2id hash, and Argon2id with weaker parameters than today's. The caller rehashes
//!   the password it just verified and stores the new hash, so users move to Argon2id on their
//!   next sign-in without noticing.
//!
//! # Blocking
//! The crate is synchronous. Hashing and verifying take tens of milliseconds of CPU and 19 MiB of
//! memory on purpose: async callers must run them off the executor's threads (for example with
//! `tokio::task::spawn_blocking`), and should bound how many run at once.
//!
//! # Secrets
//! Passwords, hash values and salts never appear in a `Debug` or `Display` output or in a
//! [`CredentialError`].
//!
//! # Example
//! ```
//! use roster_credentials::{hash_password, verify_password, ImportedHash, Verified};
//!
//! let stored = hash_password("Correct-Horse-7").unwrap();
//! assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
//! assert_eq!(verify_password("Correct-Horse-7", &stored).unwrap(), Verified::Match { needs_upgrade: false });
//! assert_eq!(verify_password("wrong", &stored).unwrap(), Verified::Mismatch);
//!
//! // A salted SHA-256 hash imported from another system, in Okta's shape.
//! let import: ImportedHash = serde_json::from_str(r#"{
//!     "algorithm": "SHA-256",
//!     "salt": "AQIDBAUGBwgJCgsMDQ4PEA==",
//!     "saltOrder": "POSTFIX",
//!     "value": "SJHUloIaazkuPVz85EQ4mi8n76tM1M0NHrt/KJdm6Oo="
//! }"#).unwrap();
//! let stored = import.encode().unwrap();
//! assert_eq!(verify_password("Corr3ct-Horse!", &stored).unwrap(), Verified::Match { needs_upgrade: true });
//! ```

mod error;
mod imported;
mod md5;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;

pub use error::CredentialError;
pub use imported::{
    DigestAlgorithm, HashAlgorithm, ImportedHash, SaltOrder, BCRYPT_WORK_FACTORS, IMPORT_PREFIX,
    PBKDF2_ITERATIONS, PBKDF2_KEY_SIZES,
};

use imported::Legacy;

/// Argon2id memory cost in KiB (19 MiB): OWASP's Password Storage Cheat Sheet minimum.
pub const ARGON2_M_COST_KIB: u32 = 19_456;
/// Argon2id iterations (OWASP: 2 with 19 MiB).
pub const ARGON2_T_COST: u32 = 2;
/// Argon2id lanes (OWASP: 1).
pub const ARGON2_P_COST: u32 = 1;
/// Argon2id output length in bytes.
pub const ARGON2_OUTPUT_LEN: usize = 32;

/// The outcome of [`verify_password`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The password is right. If `needs_upgrade`, store [`hash_password`] of it in place of the
    /// old hash.
    Match { needs_upgrade: bool },
    /// The password is wrong.
    Mismatch,
}

impl Verified {
    pub fn is_match(self) -> bool {
        matches!(self, Verified::Match { .. })
    }
}

fn argon2id() -> Result<Argon2<'static>, CredentialError> {
    let params = Params::new(
        ARGON2_M_COST_KIB,
        ARGON2_T_COST,
        ARGON2_P_COST,
        Some(ARGON2_OUTPUT_LEN),
    )
    .map_err(|e| CredentialError::Hashing {
        reason: e.to_string(),
    })?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a new password with Argon2id at the current parameters and a random salt, as a PHC
/// string. CPU- and memory-heavy by design: call it off async threads.
pub fn hash_password(password: &str) -> Result<String, CredentialError> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2id()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| CredentialError::Hashing {
            reason: e.to_string(),
        })?;
    Ok(hash.to_string())
}

/// Checks `password` against a stored hash: an Argon2 PHC string, a `$roster-import$` string
/// from [`ImportedHash::encode`], or a plain `$2a$`/`$2b$`/`$2y$` bcrypt string.
///
/// `Err` means the stored hash itself is unusable (never that the password is wrong). CPU-heavy:
/// call it off async threads.
pub fn verify_password(password: &str, encoded: &str) -> Result<Verified, CredentialError> {
    let matched = |ok: bool, needs_upgrade: bool| {
        if ok {
            Verified::Match { needs_upgrade }
        } else {
            Verified::Mismatch
        }
    };
    if encoded.starts_with("$argon2") {
        let hash = PasswordHash::new(encoded).map_err(|_| CredentialError::MalformedHash {
            reason: "not a valid argon2 PHC string",
        })?;
        if hash.salt.is_none() || hash.hash.is_none() {
            return Err(CredentialError::MalformedHash {
                reason: "the argon2 PHC string has no salt or no hash",
            });
        }
        return match Argon2::default().verify_password(password.as_bytes(), &hash) {
            Ok(()) => Ok(Verified::Match {
                needs_upgrade: argon2_needs_upgrade(&hash),
            }),
            Err(argon2::password_hash::Error::Password) => Ok(Verified::Mismatch),
            Err(_) => Err(CredentialError::MalformedHash {
                reason: "the argon2 parameters are invalid",
            }),
        };
    }
    if encoded.starts_with(IMPORT_PREFIX) {
        let legacy = Legacy::decode(encoded)?;
        return legacy.verify(password).map(|ok| matched(ok, true));
    }
    if ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| encoded.starts_with(p))
    {
        return bcrypt::verify(password.as_bytes(), encoded)
            .map(|ok| matched(ok, true))
            .map_err(|_| CredentialError::MalformedHash {
                reason: "not a valid bcrypt string",
            });
    }
    Err(CredentialError::UnrecognizedHash)
}

/// Whether a stored hash should be replaced at the next successful sign-in, without needing the
/// password: everything but Argon2id at (at least) the current parameters. Unrecognised or
/// malformed hashes need upgrading too.
pub fn needs_upgrade(encoded: &str) -> bool {
    match PasswordHash::new(encoded) {
        Ok(hash) if encoded.starts_with("$argon2") => argon2_needs_upgrade(&hash),
        _ => true,
    }
}

fn argon2_needs_upgrade(hash: &PasswordHash<'_>) -> bool {
    if hash.algorithm != argon2::ARGON2ID_IDENT || hash.version != Some(Version::V0x13.into()) {
        return true;
    }
    let output_short = hash.hash.is_none_or(|h| h.len() < ARGON2_OUTPUT_LEN);
    match Params::try_from(hash) {
        Ok(params) => {
            params.m_cost() < ARGON2_M_COST_KIB || params.t_cost() < ARGON2_T_COST || output_short
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests;
