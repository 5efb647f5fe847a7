//! Progress reporting: backends emit [`ProgressEvent`]s into a [`Progress`] sink, and the sink
//! decides how they look: bars on a terminal, plain lines in a log, JSON lines for CI, or
//! nothing at all.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::digest::{Digest, HashProgress};

/// One thing that happened during a push. Serialized (tagged by `event`) for `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// A local file is being hashed (its digest was not cached).
    Hashing {
        /// The file.
        path: String,
        /// Its size in bytes.
        size: u64,
    },
    /// Bytes of a file hashed so far.
    HashProgress {
        /// The file, as in `Hashing`.
        path: String,
        /// Bytes hashed so far.
        done: u64,
    },
    /// A file is hashed.
    Hashed {
        /// The file, as in `Hashing`.
        path: String,
    },
    /// A transfer starts (or resumes at `offset`).
    TransferStarted {
        /// The backend doing it.
        backend: String,
        /// What is sent (a layer, a file path in the repository).
        name: String,
        /// Its digest when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        digest: Option<Digest>,
        /// Its total size.
        size: u64,
        /// Bytes already there (a resumed upload).
        offset: u64,
    },
    /// Bytes moved; `done` counts from the start of the item, including any resumed offset.
    TransferProgress {
        /// The item, as in `TransferStarted`.
        name: String,
        /// Bytes done so far.
        done: u64,
    },
    /// A transfer finished.
    TransferFinished {
        /// The item.
        name: String,
        /// Bytes actually sent in this command (0 for a mount).
        sent: u64,
    },
    /// Nothing to do for an item: it is already there.
    Skipped {
        /// The item.
        name: String,
        /// Why.
        reason: String,
    },
    /// A request failed in a way worth retrying and will be tried again after `wait_ms`.
    Retrying {
        /// What is retried.
        what: String,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// How many attempts are allowed in all.
        max_attempts: u32,
        /// How long until the next attempt.
        wait_ms: u64,
        /// Why the attempt failed.
        reason: String,
    },
    /// Something the user should know that does not stop the push.
    Warning {
        /// The message.
        message: String,
    },
}

/// Where progress goes. Implementations must be cheap: `TransferProgress` arrives often.
pub trait Progress: HashProgress + Send + Sync {
    /// Records one event.
    fn emit(&self, event: ProgressEvent);
}

/// Hashing reports into the same sink as transfers: `Hashing`, `HashProgress` (at most one per
/// 1 MiB), `Hashed`.
impl<P: Progress + ?Sized> HashProgress for P {
    fn started(&self, path: &Path, size: u64) {
        self.emit(ProgressEvent::Hashing {
            path: path.display().to_string(),
            size,
        });
    }

    fn advanced(&self, path: &Path, done: u64) {
        self.emit(ProgressEvent::HashProgress {
            path: path.display().to_string(),
            done,
        });
    }

    fn finished(&self, path: &Path) {
        self.emit(ProgressEvent::Hashed {
            path: path.display().to_string(),
        });
    }
}

/// Discards everything (`--quiet`, and tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct QuietProgress;

impl Progress for QuietProgress {
    fn emit(&self, _event: ProgressEvent) {}
}

/// One line per start, finish, skip, retry and warning on stderr; no byte-level noise, for
/// logs and pipes.
#[derive(Debug, Default)]
pub struct PlainProgress {
    lock: Mutex<()>,
}

impl Progress for PlainProgress {
    fn emit(&self, event: ProgressEvent) {
        let line = match event {
            ProgressEvent::Hashing { path, size } => {
                format!("hashing `{path}` ({})", human_bytes(size))
            }
            // Names are the plan's item names; with several targets at once they start with
            // the target (see `push_side_by_side`).
            ProgressEvent::TransferStarted {
                name, size, offset, ..
            } if offset > 0 => format!(
                "resuming {name} at {} of {}",
                human_bytes(offset),
                human_bytes(size)
            ),
            ProgressEvent::TransferStarted { name, size, .. } => {
                format!("sending {name} ({})", human_bytes(size))
            }
            ProgressEvent::TransferProgress { .. }
            | ProgressEvent::HashProgress { .. }
            | ProgressEvent::Hashed { .. } => return,
            ProgressEvent::TransferFinished { name, sent } => {
                format!("done {name} ({} sent)", human_bytes(sent))
            }
            ProgressEvent::Skipped { name, reason } => format!("skipped {name}: {reason}"),
            ProgressEvent::Retrying {
                what,
                attempt,
                max_attempts,
                wait_ms,
                reason,
            } => format!(
                "retrying {what} in {:.1}s (attempt {attempt} of {max_attempts} failed: {reason})",
                wait_ms as f64 / 1000.0
            ),
            ProgressEvent::Warning { message } => format!("warning: {message}"),
        };
        let _guard = self.lock.lock();
        let _ = writeln!(io::stderr(), "{line}");
    }
}

/// Machine-readable events, one JSON object per line, for CI (`--json`). Byte progress is
/// thinned to at most one line per item every half second.
pub struct JsonProgress<W: Write + Send> {
    state: Mutex<(W, HashMap<String, Instant>)>,
}

