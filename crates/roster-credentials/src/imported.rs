//! Password hashes imported from another system, in the shape of Okta's
//! `credentials.password.hash` object, and their stored form (`$roster-import$...`).
//!
//! Okta's semantics, which Roster follows:
//! - `BCRYPT`: `salt` is the 22-character radix-64 bcrypt salt and `value` the 31-character
//!   radix-64 hash, exactly as they appear after `$2a$10$` in a bcrypt string; `workFactor` is
//!   the cost.
//! - `SHA-512`, `SHA-256`, `SHA-1`, `MD5`: `value` is the base64 of the digest of the password
//!   (UTF-8) with the salt bytes (base64 in `salt`) before it (`saltOrder: PREFIX`) or after it
//!   (`POSTFIX`); unsalted digests have no `salt`.
//! - `PBKDF2`: `value` is the base64 of the derived key of `keySize` bytes, computed with
//!   `digestAlgorithm` (`SHA256_HMAC` or `SHA512_HMAC`), `iterationCount` (at least 4096) and the
//!   base64 `salt`.
//!
//! [`ImportedHash::encode`] turns a valid import into the string Roster stores as the user's
//! password hash, which [`crate::verify_password`] understands:
//!
//! ```text
//! $roster-import$bcrypt$cost=10$<22-char salt>$<31-char hash>
//! $roster-import$sha-256$order=postfix$<base64 salt>$<base64 digest>
//! $roster-import$md5$order=none$$<base64 digest>
//! $roster-import$pbkdf2$digest=sha512,i=4096$<base64 salt>$<base64 key>
//! ```

use std::fmt;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::error::CredentialError;
use crate::md5;

/// The prefix of every stored imported hash.
pub const IMPORT_PREFIX: &str = "$roster-import$";

/// The bcrypt costs an import may have (bcrypt's minimum, Okta's maximum).
pub const BCRYPT_WORK_FACTORS: std::ops::RangeInclusive<i64> = 4..=20;

/// The PBKDF2 iteration counts an import may have: Okta's minimum, and a ceiling that keeps one
/// sign-in under a few seconds.
pub const PBKDF2_ITERATIONS: std::ops::RangeInclusive<i64> = 4096..=10_000_000;

/// The PBKDF2 derived-key sizes (bytes) an import may have.
pub const PBKDF2_KEY_SIZES: std::ops::RangeInclusive<i64> = 16..=128;

const BCRYPT_SALT_CHARS: usize = 22;
const BCRYPT_HASH_CHARS: usize = 31;

/// Standard base64, with or without `=` padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The algorithms of Okta's hashed-password import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    Bcrypt,
    Sha512,
    Sha256,
    Sha1,
    Md5,
    Pbkdf2,
}

impl HashAlgorithm {
    pub const ALL: [HashAlgorithm; 6] = [
        HashAlgorithm::Bcrypt,
        HashAlgorithm::Sha512,
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha1,
        HashAlgorithm::Md5,
        HashAlgorithm::Pbkdf2,
    ];

    /// The name in Okta's API: `BCRYPT`, `SHA-512`, `SHA-256`, `SHA-1`, `MD5`, `PBKDF2`.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Bcrypt => "BCRYPT",
            HashAlgorithm::Sha512 => "SHA-512",
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Pbkdf2 => "PBKDF2",
        }
    }

    /// Parses Okta's name, ignoring case.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The tag in the stored form.
    fn tag(self) -> &'static str {
        match self {
            HashAlgorithm::Bcrypt => "bcrypt",
            HashAlgorithm::Sha512 => "sha-512",
            HashAlgorithm::Sha256 => "sha-256",
            HashAlgorithm::Sha1 => "sha-1",
            HashAlgorithm::Md5 => "md5",
            HashAlgorithm::Pbkdf2 => "pbkdf2",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.tag() == tag)
    }

    /// The digest length in bytes, for the plain digest algorithms.
    fn digest_len(self) -> Option<usize> {
        match self {
            HashAlgorithm::Sha512 => Some(64),
            HashAlgorithm::Sha256 => Some(32),
            HashAlgorithm::Sha1 => Some(20),
            HashAlgorithm::Md5 => Some(16),
            HashAlgorithm::Bcrypt | HashAlgorithm::Pbkdf2 => None,
        }
    }
}

/// Where the salt goes, relative to the password (`saltOrder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SaltOrder {
    /// salt + password
    Prefix,
    /// password + salt
    Postfix,
}

impl SaltOrder {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PREFIX" => Some(SaltOrder::Prefix),
            "POSTFIX" => Some(SaltOrder::Postfix),
            _ => None,
        }
    }
}

