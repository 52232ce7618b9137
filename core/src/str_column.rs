//! String columns as the batch functions read them: any slice or vector of string-likes, or
//! Arrow's string layouts (offsets into one UTF-8 buffer, or 16-byte string views) read in place.
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
    /// `str_at(row).as_bytes()`, for the per-row loops: a layout that would check UTF-8 again
    /// to make a `&str` (string views) hands out its checked bytes as they are.
    #[inline(always)]
    fn bytes_at(&self, row: usize) -> &[u8] {
        self.str_at(row).as_bytes()
    }
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

/// An Arrow string column borrowed in place, in either of Arrow's layouts: `string` /
/// `large_string` (row `i` is `data[offsets[i]..offsets[i + 1]]`) or `string_view` (a 16-byte
/// view per row, short strings inline, longer ones in one of several data buffers; polars keeps
/// strings this way), and in one piece or several (a chunked array: polars and pyarrow read
/// files in pieces, and joining them would copy every row). Missing where `valid[i]` is false.
/// Checked once when made, so reading a row is a few loads and a slice.
#[derive(Clone)]
pub struct Utf8Column<'a> {
    pieces: Vec<Piece<'a>>,
    /// First row of each piece, then the row count.
    starts: Vec<usize>,
    /// For each block of `1 << BLOCK_SHIFT` rows, the piece holding its first row: a row's
    /// piece is then found in a step or two.
    block_piece: Vec<u32>,
}

const BLOCK_SHIFT: u32 = 12;

/// One piece of a column: one Arrow array's buffers.
#[derive(Clone)]
struct Piece<'a> {
    layout: Layout<'a>,
    valid: Option<&'a [bool]>,
}

#[derive(Clone)]
enum Layout<'a> {
    Offsets {
        offsets: Offsets<'a>,
        data: &'a str,
    },
    Views {
        views: &'a [u8],
        buffers: Vec<&'a [u8]>,
    },
}

/// Bytes in a `string_view` view: length (4), then either the string inline (up to 12) or a
/// 4-byte prefix, the data buffer's index (4) and the offset in it (4), all little-endian.
const VIEW_BYTES: usize = 16;
const VIEW_INLINE_MAX: usize = 12;

/// One decoded view. Negative fields (which Arrow forbids) decode as `usize::MAX` and fail every
/// bounds check.
enum View<'a> {
    Inline(&'a [u8]),
    Stored {
        buffer: usize,
        start: usize,
        len: usize,
    },
}

#[inline(always)]
fn decode_view(view: &[u8]) -> View<'_> {
    let field = |at: usize| {
        let b = [view[at], view[at + 1], view[at + 2], view[at + 3]];
        usize::try_from(i32::from_le_bytes(b)).unwrap_or(usize::MAX)
    };
    let len = field(0);
    if len <= VIEW_INLINE_MAX {
        View::Inline(&view[4..4 + len])
    } else {
        View::Stored {
            buffer: field(8),
            start: field(12),
            len,
        }
    }
}