impl<W: Write + Send> JsonProgress<W> {
    /// Writes events to `out`.
    pub fn new(out: W) -> Self {
        Self {
            state: Mutex::new((out, HashMap::new())),
        }
    }
}

impl<W: Write + Send> Progress for JsonProgress<W> {
    fn emit(&self, event: ProgressEvent) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let (out, last) = &mut *state;
        let thinned = match &event {
            ProgressEvent::TransferProgress { name, .. } => Some(name),
            ProgressEvent::HashProgress { path, .. } => Some(path),
            _ => None,
        };
        if let Some(name) = thinned {
            let now = Instant::now();
            if last
                .get(name)
                .is_some_and(|at| now.duration_since(*at) < Duration::from_millis(500))
            {
                return;
            }
            last.insert(name.clone(), now);
        }
        if let Ok(line) = serde_json::to_string(&event) {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// Bars with bytes, rate and ETA for an interactive terminal (indicatif), one per transfer.
pub struct TerminalProgress {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Default for TerminalProgress {
    fn default() -> Self {
        Self {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
        }
    }
}

impl TerminalProgress {
    fn bar_style() -> ProgressStyle {
        ProgressStyle::with_template(
            "{msg:30!} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
    }
}

impl Progress for TerminalProgress {
    fn emit(&self, event: ProgressEvent) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        match event {
            ProgressEvent::TransferStarted {
                name, size, offset, ..
            } => {
                let bar = self.multi.add(ProgressBar::new(size));
                bar.set_style(Self::bar_style());
                bar.set_message(name.clone());
                bar.set_position(offset);
                bars.insert(name, bar);
            }
            ProgressEvent::TransferProgress { name, done } => {
                if let Some(bar) = bars.get(&name) {
                    bar.set_position(done);
                }
            }
            ProgressEvent::TransferFinished { name, .. } => {
                if let Some(bar) = bars.remove(&name) {
                    bar.finish();
                }
            }
            ProgressEvent::Hashing { path, size } => {
                let bar = self.multi.add(ProgressBar::new(size));
                bar.set_style(Self::bar_style());
                bar.set_message(format!("hashing {path}"));
                bars.insert(hash_bar(&path), bar);
            }
            ProgressEvent::HashProgress { path, done } => {
                if let Some(bar) = bars.get(&hash_bar(&path)) {
                    bar.set_position(done);
                }
            }
            ProgressEvent::Hashed { path } => {
                if let Some(bar) = bars.remove(&hash_bar(&path)) {
                    bar.finish();
                }
            }
            ProgressEvent::Skipped { name, reason } => {
                let _ = self.multi.println(format!("skipped {name}: {reason}"));
            }
            ProgressEvent::Retrying {
                what,
                attempt,
                max_attempts,
                wait_ms,
                reason,
            } => {
                let _ = self.multi.println(format!(
                    "retrying {what} in {:.1}s (attempt {attempt} of {max_attempts} failed: {reason})",
                    wait_ms as f64 / 1000.0
                ));
            }
            ProgressEvent::Warning { message } => {
                let _ = self.multi.println(format!("warning: {message}"));
            }
        }
    }
}

/// The bar key of a file being hashed, apart from transfers of the same name.
fn hash_bar(path: &str) -> String {
    format!("\0hash {path}")
}

/// A reader that reports bytes read as `TransferProgress` for one item, thinned to one event
/// per 1 MiB so sinks are not flooded.
pub struct ProgressReader<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
    name: String,
    done: u64,
    reported: u64,
}

impl<'a, R: Read> ProgressReader<'a, R> {
    /// Wraps `inner`; `start` is the offset the reader begins at within the item.
    pub fn new(inner: R, progress: &'a dyn Progress, name: impl Into<String>, start: u64) -> Self {
        Self {
            inner,
            progress,
            name: name.into(),
            done: start,
            reported: start,
        }
    }
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done - self.reported >= 1 << 20 || (n == 0 && self.done != self.reported) {
            self.reported = self.done;
            self.progress.emit(ProgressEvent::TransferProgress {
                name: self.name.clone(),
                done: self.done,
            });
        }
        Ok(n)
    }
}

/// `1.5 GiB`, `12.0 MiB`, `512 B`: sizes for people.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_are_tagged() {
        let sink = JsonProgress::new(Vec::new());
        sink.emit(ProgressEvent::Skipped {
            name: "model".into(),
            reason: "already in the registry".into(),
        });
        sink.emit(ProgressEvent::TransferProgress {
            name: "a".into(),
            done: 1,
        });
        sink.emit(ProgressEvent::TransferProgress {
            name: "a".into(),
            done: 2,
        });
        let out = String::from_utf8(sink.state.into_inner().unwrap().0).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines.len(),
            2,
            "second progress line within 500 ms is thinned: {out}"
        );
        assert_eq!(
            lines[0],
            r#"{"event":"skipped","name":"model","reason":"already in the registry"}"#
        );
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1 << 30), "1.0 GiB");
    }
}
