//! One read of a local file shared by every target of a push command that sends its bytes.
//!
//! `push --to oci --to bundle` sends the same multi-gigabyte GGUF to two places. Opening it
//! once per target would read it from disk once more for every target. Instead the targets
//! push side by side and read through one [`SharedFile`]: whichever reader first needs a chunk
//! reads it from disk, the others copy it from a small window in memory, and a chunk leaves
//! the window as soon as every expected reader has passed it.
//!
//! Sharing must never cost correctness or bound the slowest target's pace forever, so:
//! - The window holds at most [`WINDOW_CHUNKS`] chunks of [`CHUNK_SIZE`]; a reader that would
//!   run further ahead waits for the others (memory stays flat whatever the file size).
//! - If no reader makes progress for the stall limit (a target waiting out a retry backoff, one
//!   that failed before reading, two targets waiting on each other's files), the oldest chunk
//!   is dropped anyway and one expected reader is given up on. A reader that comes back
//!   behind the window reads on its own from disk: slower, never wrong.
//! - Readers that do not start at the window (a resumed upload) read on their own too.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::blob_source::BlobSource;
use crate::digest::BUFFER_SIZE;

/// Bytes read from disk at a time and kept per window slot.
pub const CHUNK_SIZE: usize = BUFFER_SIZE;

/// Chunks a shared file keeps in memory: 8 MiB, however many targets read it.
pub const WINDOW_CHUNKS: usize = 8;

/// How long readers may make no progress at all before the window stops waiting for the
/// slowest of them. Long enough for a target to open its upload, short enough that a stalled
/// target does not hold the others up noticeably.
pub const DEFAULT_STALL: Duration = Duration::from_secs(5);

/// The part of the stall limit the window waits for readers that have not opened the file
/// yet: a target that sends its files one after another (the bundle tar) may not reach this
/// one for a long time, and it is cheaper to let it read on its own then.
const JOIN_SHARE: u32 = 5;

/// The files of one push command that more than one target reads, by path. Shared by every
/// backend through [`crate::push::PushContext`]; empty (every file read on its own) unless
/// [`SharedReads::share`] was called. Clones are handles to the same files.
#[derive(Debug, Clone)]
pub struct SharedReads {
    files: Arc<Mutex<HashMap<PathBuf, Arc<SharedFile>>>>,
    stall: Duration,
}

impl Default for SharedReads {
    fn default() -> Self {
        Self::with_stall(DEFAULT_STALL)
    }
}

impl SharedReads {
    /// Shared reads that stop waiting for a reader after `stall` without progress.
    pub fn with_stall(stall: Duration) -> Self {
        Self {
            files: Arc::new(Mutex::new(HashMap::new())),
            stall,
        }
    }

    /// Announces that `readers` targets will read all `size` bytes of the file at `path`
    /// during this command. With fewer than two readers nothing is shared.
    pub fn share(&self, path: &Path, size: u64, readers: usize) {
        if readers < 2 {
            return;
        }
        let file = Arc::new(SharedFile::new(
            path.to_path_buf(),
            size,
            readers,
            self.stall,
        ));
        self.lock().insert(path.to_path_buf(), file);
    }

    /// `source`, read through the shared file when its path was announced with the same size;
    /// otherwise `source` itself.
    pub fn source(&self, source: BlobSource) -> BlobSource {
        match &source {
            BlobSource::File { path, size } => match self.lock().get(path.as_path()) {
                Some(shared) if shared.size == *size => BlobSource::Shared(shared.clone()),
                _ => source,
            },
            _ => source,
        }
    }