impl<'a> Utf8Column<'a> {
    /// Checks `string` / `large_string` buffers: `data` is UTF-8, there are rows + 1 offsets,
    /// and every present row's offsets are ordered, inside `data` and on character boundaries.
    /// Errors name the column (`role`) and the byte or row, never a value.
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
        check_validity(role, valid, rows)?;
        for row in 0..rows {
            if valid.is_some_and(|v| !v[row]) {
                continue;
            }
            let (start, end) = (offsets.at(row), offsets.at(row + 1));
            if start > end || !data.is_char_boundary(start) || !data.is_char_boundary(end) {
                return Err(bad_row(role, row));
            }
        }
        Ok(Self::whole(Piece {
            layout: Layout::Offsets { offsets, data },
            valid,
        }))
    }

    /// Checks `string_view` buffers: 16 bytes a row, and every present row's string is UTF-8,
    /// inline or inside the data buffer its view names. Errors as for [`Utf8Column::new`].
    pub fn from_views(
        role: &str,
        views: &'a [u8],
        buffers: &[&'a [u8]],
        valid: Option<&'a [bool]>,
    ) -> Result<Self> {
        if views.len() % VIEW_BYTES != 0 {
            return Err(CinError::invalid(format!(
                "{role}: string views are not 16 bytes each"
            )));
        }
        let rows = views.len() / VIEW_BYTES;
        check_validity(role, valid, rows)?;
        // Arrow asks only that each viewed slice be UTF-8: a buffer that is UTF-8 as a whole
        // (the usual case) needs only its slices' ends checked, any other each slice.
        let whole: Vec<Option<&str>> = buffers
            .iter()
            .map(|b| std::str::from_utf8(b).ok())
            .collect();
        for (row, view) in views.chunks_exact(VIEW_BYTES).enumerate() {
            if valid.is_some_and(|v| !v[row]) {
                continue;
            }
            let ok = match decode_view(view) {
                View::Inline(inline) => all_ascii(view) || std::str::from_utf8(inline).is_ok(),
                View::Stored { buffer, start, len } => {
                    let end = start.checked_add(len);
                    match (buffers.get(buffer), whole.get(buffer)) {
                        (_, Some(Some(text))) => end.is_some_and(|e| text.get(start..e).is_some()),
                        (Some(bytes), _) => end
                            .and_then(|e| bytes.get(start..e))
                            .is_some_and(|s| std::str::from_utf8(s).is_ok()),
                        (None, _) => false,
                    }
                }
            };
            if !ok {
                return Err(bad_row(role, row));
            }
        }
        Ok(Self::whole(Piece {
            layout: Layout::Views {
                views,
                buffers: buffers.to_vec(),
            },
            valid,
        }))
    }

    /// The pieces of a chunked array, in order, read as one column.
    pub fn chunked(mut columns: Vec<Utf8Column<'a>>) -> Self {
        if columns.len() == 1 {
            if let Some(whole) = columns.pop() {
                return whole;
            }
        }
        let pieces: Vec<Piece<'a>> = columns.into_iter().flat_map(|c| c.pieces).collect();
        let mut starts = Vec::with_capacity(pieces.len() + 1);
        let mut rows = 0;
        for piece in &pieces {
            starts.push(rows);
            rows += piece.rows();
        }
        starts.push(rows);
        let mut block_piece = Vec::with_capacity((rows >> BLOCK_SHIFT) + 1);
        let mut p = 0;
        for block in 0..rows.div_ceil(1 << BLOCK_SHIFT) {
            let first = block << BLOCK_SHIFT;
            while starts[p + 1] <= first {
                p += 1;
            }
            block_piece.push(p as u32);
        }
        Utf8Column {
            pieces,
            starts,
            block_piece,
        }
    }

    /// The piece holding `row` (below the row count) and the row's number in it.
    #[inline(always)]
    fn locate(&self, row: usize) -> (&Piece<'a>, usize) {
        if let [piece] = self.pieces.as_slice() {
            return (piece, row);
        }
        let mut p = self.block_piece[row >> BLOCK_SHIFT] as usize;
        while self.starts[p + 1] <= row {
            p += 1;
        }
        (&self.pieces[p], row - self.starts[p])
    }

    fn whole(piece: Piece<'a>) -> Self {
        Utf8Column {
            starts: vec![0, piece.rows()],
            block_piece: Vec::new(),
            pieces: vec![piece],
        }
    }
}

/// No byte of the 16 has its high bit set: an inline view (whose length and padding bytes are
/// small) then holds ASCII, so UTF-8, in one test instead of a `from_utf8` call per row.
#[inline(always)]
fn all_ascii(view: &[u8]) -> bool {
    let mut word = [0u8; VIEW_BYTES];
    word.copy_from_slice(view);
    u128::from_le_bytes(word) & u128::from_le_bytes([0x80; VIEW_BYTES]) == 0
}

fn check_validity(role: &str, valid: Option<&[bool]>, rows: usize) -> Result<()> {
    if valid.is_some_and(|v| v.len() != rows) {
        return Err(CinError::invalid(format!(
            "{role}: validity mask length differs from the row count"
        )));
    }
    Ok(())
}

fn bad_row(role: &str, row: usize) -> CinError {
    CinError::invalid(format!("{role}: bad string offsets at row {row}"))
}