/// PBKDF2's pseudo-random function (`digestAlgorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Sha256Hmac,
    Sha512Hmac,
}

impl DigestAlgorithm {
    /// `SHA256_HMAC` or `SHA512_HMAC`, ignoring case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "SHA256_HMAC" => Some(DigestAlgorithm::Sha256Hmac),
            "SHA512_HMAC" => Some(DigestAlgorithm::Sha512Hmac),
            _ => None,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256Hmac => "sha256",
            DigestAlgorithm::Sha512Hmac => "sha512",
        }
    }
}

/// Okta's `credentials.password.hash` object, as a client sends it.
///
/// Fields are kept loosely typed (strings and signed numbers) so that [`ImportedHash::validate`]
/// can name the field and say what is wrong, instead of a generic JSON error. `Debug` never shows
/// `value` or `salt`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedHash {
    #[serde(default)]
    pub algorithm: String,
    #[serde(default)]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt_order: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_factor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_algorithm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_size: Option<i64>,
}

impl fmt::Debug for ImportedHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedHash")
            .field("algorithm", &self.algorithm)
            .field("value", &"[redacted]")
            .field("salt", &self.salt.as_ref().map(|_| "[redacted]"))
            .field("salt_order", &self.salt_order)
            .field("work_factor", &self.work_factor)
            .field("iteration_count", &self.iteration_count)
            .field("digest_algorithm", &self.digest_algorithm)
            .field("key_size", &self.key_size)
            .finish()
    }
}

impl ImportedHash {
    /// The parsed `algorithm`, if it is one Okta's import accepts.
    pub fn algorithm(&self) -> Option<HashAlgorithm> {
        HashAlgorithm::parse(&self.algorithm)
    }