    /// Bytes of `path` read from disk through this command's shared reads (the window's reads
    /// plus readers that fell behind it), or `None` when the file is not shared.
    pub fn disk_bytes(&self, path: &Path) -> Option<u64> {
        self.lock().get(path).map(|f| f.disk_bytes())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<PathBuf, Arc<SharedFile>>> {
        // The map is only ever inserted into; a panic elsewhere cannot leave it half-written.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One file read once for several targets (see the module docs).
pub struct SharedFile {
    path: PathBuf,
    size: u64,
    stall: Duration,
    window: Mutex<Window>,
    changed: Condvar,
    /// The one handle chunks are read through; only the reader that set `Window::loading` uses
    /// it.
    disk: Mutex<Option<File>>,
    disk_bytes: AtomicU64,
}

/// The chunks in memory and who still needs them.
struct Window {
    /// Readers each chunk waits for before it is dropped.
    readers: usize,
    /// Readers that have opened the file from its start so far.
    joined: usize,
    /// File offset of the first chunk.
    base: u64,
    chunks: VecDeque<Chunk>,
    /// Whether a reader is reading the next chunk from disk right now.
    loading: bool,
    /// When any reader last got bytes.
    progress_at: Instant,
}

struct Chunk {
    bytes: Arc<[u8]>,
    /// Readers that have read to its end.
    passed: usize,
}

impl Window {
    fn end(&self) -> u64 {
        self.base
            + self
                .chunks
                .iter()
                .map(|c| c.bytes.len() as u64)
                .sum::<u64>()
    }

    /// Drops leading chunks every expected reader has passed.
    fn drop_passed(&mut self) {
        while let Some(front) = self.chunks.front() {
            if front.passed < self.readers {
                break;
            }
            self.base += front.bytes.len() as u64;
            self.chunks.pop_front();
        }
    }
}

/// What a read from the window found.
enum Got {
    /// Bytes copied into the caller's buffer.
    Bytes(usize),
    /// The offset is not in (or right after) the window: read from disk on your own.
    Elsewhere,
}

impl SharedFile {
    fn new(path: PathBuf, size: u64, readers: usize, stall: Duration) -> Self {
        Self {
            path,
            size,
            stall,
            window: Mutex::new(Window {
                readers,
                joined: 0,
                base: 0,
                chunks: VecDeque::new(),
                loading: false,
                progress_at: Instant::now(),
            }),
            changed: Condvar::new(),
            disk: Mutex::new(None),
            disk_bytes: AtomicU64::new(0),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its size when it was hashed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes read from disk so far, by the window and by readers on their own.
    pub fn disk_bytes(&self) -> u64 {
        self.disk_bytes.load(Ordering::Relaxed)
    }

    /// A reader of `len` bytes from `offset` (the caller checked the range).
    pub(super) fn reader(self: &Arc<Self>, offset: u64, len: u64) -> SharedReader {
        if offset == 0 {
            self.window().joined += 1;
        }
        SharedReader {
            file: self.clone(),
            pos: offset,
            end: offset + len,
            own: None,
        }
    }

    fn window(&self) -> MutexGuard<'_, Window> {
        // Every change to the window is completed before the lock is released, so a panic in
        // another reader leaves it consistent.
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Copies bytes at `pos` from the window, reading the next chunk from disk when `pos` is
    /// just past it. Waits (bounded by the stall limit) while the window is full.
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<Got> {
        let mut window = self.window();
        loop {
            if pos < window.base || pos > window.end() {
                return Ok(Got::Elsewhere);
            }
            if pos < window.end() {
                return Ok(Got::Bytes(copy_out(&mut window, pos, buf, &self.changed)));
            }
            // `pos` is the window's end: the next chunk is needed.
            if window.loading {
                window = self.wait(window, self.stall);
                continue;
            }
            if window.chunks.len() >= WINDOW_CHUNKS {
                let idle = window.progress_at.elapsed();
                let limit = if window.joined < window.readers {
                    self.stall / JOIN_SHARE
                } else {
                    self.stall
                };
                if idle < limit {
                    window = self.wait(window, limit - idle);
                    continue;
                }
                // Nobody moved for the stall limit: stop waiting for the slowest reader.
                window.readers = window.readers.saturating_sub(1).max(1);
                if let Some(front) = window.chunks.pop_front() {
                    window.base += front.bytes.len() as u64;
                }
                window.drop_passed();
                window.progress_at = Instant::now();
                continue;
            }
            let offset = window.end();
            let len = (self.size - offset).min(CHUNK_SIZE as u64) as usize;
            window.loading = true;
            drop(window);
            let loaded = self.load(offset, len);
            window = self.window();
            window.loading = false;
            self.changed.notify_all();
            let bytes = loaded?;
            window.chunks.push_back(Chunk { bytes, passed: 0 });
            window.progress_at = Instant::now();
        }
    }

    fn wait<'a>(
        &self,
        window: MutexGuard<'a, Window>,
        at_most: Duration,
    ) -> MutexGuard<'a, Window> {
        match self.changed.wait_timeout(window, at_most) {
            Ok((window, _)) => window,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// Reads `len` bytes at `offset` through the shared handle, opened (and its size checked)
    /// on first use.
    fn load(&self, offset: u64, len: usize) -> io::Result<Arc<[u8]>> {
        let mut disk = self.disk.lock().unwrap_or_else(|e| e.into_inner());
        if disk.is_none() {
            *disk = Some(self.open()?);
        }
        let Some(file) = disk.as_mut() else {
            return Err(io::Error::other("the shared file handle is missing"));
        };
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = vec![0; len];
        file.read_exact(&mut bytes).map_err(|e| self.short(e))?;
        self.disk_bytes.fetch_add(len as u64, Ordering::Relaxed);
        Ok(bytes.into())
    }

    /// Opens the file and checks it still has the size it was hashed with.
    fn open(&self) -> io::Result<File> {
        let file = File::open(&self.path)?;
        let actual = file.metadata()?.len();
        if actual != self.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "`{}` changed since it was hashed: {} bytes then, {actual} now",
                    self.path.display(),
                    self.size
                ),
            ));
        }
        Ok(file)
    }

    fn short(&self, err: io::Error) -> io::Error {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "`{}` ended early: it was truncated after it was hashed",
                    self.path.display()
                ),
            )
        } else {
            err
        }
    }
}

