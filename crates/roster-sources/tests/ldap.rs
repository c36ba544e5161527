#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `LdapSource` against a real OpenLDAP `slapd` (see `support/slapd.rs`).

#[path = "support/slapd.rs"]
mod slapd;

use std::collections::BTreeSet;

use roster_sources::{
    ErrorKind, LdapSettings, LdapSource, ReadMode, Source, SourceGroup, SourceRecord,
};
use secrecy::SecretString;
use slapd::{Slapd, SlapdOptions, GROUPS_DN, PEOPLE_DN, READER_DN, READER_PASSWORD, SUFFIX};

fn settings(url: &str) -> LdapSettings {
    let mut s = LdapSettings::new(url, PEOPLE_DN, GROUPS_DN);
    s.bind_dn = READER_DN.to_string();
    s.bind_password = Some(SecretString::from(READER_PASSWORD));
    s
}

fn source(s: LdapSettings) -> LdapSource {
    LdapSource::new(s).unwrap()
}

fn uid(r: &SourceRecord) -> &str {
    r.attributes["uid"].as_str().unwrap()
}

fn small_directory() -> String {
    let mut ldif = String::new();
    ldif.push_str(&slapd::person_ldif("ann", "Ann", "Archer"));
    ldif.push_str(&slapd::person_ldif("bob", "Bob", "Baker"));
    ldif.push_str(&slapd::person_ldif("cid", "Cid", "Cooper"));
    ldif.push_str(&slapd::group_ldif(
        "engineering",
        "Builds things",
        &["ann", "bob"],
    ));
    ldif.push_str(&slapd::group_ldif("sales", "Sells things", &["cid"]));
    ldif.push_str(&slapd::group_ldif("empty", "Nobody yet", &[]));
    ldif
}

fn start_with(ldif: &str, tls: bool) -> Slapd {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), ldif).unwrap();
    Slapd::start(SlapdOptions {
        tls,
        initial_ldif: Some(file.path().to_path_buf()),
        ad_schema: false,
    })
}

fn by_name(groups: &[SourceGroup], name: &str) -> SourceGroup {
    groups.iter().find(|g| g.name == name).unwrap().clone()
}

#[tokio::test]
async fn full_read_returns_users_and_groups_with_memberships() {
    if !slapd::available_or_skip("full_read_returns_users_and_groups_with_memberships") {
        return;
    }
    let server = start_with(&small_directory(), false);
    let src: Box<dyn Source> = Box::new(source(settings(&server.url)));

    let users = src.read_users(&ReadMode::Full).await.unwrap();
    assert!(users.warnings.is_empty(), "{:?}", users.warnings);
    let mut uids: Vec<&str> = users.items.iter().map(uid).collect();
    uids.sort();
    assert_eq!(uids, ["ann", "bob", "cid"]);
    let ann = users.items.iter().find(|r| uid(r) == "ann").unwrap();
    // entryUUID is the id, requested explicitly (it is operational).
    assert_eq!(ann.external_id.len(), 36, "{}", ann.external_id);
    assert_eq!(ann.attributes["mail"], "ann@example.com");
    assert_eq!(ann.attributes["dn"], format!("uid=ann,{PEOPLE_DN}"));
    assert_eq!(
        ann.attributes["objectClass"],
        serde_json::json!("inetOrgPerson")
    );
    let modified = ann.modified.as_deref().unwrap();
    assert!(
        roster_sources::validate_timestamp(modified).is_ok(),
        "{modified}"
    );
    assert!(!ann.attributes.contains_key("entryUUID"));

    let id_of = |u: &str| {
        users
            .items
            .iter()
            .find(|r| uid(r) == u)
            .unwrap()
            .external_id
            .clone()
    };
    let groups = src.read_groups(&ReadMode::Full).await.unwrap();
    assert_eq!(groups.items.len(), 3);
    let eng = by_name(&groups.items, "engineering");
    assert_eq!(eng.description.as_deref(), Some("Builds things"));
    let members: BTreeSet<String> = eng.member_external_ids.iter().cloned().collect();
    assert_eq!(members, BTreeSet::from([id_of("ann"), id_of("bob")]));
    assert_eq!(
        by_name(&groups.items, "sales").member_external_ids,
        [id_of("cid")]
    );
    assert!(by_name(&groups.items, "empty")
        .member_external_ids
        .is_empty());
    // The placeholder member of the empty group is not a user: reported, not fatal.
    assert_eq!(groups.warnings.len(), 1, "{:?}", groups.warnings);
    assert!(groups.warnings[0]
        .subject
        .as_deref()
        .unwrap()
        .starts_with("cn=empty"));
}

