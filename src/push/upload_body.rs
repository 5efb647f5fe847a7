//! Streaming request bodies with live progress, shared by the ollama, modelscope and
//! huggingface backends.
//!
//! `reqwest` wants a `'static` reader for a streamed body, while progress sinks are borrowed
//! for one command. So the body counts its bytes into an atomic, and a scoped watcher thread
//! turns the count into `TransferProgress` events while the request runs.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::blocking::{Body, RequestBuilder, Response};
use url::Url;

use crate::http::HttpSettings;
use crate::push::http::refuse_redirect;
use crate::push::{
    BlobSource, Failure, Progress, ProgressEvent, PushError, check_response, check_send_error,
};

/// How often the watcher reports.
const REPORT_EVERY: Duration = Duration::from_millis(250);

/// A reader that counts what it hands out.
struct CountingReader {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A body of `len` bytes of `source` from `offset`, sent with `Content-Length`, plus the
/// counter of bytes read from it so far.
pub(crate) fn sized_body(
    source: &BlobSource,
    offset: u64,
    len: u64,
) -> Result<(Body, Arc<AtomicU64>), PushError> {
    let count = Arc::new(AtomicU64::new(0));
    let reader = CountingReader {
        inner: source.open_range(offset, len)?,
        count: count.clone(),
    };
    Ok((Body::sized(reader, len), count))
}

/// Sends all of `source` as the body of `request` to `url`, with a time limit for its size and
/// progress reported under `name`. The bytes that left are added to `sent` whether or not the
/// attempt succeeds, so retries count what they send again. Error answers and redirects fail
/// with the server's message; the caller reads a successful answer.
pub(crate) fn send_whole(
    request: RequestBuilder,
    (url, settings): (&Url, &HttpSettings),
    source: &BlobSource,
    (name, what): (&str, &str),
    progress: &dyn Progress,
    sent: &mut u64,
) -> Result<Response, Failure> {
    let size = source.size();
    let (body, count) = sized_body(source, 0, size)?;
    let request = request.body(body).timeout(settings.transfer_timeout(size));
    let result = with_progress(progress, name, 0, &count, || request.send());
    *sent += count.load(Ordering::Relaxed);
    let response = result.map_err(|e| check_send_error(what, url.as_str(), e))?;
    refuse_redirect(what, check_response(what, response)?)
}

/// Runs `send` while reporting `start + count` as `TransferProgress` of `name`.
pub(crate) fn with_progress<T>(
    progress: &dyn Progress,
    name: &str,
    start: u64,
    count: &AtomicU64,
    send: impl FnOnce() -> T,
) -> T {
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut reported = 0;
            while !finished.load(Ordering::Acquire) {
                std::thread::park_timeout(REPORT_EVERY);
                let done = count.load(Ordering::Relaxed);
                if done != reported {
                    reported = done;
                    progress.emit(ProgressEvent::TransferProgress {
                        name: name.to_string(),
                        done: start + done,
                    });
                }
            }
        });
        let result = send();
        finished.store(true, Ordering::Release);
        watcher.thread().unpark();
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<ProgressEvent>>);

    impl Progress for Recorder {
        fn emit(&self, event: ProgressEvent) {
            self.0.lock().unwrap().push(event);
        }
    }

    #[test]
    fn counts_and_reports_the_bytes_read() {
        let source = BlobSource::bytes(vec![7u8; 1000]);
        let (body, count) = sized_body(&source, 100, 900).unwrap();
        assert_eq!(body.as_bytes(), None, "streamed, not buffered");
        let recorder = Recorder::default();
        let read = with_progress(&recorder, "blob", 100, &count, || {
            let mut reader = CountingReader {
                inner: source.open_range(100, 900).unwrap(),
                count: count.clone(),
            };
            let mut sink = Vec::new();
            reader.read_to_end(&mut sink).unwrap();
            std::thread::sleep(REPORT_EVERY * 2);
            sink.len()
        });
        assert_eq!(read, 900);
        let events = recorder.0.lock().unwrap();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ProgressEvent::TransferProgress { done: 1000, .. })),
            "{events:?}"
        );
    }
}
