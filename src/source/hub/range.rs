//! Reading a GGUF header from the Hub with HTTP Range requests, without downloading the file.
//!
//! The first request asks for [`HubLimits::first_range`] bytes. Whenever the parser reports
//! that the prefix is too short, the next request at least doubles what has been fetched (or
//! goes straight to what the parser says it needs, if that is more), so a 10 MB header takes
//! at most five round trips and never more than the header plus one doubling is read.
//!
//! [`HubLimits::first_range`]: super::HubLimits::first_range

use std::io::Read;
use std::ops::Range;

use url::Url;

use super::client::Wait;
use super::{HubClient, HubError};
use crate::gguf::GgufHeader;
use crate::source::{RepoId, RepoPath, Revision};

/// A header read over the network, with what it cost.
#[derive(Debug)]
pub struct RemoteHeader {
    /// The parsed header.
    pub header: GgufHeader,
    /// The whole file's size, from `Content-Range`.
    pub file_size: u64,
    /// How many bytes were fetched (a prefix of the file).
    pub bytes_fetched: u64,
    /// How many range requests were made.
    pub round_trips: u32,
}

impl HubClient {
    /// The download URL of a file: `/{repo}/resolve/{rev}/{path}`.
    pub fn resolve_url(
        &self,
        repo: &RepoId,
        revision: &Revision,
        path: &RepoPath,
    ) -> Result<Url, HubError> {
        self.url(&format!(
            "{repo}/resolve/{}/{}",
            revision.encoded(),
            path.encoded()
        ))
    }

    /// Reads the GGUF header of one file on the Hub through Range requests.
    ///
    /// The parser's allocation bound is the whole file's size from `Content-Range`, not the
    /// prefix fetched so far. A server that answers a range with the whole file (`200`) is
    /// reported as [`HubError::RangeIgnored`] before any of its body is read.
    pub fn read_header(
        &self,
        repo: &RepoId,
        revision: &Revision,
        path: &RepoPath,
    ) -> Result<RemoteHeader, HubError> {
        let url = self.resolve_url(repo, revision, path)?;
        let limit = self.limits().max_header_bytes;
        let first = self.limits().first_range.clamp(1, limit);
        let (mut prefix, file_size, file_url) = self.fetch_range(&url, 0..first, None)?;
        let mut round_trips = 1;
        loop {
            let needed = match GgufHeader::read(prefix.as_slice(), Some(file_size)) {
                Ok(header) => {
                    return Ok(RemoteHeader {
                        header,
                        file_size,
                        bytes_fetched: prefix.len() as u64,
                        round_trips,
                    });
                }
                Err(source) => match source.bytes_needed() {
                    Some(needed) if (prefix.len() as u64) < file_size => needed,
                    _ => {
                        return Err(HubError::Header {
                            url: url.to_string(),
                            source,
                        });
                    }
                },
            };
            let have = prefix.len() as u64;
            if have >= limit {
                return Err(HubError::HeaderTooLarge {
                    url: url.to_string(),
                    limit,
                });
            }
            let want = needed.max(have.saturating_mul(2)).min(file_size).min(limit);
            // Straight to where the first request ended up (the CDN for LFS files), so each
            // further step is one request, not a redirect plus a request.
            let (more, _, _) = self.fetch_range(&file_url, have..want, Some(file_size))?;
            prefix.extend_from_slice(&more);
            round_trips += 1;
        }
    }

    /// Fetches `range` of the file (clamped by the server to the file's end) and returns the
    /// bytes, the file's total size and the URL the answer came from after redirects. `known_size` is checked against `Content-Range`, so a
    /// file that changes between requests is caught.
    fn fetch_range(
        &self,
        url: &Url,
        range: Range<u64>,
        known_size: Option<u64>,
    ) -> Result<(Vec<u8>, u64, Url), HubError> {
        let answer = self.get(url.clone(), Some(range.clone()), Wait::Whole)?;
        let status = answer.response.status().as_u16();
        let bad = |reason: String| HubError::BadRange {
            url: answer.url.to_string(),
            reason,
        };
        if status != 206 {
            // The body is the whole file: drop the answer unread.
            return Err(HubError::RangeIgnored {
                status,
                url: answer.url.to_string(),
            });
        }
        let content_range = answer
            .response
            .headers()
            .get(reqwest::header::CONTENT_RANGE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| bad("206 without a `Content-Range` header".to_owned()))?;
        let (start, end, total) = parse_content_range(&content_range).ok_or_else(|| {
            bad(format!(
                "`Content-Range: {content_range}` is not `bytes START-END/SIZE`"
            ))
        })?;
        if start != range.start || end >= range.end || end >= total {
            return Err(bad(format!(
                "asked for bytes {}-{}, got `Content-Range: {content_range}`",
                range.start,
                range.end - 1
            )));
        }
        if let Some(known) = known_size.filter(|known| *known != total) {
            return Err(bad(format!(
                "the file's size changed from {known} to {total} bytes between requests"
            )));
        }
        let expected = end - start + 1;
        let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        let final_url = answer.url.clone();
        let read_url = answer.url.to_string();
        answer
            .response
            .take(expected + 1)
            .read_to_end(&mut body)
            .map_err(|err| HubError::BadRange {
                url: read_url.clone(),
                reason: self.read_failure(&err),
            })?;
        if body.len() as u64 != expected {
            return Err(HubError::BadRange {
                url: read_url,
                reason: format!(
                    "`Content-Range: {content_range}` announced {expected} bytes, the body had {}",
                    body.len()
                ),
            });
        }
        Ok((body, total, final_url))
    }
}

/// Parses `bytes START-END/SIZE` (a known size is required: the allocation bound needs it).
pub(super) fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end, total) = (
        start.trim().parse().ok()?,
        end.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (start <= end).then_some((start, end, total))
}

#[cfg(test)]
mod tests {
    use super::parse_content_range;

    #[test]
    fn content_range() {
        assert_eq!(parse_content_range("bytes 0-99/1000"), Some((0, 99, 1000)));
        assert_eq!(parse_content_range("bytes 0-99/*"), None);
        assert_eq!(parse_content_range("bytes 9-1/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