#[tokio::test]
async fn paged_read_returns_more_users_than_the_size_limit() {
    if !slapd::available_or_skip("paged_read_returns_more_users_than_the_size_limit") {
        return;
    }
    let server = start_with(&slapd::people_ldif(2_500), false);
    let src = source(settings(&server.url));

    // Without paging, slapd's default size limit (500) stops the reader's search.
    let mut ldap = src.connect().await.unwrap();
    let err = ldap
        .search(
            PEOPLE_DN,
            ldap3::Scope::Subtree,
            "(objectClass=inetOrgPerson)",
            vec!["uid"],
        )
        .await
        .unwrap()
        .success()
        .unwrap_err();
    assert!(err.to_string().contains("rc=4"), "{err}");

    let users = src.read_users(&ReadMode::Full).await.unwrap();
    assert_eq!(users.items.len(), 2_500);

    // slapd's default also caps paged searches at the hard limit (size.prtotal): an account
    // without the grant gets a configuration error that says how to fix it.
    let mut limited = settings(&server.url);
    limited.bind_dn = slapd::LIMITED_READER_DN.to_string();
    let err = source(limited)
        .read_users(&ReadMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Configuration);
    assert!(err.said.starts_with("sizeLimitExceeded (4)"), "{err}");
    assert!(err.said.contains("size.prtotal=unlimited"), "{err}");
    let ids: BTreeSet<&str> = users.items.iter().map(|r| r.external_id.as_str()).collect();
    assert_eq!(ids.len(), 2_500);
}

#[tokio::test]
async fn incremental_read_returns_only_entries_modified_since() {
    if !slapd::available_or_skip("incremental_read_returns_only_entries_modified_since") {
        return;
    }
    let server = start_with(&small_directory(), false);
    let src = source(settings(&server.url));
    let before = src.read_users(&ReadMode::Full).await.unwrap();
    assert_eq!(before.items.len(), 3);

    // modifyTimestamp has whole seconds: change things in a later second than the load.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    server.modify(&format!(
        "dn: uid=bob,{PEOPLE_DN}\nchangetype: modify\nreplace: sn\nsn: Bakerson\n\n\
         dn: cn=sales,{GROUPS_DN}\nchangetype: modify\nadd: member\nmember: uid=ann,{PEOPLE_DN}\n"
    ));
    server.add(&slapd::person_ldif("dee", "Dee", "Dunn"));

    let after = src.read_users(&ReadMode::Full).await.unwrap();
    let bob = after.items.iter().find(|r| uid(r) == "bob").unwrap();
    assert_eq!(bob.attributes["sn"], "Bakerson");
    let since = bob.modified.clone().unwrap();
    let old = before.items.iter().find(|r| uid(r) == "bob").unwrap();
    assert!(since > old.modified.clone().unwrap());

    let mode = ReadMode::Incremental { since };
    let changed = src.read_users(&mode).await.unwrap();
    let mut uids: Vec<&str> = changed.items.iter().map(uid).collect();
    uids.sort();
    assert_eq!(uids, ["bob", "dee"]);

    let groups = src.read_groups(&mode).await.unwrap();
    let names: Vec<&str> = groups.items.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["sales"]);
    // Members resolve against every user, not only the changed ones.
    assert_eq!(groups.items[0].member_external_ids.len(), 2);

    let bad = ReadMode::Incremental {
        since: "yesterday".to_string(),
    };
    let err = src.read_users(&bad).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Configuration);
}

#[tokio::test]
async fn wrong_bind_password_is_unauthorized_and_never_shown() {
    if !slapd::available_or_skip("wrong_bind_password_is_unauthorized_and_never_shown") {
        return;
    }
    let server = start_with(&small_directory(), false);
    let mut s = settings(&server.url);
    let password = "Wrong-Password-7731";
    s.bind_password = Some(SecretString::from(password));
    let src = source(s);
    let err = src.read_users(&ReadMode::Full).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    assert_eq!(err.code(), "source_unauthorized");
    let text = format!("{err} {err:?} {} {}", err.cause(), err.remediation());
    assert!(!text.contains(password), "{text}");
    assert!(!format!("{src:?}").contains(password));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: bind as {READER_DN}: invalidCredentials (49)",
            server.url
        )
    );
}

#[tokio::test]
async fn unreachable_server_and_wrong_base_are_classified() {
    if !slapd::available_or_skip("unreachable_server_and_wrong_base_are_classified") {
        return;
    }
    let server = start_with(&small_directory(), false);
    let mut s = settings(&server.url);
    s.user_base_dn = format!("ou=nobody,{SUFFIX}");
    let err = source(s).read_users(&ReadMode::Full).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Configuration, "{err}");
    assert!(err.said.starts_with("noSuchObject (32)"), "{err}");

    let url = server.url.clone();
    drop(server);
    let err = source(settings(&url))
        .read_users(&ReadMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");
    assert!(err.kind.is_retryable());
}

