//! The master key and sealing of secrets at rest (connection tokens, the password escrow).
//!
//! XChaCha20-Poly1305 with a random 192-bit nonce per seal; the associated data names what the
//! secret is for (`connection:{appId}`, `escrow:{userId}`), so a sealed value copied into another
//! row does not open. The key comes from `ROSTER_MASTER_KEY` (32 bytes, base64 or hex) or from a
//! key file (`master.key`, created with mode 0600 on first start).

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};

use crate::error::ProvisioningError;

/// The name of the key file in the data directory.
pub const KEY_FILE_NAME: &str = "master.key";

const PREFIX: &str = "xc1:";

/// The key that seals secrets at rest. Its `Debug` shows nothing.
#[derive(Clone)]
pub struct MasterKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

/// Where the master key came from (for the start-up log line; never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    ExistingFile(String),
    NewFile(String),
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey {
            cipher: XChaCha20Poly1305::new(&bytes.into()),
        }
    }

    /// The key from `env_value` (the value of `ROSTER_MASTER_KEY`) when given, else from
    /// `dir/master.key`, creating that file with a new random key when missing.
    pub fn load(
        env_value: Option<&str>,
        dir: &Path,
    ) -> Result<(MasterKey, KeySource), ProvisioningError> {
        if let Some(value) = env_value.map(str::trim).filter(|v| !v.is_empty()) {
            return Ok((decode_key(value)?, KeySource::Environment));
        }
        let path = dir.join(KEY_FILE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((
                decode_key(text.trim())?,
                KeySource::ExistingFile(path.display().to_string()),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    ProvisioningError::Crypto(format!(
                        "cannot create {} for the master key: {e}",
                        dir.display()
                    ))
                })?;
                let bytes: [u8; 32] = rand::random();
                write_new_key_file(&path, &STANDARD.encode(bytes))?;
                Ok((
                    MasterKey::from_bytes(bytes),
                    KeySource::NewFile(path.display().to_string()),
                ))
            }
            Err(e) => Err(ProvisioningError::Crypto(format!(
                "cannot read the master key file {}: {e}",
                path.display()
            ))),
        }
    }

    /// Seal `secret` for `purpose`: `xc1:` + base64(nonce || ciphertext).
    pub fn seal(&self, purpose: &str, secret: &SecretString) -> Result<String, ProvisioningError> {
        let nonce_bytes: [u8; 24] = rand::random();
        let nonce = XNonce::from_slice(&nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(
                nonce,
                Payload {
                    msg: secret.expose_secret().as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| ProvisioningError::Crypto("sealing a secret failed".into()))?;
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// Open a value made by [`MasterKey::seal`] for the same `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<SecretString, ProvisioningError> {
        let wrong = || {
            ProvisioningError::Crypto(format!(
                "the stored secret for {purpose} does not open with this master key (was ROSTER_MASTER_KEY or master.key changed?)"
            ))
        };
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .ok_or_else(wrong)?;
        if raw.len() < 24 {
            return Err(wrong());
        }
        let (nonce, ciphertext) = raw.split_at(24);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| wrong())?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| wrong())
    }
}

/// Where the engine gets the master key: fixed (from the environment, or a test's), or from
/// the key file in a directory, read or created the first time a secret is sealed or opened,
/// so a server that never stores a secret writes no key file.
pub struct KeyRing {
    fixed: Option<MasterKey>,
    dir: std::path::PathBuf,
    loaded: std::sync::Mutex<Option<MasterKey>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    pub fn fixed(key: MasterKey) -> Self {
        KeyRing {
            fixed: Some(key),
            dir: std::path::PathBuf::new(),
            loaded: std::sync::Mutex::new(None),
        }
    }

    /// The key from `env_value` (checked now) when given, else from `dir/master.key` later.
    pub fn from_env_or_dir(env_value: Option<&str>, dir: &Path) -> Result<Self, ProvisioningError> {
        let fixed = match env_value.map(str::trim).filter(|v| !v.is_empty()) {
            Some(value) => Some(decode_key(value)?),
            None => None,
        };
        Ok(KeyRing {
            fixed,
            dir: dir.to_path_buf(),
            loaded: std::sync::Mutex::new(None),
        })
    }

    /// Whether the key comes from the environment (or was given) rather than a key file.
    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }

    /// The key, loading or creating the key file on first use.
    pub fn key(&self) -> Result<MasterKey, ProvisioningError> {
        if let Some(k) = &self.fixed {
            return Ok(k.clone());
        }
        let mut slot = self
            .loaded
            .lock()
            .map_err(|_| ProvisioningError::Crypto("the master key lock is poisoned".into()))?;
        if let Some(k) = slot.as_ref() {
            return Ok(k.clone());
        }
        let (key, source) = MasterKey::load(None, &self.dir)?;
        if let KeySource::NewFile(path) = &source {
            tracing::warn!(%path, "created a new master key file: back it up, sealed connection tokens and escrowed passwords need it; servers sharing a database need the same key (set ROSTER_MASTER_KEY)");
        }
        *slot = Some(key.clone());
        Ok(key)
    }
}

fn decode_key(text: &str) -> Result<MasterKey, ProvisioningError> {
    let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()
    } else {
        STANDARD.decode(text).ok()
    };
    let bytes: [u8; 32] = bytes
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            ProvisioningError::Crypto(
                "the master key must be 32 bytes, as base64 or 64 hex digits (make one with `openssl rand -base64 32`)".into(),
            )
        })?;
    Ok(MasterKey::from_bytes(bytes))
}

#[cfg(unix)]
fn write_new_key_file(path: &Path, contents: &str) -> Result<(), ProvisioningError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| ProvisioningError::Crypto(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(contents.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| ProvisioningError::Crypto(format!("cannot write {}: {e}", path.display())))
}

#[cfg(not(unix))]
fn write_new_key_file(path: &Path, contents: &str) -> Result<(), ProvisioningError> {
    std::fs::write(path, contents)
        .map_err(|e| ProvisioningError::Crypto(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_purpose() {
        let key = MasterKey::from_bytes([7; 32]);
        let sealed = key
            .seal("escrow:00u1", &SecretString::from("Hunter2!x"))
            .unwrap();
        assert!(!sealed.contains("Hunter2"));
        assert_eq!(
            key.open("escrow:00u1", &sealed).unwrap().expose_secret(),
            "Hunter2!x"
        );
        assert!(key.open("escrow:00u2", &sealed).is_err());
        assert!(MasterKey::from_bytes([8; 32])
            .open("escrow:00u1", &sealed)
            .is_err());
    }

    #[test]
    fn a_key_file_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (k1, s1) = MasterKey::load(None, dir.path()).unwrap();
        assert!(matches!(s1, KeySource::NewFile(_)));
        let sealed = k1.seal("x", &SecretString::from("s3cret")).unwrap();
        let (k2, s2) = MasterKey::load(None, dir.path()).unwrap();
        assert!(matches!(s2, KeySource::ExistingFile(_)));
        assert_eq!(k2.open("x", &sealed).unwrap().expose_secret(), "s3cret");
        let hex = "00".repeat(32);
        assert!(MasterKey::load(Some(&hex), dir.path()).is_ok());
        assert!(MasterKey::load(Some("short"), dir.path()).is_err());
    }
}
