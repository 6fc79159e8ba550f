//! CSV exports with a header row (1Password, KeePassXC): fields by column name, and the columns
//! every password manager's CSV has.

use zeroize::Zeroizing;

use super::entry::Entry;
use crate::error::{Error, Result};

/// A CSV file with a header row: fields by lower-cased column name.
pub(super) struct CsvTable {
    header: Vec<String>,
    /// (line, fields)
    pub rows: Vec<(u64, Vec<Zeroizing<String>>)>,
}

impl CsvTable {
    /// Reads `text`; `what` names the format in errors.
    pub fn read(text: &str, what: &str) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rec = csv::ByteRecord::new();
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        loop {
            let more = rdr.read_byte_record(&mut rec).map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                Error::Invalid(format!("{what}: line {line}: malformed CSV"))
            })?;
            if !more {
                break;
            }
            let line = rec.position().map_or(0, |p| p.line());
            let mut fields = Vec::with_capacity(rec.len());
            for f in rec.iter() {
                let s = std::str::from_utf8(f)
                    .map_err(|_| Error::Invalid(format!("{what}: line {line}: not valid UTF-8")))?;
                fields.push(Zeroizing::new(s.to_owned()));
            }
            match &header {
                None => {
                    header = Some(fields.iter().map(|f| f.trim().to_lowercase()).collect());
                }
                Some(h) => {
                    // A line of its own with nothing on it is not an entry.
                    if fields.len() == 1 && fields[0].is_empty() {
                        continue;
                    }
                    if fields.len() != h.len() {
                        return Err(Error::Invalid(format!(
                            "{what}: line {line}: {} fields where the header has {}; the file is malformed",
                            fields.len(),
                            h.len()
                        )));
                    }
                    rows.push((line, fields));
                }
            }
        }
        // Overwrite what csv kept of the last record.
        rec.clear();
        let header = header.ok_or_else(|| Error::Invalid(format!("{what}: the file is empty")))?;
        Ok(Self { header, rows })
    }

    /// The first of `names` the header has.
    pub fn col(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h == n))
    }

    /// The first of `names` the header has, or an error asking whether this is a `what` export.
    pub fn require(&self, names: &[&str], what: &str) -> Result<usize> {
        self.col(names).ok_or_else(|| {
            Error::Invalid(format!(
                "the header row has no {} column: is this a {what} export?",
                names[0]
            ))
        })
    }
}

/// The field of `row` in column `col` (empty when there is no such column).
pub(super) fn field(row: &[Zeroizing<String>], col: Option<usize>) -> &str {
    col.and_then(|c| row.get(c)).map_or("", |f| f.as_str())
}

/// Where a password manager's CSV keeps the fields every entry has.
pub(super) struct EntryColumns {
    pub title: usize,
    pub password: usize,
    pub username: Option<usize>,
    pub url: Option<usize>,
    pub notes: Option<usize>,
}

impl EntryColumns {
    /// The entry of a row on `line`: title, password, username, URL and notes.
    pub fn entry(&self, line: u64, row: &[Zeroizing<String>]) -> Entry {
        Entry {
            position: line,
            source: format!("line {line}"),
            title: field(row, Some(self.title)).to_owned(),
            password: Zeroizing::new(field(row, Some(self.password)).to_owned()),
            missing: "no password",
            username: field(row, self.username).to_owned(),
            urls: vec![field(row, self.url).to_owned()],
            notes: field(row, self.notes).to_owned(),
            ..Entry::default()
        }
    }
}