#[tokio::test]
async fn reads_over_ldaps_and_starttls_with_a_private_ca() {
    if !slapd::available_or_skip("reads_over_ldaps_and_starttls_with_a_private_ca") {
        return;
    }
    let server = start_with(&small_directory(), true);
    let ca = server.ca_pem.clone().unwrap();
    let ldaps = server.ldaps_url.clone().unwrap();

    let mut s = settings(&ldaps);
    s.ca_certificate = Some(ca.clone());
    let users = source(s).read_users(&ReadMode::Full).await.unwrap();
    assert_eq!(users.items.len(), 3);

    let mut s = settings(&server.url);
    s.start_tls = true;
    s.ca_certificate = Some(ca);
    let groups = source(s).read_groups(&ReadMode::Full).await.unwrap();
    assert_eq!(groups.items.len(), 3);

    // Without the CA the certificate is not trusted: a configuration problem, not a retry.
    let err = source(settings(&ldaps))
        .read_users(&ReadMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Configuration, "{err}");
    assert!(err.said.contains("TLS"), "{err}");
}

/// An AD-like entry (Debian's msuser.schema): `user`/`group` with a binary `objectGUID`.
fn ad_entry(dn: &str, object_class: &str, guid_base64: &str, extra: &str) -> String {
    format!(
        "dn: {dn}\nobjectClass: {object_class}\ninstanceType: 4\nnTSecurityDescriptor:: AQ==\n\
         objectCategory: CN=Person,CN=Schema,CN=Configuration,{SUFFIX}\nobjectGUID:: {guid_base64}\n{extra}\n"
    )
}

#[tokio::test]
async fn active_directory_object_guid_is_read_as_guid_text() {
    if !slapd::available_or_skip("active_directory_object_guid_is_read_as_guid_text") {
        return;
    }
    let ann_dn = format!("CN=Ann Archer,{PEOPLE_DN}");
    let bob_dn = format!("cn=Bob Baker,{PEOPLE_DN}");
    let mut ldif = String::new();
    // Not valid UTF-8: ldap3 hands it over as binary.
    ldif.push_str(&ad_entry(
        &ann_dn,
        "user",
        "ABEiM0RVZneImaq7zN3u/w==",
        "cn: Ann Archer\nsn: Archer\n",
    ));
    // 16 ASCII bytes: valid UTF-8, so ldap3 hands it over as text; still a GUID.
    ldif.push_str(&ad_entry(
        &bob_dn,
        "user",
        "QUJDREVGR0hJSktMTU5PUA==",
        "cn: Bob Baker\nsn: Baker\n",
    ));
    ldif.push_str(&ad_entry(
        &format!("cn=Staff,{GROUPS_DN}"),
        "group",
        "8OHSw7Sllod4aVpLPC0eDw==",
        // Member DNs in another case than the entries': compared without case.
        &format!(
            "cn: Staff\ngroupType: -2147483646\nmember: {}\nmember: {}\n",
            ann_dn.to_lowercase(),
            bob_dn
        ),
    ));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), ldif).unwrap();
    let server = Slapd::start(SlapdOptions {
        tls: false,
        initial_ldif: Some(file.path().to_path_buf()),
        ad_schema: true,
    });
    let mut s = settings(&server.url);
    s.user_object_class = "user".to_string();
    s.group_object_class = "group".to_string();
    s.unique_id_attribute = "objectGUID".to_string();
    let src = source(s);

    let users = src.read_users(&ReadMode::Full).await.unwrap();
    assert!(users.warnings.is_empty(), "{:?}", users.warnings);
    let mut ids: Vec<(&str, &str)> = users
        .items
        .iter()
        .map(|r| (r.attributes["sn"].as_str().unwrap(), r.external_id.as_str()))
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            ("Archer", "33221100-5544-7766-8899-aabbccddeeff"),
            ("Baker", "44434241-4645-4847-494a-4b4c4d4e4f50"),
        ]
    );

    let groups = src.read_groups(&ReadMode::Full).await.unwrap();
    assert!(groups.warnings.is_empty(), "{:?}", groups.warnings);
    assert_eq!(groups.items.len(), 1);
    assert_eq!(
        groups.items[0].external_id,
        "c3d2e1f0-a5b4-8796-7869-5a4b3c2d1e0f"
    );
    let mut members = groups.items[0].member_external_ids.clone();
    members.sort();
    assert_eq!(
        members,
        [
            "33221100-5544-7766-8899-aabbccddeeff",
            "44434241-4645-4847-494a-4b4c4d4e4f50"
        ]
    );
}
