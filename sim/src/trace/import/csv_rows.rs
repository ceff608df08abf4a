//! CSV reading shared by the CSV-based importers: records as bytes (so one bad byte spoils one
//! cell, not the file), cells trimmed, the header decoded leniently, every record's line number.

use std::io::Read;

use csv::{ByteRecord, Reader, ReaderBuilder, Terminator, Trim};

use super::{Bad, Ctx};
use crate::trace::TraceError;

/// A CSV source read one record at a time.
pub(crate) struct CsvRows<R: Read> {
    reader: Reader<R>,
    record: ByteRecord,
    /// Records read so far, header included; the fallback line number.
    records: u64,
}

impl<R: Read> CsvRows<R> {
    /// Read `reader` as CSV: comma-separated, quotes as usual, rows of any length (checked per
    /// cell), spaces around cells trimmed (the Alibaba 2017 header has them).
    ///
    /// Records end at `\n` only: with the CRLF terminator the reader reports the line of a
    /// record that follows `\r\n` one too low. The `\r` left at the end of the last cell is
    /// trimmed away with the other whitespace.
    pub(crate) fn new(reader: R) -> CsvRows<R> {
        let reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(Trim::All)
            .terminator(Terminator::Any(b'\n'))
            .buffer_capacity(1 << 16)
            .from_reader(reader);
        CsvRows { reader, record: ByteRecord::new(), records: 0 }
    }

    /// Read the next record, skipping blank lines; its 1-based line number, or `None` at the
    /// end.
    pub(crate) fn next(&mut self, ctx: &Ctx<'_>) -> Result<Option<u64>, TraceError> {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    self.records = self.records.saturating_add(1);
                    // A line of only `\r` or spaces: blank, as an empty line is to the reader.
                    if self.record.len() == 1 && self.record.get(0).is_some_and(<[u8]>::is_empty) {
                        continue;
                    }
                    return Ok(Some(self.record.position().map_or(self.records, |p| p.line())));
                }
                Err(error) => {
                    return Err(match error.into_kind() {
                        csv::ErrorKind::Io(e) => ctx.io(e),
                        other => ctx.format_error(format!("CSV: {other:?}")),
                    });
                }
            }
        }
    }

    /// The record [`CsvRows::next`] read.
    pub(crate) fn record(&self) -> &ByteRecord {
        &self.record
    }

    /// The record just read, as header names: decoded leniently, byte-order mark removed.
    pub(crate) fn header_names(&self) -> Vec<String> {
        self.record
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let name = String::from_utf8_lossy(cell);
                let name = if i == 0 { name.trim_start_matches('\u{feff}') } else { &name };
                name.trim().to_owned()
            })
            .collect()
    }
}

/// Cell `index` of `record` as text; a short row or a cell that is not UTF-8 is malformed.
pub(crate) fn cell<'r>(record: &'r ByteRecord, index: usize, column: &str) -> Result<&'r str, Bad> {
    let bytes = record.get(index).ok_or_else(|| {
        Bad::new(column, format!("a cell in column {}", index + 1), "")
            .with_detail(format!("the row has only {} cells", record.len()))
    })?;
    std::str::from_utf8(bytes)
        .map_err(|_| Bad::new(column, "UTF-8 text", &String::from_utf8_lossy(bytes)))
}

/// The index of column `name` in `header`, or a format error naming it and the header.
pub(crate) fn require_column(
    ctx: &Ctx<'_>,
    header: &[String],
    name: &str,
    what: &str,
) -> Result<usize, TraceError> {
    header.iter().position(|column| column == name).ok_or_else(|| {
        ctx.format_error(format!(
            "no column `{name}` ({what}); the header has columns: {}",
            header.join(", ")
        ))
    })
}