    /// Checks the import and returns every problem found, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<CredentialError>> {
        self.parse().map(|_| ())
    }

    /// The string to store as the user's password hash. Fails with the first problem
    /// [`ImportedHash::validate`] would report.
    pub fn encode(&self) -> Result<String, CredentialError> {
        match self.parse() {
            Ok(legacy) => Ok(legacy.encode()),
            Err(problems) => {
                Err(problems
                    .into_iter()
                    .next()
                    .unwrap_or(CredentialError::MalformedHash {
                        reason: "the import was refused",
                    }))
            }
        }
    }

    fn parse(&self) -> Result<Legacy, Vec<CredentialError>> {
        if self.algorithm.trim().is_empty() {
            return Err(vec![CredentialError::MissingField {
                field: "algorithm",
                algorithm: "a hashed password",
            }]);
        }
        let Some(algorithm) = self.algorithm() else {
            return Err(vec![CredentialError::unknown_algorithm(&self.algorithm)]);
        };
        let mut problems = Vec::new();
        let legacy = match algorithm {
            HashAlgorithm::Bcrypt => self.parse_bcrypt(&mut problems),
            HashAlgorithm::Pbkdf2 => self.parse_pbkdf2(&mut problems),
            HashAlgorithm::Sha512
            | HashAlgorithm::Sha256
            | HashAlgorithm::Sha1
            | HashAlgorithm::Md5 => self.parse_digest(algorithm, &mut problems),
        };
        match legacy {
            Some(legacy) if problems.is_empty() => Ok(legacy),
            _ => Err(problems),
        }
    }

    fn parse_bcrypt(&self, problems: &mut Vec<CredentialError>) -> Option<Legacy> {
        const ALG: &str = "BCRYPT";
        let cost = match self.work_factor {
            None => {
                problems.push(CredentialError::MissingField {
                    field: "workFactor",
                    algorithm: ALG,
                });
                None
            }
            Some(w) if !BCRYPT_WORK_FACTORS.contains(&w) => {
                problems.push(CredentialError::invalid(
                    "workFactor",
                    format!(
                        "must be between {} and {} (the bcrypt cost), got {w}",
                        BCRYPT_WORK_FACTORS.start(),
                        BCRYPT_WORK_FACTORS.end()
                    ),
                ));
                None
            }
            Some(w) => u32::try_from(w).ok(),
        };
        let salt = match self.salt.as_deref().map(str::trim) {
            None | Some("") => {
                problems.push(CredentialError::MissingField {
                    field: "salt",
                    algorithm: ALG,
                });
                None
            }
            Some(salt) => check_bcrypt_part(
                salt,
                "salt",
                BCRYPT_SALT_CHARS,
                16,
                "the 22-character bcrypt salt",
                problems,
            ),
        };
        let value = self.value.trim();
        let hash = if value.is_empty() {
            problems.push(CredentialError::MissingField {
                field: "value",
                algorithm: ALG,
            });
            None
        } else if value.starts_with('$') {
            problems.push(CredentialError::invalid(
                "value",
                "must be only the 31-character hash that ends a bcrypt string, without the $2a$/$2b$ prefix, the cost \
                 and the salt",
            ));
            None
        } else {
            check_bcrypt_part(
                value,
                "value",
                BCRYPT_HASH_CHARS,
                23,
                "the 31-character bcrypt hash",
                problems,
            )
        };
        Some(Legacy::Bcrypt {
            cost: cost?,
            salt: salt?,
            hash: hash?,
        })
    }

    fn parse_digest(
        &self,
        algorithm: HashAlgorithm,
        problems: &mut Vec<CredentialError>,
    ) -> Option<Legacy> {
        let value = self.parse_value(algorithm, problems);
        if let (Some(value), Some(want)) = (&value, algorithm.digest_len()) {
            if value.len() != want {
                problems.push(CredentialError::invalid(
                    "value",
                    format!(
                        "must decode to the {want}-byte {} digest, got {} bytes",
                        algorithm.as_str(),
                        value.len()
                    ),
                ));
            }
        }
        let salt = match self.salt.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(salt) => decode_base64(salt, "salt", problems).map(Some),
        };
        let order = match (&self.salt, &self.salt_order) {
            (Some(salt), None) if !salt.trim().is_empty() => {
                problems.push(CredentialError::MissingField {
                    field: "saltOrder",
                    algorithm: algorithm.as_str(),
                });
                None
            }
            (Some(salt), Some(order)) if !salt.trim().is_empty() => match SaltOrder::parse(order) {
                Some(order) => Some(Some(order)),
                None => {
                    problems.push(CredentialError::invalid(
                        "saltOrder",
                        "must be PREFIX or POSTFIX",
                    ));
                    None
                }
            },
            // Without a salt, saltOrder means nothing; it is ignored, as Okta does.
            _ => Some(None),
        };
        Some(Legacy::Digest {
            algorithm,
            salt: salt?.unwrap_or_default(),
            order: order?,
            value: value?,
        })
    }

    fn parse_pbkdf2(&self, problems: &mut Vec<CredentialError>) -> Option<Legacy> {
        const ALG: &str = "PBKDF2";
        let value = self.parse_value(HashAlgorithm::Pbkdf2, problems);
        let salt = match self.salt.as_deref().map(str::trim) {
            None | Some("") => {
                problems.push(CredentialError::MissingField {
                    field: "salt",
                    algorithm: ALG,
                });
                None
            }
            Some(salt) => decode_base64(salt, "salt", problems),
        };
        let iterations = match self.iteration_count {
            None => {
                problems.push(CredentialError::MissingField {
                    field: "iterationCount",
                    algorithm: ALG,
                });
                None
            }
            Some(n) if !PBKDF2_ITERATIONS.contains(&n) => {
                problems.push(CredentialError::invalid(
                    "iterationCount",
                    format!(
                        "must be between {} and {}, got {n}",
                        PBKDF2_ITERATIONS.start(),
                        PBKDF2_ITERATIONS.end()
                    ),
                ));
                None
            }
            Some(n) => u32::try_from(n).ok(),
        };
        let digest = match self.digest_algorithm.as_deref() {
            None => {
                problems.push(CredentialError::MissingField {
                    field: "digestAlgorithm",
                    algorithm: ALG,
                });
                None
            }
            Some(d) => {
                let parsed = DigestAlgorithm::parse(d);
                if parsed.is_none() {
                    problems.push(CredentialError::invalid(
                        "digestAlgorithm",
                        "must be SHA256_HMAC or SHA512_HMAC",
                    ));
                }
                parsed
            }
        };
        match self.key_size {
            None => problems.push(CredentialError::MissingField {
                field: "keySize",
                algorithm: ALG,
            }),
            Some(k) if !PBKDF2_KEY_SIZES.contains(&k) => problems.push(CredentialError::invalid(
                "keySize",
                format!(
                    "must be between {} and {} bytes, got {k}",
                    PBKDF2_KEY_SIZES.start(),
                    PBKDF2_KEY_SIZES.end()
                ),
            )),
            Some(k) => {
                if let Some(value) = &value {
                    if i64::try_from(value.len()).ok() != Some(k) {
                        problems.push(CredentialError::invalid(
                            "value",
                            format!("decodes to {} bytes, but keySize is {k}", value.len()),
                        ));
                    }
                }
            }
        }
        Some(Legacy::Pbkdf2 {
            digest: digest?,
            iterations: iterations?,
            salt: salt?,
            value: value?,
        })
    }

    fn parse_value(
        &self,
        algorithm: HashAlgorithm,
        problems: &mut Vec<CredentialError>,
    ) -> Option<Vec<u8>> {
        let value = self.value.trim();
        if value.is_empty() {
            problems.push(CredentialError::MissingField {
                field: "value",
                algorithm: algorithm.as_str(),
            });
            return None;
        }
        decode_base64(value, "value", problems)
    }
}

