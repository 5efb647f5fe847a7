//! The Git LFS batch API (`POST <repo>/info/lfs/objects/batch`), as the Hub and ModelScope
//! both speak it: the request's object list and the answer's objects and actions.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::digest::Digest;

/// The `objects` of a batch request: each object's sha256 (bare hex, the LFS oid) and size.
pub fn batch_objects(objects: &[(Digest, u64)]) -> Vec<Value> {
    objects
        .iter()
        .map(|(d, s)| json!({"oid": d.hex(), "size": s}))
        .collect()
}

/// One object of an LFS batch answer.
#[derive(Debug, Clone, Deserialize)]
pub struct LfsObject {
    /// The sha256.
    pub oid: String,
    /// The size.
    #[serde(default)]
    pub size: u64,
    /// Absent when the server already stores the object.
    #[serde(default)]
    pub actions: Option<LfsActions>,
    /// A per-object error.
    #[serde(default)]
    pub error: Option<LfsObjectError>,
}

/// A per-object batch error.
#[derive(Debug, Clone, Deserialize)]
pub struct LfsObjectError {
    /// The code.
    #[serde(default)]
    pub code: i64,
    /// The message.
    #[serde(default)]
    pub message: String,
}

/// The actions of a batch object.
#[derive(Debug, Clone, Deserialize)]
pub struct LfsActions {
    /// Where the bytes go.
    pub upload: Option<LfsAction>,
    /// Where to confirm the upload.
    pub verify: Option<LfsAction>,
}

/// One action.
#[derive(Debug, Clone, Deserialize)]
pub struct LfsAction {
    /// Its URL.
    pub href: String,
    /// Headers for it; for multipart, `chunk_size` and one URL per part.
    #[serde(default)]
    pub header: BTreeMap<String, Value>,
}

impl LfsObject {
    /// The upload action, present when the server lacks the object's bytes.
    pub fn upload(&self) -> Option<&LfsAction> {
        self.actions.as_ref()?.upload.as_ref()
    }
}

impl LfsAction {
    /// The headers with text values, to send with the action's request.
    pub fn text_headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.header
            .iter()
            .filter_map(|(key, value)| Some((key.as_str(), value.as_str()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_and_without_actions() {
        let objects: Vec<LfsObject> = serde_json::from_value(json!([
            {"oid": "a", "size": 1},
            {"oid": "b", "size": 2, "actions": {"upload": {"href": "/u", "header": {"X": "y", "chunk_size": 5}}}}
        ]))
        .unwrap();
        assert!(objects[0].upload().is_none());
        let upload = objects[1].upload().unwrap();
        assert_eq!(upload.href, "/u");
        assert_eq!(upload.text_headers().collect::<Vec<_>>(), [("X", "y")]);
        let digest = Digest::of_bytes(b"");
        assert_eq!(
            batch_objects(&[(digest, 0)]),
            [json!({"oid": digest.hex(), "size": 0})]
        );
    }
}
