//! The OCI distribution spec's name grammar, checked before anything is sent: a registry
//! answers a bad name with `NAME_INVALID` only after the first upload request, and some
//! registries only at the manifest, after every blob went over the wire.
//!
//! Repository: path components `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` joined by `/`, at most
//! 255 characters in all. Tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.

use super::PushError;

/// The longest repository name registries accept (distribution's limit, host included in
/// some registries; we check the path alone).
pub const MAX_REPOSITORY_LEN: usize = 255;

/// The longest tag the spec allows.
pub const MAX_TAG_LEN: usize = 128;

/// Checks `name` against the spec's repository grammar; `what` says where the name came from
/// (`--mount-from`, "the Ollama name `X`") for the error.
pub fn check_repository(name: &str, what: &str) -> Result<(), PushError> {
    let problem = if name.is_empty() {
        Some("it is empty".to_string())
    } else if name.len() > MAX_REPOSITORY_LEN {
        Some(format!(
            "it is {} characters long, more than {MAX_REPOSITORY_LEN}",
            name.len()
        ))
    } else {
        name.split('/').find_map(component_problem)
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(PushError::input(format!(
            "{what}: `{name}` is not a valid OCI repository name ({problem}); use lowercase letters and digits, separated inside a path component by `.`, `_`, `__` or dashes, and components by `/` (e.g. `ruv/ruvltra-small`)"
        ))),
    }
}

/// Checks `tag` against the spec's tag grammar.
pub fn check_tag(tag: &str, what: &str) -> Result<(), PushError> {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if first_ok && rest_ok && tag.len() <= MAX_TAG_LEN {
        return Ok(());
    }
    Err(PushError::input(format!(
        "{what}: `{tag}` is not a valid OCI tag; a tag is 1 to {MAX_TAG_LEN} letters, digits, `_`, `.` or `-`, not starting with `.` or `-`"
    )))
}

/// Why one path component breaks the grammar, or `None` when it is fine.
fn component_problem(component: &str) -> Option<String> {
    if component.is_empty() {
        return Some("it has an empty path component (`//`, or `/` at an end)".into());
    }
    if let Some(bad) = component
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
    {
        return Some(if bad.is_ascii_uppercase() {
            format!("`{component}` has the uppercase letter `{bad}`")
        } else {
            format!("`{component}` has the character `{bad}`")
        });
    }
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !component.starts_with(alnum) || !component.ends_with(alnum) {
        return Some(format!(
            "`{component}` must start and end with a letter or digit"
        ));
    }
    // Separators between alphanumeric runs: one `.`, one `_`, two `_`, or any number of `-`.
    for separator in component.split(alnum).filter(|s| !s.is_empty()) {
        let ok = matches!(separator, "." | "_" | "__") || separator.chars().all(|c| c == '-');
        if !ok {
            return Some(format!(
                "`{component}` has the separator `{separator}` (allowed: `.`, `_`, `__`, dashes)"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_grammar() {
        for good in [
            "ruv/ruvltra",
            "a",
            "ruv/ruvltra-small-docker",
            "a.b/c__d/e---f/0",
            "library/x_y",
        ] {
            check_repository(good, "test").unwrap();
        }
        for (bad, why) in [
            ("", "empty"),
            ("Ruv/ruvltra", "uppercase letter `R`"),
            ("ruv//x", "empty path component"),
            ("ruv/x/", "empty path component"),
            ("ruv/-x", "start and end"),
            ("ruv/x.", "start and end"),
            ("ruv/a..b", "separator `..`"),
            ("ruv/a___b", "separator `___`"),
            ("ruv/a_-b", "separator `_-`"),
            ("ruv/a b", "character ` `"),
            ("ruv/é", "character `é`"),
        ] {
            let err = check_repository(bad, "`--mount-from`")
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(err.starts_with("`--mount-from`: "), "{err}");
        }
        let long = "a".repeat(MAX_REPOSITORY_LEN + 1);
        assert!(check_repository(&long, "x").is_err());
    }

    #[test]
    fn tag_grammar() {
        for good in ["latest", "0.5b-q4_k_m", "_x", "Q4.K"] {
            check_tag(good, "test").unwrap();
        }
        let long = "a".repeat(MAX_TAG_LEN + 1);
        for bad in ["", "-x", ".x", "a/b", "a:b", long.as_str()] {
            assert!(check_tag(bad, "test").is_err(), "{bad}");
        }
    }
}
