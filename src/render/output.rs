//! The rendered files, held in memory until all of them exist, then written atomically.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use super::error::RenderError;

/// The file every output tree has at its root; its presence marks a folder as ours.
pub const LOCK_FILE: &str = "metadata.lock.json";

/// Rendered files by relative path (`/`-separated), in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputTree {
    files: BTreeMap<String, Vec<u8>>,
}

impl OutputTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), content.into());
    }

    /// A file's content.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// A file's content as text.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(|b| std::str::from_utf8(b).ok())
    }

    /// Every path, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Every file.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, c)| (p.as_str(), c.as_slice()))
    }

    /// The top-level entries (folders and files) the tree writes.
    fn top_level(&self) -> Vec<&str> {
        let mut tops: Vec<&str> = self
            .files
            .keys()
            .map(|p| p.split('/').next().unwrap_or(p))
            .collect();
        tops.dedup();
        tops
    }

    /// Writes the tree under `out`.
    ///
    /// Everything is first written to a temporary folder beside `out`; only when every file
    /// is written are the tree's top-level entries (`ollama/`, `metadata.lock.json`, ...)
    /// swapped in by rename, each replacing the previous run's entry of the same name. A
    /// failure before the swap leaves `out` as it was. Entries of other targets that this
    /// run did not render are kept. `out` must be absent, empty or an earlier output (it
    /// holds [`LOCK_FILE`]), so a wrong `--out` cannot replace someone's files.
    pub fn write_atomically(&self, out: &Path) -> Result<(), RenderError> {
        let write_err = |path: &Path| {
            let path = path.to_owned();
            move |source| RenderError::Write { path, source }
        };
        if out.exists() {
            let empty = fs::read_dir(out).map_err(write_err(out))?.next().is_none();
            if !empty && !out.join(LOCK_FILE).is_file() {
                return Err(RenderError::ForeignOutput {
                    path: out.to_owned(),
                });
            }
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(write_err(&parent))?;
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.new-"))
            .tempdir_in(&parent)
            .map_err(write_err(&parent))?;
        for (path, content) in &self.files {
            let target =
                staging
                    .path()
                    .join(safe_relative(path).ok_or_else(|| RenderError::Write {
                        path: PathBuf::from(path),
                        source: std::io::Error::new(
                            std::io::ErrorKind::InvalidInput,
                            "an output path must be relative and stay inside the output folder",
                        ),
                    })?);
            if let Some(dir) = target.parent() {
                fs::create_dir_all(dir).map_err(write_err(dir))?;
            }
            fs::write(&target, content).map_err(write_err(&target))?;
        }
        fs::create_dir_all(out).map_err(write_err(out))?;
        let trash = tempfile::Builder::new()
            .prefix(&format!(".{name}.old-"))
            .tempdir_in(&parent)
            .map_err(write_err(&parent))?;
        // The lock file goes last: a tree is only marked complete once everything is in.
        let mut tops = self.top_level();
        tops.sort_by_key(|t| *t == LOCK_FILE);
        for top in tops {
            let new = staging.path().join(top);
            let old = out.join(top);
            if old.exists() {
                fs::rename(&old, trash.path().join(top)).map_err(write_err(&old))?;
            }
            fs::rename(&new, &old).map_err(write_err(&old))?;
        }
        Ok(())
    }
}

/// `path` as a relative path with only normal components.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let ok = !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then(|| p.to_owned())
}

/// The path of `target` relative to the folder `from` (both made absolute first, without
/// resolving symbolic links), with `/` separators, for Modelfile FROM lines.
pub fn relative_path(from: &Path, target: &Path) -> Result<String, std::io::Error> {
    let from = std::path::absolute(from)?;
    let target = std::path::absolute(target)?;
    let from: Vec<Component> = normalize(&from);
    let target: Vec<Component> = normalize(&target);
    let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        target[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(parts.join("/"))
}

fn normalize(path: &Path) -> Vec<Component<'_>> {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("/a/dist/ollama"), Path::new("/a/fixtures/x.gguf")).unwrap(),
            "../../fixtures/x.gguf"
        );
        assert_eq!(
            relative_path(Path::new("/a/b/./c/.."), Path::new("/a/b/x")).unwrap(),
            "x"
        );
    }

    #[test]
    fn refuses_unsafe_paths() {
        assert!(safe_relative("../x").is_none());
        assert!(safe_relative("/x").is_none());
        assert!(safe_relative("").is_none());
        assert!(safe_relative("a/b.txt").is_some());
    }

    #[test]
    fn writes_then_replaces_and_guards_foreign_folders() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let mut tree = OutputTree::new();
        tree.insert("a/x.txt", "1");
        tree.insert(LOCK_FILE, "{}");
        tree.write_atomically(&out).unwrap();
        let mut second = OutputTree::new();
        second.insert("b/y.txt", "2");
        second.insert(LOCK_FILE, "{}");
        second.write_atomically(&out).unwrap();
        assert_eq!(fs::read_to_string(out.join("a/x.txt")).unwrap(), "1");
        assert_eq!(fs::read_to_string(out.join("b/y.txt")).unwrap(), "2");
        let foreign = dir.path().join("home");
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("notes.txt"), "mine").unwrap();
        let err = second.write_atomically(&foreign).unwrap_err();
        assert!(matches!(err, RenderError::ForeignOutput { .. }), "{err}");
        assert_eq!(
            fs::read_to_string(foreign.join("notes.txt")).unwrap(),
            "mine"
        );
        // No staging folders are left beside the output.
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