/// Copies bytes at `pos` (inside the window) into `buf`, counting a pass when the copy reaches
/// a chunk's end and dropping chunks nobody needs any more.
fn copy_out(window: &mut Window, pos: u64, buf: &mut [u8], changed: &Condvar) -> usize {
    let mut start = window.base;
    let mut copied = 0;
    let mut passed_one = false;
    for chunk in window.chunks.iter_mut() {
        let end = start + chunk.bytes.len() as u64;
        if pos < end {
            let from = (pos - start) as usize;
            copied = buf.len().min(chunk.bytes.len() - from);
            buf[..copied].copy_from_slice(&chunk.bytes[from..from + copied]);
            if from + copied == chunk.bytes.len() {
                chunk.passed += 1;
                passed_one = true;
            }
            break;
        }
        start = end;
    }
    window.progress_at = Instant::now();
    if passed_one {
        window.drop_passed();
        changed.notify_all();
    }
    copied
}

impl fmt::Debug for SharedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedFile")
            .field("path", &self.path)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// Two handles are the same source when they name the same file and size.
impl PartialEq for SharedFile {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.size == other.size
    }
}

impl Eq for SharedFile {}

/// Reads one range of a [`SharedFile`], from the window while it can and on its own from disk
/// once it falls behind.
pub(super) struct SharedReader {
    file: Arc<SharedFile>,
    pos: u64,
    end: u64,
    /// Its own handle, once it reads on its own.
    own: Option<File>,
}