impl StrColumn for Utf8Column<'_> {
    fn rows(&self) -> usize {
        self.starts.last().copied().unwrap_or(0)
    }
    #[inline(always)]
    fn str_at(&self, row: usize) -> &str {
        let (piece, row) = self.locate(row);
        piece.str_at(row)
    }
    #[inline(always)]
    fn bytes_at(&self, row: usize) -> &[u8] {
        let (piece, row) = self.locate(row);
        piece.bytes_at(row)
    }
}

impl Piece<'_> {
    fn rows(&self) -> usize {
        match &self.layout {
            Layout::Offsets { offsets, .. } => offsets.len().saturating_sub(1),
            Layout::Views { views, .. } => views.len() / VIEW_BYTES,
        }
    }

    #[inline(always)]
    fn bytes_at(&self, row: usize) -> &[u8] {
        if self.valid.is_some_and(|v| !v[row]) {
            return b"";
        }
        match &self.layout {
            Layout::Offsets { offsets, data } => data
                .as_bytes()
                .get(offsets.at(row)..offsets.at(row + 1))
                .unwrap_or(b""),
            Layout::Views { views, buffers } => {
                match decode_view(&views[row * VIEW_BYTES..(row + 1) * VIEW_BYTES]) {
                    View::Inline(inline) => inline,
                    View::Stored { buffer, start, len } => buffers
                        .get(buffer)
                        .and_then(|b| b.get(start..start.saturating_add(len)))
                        .unwrap_or(b""),
                }
            }
        }
    }

    /// The row as text: sliced from the checked text for offsets; for views, the (checked)
    /// bytes made text again, which the row loops avoid by reading bytes.
    #[inline(always)]
    fn str_at(&self, row: usize) -> &str {
        match &self.layout {
            Layout::Offsets { offsets, data } if self.valid.is_none_or(|v| v[row]) => {
                data.get(offsets.at(row)..offsets.at(row + 1)).unwrap_or("")
            }
            _ => std::str::from_utf8(self.bytes_at(row)).unwrap_or(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row, checking that the bytes read agree with the string.
    fn all(c: &impl StrColumn) -> Vec<&str> {
        (0..c.rows())
            .map(|r| {
                let s = c.str_at(r);
                assert_eq!(c.bytes_at(r), s.as_bytes(), "row {r}");
                s
            })
            .collect()
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

    /// A `string_view` view: inline when short, else (buffer, offset) with a 4-byte prefix.
    fn view(len: i32, inline: &[u8], buffer: i32, offset: i32) -> [u8; 16] {
        let mut v = [0u8; 16];
        v[..4].copy_from_slice(&len.to_le_bytes());
        if (0..=12).contains(&len) {
            v[4..4 + inline.len()].copy_from_slice(inline);
        } else {
            v[4..8].copy_from_slice(&inline[..4]);
            v[8..12].copy_from_slice(&buffer.to_le_bytes());
            v[12..16].copy_from_slice(&offset.to_le_bytes());
        }
        v
    }

    #[test]
    fn string_views_read_inline_and_from_their_buffers() {
        let long = "ABCDEFGHIJKLMN";
        let accented = "_____émile-über-x";
        let views: Vec<u8> = [
            view(2, b"P1", 0, 0),
            view(0, b"", 0, 0),
            view(14, long.as_bytes(), 0, 0),
            view(12, "é-ü-é-abc".as_bytes(), 0, 0),
            view(accented.len() as i32 - 5, "émil".as_bytes(), 1, 5),
            view(13, b"BCDEFGHIJKLMN", 0, 1),
        ]
        .concat();
        let buffers: [&[u8]; 2] = [long.as_bytes(), accented.as_bytes()];
        let col = Utf8Column::from_views("ids", &views, &buffers, None).unwrap();
        assert_eq!(
            all(&col),
            ["P1", "", long, "é-ü-é-abc", "émile-über-x", "BCDEFGHIJKLMN"]
        );
        let valid = [true, false, true, true, true, true];
        let col = Utf8Column::from_views("ids", &views, &buffers, Some(&valid)).unwrap();
        assert_eq!(all(&col)[..3], ["P1", "", long]);
        // A buffer that is not UTF-8 as a whole still serves its UTF-8 slices.
        let mixed: &[u8] = b"\xffABCDEFGHIJKLMNOP";
        let views = view(13, b"ABCDEFGHIJKLM", 0, 1);
        let col = Utf8Column::from_views("ids", &views, &[mixed], None).unwrap();
        assert_eq!(all(&col), ["ABCDEFGHIJKLM"]);
        let empty = Utf8Column::from_views("ids", &[], &[], None).unwrap();
        assert_eq!(empty.rows(), 0);
    }

    #[test]
    fn bad_string_views_are_named_by_column_and_row() {
        let data: &[u8] = b"ABCDEFGHIJKLMNOP\xff\xfe";
        let err = |views: &[[u8; 16]], valid: Option<&[bool]>| {
            Utf8Column::from_views("codes", &views.concat(), &[data], valid)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let good = view(3, b"abc", 0, 0);
        // Inline bytes not UTF-8, buffer index out of range, past the buffer's end, negative
        // length and offset, a slice that is not UTF-8.
        assert!(
            err(&[good, view(2, b"\xc3(", 0, 0)], None)
                .contains("codes: bad string offsets at row 1")
        );
        assert!(err(&[view(13, b"ABCD", 1, 0)], None).contains("row 0"));
        assert!(err(&[good, good, view(13, b"ABCD", 0, 8)], None).contains("row 2"));
        assert!(err(&[view(-1, b"ABCD", 0, 0)], None).contains("row 0"));
        assert!(err(&[view(13, b"ABCD", 0, -1)], None).contains("row 0"));
        assert!(err(&[view(14, b"EFGH", 0, 4)], None).contains("row 0"));
        assert!(err(&[good], Some(&[true, true])).contains("validity mask length"));
        assert!(
            Utf8Column::from_views("codes", &[0u8; 15], &[], None)
                .err()
                .is_some_and(|e| e.to_string().contains("16 bytes"))
        );
        // A missing row's view is not read.
        assert!(err(&[good, view(13, b"ABCD", 7, 0)], Some(&[true, false])).is_empty());
    }

    #[test]
    fn chunked_columns_read_as_one() {
        // Pieces of both layouts, an empty one, and enough rows that a 4,096-row block spans
        // several pieces.
        let (a_text, a_offs) = numbered("a", 5000);
        let (b_text, b_offs) = numbered("b", 3);
        let (c_text, c_offs) = numbered("c", 10_000);
        let views: Vec<u8> = [view(2, b"v0", 0, 0), view(13, b"long", 0, 0)].concat();
        let long: &[u8] = b"long-string-1";
        let pieces = vec![
            Utf8Column::new("ids", Offsets::I64(&a_offs), a_text.as_bytes(), None).unwrap(),
            Utf8Column::new("ids", Offsets::I64(&[0]), b"", None).unwrap(),
            Utf8Column::from_views("ids", &views, &[long], None).unwrap(),
            Utf8Column::new("ids", Offsets::I64(&b_offs), b_text.as_bytes(), None).unwrap(),
            Utf8Column::new("ids", Offsets::I64(&c_offs), c_text.as_bytes(), None).unwrap(),
        ];
        let col = Utf8Column::chunked(pieces);
        let mut expected: Vec<String> = (0..5000).map(|i| format!("a{i}")).collect();
        expected.extend(["v0".to_string(), "long-string-1".to_string()]);
        expected.extend((0..3).map(|i| format!("b{i}")));
        expected.extend((0..10_000).map(|i| format!("c{i}")));
        assert_eq!(col.rows(), expected.len());
        assert_eq!(all(&col), expected);
        // Read backwards too: nothing depends on the previous read.
        assert!((0..col.rows()).rev().all(|r| col.str_at(r) == expected[r]));
        assert_eq!(Utf8Column::chunked(Vec::new()).rows(), 0);
    }

    /// `prefix0`, `prefix1`, ... as one string and its offsets.
    fn numbered(prefix: &str, n: usize) -> (String, Vec<i64>) {
        let mut text = String::new();
        let mut offs = vec![0i64];
        for i in 0..n {
            text.push_str(&format!("{prefix}{i}"));
            offs.push(text.len() as i64);
        }
        (text, offs)
    }
}
