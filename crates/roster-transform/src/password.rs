//! `randomPassword`: passwords drawn from four character groups with per-group minimums, and
//! the check of a target's character policy ("min/max length, at least N of the 4 groups"),
//! so a document can be shown to produce passwords the target accepts.

use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
/// IPS's default special symbols.
pub const DEFAULT_SPECIAL_SYMBOLS: &str = "~!@#$%^&*()_+";

/// The arguments of `randomPassword`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordSpec {
    pub length: usize,
    pub min_lowercase: usize,
    pub min_uppercase: usize,
    pub min_digits: usize,
    pub min_special: usize,
    pub special_symbols: Vec<char>,
}

impl PasswordSpec {
    /// Every problem with these arguments (the minimums exceed the length, ...).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.length == 0 || self.length > 4096 {
            out.push("passwordLength must be between 1 and 4096".to_string());
        }
        let sum = self.min_lowercase + self.min_uppercase + self.min_digits + self.min_special;
        if sum > self.length {
            out.push(format!(
                "the minimums add up to {sum}, more than passwordLength {}",
                self.length
            ));
        }
        if self.special_symbols.is_empty() && self.min_special > 0 {
            out.push("specialSymbols is empty but minimumNumberOfSpecialSymbols is not 0".into());
        }
        out
    }

    /// A random password: the minimum of each group, the rest from the groups whose minimum
    /// is above 0 (from all four when every minimum is 0), shuffled.
    pub fn generate(&self, rng: &mut dyn RngCore) -> String {
        let lower: Vec<char> = LOWER.chars().collect();
        let upper: Vec<char> = UPPER.chars().collect();
        let digits: Vec<char> = DIGITS.chars().collect();
        let groups: [(&[char], usize); 4] = [
            (&lower, self.min_lowercase),
            (&upper, self.min_uppercase),
            (&digits, self.min_digits),
            (&self.special_symbols, self.min_special),
        ];
        let mut out: Vec<char> = Vec::with_capacity(self.length);
        for (set, min) in groups {
            for _ in 0..min {
                if let Some(c) = set.choose(rng) {
                    out.push(*c);
                }
            }
        }
        let mut pool: Vec<char> = groups
            .iter()
            .filter(|(_, min)| *min > 0)
            .flat_map(|(set, _)| set.iter().copied())
            .collect();
        if pool.is_empty() {
            pool = groups
                .iter()
                .flat_map(|(set, _)| set.iter().copied())
                .collect();
        }
        while out.len() < self.length && !pool.is_empty() {
            let i = rng.gen_range(0..pool.len());
            if let Some(c) = pool.get(i) {
                out.push(*c);
            }
        }
        out.shuffle(rng);
        out.into_iter().collect()
    }
}

/// A target's character policy, e.g. Identity Authentication's: 8 to 255 characters from at
/// least 3 of the 4 groups (lower case, upper case, digits, others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharacterPolicy {
    pub min_length: usize,
    pub max_length: usize,
    pub min_groups: usize,
}

impl CharacterPolicy {
    /// Every requirement `password` fails, in words; empty when it passes.
    pub fn check(&self, password: &str) -> Vec<String> {
        let mut out = Vec::new();
        let len = password.chars().count();
        if len < self.min_length {
            out.push(format!("shorter than {} characters", self.min_length));
        }
        if len > self.max_length {
            out.push(format!("longer than {} characters", self.max_length));
        }
        let groups = [
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if groups < self.min_groups {
            out.push(format!(
                "characters from {groups} of the 4 groups, fewer than {}",
                self.min_groups
            ));
        }
        out
    }
}
