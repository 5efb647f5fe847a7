//! Sending one blob: cross-repository mount, monolithic `PUT` for small blobs, chunked
//! `PATCH` with `Content-Range` for big ones, and resuming an interrupted upload session by
//! asking the registry how much it has (`GET` on the session: `204` with `Range: 0-<last>`).
//! Sessions are remembered on disk between commands when a state directory is given.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;
use reqwest::StatusCode;
use reqwest::blocking::Response;
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, RANGE,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::client::RegistryClient;
use crate::digest::Digest;
use crate::push::error::PushError;
use crate::push::ollama_image::ImageBlob;
use crate::push::progress::{Progress, ProgressEvent};
use crate::push::retry::{Failure, check_response, server_message};

/// The header in which a registry names the digest of what it stored.
const DOCKER_CONTENT_DIGEST: &str = "docker-content-digest";

/// How a blob got into the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    /// Linked from another repository; no bytes sent.
    Mounted,
    /// Sent; `sent` bytes went over the wire in this command (less than the size when an
    /// earlier session was resumed).
    Sent {
        /// Bytes sent.
        sent: u64,
        /// Where the upload started (non-zero when resumed).
        resumed_at: u64,
    },
}

/// What is needed to send one blob.
pub struct BlobUpload<'a> {
    /// The registry.
    pub client: &'a RegistryClient,
    /// `namespace/model`.
    pub repository: &'a str,
    /// The blob.
    pub blob: &'a ImageBlob,
    /// A repository of the same registry that has the blob, to mount from.
    pub mount_from: Option<&'a str>,
    /// Chunk size for big blobs.
    pub chunk_size: u64,
    /// Where sessions are remembered between commands.
    pub state_dir: Option<&'a Path>,
    /// Where progress goes.
    pub progress: &'a dyn Progress,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedSession {
    location: String,
}

/// An open upload session: where to send the next bytes, and how many the registry has.
#[derive(Debug, Clone)]
struct Session {
    location: Url,
    offset: u64,
}

