//! Throughput of the mapping engine on one thread: a typical 15-mapping user document (SCIM-like
//! target) applied to N generated Roster user documents, against a plain serde_json round trip
//! (serialize + parse) of the same documents.
//!
//! `cargo run --release -p roster-transform --example bench -- [N]` (default 1,000,000), or
//! `scripts/bench-transform.sh [N]`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roster_transform::{Entity, Scope, Transformation};
use serde_json::{json, Value};

const FIRST: &[&str] = &[
    "John", "Mary", "Ahmed", "Li", "Olga", "Pedro", "Aiko", "Sven",
];
const LAST: &[&str] = &[
    "Doe", "Smith", "Khan", "Wang", "Ivanova", "Garcia", "Sato", "Berg",
];
const STATUS: &[&str] = &[
    "ACTIVE",
    "ACTIVE",
    "ACTIVE",
    "SUSPENDED",
    "STAGED",
    "DEPROVISIONED",
];
const LOCALES: &[&str] = &["en_US", "de_DE", "fr_FR", "ja_JP", "pt_BR"];
const ZONES: &[&str] = &["America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo", "UTC"];
const DEPTS: &[&str] = &["Sales", "Engineering", "Finance", "Support"];

fn pick<'a>(rng: &mut StdRng, xs: &[&'a str]) -> &'a str {
    xs[rng.gen_range(0..xs.len())]
}

fn user(i: u64, rng: &mut StdRng) -> Value {
    let first = pick(rng, FIRST);
    let last = pick(rng, LAST);
    let groups: Vec<String> = (0..rng.gen_range(1..4))
        .map(|g| format!("00g{:06}", (i + g * 7919) % 5000))
        .collect();
    json!({
        "id": format!("00u{i:017}"),
        "status": pick(rng, STATUS),
        "created": "2026-11-22T22:37:46.123Z",
        "profile": {
            "login": format!("{first}.{last}{i}@Example.com"),
            "firstName": first,
            "lastName": last,
            "email": format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase()),
            "locale": pick(rng, LOCALES),
            "timezone": pick(rng, ZONES),
            "employeeNumber": i,
            "department": pick(rng, DEPTS),
            "title": "Senior   Account  Manager",
            "mobilePhone": null
        },
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "groups": groups
    })
}

fn document() -> Value {
    json!({"user": {"mappings": [
        {"sourcePath": "$.id", "targetPath": "$.externalId"},
        {"sourcePath": "$.profile.login", "targetPath": "$.userName",
         "functions": [{"type": "toLowerCaseString"}]},
        {"sourcePath": "$.profile.firstName", "targetPath": "$.name.givenName"},
        {"sourcePath": "$.profile.lastName", "targetPath": "$.name.familyName"},
        {"sourcePath": "$.profile.email", "targetPath": "$.emails[0].value"},
        {"constant": true, "targetPath": "$.emails[0].primary"},
        {"type": "valueMapping", "sourcePaths": ["$.status"], "targetPath": "$.active",
         "defaultValue": false, "valueMappings": [{"key": ["ACTIVE"], "mappedValue": true}]},
        {"sourcePath": "$.profile.locale", "targetPath": "$.locale", "optional": true,
         "functions": [{"type": "convertLocaleCode", "outputFormat": "bcp47"}]},
        {"sourcePath": "$.profile.timezone", "targetPath": "$.timezone", "optional": true,
         "functions": [{"type": "convertTimezoneCode", "outputFormat": "sap"}]},
        {"sourcePath": "$.profile.firstName", "targetPath": "$.displayName",
         "functions": [{"type": "concatString", "suffix": " (Roster)"}]},
        {"sourcePath": "$.profile.employeeNumber", "optional": true,
         "targetPath": "$['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].employeeNumber",
         "functions": [{"type": "toString"}]},
        {"sourcePath": "$.profile.department", "optional": true, "condition": "$.status == 'ACTIVE'",
         "targetPath": "$['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].department"},
        {"constant": ["urn:ietf:params:scim:schemas:core:2.0:User",
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
         "targetPath": "$.schemas"},
        {"sourcePath": "$.groups[*]", "targetPath": "$.groups[?(@.value)]", "optional": true,
         "preserveArrayWithSingleElement": true},
        {"sourcePath": "$.profile.title", "targetPath": "$.title", "optional": true,
         "functions": [{"type": "replaceAllString", "regex": "\\s+", "replacement": " "}]}
    ]}})
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = match std::env::args().nth(1) {
        Some(a) => a.parse()?,
        None => 1_000_000,
    };
    let t = Transformation::parse(&document()).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        lines.join("\n")
    })?;
    let mut gen = StdRng::seed_from_u64(42);
    let mut rng = StdRng::seed_from_u64(7);
    let batch = 10_000u64;
    let (mut round_trip, mut mapping) = (Duration::ZERO, Duration::ZERO);
    let (mut bytes, mut errors) = (0usize, 0usize);
    let mut i = 0u64;
    let mut sample = Value::Null;
    while i < n {
        let docs: Vec<Value> = (i..(i + batch).min(n)).map(|k| user(k, &mut gen)).collect();

        let start = Instant::now();
        for d in &docs {
            let text = serde_json::to_string(d)?;
            bytes += text.len();
            let back: Value = serde_json::from_str(&text)?;
            black_box(back);
        }
        round_trip += start.elapsed();

        let start = Instant::now();
        for d in &docs {
            match t.apply(Entity::User, Scope::Create, d, &mut rng) {
                Ok(v) => {
                    if sample.is_null() {
                        sample = v.clone();
                    }
                    black_box(v);
                }
                Err(_) => errors += 1,
            }
        }
        mapping += start.elapsed();
        i += docs.len() as u64;
    }
    let per_s = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "documents: {n} ({} bytes of JSON on average), 15 mappings, one thread",
        bytes / n.max(1) as usize
    );
    println!("sample output: {sample}");
    println!(
        "serde_json round trip (serialize + parse): {:.2} s, {:.0} documents/s, {:.2} µs/document",
        round_trip.as_secs_f64(),
        per_s(round_trip),
        round_trip.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "transformation apply:                      {:.2} s, {:.0} documents/s, {:.2} µs/document ({errors} apply errors)",
        mapping.as_secs_f64(),
        per_s(mapping),
        mapping.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "apply / round trip: {:.2}x",
        mapping.as_secs_f64() / round_trip.as_secs_f64()
    );
    Ok(())
}
