//! The CSV source: a file whose header names the attributes, one user a row.
//!
//! The record id is the `externalId` column, else `userName`, else `login` (names compared
//! without case). A malformed row (wrong number of fields, empty or duplicate id, invalid
//! UTF-8) is skipped with a warning naming its line; the good rows are still read. An empty
//! cell is `null`. A file has no change tracking, so an incremental read reads every row.

use std::collections::HashMap;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use crate::error::{ErrorKind, SourceError};
use crate::{ReadMode, Source, SourceGroup, SourceRead, SourceRecord, SourceResult, SourceWarning};

const ID_COLUMNS: [&str; 3] = ["externalId", "userName", "login"];

/// Reads users from CSV bytes.
#[derive(Clone)]
pub struct CsvSource {
    name: String,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for CsvSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvSource")
            .field("name", &self.name)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl CsvSource {
    /// `name` is for messages (the file name).
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        CsvSource {
            name: name.into(),
            bytes: bytes.into(),
        }
    }

    fn error(&self, tried: &str, said: impl Into<String>) -> SourceError {
        SourceError::new(ErrorKind::InvalidData, &self.name, tried, said)
    }

    /// Parse the file (synchronously: it is already in memory).
    pub fn parse(&self) -> SourceResult<SourceRead<SourceRecord>> {
        let bytes = self
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&self.bytes);
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = reader.byte_records();
        let header = match records.next() {
            None => return Err(self.error("read the header", "the file is empty")),
            Some(Err(e)) => return Err(self.error("read the header", e.to_string())),
            Some(Ok(h)) => h,
        };
        let mut columns = Vec::with_capacity(header.len());
        for (i, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw)
                .map_err(|_| {
                    self.error(
                        "read the header",
                        format!("line 1: column {} is not valid UTF-8", i + 1),
                    )
                })?
                .trim()
                .to_string();
            if name.is_empty() {
                return Err(self.error(
                    "read the header",
                    format!("line 1: column {} has no name", i + 1),
                ));
            }
            if columns.contains(&name) {
                return Err(self.error(
                    "read the header",
                    format!("line 1: column '{name}' appears twice"),
                ));
            }
            columns.push(name);
        }
        let Some((id_index, id_column)) = ID_COLUMNS.iter().find_map(|wanted| {
            columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(wanted))
                .map(|i| (i, columns[i].clone()))
        }) else {
            return Err(self.error(
                "read the header",
                format!(
                    "line 1: no id column; name one of {} (found: {})",
                    ID_COLUMNS.join(", "),
                    columns.join(", ")
                ),
            ));
        };

        let mut read = SourceRead::default();
        let mut first_line: HashMap<String, u64> = HashMap::new();
        for row in records {
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    let line = e.position().map(|p| p.line());
                    read.warnings.push(SourceWarning {
                        line,
                        subject: None,
                        message: format!("the row cannot be read ({e}) and was skipped"),
                    });
                    if line.is_none() {
                        break; // not a row problem: nothing more can be read
                    }
                    continue;
                }
            };
            let line = row.position().map(|p| p.line());
            let warn = |subject: Option<String>, message: String| SourceWarning {
                line,
                subject,
                message,
            };
            if row.len() == 1 && row.get(0).is_some_and(|f| f.is_empty()) {
                continue; // blank line
            }
            if row.len() != columns.len() {
                read.warnings.push(warn(
                    None,
                    format!(
                        "{} fields where the header has {}; the row was skipped",
                        row.len(),
                        columns.len()
                    ),
                ));
                continue;
            }
            let mut fields = Vec::with_capacity(row.len());
            let mut bad_column = None;
            for (i, raw) in row.iter().enumerate() {
                match std::str::from_utf8(raw) {
                    Ok(s) => fields.push(s),
                    Err(_) => {
                        bad_column = Some(i);
                        break;
                    }
                }
            }
            if let Some(i) = bad_column {
                read.warnings.push(warn(
                    None,
                    format!(
                        "column '{}' is not valid UTF-8; the row was skipped",
                        columns[i]
                    ),
                ));
                continue;
            }
            let id = fields[id_index].trim();
            if id.is_empty() {
                read.warnings.push(warn(
                    None,
                    format!("empty {id_column}; the row was skipped"),
                ));
                continue;
            }
            if let Some(first) = first_line.get(id) {
                read.warnings.push(warn(
                    Some(id.to_string()),
                    format!(
                        "duplicate {id_column} '{id}' (first on line {first}); the row was skipped"
                    ),
                ));
                continue;
            }
            first_line.insert(id.to_string(), line.unwrap_or(0));
            let mut attributes = Map::new();
            for (name, value) in columns.iter().zip(&fields) {
                let value = if value.is_empty() {
                    Value::Null
                } else {
                    Value::String((*value).to_string())
                };
                attributes.insert(name.clone(), value);
            }
            read.items.push(SourceRecord {
                external_id: id.to_string(),
                attributes,
                modified: None,
            });
        }
        Ok(read)
    }
}

impl Source for CsvSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn read_users<'a>(
        &'a self,
        _mode: &'a ReadMode,
    ) -> BoxFuture<'a, SourceResult<SourceRead<SourceRecord>>> {
        Box::pin(async move { self.parse() })
    }

    /// A CSV file holds no groups.
    fn read_groups<'a>(
        &'a self,
        _mode: &'a ReadMode,
    ) -> BoxFuture<'a, SourceResult<SourceRead<SourceGroup>>> {
        Box::pin(async move { Ok(SourceRead::default()) })
    }
}