impl BlobUpload<'_> {
    /// Mounts or sends the blob, resuming a remembered session when the registry still has it.
    pub fn run(&self) -> Result<Uploaded, PushError> {
        let size = self.blob.size();
        let mut session = None;
        if let Some(from) = self.mount_from {
            match self.try_mount(from)? {
                None => return Ok(Uploaded::Mounted),
                Some(fresh) => session = Some(fresh),
            }
        }
        if session.is_none()
            && let Some(saved) = self.load_session()
        {
            session = self.query_status(&saved);
        }
        let resumed_at = session.as_ref().map_or(0, |s| s.offset);
        let name = self.name();
        self.progress.emit(ProgressEvent::TransferStarted {
            backend: "oci".into(),
            name: name.clone(),
            digest: Some(self.blob.digest),
            size,
            offset: resumed_at,
        });
        let policy = *self.client.retry();
        let max_attempts = policy.max_attempts.max(1);
        let mut failures = 0;
        let mut sent = 0u64;
        loop {
            match self.step(&mut session, &mut sent) {
                Ok(true) => break,
                Ok(false) => failures = 0,
                Err(Failure::Fatal(err)) => return Err(err),
                Err(Failure::Retryable {
                    reason,
                    retry_after,
                }) => {
                    failures += 1;
                    if failures >= max_attempts {
                        return Err(PushError::RetriesExhausted {
                            what: format!("uploading {name}"),
                            attempts: failures,
                            last: reason,
                        });
                    }
                    let wait = retry_after
                        .map_or_else(|| policy.backoff(failures), |d| d.min(policy.max_delay));
                    self.progress.emit(ProgressEvent::Retrying {
                        what: format!("uploading {name}"),
                        attempt: failures,
                        max_attempts,
                        wait_ms: wait.as_millis().try_into().unwrap_or(u64::MAX),
                        reason,
                    });
                    std::thread::sleep(wait);
                    session = session.and_then(|s| self.query_status(&s.location));
                }
            }
        }
        self.forget_session();
        self.progress
            .emit(ProgressEvent::TransferFinished { name, sent });
        Ok(Uploaded::Sent { sent, resumed_at })
    }

    /// Bytes of this blob the registry already holds in a session an earlier command left,
    /// if any (what the plan shows as a resume).
    pub fn resumable_offset(&self) -> Option<u64> {
        let saved = self.load_session()?;
        self.query_status(&saved)
            .map(|s| s.offset)
            .filter(|offset| *offset > 0)
    }

    fn name(&self) -> String {
        format!("{} {}", self.blob.label, &self.blob.digest.hex()[..12])
    }

    /// One request towards the goal; `Ok(true)` when the blob is complete.
    fn step(&self, session: &mut Option<Session>, sent: &mut u64) -> Result<bool, Failure> {
        let size = self.blob.size();
        let current = match session {
            Some(current) => current.clone(),
            None => {
                let fresh = self.start_session()?;
                *session = Some(fresh.clone());
                fresh
            }
        };
        if current.offset == 0 && size <= self.chunk_size {
            let response = self.put_final(&current.location, Some((0, size)))?;
            *sent += size;
            self.finish_check(response)?;
            return Ok(true);
        }
        if current.offset < size {
            let len = self.chunk_size.min(size - current.offset);
            let next = self.patch(&current, len)?;
            *sent += len;
            self.save_session(&next.location);
            let advanced = next.offset > current.offset;
            *session = Some(next);
            if !advanced {
                // A 202 that does not move the offset is no progress: counted as a failure,
                // so a registry that keeps dropping the bytes ends the upload.
                return Err(Failure::Retryable {
                    reason: format!(
                        "the registry accepted bytes {}-{} but still reports {} bytes received",
                        current.offset,
                        current.offset + len - 1,
                        current.offset
                    ),
                    retry_after: None,
                });
            }
            return Ok(false);
        }
        let response = self.put_final(&current.location, None)?;
        self.finish_check(response)?;
        Ok(true)
    }

    /// `POST ?mount=&from=`: `None` when mounted (201), else the session the registry opened.
    fn try_mount(&self, from: &str) -> Result<Option<Session>, PushError> {
        let mut url = self
            .client
            .v2(&format!("{}/blobs/uploads/", self.repository))?;
        url.query_pairs_mut()
            .append_pair("mount", &self.blob.digest.to_string())
            .append_pair("from", from);
        let what = format!("mounting {} from {from}", self.name());
        let response = self.client.send(
            self.progress,
            &what,
            Method::POST,
            &url,
            &HeaderMap::new(),
            None,
        )?;
        if response.status() == StatusCode::CREATED {
            self.progress.emit(ProgressEvent::Skipped {
                name: self.name(),
                reason: format!("mounted from {from}"),
            });
            return Ok(None);
        }
        Ok(Some(Session {
            location: self.location_of(&response)?,
            offset: 0,
        }))
    }

    fn start_session(&self) -> Result<Session, Failure> {
        let url = self
            .client
            .v2(&format!("{}/blobs/uploads/", self.repository))?;
        let what = format!("starting the upload of {}", self.name());
        let response = self.client.send(
            self.progress,
            &what,
            Method::POST,
            &url,
            &HeaderMap::new(),
            None,
        )?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(Failure::Fatal(super::client::unexpected(&what, response)));
        }
        Ok(Session {
            location: self.location_of(&response)?,
            offset: 0,
        })
    }

    /// `GET` on a session: where the registry stands, or `None` when the session is gone (the
    /// upload then restarts).
    fn query_status(&self, location: &Url) -> Option<Session> {
        let what = format!("asking how much of {} the registry has", self.name());
        let response = self
            .client
            .send_once(&what, Method::GET, location, &HeaderMap::new(), None)
            .ok()?;
        if response.status() != StatusCode::NO_CONTENT {
            return None;
        }
        let offset = response
            .headers()
            .get(RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_range_end)?;
        let location = self
            .location_of(&response)
            .unwrap_or_else(|_| location.clone());
        Some(Session { location, offset })
    }

    fn patch(&self, session: &Session, len: u64) -> Result<Session, Failure> {
        let start = session.offset;
        let end = start + len;
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
        let range = HeaderValue::from_str(&format!("{start}-{}", end - 1))
            .map_err(|e| PushError::input(e.to_string()))?;
        headers.insert(CONTENT_RANGE, range);
        let what = format!("sending bytes {start}-{end} of {}", self.name());
        let response = self.with_progress(start, |counter| {
            let source = &self.blob.source;
            let body = move || -> Result<(Box<dyn Read + Send>, u64), PushError> {
                let reader = source.open_range(start, len)?;
                Ok((
                    Box::new(Counting {
                        inner: reader,
                        counter: counter.clone(),
                    }),
                    len,
                ))
            };
            self.client.send_once(
                &what,
                Method::PATCH,
                &session.location,
                &headers,
                Some(&body),
            )
        })?;
        if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
            return Err(Failure::Retryable {
                reason: format!(
                    "the registry refused the range {start}-{}: {}",
                    end - 1,
                    server_message(response)
                ),
                retry_after: Some(Duration::ZERO),
            });
        }
        let response = check_response(&what, response)?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(Failure::Fatal(super::client::unexpected(&what, response)));
        }
        let offset = response
            .headers()
            .get(RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_range_end)
            .unwrap_or(end);
        Ok(Session {
            location: self.location_of(&response)?,
            offset,
        })
    }

    /// The closing `PUT ?digest=`, with the whole blob (`body`) or empty after chunks.
    fn put_final(&self, location: &Url, body: Option<(u64, u64)>) -> Result<Response, Failure> {
        let mut url = location.clone();
        url.query_pairs_mut()
            .append_pair("digest", &self.blob.digest.to_string());
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        let what = format!("finishing the upload of {}", self.name());
        match body {
            Some((start, len)) => self.with_progress(start, |counter| {
                let source = &self.blob.source;
                let body = move || -> Result<(Box<dyn Read + Send>, u64), PushError> {
                    let reader = source.open_range(start, len)?;
                    Ok((
                        Box::new(Counting {
                            inner: reader,
                            counter: counter.clone(),
                        }),
                        len,
                    ))
                };
                self.client
                    .send_once(&what, Method::PUT, &url, &headers, Some(&body))
            }),
            None => {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(0u64));
                self.client
                    .send_once(&what, Method::PUT, &url, &headers, None)
            }
        }
    }

    /// Runs a request while a ticker reports the bytes its body has read.
    fn with_progress<T>(&self, start: u64, send: impl FnOnce(Arc<AtomicU64>) -> T) -> T {
        let counter = Arc::new(AtomicU64::new(0));
        let done = AtomicBool::new(false);
        let name = self.name();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(200));
                    self.progress.emit(ProgressEvent::TransferProgress {
                        name: name.clone(),
                        done: start + counter.load(Ordering::Relaxed),
                    });
                }
            });
            let result = send(counter.clone());
            done.store(true, Ordering::SeqCst);
            result
        })
    }

    /// Checks the closing `PUT`'s answer: `201 Created`, and a `Docker-Content-Digest` (when
    /// the registry sends one) that is the blob's own, so a registry that stored other bytes
    /// fails the push even when nothing is verified afterwards.
    fn finish_check(&self, response: Response) -> Result<(), Failure> {
        let status = response.status();
        let what = format!("finishing the upload of {}", self.name());
        let response = check_response(&what, response)?;
        if status != StatusCode::CREATED {
            return Err(Failure::Fatal(super::client::unexpected(&what, response)));
        }
        let stored = response.headers().get(DOCKER_CONTENT_DIGEST).map(|value| {
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<Digest>().ok())
        });
        match stored {
            None => Ok(()),
            Some(Some(digest)) if digest == self.blob.digest => Ok(()),
            Some(Some(digest)) => Err(Failure::Fatal(PushError::DigestMismatch {
                what: format!("{what}: the registry stored other bytes"),
                expected: Box::new(self.blob.digest),
                actual: Box::new(digest),
            })),
            Some(None) => Err(Failure::Fatal(PushError::Protocol {
                what,
                url: response.url().to_string(),
                message: "the `Docker-Content-Digest` header is not a sha256 digest".into(),
            })),
        }
    }

    fn location_of(&self, response: &Response) -> Result<Url, PushError> {
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| PushError::Protocol {
                what: format!("uploading {}", self.name()),
                url: response.url().to_string(),
                message: "no `Location` header on an upload answer".into(),
            })?;
        self.client.resolve(location)
    }

    fn session_file(&self) -> Option<PathBuf> {
        let dir = self.state_dir?;
        let key = format!(
            "{}|{}|{}",
            self.client.base(),
            self.repository,
            self.blob.digest
        );
        Some(dir.join("oci-uploads").join(format!(
            "{}.json",
            &Digest::of_bytes(key.as_bytes()).hex()[..32]
        )))
    }

    fn load_session(&self) -> Option<Url> {
        let text = crate::text_file::read_text(&self.session_file()?, 64 << 10).ok()?;
        let saved: SavedSession = serde_json::from_str(&text).ok()?;
        Url::parse(&saved.location).ok()
    }

    /// Remembering is best effort: without it, a later command restarts the blob.
    fn save_session(&self, location: &Url) {
        let Some(path) = self.session_file() else {
            return;
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(text) = serde_json::to_string(&SavedSession {
            location: location.to_string(),
        }) {
            let _ = std::fs::write(path, text);
        }
    }

    fn forget_session(&self) {
        if let Some(path) = self.session_file() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Counts the bytes a request body has read, for the progress ticker.
struct Counting<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The offset after a `Range: 0-<last>` answer. `0-0` is read as nothing received (the
/// distribution registry sends it for an empty session too); a wrong guess costs one 416 and
/// a restart, never corrupt data, because the final digest is checked.
pub fn parse_range_end(value: &str) -> Option<u64> {
    let value = value.trim().trim_start_matches("bytes=");
    let (start, end) = value.split_once('-')?;
    if start.trim() != "0" {
        return None;
    }
    let end: u64 = end.trim().parse().ok()?;
    Some(if end == 0 { 0 } else { end + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range_end("0-1048575"), Some(1 << 20));
        assert_eq!(parse_range_end("0-0"), Some(0));
        assert_eq!(parse_range_end("bytes=0-9"), Some(10));
        assert_eq!(parse_range_end("5-9"), None);
        assert_eq!(parse_range_end("0--1"), None);
    }
}
