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

/// Reads users from CSV bytes or a CSV file.
#[derive(Clone)]
pub struct CsvSource {
    name: String,
    input: Input,
}

#[derive(Clone)]
enum Input {
    Bytes(Vec<u8>),
    File(std::path::PathBuf),
}

impl std::fmt::Debug for CsvSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("CsvSource");
        d.field("name", &self.name);
        match &self.input {
            Input::Bytes(b) => d.field("bytes", &b.len()),
            Input::File(p) => d.field("file", p),
        };
        d.finish()
    }
}

impl CsvSource {
    /// `name` is for messages (the file name).
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        CsvSource {
            name: name.into(),
            input: Input::Bytes(bytes.into()),
        }
    }

    /// A CSV file read as it is streamed, so a file of millions of rows is never held whole.
    pub fn from_file(name: impl Into<String>, path: impl Into<std::path::PathBuf>) -> Self {
        CsvSource {
            name: name.into(),
            input: Input::File(path.into()),
        }
    }

    fn error(&self, tried: &str, said: impl Into<String>) -> SourceError {
        SourceError::new(ErrorKind::InvalidData, &self.name, tried, said)
    }

    /// Parse the whole input into memory.
    pub fn parse(&self) -> SourceResult<SourceRead<SourceRecord>> {
        let mut read = SourceRead::default();
        self.for_each_user(|r| {
            match r {
                Ok(record) => read.items.push(record),
                Err(warning) => read.warnings.push(warning),
            }
            true
        })?;
        Ok(read)
    }

    /// Read the rows one at a time (synchronously: run it on a blocking thread for a file) and
    /// hand each record, or the warning about a skipped row, to `each`; `each` returns `false`
    /// to stop reading.
    pub fn for_each_user(
        &self,
        each: impl FnMut(Result<SourceRecord, SourceWarning>) -> bool,
    ) -> SourceResult<()> {
        match &self.input {
            Input::Bytes(bytes) => {
                let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                self.stream(bytes, each)
            }
            Input::File(path) => {
                let file = std::fs::File::open(path).map_err(|e| {
                    SourceError::new(
                        ErrorKind::Configuration,
                        &self.name,
                        "open the uploaded file",
                        e.to_string(),
                    )
                })?;
                let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
                let bom = {
                    use std::io::BufRead;
                    let buf = reader.fill_buf().map_err(|e| {
                        self.error("read the header", format!("the file cannot be read: {e}"))
                    })?;
                    buf.starts_with(b"\xEF\xBB\xBF")
                };
                if bom {
                    use std::io::BufRead;
                    reader.consume(3);
                }
                self.stream(reader, each)
            }
        }
    }

    fn stream(
        &self,
        input: impl std::io::Read,
        mut each: impl FnMut(Result<SourceRecord, SourceWarning>) -> bool,
    ) -> SourceResult<()> {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
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

        let mut first_line: HashMap<String, u64> = HashMap::new();
        for row in records {
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    let line = e.position().map(|p| p.line());
                    let go_on = each(Err(SourceWarning {
                        line,
                        subject: None,
                        message: format!("the row cannot be read ({e}) and was skipped"),
                    }));
                    if line.is_none() || !go_on {
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
            let mut fields = Vec::with_capacity(row.len());
            let skipped = if row.len() != columns.len() {
                Some(warn(
                    None,
                    format!(
                        "{} fields where the header has {}; the row was skipped",
                        row.len(),
                        columns.len()
                    ),
                ))
            } else if let Some(i) = row.iter().position(|raw| std::str::from_utf8(raw).is_err()) {
                Some(warn(
                    None,
                    format!(
                        "column '{}' is not valid UTF-8; the row was skipped",
                        columns[i]
                    ),
                ))
            } else {
                fields.extend(row.iter().filter_map(|raw| std::str::from_utf8(raw).ok()));
                let id = fields[id_index].trim();
                if id.is_empty() {
                    Some(warn(
                        None,
                        format!("empty {id_column}; the row was skipped"),
                    ))
                } else {
                    first_line.get(id).map(|first| {
                        warn(
                            Some(id.to_string()),
                            format!(
                                "duplicate {id_column} '{id}' (first on line {first}); the row was skipped"
                            ),
                        )
                    })
                }
            };
            if let Some(warning) = skipped {
                if !each(Err(warning)) {
                    break;
                }
                continue;
            }
            let id = fields[id_index].trim();
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
            let record = SourceRecord {
                external_id: id.to_string(),
                attributes,
                modified: None,
            };
            if !each(Ok(record)) {
                break;
            }
        }
        Ok(())
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
