#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `CsvSource`: good and malformed files, as snapshots.

use expect_test::{expect, Expect};
use roster_sources::{CsvSource, ReadMode, Source};

/// Read `input` and render every record and warning, one a line.
fn check(input: &str, expected: Expect) {
    let source = CsvSource::new("users.csv", input.as_bytes().to_vec());
    let mode = ReadMode::Full;
    let rendered = match futures::executor::block_on(source.read_users(&mode)) {
        Err(e) => format!("error {}: {e}\n", e.code()),
        Ok(read) => {
            let mut out = String::new();
            for r in &read.items {
                out.push_str(&format!(
                    "{} {}\n",
                    r.external_id,
                    serde_json::Value::Object(r.attributes.clone())
                ));
            }
            for w in &read.warnings {
                out.push_str(&format!(
                    "warning line {}: {}{}\n",
                    w.line.map(|l| l.to_string()).unwrap_or_default(),
                    w.subject
                        .as_deref()
                        .map(|s| format!("[{s}] "))
                        .unwrap_or_default(),
                    w.message
                ));
            }
            out
        }
    };
    expected.assert_eq(&rendered);
}

#[test]
fn good_file_uses_external_id_and_keeps_quoted_fields() {
    check(
        "externalId,userName,firstName,lastName,title\n\
         e1,ann@example.com,Ann,Archer,\"Engineer, Senior\"\n\
         e2,bob@example.com,Bob,Baker,\n",
        expect![[r#"
            e1 {"externalId":"e1","userName":"ann@example.com","firstName":"Ann","lastName":"Archer","title":"Engineer, Senior"}
            e2 {"externalId":"e2","userName":"bob@example.com","firstName":"Bob","lastName":"Baker","title":null}
        "#]],
    );
}

#[test]
fn without_external_id_the_user_name_or_login_column_is_the_id() {
    check(
        "\u{feff}email,UserName\nann@example.com,ann\n",
        expect![[r#"
            ann {"email":"ann@example.com","UserName":"ann"}
        "#]],
    );
    check(
        "login,email\nann@example.com,ann@example.com\n",
        expect![[r#"
            ann@example.com {"login":"ann@example.com","email":"ann@example.com"}
        "#]],
    );
}

#[test]
fn malformed_rows_are_warnings_with_line_numbers_and_good_rows_still_read() {
    check(
        "userName,firstName,lastName\n\
         ann,Ann,Archer\n\
         bob,Bob\n\
         ,Nobody,Here\n\
         cid,Cid,Cooper\n\
         ann,Ann,Again\n\
         dee,Dee,Dunn,extra\n\
         \"eve\nmultiline\",Eve,Evans\n\
         fay,Fay,Fox\n\
         gus,Gus\n",
        expect![[r#"
            ann {"userName":"ann","firstName":"Ann","lastName":"Archer"}
            cid {"userName":"cid","firstName":"Cid","lastName":"Cooper"}
            eve
            multiline {"userName":"eve\nmultiline","firstName":"Eve","lastName":"Evans"}
            fay {"userName":"fay","firstName":"Fay","lastName":"Fox"}
            warning line 3: 2 fields where the header has 3; the row was skipped
            warning line 4: empty userName; the row was skipped
            warning line 6: [ann] duplicate userName 'ann' (first on line 2); the row was skipped
            warning line 7: 4 fields where the header has 3; the row was skipped
            warning line 11: 2 fields where the header has 3; the row was skipped
        "#]],
    );
}

#[test]
fn invalid_utf8_row_is_a_warning() {
    let mut bytes = b"userName,lastName\nann,Archer\nbob,B".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\ncid,Cooper\n");
    let source = CsvSource::new("users.csv", bytes);
    let read = source.parse().unwrap();
    let ids: Vec<&str> = read.items.iter().map(|r| r.external_id.as_str()).collect();
    assert_eq!(ids, ["ann", "cid"]);
    assert_eq!(read.warnings.len(), 1);
    assert_eq!(read.warnings[0].line, Some(3));
    assert_eq!(
        read.warnings[0].message,
        "column 'lastName' is not valid UTF-8; the row was skipped"
    );
}

#[test]
fn unusable_headers_fail_the_whole_file() {
    check(
        "",
        expect![[r#"
            error source_invalid_data: users.csv: read the header: the file is empty
        "#]],
    );
    check(
        "firstName,lastName\nAnn,Archer\n",
        expect![[r#"
            error source_invalid_data: users.csv: read the header: line 1: no id column; name one of externalId, userName, login (found: firstName, lastName)
        "#]],
    );
    check(
        "userName,mail,mail\n",
        expect![[r#"
            error source_invalid_data: users.csv: read the header: line 1: column 'mail' appears twice
        "#]],
    );
    check(
        "userName,,mail\n",
        expect![[r#"
            error source_invalid_data: users.csv: read the header: line 1: column 2 has no name
        "#]],
    );
}

#[test]
fn csv_has_no_groups() {
    let source = CsvSource::new("users.csv", b"userName\nann\n".to_vec());
    let groups = futures::executor::block_on(source.read_groups(&ReadMode::Full)).unwrap();
    assert!(groups.items.is_empty());
}
