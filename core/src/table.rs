//! A small columnar table: what every analysis hands to the bindings.
//!
//! Analyses build their rows in Rust types and turn them into a `Table` once; the Python binding
//! turns a `Table` into numpy / Arrow columns and the C ABI into JSON, so neither repeats the
//! column lists. Columns are typed and nullable where the data can be missing.

use crate::error::{CinError, Result};
use crate::time::Timestamp;
use serde::Serialize;

/// One typed column.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Column {
    Str(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    /// 0/1 per row, never missing (category flags): one byte a cell instead of sixteen, which
    /// for a million patients x 30 categories is the difference between 30 MB and 480 MB.
    Flag(Vec<u8>),
    /// Wall-clock times (see [`Timestamp`]); rendered as ISO-8601 strings in JSON.
    Time(Vec<Option<Timestamp>>),
    /// A list of strings per row (e.g. the HCCs of a patient).
    StrList(Vec<Vec<String>>),
    /// Strings never missing, in one buffer (see [`Text`]); typed "str" like [`Column::Str`].
    Text(Text),
}

/// Strings that are never missing, in one buffer with Arrow's large-string offsets (row `i` is
/// `data[offsets[i]..offsets[i + 1]]`): the ids of a million patients are two allocations
/// instead of a million, and the bindings hand both buffers over as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    offsets: Vec<i64>,
    data: String,
}

impl Default for Text {
    fn default() -> Self {
        Text::with_capacity(0, 0)
    }
}

impl Text {
    /// An empty column with room for `rows` strings of `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Text {
            offsets,
            data: String::with_capacity(bytes),
        }
    }

    /// The strings of `items`, in order.
    pub fn from_strs(items: &[&str]) -> Self {
        let bytes = items.iter().map(|s| s.len()).sum();
        let mut t = Text::with_capacity(items.len(), bytes);
        for s in items {
            t.push(s);
        }
        t
    }

    pub fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.offsets.push(self.data.len() as i64);
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `row`, or `None` past the end.
    pub fn get(&self, row: usize) -> Option<&str> {
        let (start, end) = (*self.offsets.get(row)?, *self.offsets.get(row + 1)?);
        self.data.get(start as usize..end as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.offsets
            .windows(2)
            .map(|w| self.data.get(w[0] as usize..w[1] as usize).unwrap_or(""))
    }

    /// The offsets (`len() + 1` of them, from 0) and the UTF-8 bytes.
    pub fn into_parts(self) -> (Vec<i64>, Vec<u8>) {
        (self.offsets, self.data.into_bytes())
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Str(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::Float(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Flag(v) => v.len(),
            Column::Time(v) => v.len(),
            Column::StrList(v) => v.len(),
            Column::Text(t) => t.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `row` of an `Int` or `Flag` column as an integer; `None` when missing, out of range
    /// or of another type.
    pub fn int_at(&self, row: usize) -> Option<i64> {
        match self {
            Column::Int(v) => v.get(row).copied().flatten(),
            Column::Flag(v) => v.get(row).map(|&x| i64::from(x)),
            _ => None,
        }
    }
    /// Row `row` of a `Str` or `Text` column; `None` when missing, out of range or of another
    /// type.
    pub fn str_at(&self, row: usize) -> Option<&str> {
        match self {
            Column::Str(v) => v.get(row)?.as_deref(),
            Column::Text(t) => t.get(row),
            _ => None,
        }
    }
    /// Type name as the bindings report it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Column::Str(_) => "str",
            Column::Int(_) => "int",
            Column::Float(_) => "float",
            Column::Bool(_) => "bool",
            Column::Flag(_) => "flag",
            Column::Time(_) => "time",
            Column::StrList(_) => "list[str]",
            Column::Text(_) => "str",
        }
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Column>,
}

impl Table {
    pub fn new() -> Self {
        Table::default()
    }

    /// Adds a column; its length must match the columns already there.
    pub fn push(&mut self, name: &str, column: Column) -> Result<()> {
        if let Some(first) = self.columns.first()
            && first.len() != column.len()
        {
            return Err(CinError::invalid(format!(
                "column {name} has {} rows, the table has {}",
                column.len(),
                first.len()
            )));
        }
        if self.names.iter().any(|n| n == name) {
            return Err(CinError::invalid(format!("column {name} appears twice")));
        }
        self.names.push(name.to_string());
        self.columns.push(column);
        Ok(())
    }

    /// Builder form of [`Table::push`] for analyses whose columns are equal by construction.
    pub fn with(mut self, name: &str, column: Column) -> Self {
        let n = self.columns.first().map(Column::len);
        debug_assert!(n.is_none_or(|n| n == column.len()), "column {name} length");
        if n.is_none_or(|n| n == column.len()) {
            self.names.push(name.to_string());
            self.columns.push(column);
        }
        self
    }

    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn column_names(&self) -> &[String] {
        &self.names
    }
    pub fn columns(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.columns.iter())
    }
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }
    /// Moves the columns out (for zero-copy hand-over to a binding).
    pub fn into_columns(self) -> Vec<(String, Column)> {
        self.names.into_iter().zip(self.columns).collect()
    }

    /// `{"column": [values...], ...}` with times as ISO-8601 strings.
    pub fn to_json_columns(&self) -> String {
        let mut map = serde_json::Map::new();
        for (name, col) in self.columns() {
            let v = match col {
                Column::Time(t) => serde_json::Value::Array(
                    t.iter()
                        .map(|x| {
                            x.map_or(serde_json::Value::Null, |x| {
                                serde_json::Value::String(x.to_string())
                            })
                        })
                        .collect(),
                ),
                other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
            };
            map.insert(name.to_string(), v);
        }
        serde_json::Value::Object(map).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_ragged_and_repeated_columns() {
        let mut t = Table::new();
        t.push("a", Column::Int(vec![Some(1), None])).unwrap();
        assert!(t.push("b", Column::Int(vec![Some(1)])).is_err());
        assert!(t.push("a", Column::Int(vec![Some(1), Some(2)])).is_err());
        t.push("c", Column::Str(vec![Some("x".into()), None]))
            .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.column_names(), ["a", "c"]);
        assert_eq!(t.to_json_columns(), r#"{"a":[1,null],"c":["x",null]}"#);
    }

    #[test]
    fn text_keeps_every_string_and_its_boundaries() {
        let items = ["P1", "", "é-ü", "P0000000002"];
        let t = Table::new().with("id", Column::Text(Text::from_strs(&items)));
        let col = t.column("id").unwrap();
        assert_eq!((col.len(), col.type_name()), (4, "str"));
        assert_eq!(
            (0..5).map(|r| col.str_at(r)).collect::<Vec<_>>(),
            [Some("P1"), Some(""), Some("é-ü"), Some("P0000000002"), None]
        );
        assert_eq!(
            t.to_json_columns(),
            r#"{"id":["P1","","é-ü","P0000000002"]}"#
        );
        let Column::Text(text) = col.clone() else {
            panic!("text column")
        };
        let (offsets, data) = text.into_parts();
        assert_eq!(offsets, [0, 2, 2, 7, 18]);
        assert_eq!(data.len(), 18);
        assert!(Text::default().is_empty() && Text::default().iter().next().is_none());
    }
}
