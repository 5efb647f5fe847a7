//! The output templates (`templates/`), embedded in the binary and overridable file by file
//! with `--templates DIR`, rendered with minijinja.

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, Value};

use super::error::RenderError;
use crate::manifest::MAX_TEXT_FILE_BYTES;

/// Every embedded output template: its name (path under `templates/`) and text.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "ollama/create.sh",
        include_str!("../../templates/ollama/create.sh"),
    ),
    (
        "llamacpp/supported-models.md",
        include_str!("../../templates/llamacpp/supported-models.md"),
    ),
    (
        "llamacpp/usage.md",
        include_str!("../../templates/llamacpp/usage.md"),
    ),
    (
        "modelscope/README.md",
        include_str!("../../templates/modelscope/README.md"),
    ),
    (
        "card/README.md",
        include_str!("../../templates/card/README.md"),
    ),
];

/// The template set for one run.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The embedded templates, each replaced by `DIR/<name>` when `overrides` has that file.
    pub fn new(overrides: Option<&Path>) -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.add_filter("human_bytes", |n: u64| human_bytes(n));
        env.add_filter("shell_quote", |s: String| shell_quote(&s));
        env.add_filter("md_cell", |s: String| {
            s.replace('|', "\\|").replace('\n', " ")
        });
        for (name, text) in EMBEDDED {
            let text = match overrides.map(|dir| dir.join(name)) {
                Some(path) if path.is_file() => read_override(&path)?,
                _ => (*text).to_owned(),
            };
            env.add_template_owned(*name, text)
                .map_err(|e| template_error(name, &e))?;
        }
        Ok(Templates { env })
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: Value) -> Result<String, RenderError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, &e))?;
        template
            .render(context)
            .map_err(|e| template_error(name, &e))
    }
}

fn read_override(path: &Path) -> Result<String, RenderError> {
    crate::text_file::read_text(path, MAX_TEXT_FILE_BYTES).map_err(|source| RenderError::Override {
        path: path.to_path_buf(),
        source,
    })
}

fn template_error(name: &str, error: &minijinja::Error) -> RenderError {
    let mut message = error.to_string();
    if let Some(line) = error.line() {
        message = format!("line {line}: {message}");
    }
    RenderError::Template {
        template: name.to_owned(),
        message,
    }
}

/// A byte count for people: `280,320 B` below 1 KiB... then `273.8 KiB`, `1.1 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A word for a POSIX shell: unchanged when it is plainly safe, else single-quoted.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_quoting() {
        assert_eq!(human_bytes(1000), "1000 B");
        assert_eq!(human_bytes(280_320), "273.8 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
        assert_eq!(shell_quote("ruv/x:0.5b-q4_K_M"), "ruv/x:0.5b-q4_K_M");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn overrides_replace_one_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("card")).unwrap();
        std::fs::write(dir.path().join("card/README.md"), "custom {{ x }}").unwrap();
        let t = Templates::new(Some(dir.path())).unwrap();
        assert_eq!(
            t.render("card/README.md", minijinja::context! { x => 1 })
                .unwrap(),
            "custom 1"
        );
        let err = t
            .render("card/README.md", minijinja::context! {})
            .unwrap_err();
        assert!(err.to_string().contains("card/README.md"), "{err}");
    }
}
