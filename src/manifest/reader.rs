//! A reader over TOML with spans: typed getters that record every problem (with its
//! location) instead of stopping at the first, so one run reports all of them.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{Location, ManifestError, ManifestErrorKind, ManifestErrors};
use super::schema::Claim;
use crate::ollama::suggest;

/// A TOML value with its byte span.
pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// Converts byte offsets to lines and columns.
struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    pub(super) fn locate(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        Location { line, column }
    }
}

/// A table being read, with its dotted name for messages.
#[derive(Clone, Copy)]
pub(super) struct TableRef<'t, 'i> {
    pub(super) table: &'t DeTable<'i>,
    pub(super) start: usize,
    pub(super) name: &'t str,
}

impl TableRef<'_, '_> {
    /// Where the table starts, as an empty span (errors point at the start).
    pub(super) fn span(&self) -> Range<usize> {
        self.start..self.start
    }
}

pub(super) struct Reader<'t> {
    lines: LineIndex<'t>,
    path: String,
    pub(super) errors: Vec<ManifestError>,
    /// Values `init` left for the publisher to fill in (not errors: see
    /// [`ManifestErrorKind::Placeholder`]).
    pub(super) placeholders: Vec<ManifestError>,
}

impl<'t> Reader<'t> {
    pub(super) fn new(text: &'t str, path: &Path) -> Self {
        Reader {
            lines: LineIndex::new(text),
            path: path.display().to_string(),
            errors: Vec::new(),
            placeholders: Vec::new(),
        }
    }

    pub(super) fn finish(mut self) -> ManifestErrors {
        self.errors.sort_by_key(|e| e.location);
        ManifestErrors(self.errors)
    }

    pub(super) fn at(&self, span: &Range<usize>) -> Location {
        self.lines.locate(span.start)
    }

    pub(super) fn error(&mut self, span: Range<usize>, kind: ManifestErrorKind) {
        let location = self.at(&span);
        self.errors.push(ManifestError {
            path: self.path.clone(),
            location,
            kind,
        });
    }

    /// Records `value` of `key` as a placeholder when it is one of `init`'s.
    pub(super) fn placeholder(&mut self, span: Range<usize>, key: &str, value: &str, hint: &str) {
        if !super::starter::is_placeholder(value) {
            return;
        }
        let location = self.at(&span);
        self.placeholders.push(ManifestError {
            path: self.path.clone(),
            location,
            kind: ManifestErrorKind::Placeholder {
                key: key.to_owned(),
                value: value.to_owned(),
                hint: hint.to_owned(),
            },
        });
    }

    pub(super) fn invalid(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        self.error(
            span,
            ManifestErrorKind::Invalid {
                key: key.to_owned(),
                message: message.into(),
            },
        );
    }

    // ---- tables and keys ----

    /// Reports every key of `table` not in `allowed`, with the nearest allowed key.
    pub(super) fn only_keys(&mut self, table: TableRef<'_, '_>, allowed: &[&str]) {
        let mut unknown: Vec<_> = table
            .table
            .iter()
            .filter(|(k, _)| !allowed.contains(&k.get_ref().as_ref()))
            .map(|(k, _)| (k.span(), k.get_ref().to_string()))
            .collect();
        unknown.sort_by_key(|(span, _)| span.start);
        for (span, key) in unknown {
            let suggestion = suggest(&key, allowed.iter().copied()).map(str::to_owned);
            self.error(
                span,
                ManifestErrorKind::UnknownKey {
                    key,
                    table: display_table(table.name),
                    suggestion,
                },
            );
        }
    }

    pub(super) fn required<'a, 'i>(
        &mut self,
        table: TableRef<'a, 'i>,
        key: &str,
        hint: &str,
    ) -> Option<&'a Value<'i>> {
        let found = table.table.get(key);
        if found.is_none() {
            self.error(
                table.span(),
                ManifestErrorKind::Missing {
                    key: key.to_owned(),
                    table: display_table(table.name),
                    hint: hint.to_owned(),
                },
            );
        }
        found
    }

