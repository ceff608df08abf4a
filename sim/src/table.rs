//! Writing Arrow record batches as the lab's output tables: Parquet (Snappy, one batch) and
//! CSV (header from the schema; nulls as empty cells). One place, so every report table is
//! written the same way.

use std::fs::File;
use std::path::Path;

use arrow::array::{
    Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array,
    UInt64Array,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// Why a table could not be written (the caller adds the file name).
pub type TableError = Box<dyn std::error::Error + Send + Sync>;

/// Writes `batch` to `path` as Parquet with Snappy compression.
pub fn write_parquet(batch: &RecordBatch, path: &Path) -> Result<(), TableError> {
    let file = File::create(path)?;
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(())
}

/// Writes `batch` to `path` as CSV: strings, integers, floats and timestamps (as microseconds);
/// nulls are empty cells. Any other column type is an error.
pub fn write_csv(batch: &RecordBatch, path: &Path) -> Result<(), TableError> {
    let mut writer = csv::Writer::from_path(path)?;
    writer.write_record(batch.schema().fields().iter().map(|f| f.name().as_str()))?;
    for row in 0..batch.num_rows() {
        let mut record = Vec::with_capacity(batch.num_columns());
        for (column, field) in batch.columns().iter().zip(batch.schema().fields()) {
            let any = column.as_any();
            let cell = if column.is_null(row) {
                String::new()
            } else if let Some(a) = any.downcast_ref::<StringArray>() {
                a.value(row).to_owned()
            } else if let Some(a) = any.downcast_ref::<Float64Array>() {
                a.value(row).to_string()
            } else if let Some(a) = any.downcast_ref::<UInt64Array>() {
                a.value(row).to_string()
            } else if let Some(a) = any.downcast_ref::<UInt32Array>() {
                a.value(row).to_string()
            } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                a.value(row).to_string()
            } else if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
                a.value(row).to_string()
            } else {
                return Err(format!(
                    "column {}: type {} cannot be written as CSV",
                    field.name(),
                    field.data_type()
                )
                .into());
            };
            record.push(cell);
        }
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}
