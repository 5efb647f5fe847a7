//! The key/value metadata of a GGUF header, in file order with lookup by key.

use std::collections::HashMap;

use super::value::Value;

/// One metadata key/value pair and where it starts in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataEntry {
    key: String,
    value: Value,
    offset: u64,
}

impl MetadataEntry {
    /// A pair to write; its offset is only known once written, so it is 0 here.
    pub fn new(key: impl Into<String>, value: Value) -> MetadataEntry {
        MetadataEntry {
            key: key.into(),
            value,
            offset: 0,
        }
    }

    /// The key, e.g. `general.architecture`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The typed value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The byte offset of the pair (its key length field) in the file it was read from.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// All metadata pairs of a header: in file order, with lookup by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    entries: Vec<MetadataEntry>,
    index: HashMap<String, usize>,
}

impl Metadata {
    /// An empty set of pairs.
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// Adds a pair read at `offset`; returns `false` (and keeps the first) if the key exists.
    pub(crate) fn insert_at(&mut self, key: String, value: Value, offset: u64) -> bool {
        if self.index.contains_key(&key) {
            return false;
        }
        self.index.insert(key.clone(), self.entries.len());
        self.entries.push(MetadataEntry { key, value, offset });
        true
    }

    /// Sets `key` to `value`: replaces the value in place if the key exists (keeping its
    /// position), otherwise appends the pair at the end.
    pub fn set(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.index.get(&key) {
            Some(&i) => {
                if let Some(entry) = self.entries.get_mut(i) {
                    entry.value = value;
                }
            }
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push(MetadataEntry {
                    key,
                    value,
                    offset: 0,
                });
            }
        }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entry(key).map(MetadataEntry::value)
    }

    /// The pair for `key`, if present.
    pub fn entry(&self, key: &str) -> Option<&MetadataEntry> {
        self.index.get(key).and_then(|&i| self.entries.get(i))
    }

    /// The pairs in file order.
    pub fn entries(&self) -> &[MetadataEntry] {
        &self.entries
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl FromIterator<(String, Value)> for Metadata {
    /// Collects pairs; a later pair with the same key replaces the earlier value.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut out = Metadata::new();
        for (key, value) in iter {
            out.set(key, value);
        }
        out
    }
}