fn decode_base64(
    text: &str,
    field: &'static str,
    problems: &mut Vec<CredentialError>,
) -> Option<Vec<u8>> {
    match BASE64.decode(text) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            problems.push(CredentialError::InvalidEncoding {
                field,
                encoding: "base64",
            });
            None
        }
    }
}

/// Checks a bcrypt salt or hash part: exact length and bcrypt's radix-64 alphabet.
fn check_bcrypt_part(
    text: &str,
    field: &'static str,
    chars: usize,
    bytes: usize,
    what: &str,
    problems: &mut Vec<CredentialError>,
) -> Option<String> {
    let count = text.chars().count();
    if count != chars {
        problems.push(CredentialError::invalid(
            field,
            format!("must be {what} (radix-64), got {count} characters"),
        ));
        return None;
    }
    match bcrypt::BASE_64.decode(text) {
        Ok(decoded) if decoded.len() == bytes => Some(text.to_string()),
        _ => {
            problems.push(CredentialError::InvalidEncoding {
                field,
                encoding: "bcrypt radix-64",
            });
            None
        }
    }
}

/// A validated legacy hash, as stored after `$roster-import$`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Legacy {
    Bcrypt {
        cost: u32,
        salt: String,
        hash: String,
    },
    Digest {
        algorithm: HashAlgorithm,
        salt: Vec<u8>,
        order: Option<SaltOrder>,
        value: Vec<u8>,
    },
    Pbkdf2 {
        digest: DigestAlgorithm,
        iterations: u32,
        salt: Vec<u8>,
        value: Vec<u8>,
    },
}

impl Legacy {
    fn encode(&self) -> String {
        match self {
            Legacy::Bcrypt { cost, salt, hash } => {
                format!("{IMPORT_PREFIX}bcrypt$cost={cost}${salt}${hash}")
            }
            Legacy::Digest {
                algorithm,
                salt,
                order,
                value,
            } => {
                let order = match order {
                    Some(SaltOrder::Prefix) => "prefix",
                    Some(SaltOrder::Postfix) => "postfix",
                    None => "none",
                };
                format!(
                    "{IMPORT_PREFIX}{}$order={order}${}${}",
                    algorithm.tag(),
                    STANDARD.encode(salt),
                    STANDARD.encode(value)
                )
            }
            Legacy::Pbkdf2 {
                digest,
                iterations,
                salt,
                value,
            } => format!(
                "{IMPORT_PREFIX}pbkdf2$digest={},i={iterations}${}${}",
                digest.tag(),
                STANDARD.encode(salt),
                STANDARD.encode(value)
            ),
        }
    }

