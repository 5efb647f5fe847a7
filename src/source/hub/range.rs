//! Reading a GGUF header from the Hub with HTTP Range requests, without downloading the file.
//!
//! The first request asks for [`HubLimits::first_range`] bytes, which holds most headers
//! whole. When the prefix is too short, the next request is sized from what the parser had
//! read when it stopped ([`Truncation`]), not by doubling: the rest of a fixed-size array is
//! known exactly; the rest of a string array is its remaining count times the mean length of
//! the strings read so far, plus 1/16 (for BPE merges at least the token list's mean plus one
//! byte: each merge makes one token, and the first merges make the shortest); after the token
//! list comes one array of 4-byte values per token (llama.cpp's writers always add
//! `token_type`, and `scores` for SentencePiece vocabularies); the remaining metadata pairs
//! and tensor infos get a small allowance each.
//! Asking for too little costs a round trip, asking for too much costs bytes only when the
//! request runs past the header's end, so only the last request wastes anything, and only its
//! allowance. A 262,144-token vocabulary (a 6.5 MB header) takes three or four requests and
//! less than 1.10 times the header (see `docs/benchmarks.md`).
//!
//! [`HubLimits::first_range`]: super::HubLimits::first_range

use std::io::Read;
use std::ops::Range;

use url::Url;

