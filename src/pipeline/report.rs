//! What a release did, registry by registry: the typed report a push returns.

use serde::{Serialize, Serializer};

use super::registry::Registry;

/// How one registry's part of a release ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Pushed and read back: everything matched.
    Ok,
    /// Planning, pushing or verifying failed, or the registry could not be set up (the sink
    /// heard the error).
    Failed,
    /// Pushed; reading it back was turned off.
    NotVerified,
    /// Planned only.
    DryRun,
    /// Planned only, and not even that: GGUFs it needs are not downloaded yet (a dry run
    /// downloads nothing). Each entry names a file and its size.
    WouldDownload(Vec<String>),
    /// The release has nothing for this registry.
    NothingToPush,
}

impl Status {
    /// Whether this registry failed.
    pub fn is_failure(&self) -> bool {
        matches!(self, Status::Failed)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Ok => f.write_str("ok"),
            Status::Failed => f.write_str("failed"),
            Status::NotVerified => f.write_str("not verified"),
            Status::DryRun => f.write_str("dry run"),
            Status::WouldDownload(files) => {
                write!(f, "dry run: would download {}", files.join(", "))
            }
            Status::NothingToPush => f.write_str("nothing to push"),
        }
    }
}

/// The summary and `--json` spell a status as its text (`"ok"`, `"failed"`, ...).
impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One registry target of a release: one line of the summary table.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    /// The registry.
    pub registry: Registry,
    /// Where the release went (`-` when it never got that far).
    pub target: String,
    /// Plan items.
    pub items: usize,
    /// Items already there.
    pub skipped: usize,
    /// Bytes sent: for a push that failed, those of the transfers that finished before the
    /// failure; 0 when planning failed; the planned bytes in a dry run.
    pub bytes: u64,
    /// How it ended.
    pub status: Status,
}

impl SummaryRow {
    /// A row for a registry that never reached a backend.
    pub(crate) fn unplanned(registry: Registry, status: Status) -> Self {
        Self {
            registry,
            target: "-".into(),
            items: 0,
            skipped: 0,
            bytes: 0,
            status,
        }
    }
}

/// What a push did: one row per registry target, in registry order.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct PushSummary {
    /// The rows.
    pub rows: Vec<SummaryRow>,
}

impl PushSummary {
    /// Whether any registry failed (a command then exits with a failure).
    pub fn failed(&self) -> bool {
        self.rows.iter().any(|row| row.status.is_failure())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_the_summary_always_spelled_them() {
        let row = |status| SummaryRow::unplanned(Registry::Oci, status);
        let summary = PushSummary {
            rows: vec![
                row(Status::Ok),
                row(Status::NotVerified),
                row(Status::WouldDownload(vec![
                    "a.gguf (1.0 MiB)".into(),
                    "b.gguf (2 B)".into(),
                ])),
                row(Status::NothingToPush),
            ],
        };
        let json = serde_json::to_value(&summary).unwrap();
        let statuses: Vec<&str> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            [
                "ok",
                "not verified",
                "dry run: would download a.gguf (1.0 MiB), b.gguf (2 B)",
                "nothing to push"
            ]
        );
        assert_eq!(json[0]["registry"], "oci");
        assert!(!summary.failed());
        let failed = PushSummary {
            rows: vec![row(Status::DryRun), row(Status::Failed)],
        };
        assert!(failed.failed());
        assert_eq!(Status::Failed.to_string(), "failed");
    }
}