    /// Parses a stored `$roster-import$...` string.
    pub(crate) fn decode(encoded: &str) -> Result<Legacy, CredentialError> {
        let malformed = |reason| CredentialError::MalformedHash { reason };
        let rest = encoded
            .strip_prefix(IMPORT_PREFIX)
            .ok_or(CredentialError::UnrecognizedHash)?;
        let fields: Vec<&str> = rest.split('$').collect();
        let &[tag, params, salt, value] = fields.as_slice() else {
            return Err(malformed("an imported hash has four $-separated fields"));
        };
        let algorithm =
            HashAlgorithm::from_tag(tag).ok_or(malformed("unknown imported hash algorithm"))?;
        let param = |name: &str| {
            params.split(',').find_map(|kv| {
                kv.split_once('=')
                    .filter(|(k, _)| *k == name)
                    .map(|(_, v)| v)
            })
        };
        let bytes = |text: &str| {
            STANDARD
                .decode(text)
                .map_err(|_| malformed("an imported salt or value is not base64"))
        };
        match algorithm {
            HashAlgorithm::Bcrypt => {
                let cost = param("cost")
                    .and_then(|c| c.parse::<u32>().ok())
                    .filter(|c| BCRYPT_WORK_FACTORS.contains(&i64::from(*c)))
                    .ok_or(malformed("bcrypt cost missing or out of range"))?;
                if salt.len() != BCRYPT_SALT_CHARS || value.len() != BCRYPT_HASH_CHARS {
                    return Err(malformed("bcrypt salt or hash has the wrong length"));
                }
                Ok(Legacy::Bcrypt {
                    cost,
                    salt: salt.to_string(),
                    hash: value.to_string(),
                })
            }
            HashAlgorithm::Pbkdf2 => {
                let digest = match param("digest") {
                    Some("sha256") => DigestAlgorithm::Sha256Hmac,
                    Some("sha512") => DigestAlgorithm::Sha512Hmac,
                    _ => return Err(malformed("pbkdf2 digest missing or unknown")),
                };
                let iterations = param("i")
                    .and_then(|i| i.parse::<u32>().ok())
                    .filter(|i| PBKDF2_ITERATIONS.contains(&i64::from(*i)))
                    .ok_or(malformed("pbkdf2 iteration count missing or out of range"))?;
                let value = bytes(value)?;
                if value.is_empty() {
                    return Err(malformed("pbkdf2 key is empty"));
                }
                Ok(Legacy::Pbkdf2 {
                    digest,
                    iterations,
                    salt: bytes(salt)?,
                    value,
                })
            }
            HashAlgorithm::Sha512
            | HashAlgorithm::Sha256
            | HashAlgorithm::Sha1
            | HashAlgorithm::Md5 => {
                let order = match param("order") {
                    Some("prefix") => Some(SaltOrder::Prefix),
                    Some("postfix") => Some(SaltOrder::Postfix),
                    Some("none") => None,
                    _ => return Err(malformed("salt order missing or unknown")),
                };
                let value = bytes(value)?;
                if Some(value.len()) != algorithm.digest_len() {
                    return Err(malformed("digest has the wrong length"));
                }
                Ok(Legacy::Digest {
                    algorithm,
                    salt: bytes(salt)?,
                    order,
                    value,
                })
            }
        }
    }

    /// Whether `password` matches, comparing in constant time.
    pub(crate) fn verify(&self, password: &str) -> Result<bool, CredentialError> {
        match self {
            Legacy::Bcrypt { cost, salt, hash } => {
                let full = format!("$2b${cost:02}${salt}{hash}");
                bcrypt::verify(password.as_bytes(), &full).map_err(|_| {
                    CredentialError::MalformedHash {
                        reason: "the bcrypt hash could not be checked",
                    }
                })
            }
            Legacy::Digest {
                algorithm,
                salt,
                order,
                value,
            } => {
                let computed = salted_digest(*algorithm, password.as_bytes(), salt, *order);
                Ok(computed.ct_eq(value).into())
            }
            Legacy::Pbkdf2 {
                digest,
                iterations,
                salt,
                value,
            } => {
                let mut derived = vec![0u8; value.len()];
                match digest {
                    DigestAlgorithm::Sha256Hmac => pbkdf2::pbkdf2_hmac::<Sha256>(
                        password.as_bytes(),
                        salt,
                        *iterations,
                        &mut derived,
                    ),
                    DigestAlgorithm::Sha512Hmac => pbkdf2::pbkdf2_hmac::<Sha512>(
                        password.as_bytes(),
                        salt,
                        *iterations,
                        &mut derived,
                    ),
                }
                Ok(derived.ct_eq(value).into())
            }
        }
    }
}

fn salted_digest(
    algorithm: HashAlgorithm,
    password: &[u8],
    salt: &[u8],
    order: Option<SaltOrder>,
) -> Vec<u8> {
    let mut input = Vec::with_capacity(password.len() + salt.len());
    match order {
        Some(SaltOrder::Prefix) => {
            input.extend_from_slice(salt);
            input.extend_from_slice(password);
        }
        Some(SaltOrder::Postfix) => {
            input.extend_from_slice(password);
            input.extend_from_slice(salt);
        }
        None => input.extend_from_slice(password),
    }
    let out = match algorithm {
        HashAlgorithm::Sha512 => Sha512::digest(&input).to_vec(),
        HashAlgorithm::Sha256 => Sha256::digest(&input).to_vec(),
        HashAlgorithm::Sha1 => Sha1::digest(&input).to_vec(),
        HashAlgorithm::Md5 => md5::digest(&input).to_vec(),
        // Not digest algorithms; `Legacy::Digest` never holds them.
        HashAlgorithm::Bcrypt | HashAlgorithm::Pbkdf2 => Vec::new(),
    };
    input.fill(0);
    out
}