    pub(super) fn sub_table<'a, 'i>(
        &mut self,
        value: &'a Value<'i>,
        name: &'a str,
    ) -> Option<TableRef<'a, 'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(TableRef {
                table,
                start: value.span().start,
                name,
            }),
            other => {
                self.wrong_type(value.span(), name, "a table", other);
                None
            }
        }
    }

    pub(super) fn wrong_type(
        &mut self,
        span: Range<usize>,
        key: &str,
        expected: &str,
        found: &DeValue<'_>,
    ) {
        self.error(
            span,
            ManifestErrorKind::WrongType {
                key: key.to_owned(),
                expected: expected.to_owned(),
                found: type_name(found),
            },
        );
    }

    // ---- scalars ----

    pub(super) fn string(&mut self, value: &Value<'_>, key: &str) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.wrong_type(value.span(), key, "a string", other);
                None
            }
        }
    }

    /// A required key whose value must be a non-empty string; `path` names it in errors.
    pub(super) fn required_string(
        &mut self,
        table: TableRef<'_, '_>,
        key: &str,
        hint: &str,
        path: &str,
    ) -> Option<String> {
        self.required(table, key, hint)
            .and_then(|v| self.non_empty_string(v, path))
    }

    pub(super) fn non_empty_string(&mut self, value: &Value<'_>, key: &str) -> Option<String> {
        let s = self.string(value, key)?;
        if s.trim().is_empty() {
            self.invalid(value.span(), key, "must not be empty");
            return None;
        }
        Some(s)
    }

    pub(super) fn bool(&mut self, value: &Value<'_>, key: &str) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(value.span(), key, "`true` or `false`", other);
                None
            }
        }
    }

    pub(super) fn positive_int(&mut self, value: &Value<'_>, key: &str) -> Option<u64> {
        match value.get_ref() {
            DeValue::Integer(i) => match u64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    self.invalid(
                        value.span(),
                        key,
                        format!("must be a positive integer, found {i}"),
                    );
                    None
                }
            },
            other => {
                self.wrong_type(value.span(), key, "a positive integer", other);
                None
            }
        }
    }

    pub(super) fn float(&mut self, value: &Value<'_>, key: &str) -> Option<f64> {
        let parsed = match value.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|i| i as f64),
            other => {
                self.wrong_type(value.span(), key, "a number", other);
                return None;
            }
        };
        match parsed {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                self.invalid(value.span(), key, "must be a finite number");
                None
            }
        }
    }

    pub(super) fn strings(&mut self, value: &Value<'_>, key: &str) -> Option<Vec<String>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(value.span(), key, "an array of strings", value.get_ref());
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items.iter() {
            match self.string(item, &format!("{key}[]")) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    pub(super) fn optional<T>(
        &mut self,
        table: TableRef<'_, '_>,
        key: &str,
        read: impl FnOnce(&mut Self, &Value<'_>, &str) -> Option<T>,
    ) -> Option<T> {
        let value = table.table.get(key)?;
        read(self, value, &dotted(table.name, key))
    }

    /// A value that may be written plainly or as `{ value = ..., intended = true }`.
    pub(super) fn claim<T>(
        &mut self,
        value: &Value<'_>,
        key: &str,
        read: impl FnOnce(&mut Self, &Value<'_>, &str) -> Option<T>,
    ) -> Option<Claim<T>> {
        if let DeValue::Table(table) = value.get_ref() {
            let table = TableRef {
                table,
                start: value.span().start,
                name: key,
            };
            self.only_keys(table, &["value", "intended"]);
            let intended = match table.table.get("intended") {
                Some(v) => self.bool(v, &dotted(key, "intended"))?,
                None => false,
            };
            let inner =
                self.required(table, "value", "write `{ value = ..., intended = true }`")?;
            let location = self.at(&inner.span());
            let value = read(self, inner, key)?;
            return Some(Claim {
                value,
                intended,
                location,
            });
        }
        let location = self.at(&value.span());
        read(self, value, key).map(|value| Claim {
            value,
            intended: false,
            location,
        })
    }

    /// A span starting at a location, to report a second error at a place already found.
    pub(super) fn span_of(&self, location: Location) -> Range<usize> {
        let line_start = self
            .lines
            .starts
            .get(location.line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let offset = self.lines.text[line_start..]
            .char_indices()
            .nth(location.column.saturating_sub(1))
            .map_or(self.lines.text.len(), |(i, _)| line_start + i);
        offset..offset
    }
}

pub(super) fn dotted(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_owned()
    } else {
        format!("{table}.{key}")
    }
}

pub(super) fn display_table(name: &str) -> String {
    if name.is_empty() {
        "the top level".to_owned()
    } else {
        format!("`[{name}]`")
    }
}

fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}