impl Read for SharedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min((self.end - self.pos) as usize);
        if want == 0 {
            return Ok(0);
        }
        let buf = &mut buf[..want];
        if self.own.is_none() {
            match self.file.read_at(self.pos, buf)? {
                Got::Bytes(n) => {
                    self.pos += n as u64;
                    return Ok(n);
                }
                Got::Elsewhere => {
                    let mut file = self.file.open()?;
                    file.seek(SeekFrom::Start(self.pos))?;
                    self.own = Some(file);
                }
            }
        }
        let Some(file) = self.own.as_mut() else {
            return Err(io::Error::other("the reader's own file handle is missing"));
        };
        let n = file.read(buf)?;
        if n == 0 {
            return Err(self.file.short(io::ErrorKind::UnexpectedEof.into()));
        }
        self.file.disk_bytes.fetch_add(n as u64, Ordering::Relaxed);
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(len: usize) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.gguf");
        let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        (dir, path, bytes)
    }

    fn read_all(source: &BlobSource, offset: u64) -> Vec<u8> {
        let mut out = Vec::new();
        source
            .open_at(offset)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn readers_side_by_side_read_the_disk_once() {
        let len = CHUNK_SIZE * 20 + 12_345;
        let (_dir, path, bytes) = file_of(len);
        let reads = SharedReads::default();
        reads.share(&path, len as u64, 3);
        let source = reads.source(BlobSource::file(&path, len as u64));
        assert!(matches!(source, BlobSource::Shared(_)));
        let outputs: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..3)
                .map(|_| scope.spawn(|| read_all(&source, 0)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for output in outputs {
            assert!(output == bytes, "a reader got different bytes");
        }
        assert_eq!(reads.disk_bytes(&path), Some(len as u64));
    }

    #[test]
    fn a_reader_that_never_comes_holds_the_others_up_only_once() {
        let len = CHUNK_SIZE * (WINDOW_CHUNKS * 3);
        let (_dir, path, bytes) = file_of(len);
        let reads = SharedReads::with_stall(Duration::from_millis(200));
        reads.share(&path, len as u64, 2);
        let source = reads.source(BlobSource::file(&path, len as u64));
        assert!(read_all(&source, 0) == bytes);
        let BlobSource::Shared(shared) = &source else {
            panic!("not shared: {source:?}")
        };
        {
            // Given up on once, after which chunks leave as soon as the one reader passes them
            // (instead of a stall for every chunk past the window).
            let window = shared.window();
            assert_eq!(window.readers, 1);
            assert!(window.chunks.is_empty());
            assert_eq!(window.base, len as u64);
        }
        // The latecomer is behind the window and reads on its own: still the right bytes.
        assert!(read_all(&source, 0) == bytes);
        assert_eq!(reads.disk_bytes(&path), Some(2 * len as u64));
    }

    #[test]
    fn ranges_and_resumed_offsets_read_the_right_bytes() {
        let len = CHUNK_SIZE * 3 + 7;
        let (_dir, path, bytes) = file_of(len);
        let reads = SharedReads::with_stall(Duration::from_millis(100));
        reads.share(&path, len as u64, 2);
        let source = reads.source(BlobSource::file(&path, len as u64));
        // A chunked upload: ranges that do not line up with the window's chunks.
        let mut whole = Vec::new();
        let mut offset = 0u64;
        while offset < len as u64 {
            let take = (len as u64 - offset).min(CHUNK_SIZE as u64 / 3 + 5);
            source
                .open_range(offset, take)
                .unwrap()
                .read_to_end(&mut whole)
                .unwrap();
            offset += take;
        }
        assert!(whole == bytes);
        // A resumed upload starts elsewhere and reads on its own.
        let tail = read_all(&source, (CHUNK_SIZE + 3) as u64);
        assert!(tail == bytes[CHUNK_SIZE + 3..]);
    }

    #[test]
    fn unshared_and_resized_files_are_left_alone() {
        let (_dir, path, _) = file_of(100);
        let reads = SharedReads::default();
        reads.share(&path, 100, 1);
        assert!(matches!(
            reads.source(BlobSource::file(&path, 100)),
            BlobSource::File { .. }
        ));
        reads.share(&path, 100, 2);
        assert!(matches!(
            reads.source(BlobSource::file(&path, 99)),
            BlobSource::File { .. }
        ));
        assert_eq!(reads.disk_bytes(Path::new("elsewhere")), None);
    }

    #[test]
    fn a_file_changed_after_hashing_is_an_error() {
        let (_dir, path, _) = file_of(100);
        let reads = SharedReads::default();
        reads.share(&path, 200, 2);
        let source = reads.source(BlobSource::file(&path, 200));
        let err = source
            .open_at(0)
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(
            err.to_string().contains("changed since it was hashed"),
            "{err}"
        );
    }
}
