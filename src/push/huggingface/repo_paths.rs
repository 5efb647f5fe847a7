//! Checks of the paths a release puts into a file-based repository (the Hub, ModelScope),
//! made before anything is sent: relative, `/`-separated, no `.` or `..` parts, no
//! duplicates.

use std::collections::HashSet;

use crate::push::{ArtifactFile, PushError};

/// Why `path` cannot be a repository path, if it cannot.
fn problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        Some("it is empty")
    } else if path.starts_with('/') || path.contains('\\') {
        Some("it must be relative and use `/` separators")
    } else if path
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        Some("it has an empty, `.` or `..` part")
    } else if path.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    }
}

/// Fails on the first path that is malformed or given twice.
pub fn check_repo_paths(files: &[ArtifactFile]) -> Result<(), PushError> {
    let mut seen = HashSet::new();
    for file in files {
        if let Some(problem) = problem(&file.repo_path) {
            return Err(PushError::input(format!(
                "`{}` cannot be a repository path: {problem}",
                file.repo_path
            )));
        }
        if !seen.insert(file.repo_path.as_str()) {
            return Err(PushError::input(format!(
                "`{}` is in the release twice; each repository path must be given once",
                file.repo_path
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> Vec<ArtifactFile> {
        paths
            .iter()
            .map(|p| ArtifactFile::inline(*p, b"x".to_vec()))
            .collect()
    }

    #[test]
    fn good_and_bad_paths() {
        assert!(check_repo_paths(&files(&["README.md", "q4/model.gguf"])).is_ok());
        for bad in ["", "/etc/passwd", "a/../b", "a//b", "a\\b", "./x"] {
            assert!(check_repo_paths(&files(&[bad])).is_err(), "{bad:?}");
        }
        let err = check_repo_paths(&files(&["params", "params"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`params` is in the release twice; each repository path must be given once"
        );
    }
}