use super::client::Wait;
use super::{HubClient, HubError};
use crate::gguf::{GgufHeader, Truncation, ValueType};
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
            let (needed, truncation) = match GgufHeader::read(prefix.as_slice(), Some(file_size)) {
                Ok(header) => {
                    return Ok(RemoteHeader {
                        header,
                        file_size,
                        bytes_fetched: prefix.len() as u64,
                        round_trips,
                    });
                }
                Err(source) => match source.bytes_needed() {
                    Some(needed) if (prefix.len() as u64) < file_size => {
                        (needed, source.truncation().cloned())
                    }
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
            let want = next_range_end(needed, truncation.as_ref())
                .max(have + 1)
                .min(file_size)
                .min(limit);
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

/// The key of the token list, which per-token arrays follow.
const TOKEN_LIST_KEY: &str = "tokenizer.ggml.tokens";

/// The key of a BPE vocabulary's merges.
const MERGES_KEY: &str = "tokenizer.ggml.merges";

/// The allowance for each metadata pair not reached yet: most are numbers, flags and short
/// strings; a chat template is larger, which [`TAIL_SLACK`] covers.
const PAIR_ALLOWANCE: u64 = 256;

/// The allowance for each tensor info before any was read: a length field, a name of about
/// 30 bytes, the dimension count, two or three dimensions, the type and the offset.
const TENSOR_INFO_ALLOWANCE: u64 = 96;

/// Added to every estimate: a chat template or two, and rounding.
const TAIL_SLACK: u64 = 16 << 10;

/// Where the next range should end, from what the parser needs at least (`needed`, which
/// already covers the rest of a fixed-size array exactly) and what it had read when the input
/// ended. See the module comment for the rule.
fn next_range_end(needed: u64, truncation: Option<&Truncation>) -> u64 {
    let Some(cut) = truncation else {
        return needed;
    };
    let mut end = needed;
    let mut pairs_left = cut.kv_count.saturating_sub(cut.kvs_read);
    if let Some(array) = &cut.array {
        // This pair is under way; its own size is estimated here.
        pairs_left = pairs_left.saturating_sub(1);
        let left = array.count.saturating_sub(array.read);
        if array.element_type == ValueType::String {
            let seen = (array.read > 0)
                .then(|| (array.read_end.saturating_sub(array.elements_at)).div_ceil(array.read));
            // Each BPE merge makes one token ("a b" -> "ab"), so merges are one byte longer
            // than tokens on average; the first merges, which make the shortest tokens, would
            // underestimate the rest.
            let token_list = cut
                .arrays_read
                .iter()
                .find(|read| read.key == TOKEN_LIST_KEY && read.count > 0);
            let prior = token_list
                .filter(|_| array.key == MERGES_KEY)
                .map(|tokens| tokens.bytes.div_ceil(tokens.count) + 1);
            if let Some(mean) = seen.max(prior) {
                let rest = left.saturating_mul(mean);
                end = end.max(
                    array
                        .read_end
                        .saturating_add(rest.saturating_add(rest / 16)),
                );
            }
        }
        if array.key == TOKEN_LIST_KEY {
            end = end.saturating_add(array.count.saturating_mul(4));
        }
    }
    let tensors_left = cut.tensor_count.saturating_sub(cut.tensors_read);
    let per_tensor = match cut.tensor_infos_at {
        Some(at) if cut.tensors_read > 0 => (cut.tensor_infos_end.saturating_sub(at))
            .div_ceil(cut.tensors_read)
            .saturating_add(8),
        _ => TENSOR_INFO_ALLOWANCE,
    };
    end.saturating_add(pairs_left.saturating_mul(PAIR_ALLOWANCE))
        .saturating_add(tensors_left.saturating_mul(per_tensor))
        .saturating_add(TAIL_SLACK)
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
    use super::*;
    use crate::gguf::{ArrayProgress, ArrayRead, GgufWriter, StringArray, Value};

    /// What the parser reports for `bytes[..cut]` of a file of `len` bytes.
    fn cut_at(bytes: &[u8], cut: usize, len: u64) -> (u64, Truncation) {
        let err = GgufHeader::read(&bytes[..cut], Some(len)).unwrap_err();
        (
            err.bytes_needed().unwrap(),
            err.truncation().unwrap().clone(),
        )
    }

    #[test]
    fn parser_reports_the_array_it_stopped_in() {
        let tokens: Vec<String> = (0..1000).map(|i| format!("tok{i:04}")).collect();
        let mut w = GgufWriter::new();
        w.set("general.architecture", Value::String("llama".into()));
        w.set(
            TOKEN_LIST_KEY,
            Value::Array(crate::gguf::Array::String(
                tokens.iter().map(String::as_str).collect::<StringArray>(),
            )),
        );
        w.set("general.file_type", Value::U32(15));
        let mut bytes = Vec::new();
        w.write_to(&mut bytes).unwrap();
        let len = bytes.len() as u64;
        // Each token is an 8-byte length and 7 bytes: find where they start, then stop 3
        // bytes into the 101st.
        let (_, early) = cut_at(&bytes, 200, len);
        let first = early.array.unwrap().elements_at;
        let (needed, cut) = cut_at(&bytes, (first + 100 * 15 + 3) as usize, len);
        assert_eq!((cut.kv_count, cut.kvs_read), (3, 1));
        let array = cut.array.clone().unwrap();
        assert_eq!(array.key, TOKEN_LIST_KEY);
        assert_eq!((array.count, array.read), (1000, 100));
        assert_eq!(array.elements_at, first);
        assert_eq!(array.read_end, first + 1500);
        assert!(cut.arrays_read.is_empty());
        // 900 strings of 15 bytes, 1/16 more, then one 4-byte value per token, then the
        // allowances for the last pair and the slack.
        let expected = first + 1500 + 900 * 15 + 900 * 15 / 16 + 4000;
        assert_eq!(
            next_range_end(needed, Some(&cut)),
            expected + PAIR_ALLOWANCE + TAIL_SLACK
        );
    }

    #[test]
    fn fixed_arrays_are_exact_and_merges_follow_the_tokens() {
        let tokens = ArrayRead {
            key: TOKEN_LIST_KEY.into(),
            element_type: ValueType::String,
            count: 1000,
            bytes: 15_000,
        };
        let in_types = Truncation {
            kv_count: 5,
            kvs_read: 3,
            tensor_count: 10,
            array: Some(ArrayProgress {
                key: "tokenizer.ggml.token_type".into(),
                element_type: ValueType::I32,
                count: 1000,
                elements_at: 20_000,
                read: 10,
                read_end: 20_040,
            }),
            arrays_read: vec![tokens.clone()],
            ..Truncation::default()
        };
        // `needed` (the end of the fixed array) plus one pair and ten tensor infos.
        assert_eq!(
            next_range_end(24_000, Some(&in_types)),
            24_000 + PAIR_ALLOWANCE + 10 * TENSOR_INFO_ALLOWANCE + TAIL_SLACK
        );
        let in_merges = Truncation {
            array: Some(ArrayProgress {
                key: MERGES_KEY.into(),
                element_type: ValueType::String,
                count: 1000,
                elements_at: 30_000,
                read: 10,
                read_end: 30_100, // 10 bytes each so far: shorter than the tokens
            }),
            ..in_types
        };
        // The token list's 15 bytes plus one, not the 10 seen so far.
        let rest = 990 * 16;
        assert_eq!(
            next_range_end(30_200, Some(&in_merges)),
            30_100 + rest + rest / 16 + PAIR_ALLOWANCE + 10 * TENSOR_INFO_ALLOWANCE + TAIL_SLACK
        );
    }

    #[test]
    fn without_progress_the_parser_minimum_is_asked_for() {
        assert_eq!(next_range_end(1234, None), 1234);
    }

    #[test]
    fn content_range() {
        assert_eq!(parse_content_range("bytes 0-99/1000"), Some((0, 99, 1000)));
        assert_eq!(parse_content_range("bytes 0-99/*"), None);
        assert_eq!(parse_content_range("bytes 9-1/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
