//! String columns as the batch functions read them: any slice or vector of string-likes, or
//! Arrow's string layout (offsets into one UTF-8 buffer) read in place.
//!
//! The batch scores take ten million rows from pandas, polars or pyarrow; reading the Arrow
//! buffers directly spares a 16-byte `&str` per row per column (320 MB for two 10M-row
//! columns) and the page faults of writing it.

use crate::error::{CinError, Result};

/// Rows of strings, read by index. (The method names differ from the slice ones so that the
/// trait in scope never changes what `.len()` or `.get()` mean on a vector.)
pub trait StrColumn: Sync {
    /// Number of rows.
    fn rows(&self) -> usize;
    /// Row `row` (below `rows()`); a missing value reads as `""`.
    fn str_at(&self, row: usize) -> &str;
}

impl<S: AsRef<str> + Sync> StrColumn for [S] {
    fn rows(&self) -> usize {
        self.len()
    }
    #[inline(always)]
    fn str_at(&self, row: usize) -> &str {
        self[row].as_ref()
    }
}

impl<S: AsRef<str> + Sync> StrColumn for Vec<S> {
    fn rows(&self) -> usize {
        self.len()
    }
    #[inline(always)]
    fn str_at(&self, row: usize) -> &str {
        self[row].as_ref()
    }
}

impl<S: AsRef<str> + Sync, const N: usize> StrColumn for [S; N] {
    fn rows(&self) -> usize {
        N
    }
    #[inline(always)]
    fn str_at(&self, row: usize) -> &str {
        self[row].as_ref()
    }
}

/// Arrow offsets: `int32` for `string`, `int64` for `large_string`.
#[derive(Clone, Copy)]
pub enum Offsets<'a> {
    I32(&'a [i32]),
    I64(&'a [i64]),
}

impl Offsets<'_> {
    /// Number of offsets (rows + 1).
    pub fn len(&self) -> usize {
        match self {
            Offsets::I32(o) => o.len(),
            Offsets::I64(o) => o.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Offset `i` as a byte position (negative ones, which Arrow forbids, as `usize::MAX`).
    #[inline(always)]
    fn at(&self, i: usize) -> usize {
        match self {
            Offsets::I32(o) => usize::try_from(o[i]).unwrap_or(usize::MAX),
            Offsets::I64(o) => usize::try_from(o[i]).unwrap_or(usize::MAX),
        }
    }
}

/// An Arrow string column borrowed in place: row `i` is `data[offsets[i]..offsets[i + 1]]`,
/// missing where `valid[i]` is false. Checked once when made, so reading a row is two offset
/// loads and a slice.
#[derive(Clone, Copy)]
pub struct Utf8Column<'a> {
    offsets: Offsets<'a>,
    data: &'a str,
    valid: Option<&'a [bool]>,
}

impl<'a> Utf8Column<'a> {
    /// Checks the buffers: `data` is UTF-8, there are rows + 1 offsets, and every present row's
    /// offsets are ordered, inside `data` and on character boundaries. Errors name the column
    /// (`role`) and the byte or row, never a value.
    pub fn new(
        role: &str,
        offsets: Offsets<'a>,
        data: &'a [u8],
        valid: Option<&'a [bool]>,
    ) -> Result<Self> {
        let data = std::str::from_utf8(data).map_err(|e| {
            CinError::invalid(format!("{role}: not UTF-8 at byte {}", e.valid_up_to()))
        })?;
        let rows = offsets.len().saturating_sub(1);
        if valid.is_some_and(|v| v.len() != rows) {
            return Err(CinError::invalid(format!(
                "{role}: validity mask length differs from the row count"
            )));
        }
        for row in 0..rows {
            if valid.is_some_and(|v| !v[row]) {
                continue;
            }
            let (start, end) = (offsets.at(row), offsets.at(row + 1));
            if start > end || !data.is_char_boundary(start) || !data.is_char_boundary(end) {
                return Err(CinError::invalid(format!(
                    "{role}: bad string offsets at row {row}"
                )));
            }
        }
        Ok(Utf8Column {
            offsets,
            data,
            valid,
        })
    }
}

impl StrColumn for Utf8Column<'_> {
    fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    #[inline(always)]
    fn str_at(&self, row: usize) -> &str {
        if self.valid.is_some_and(|v| !v[row]) {
            return "";
        }
        self.data
            .get(self.offsets.at(row)..self.offsets.at(row + 1))
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(c: &impl StrColumn) -> Vec<&str> {
        (0..c.rows()).map(|r| c.str_at(r)).collect()
    }

    #[test]
    fn arrow_buffers_read_like_a_vector_of_strings() {
        let data = "P1é-üP22".as_bytes();
        let offs = [0i64, 2, 2, 7, 10];
        let col = Utf8Column::new("ids", Offsets::I64(&offs), data, None).unwrap();
        assert_eq!(all(&col), ["P1", "", "é-ü", "P22"]);
        let offs32 = [0i32, 2, 2, 7, 10];
        let valid = [true, true, false, true];
        let col = Utf8Column::new("ids", Offsets::I32(&offs32), data, Some(&valid)).unwrap();
        assert_eq!(all(&col), ["P1", "", "", "P22"]);
        assert_eq!(all(&vec!["a", "b"]), ["a", "b"]);
        assert_eq!(all(&["x".to_string()]), ["x"]);
        let empty = Utf8Column::new("ids", Offsets::I64(&[0]), b"", None).unwrap();
        assert_eq!(empty.rows(), 0);
    }

    #[test]
    fn bad_buffers_are_named_by_column_and_row() {
        let data = "aé".as_bytes();
        let err = |offs: &[i64], data: &[u8], valid: Option<&[bool]>| {
            Utf8Column::new("codes", Offsets::I64(offs), data, valid)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        // Inside the two-byte é, backwards, past the end, negative.
        assert!(err(&[0, 2], data, None).contains("codes: bad string offsets at row 0"));
        assert!(err(&[0, 1, 0], data, None).contains("row 1"));
        assert!(err(&[0, 1, 9], data, None).contains("row 1"));
        assert!(err(&[-1, 1], data, None).contains("row 0"));
        assert!(err(&[0, 1], &[0xff], None).contains("codes: not UTF-8 at byte 0"));
        assert!(err(&[0, 1], data, Some(&[true, true])).contains("validity mask length"));
        // A missing row's offsets are not read.
        assert!(err(&[0, 1, 0], data, Some(&[true, false])).is_empty());
    }
}
