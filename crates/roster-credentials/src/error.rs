//! [`CredentialError`]: why a password could not be hashed or verified, or why an imported hash
//! was refused. No variant ever carries a password, a hash value or a salt.

/// The most characters of a caller-supplied algorithm name an error repeats.
const MAX_ECHO_CHARS: usize = 40;

/// Why hashing, verification or a hash import failed.
///
/// Messages are lowercase without a trailing period, name the offending field of Okta's
/// `credentials.password.hash` object where there is one ([`CredentialError::field`]), and never
/// contain a secret. [`CredentialError::code`] is stable for API clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// `algorithm` is not one Okta's import accepts.
    #[error("unknown hash algorithm {algorithm:?}: use one of BCRYPT, SHA-512, SHA-256, SHA-1, MD5, PBKDF2")]
    UnknownAlgorithm { algorithm: String },
    /// A field the algorithm needs is missing or empty.
    #[error("{field} is required for {algorithm}")]
    MissingField {
        field: &'static str,
        algorithm: &'static str,
    },
    /// A field that must be base64 (`value`, `salt`) does not decode.
    #[error("{field} is not valid {encoding}")]
    InvalidEncoding {
        field: &'static str,
        encoding: &'static str,
    },
    /// A field has a value the algorithm cannot use; `problem` says which values it can.
    #[error("{field} {problem}")]
    InvalidField {
        field: &'static str,
        problem: String,
    },
    /// A stored password hash is neither an Argon2 PHC string nor one Roster wrote on import.
    #[error("the stored password hash is not in a format roster recognises")]
    UnrecognizedHash,
    /// A stored password hash has a recognised prefix but broken contents.
    #[error("the stored password hash is malformed: {reason}")]
    MalformedHash { reason: &'static str },
    /// Argon2 itself failed (for instance it could not allocate its memory).
    #[error("password hashing failed: {reason}")]
    Hashing { reason: String },
}

impl CredentialError {
    pub(crate) fn unknown_algorithm(algorithm: &str) -> Self {
        let mut shown: String = algorithm.chars().take(MAX_ECHO_CHARS).collect();
        if algorithm.chars().count() > MAX_ECHO_CHARS {
            shown.push_str("...");
        }
        CredentialError::UnknownAlgorithm { algorithm: shown }
    }

    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        CredentialError::InvalidField {
            field,
            problem: problem.into(),
        }
    }

    /// A stable, machine-readable code: `unknownAlgorithm`, `missingField`, `invalidEncoding`,
    /// `invalidField`, `unrecognizedHash`, `malformedHash` or `hashingFailed`.
    pub fn code(&self) -> &'static str {
        match self {
            CredentialError::UnknownAlgorithm { .. } => "unknownAlgorithm",
            CredentialError::MissingField { .. } => "missingField",
            CredentialError::InvalidEncoding { .. } => "invalidEncoding",
            CredentialError::InvalidField { .. } => "invalidField",
            CredentialError::UnrecognizedHash => "unrecognizedHash",
            CredentialError::MalformedHash { .. } => "malformedHash",
            CredentialError::Hashing { .. } => "hashingFailed",
        }
    }

    /// The field of Okta's `credentials.password.hash` object the error is about (`algorithm`,
    /// `value`, `salt`, `saltOrder`, `workFactor`, `iterationCount`, `digestAlgorithm`,
    /// `keySize`), if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CredentialError::UnknownAlgorithm { .. } => Some("algorithm"),
            CredentialError::MissingField { field, .. }
            | CredentialError::InvalidEncoding { field, .. }
            | CredentialError::InvalidField { field, .. } => Some(field),
            CredentialError::UnrecognizedHash
            | CredentialError::MalformedHash { .. }
            | CredentialError::Hashing { .. } => None,
        }
    }

    /// Whether the error is about the caller's input (an import to fix) rather than stored data
    /// or the machine.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            CredentialError::UnknownAlgorithm { .. }
                | CredentialError::MissingField { .. }
                | CredentialError::InvalidEncoding { .. }
                | CredentialError::InvalidField { .. }
        )
    }

    /// What to do about it, in one sentence for an API error's `remediation`.
    pub fn remediation(&self) -> &'static str {
        match self {
            CredentialError::UnknownAlgorithm { .. } => {
                "set credentials.password.hash.algorithm to BCRYPT, SHA-512, SHA-256, SHA-1, MD5 or PBKDF2, \
                 or import the user without a password and have them set one"
            }
            CredentialError::MissingField { .. } => {
                "add the field to credentials.password.hash; BCRYPT needs salt and workFactor, salted SHA and MD5 \
                 hashes need saltOrder, PBKDF2 needs salt, iterationCount, keySize and digestAlgorithm"
            }
            CredentialError::InvalidEncoding { .. } => {
                "send value and salt base64-encoded (for BCRYPT: the 22-character salt and the 31-character \
                 hash exactly as they appear in the $2a$/$2b$ string)"
            }
            CredentialError::InvalidField { .. } => "correct the field as the message says and send the request again",
            CredentialError::UnrecognizedHash | CredentialError::MalformedHash { .. } => {
                "reset the user's password; the stored hash cannot be used to sign in"
            }
            CredentialError::Hashing { .. } => "retry; if it persists, check the server's free memory",
        }
    }
}
