//! A Go `text/template` interpreter, faithful to Go's own (`text/template`, Go 1.22+), so a
//! template renders here byte for byte as Ollama renders it.
//!
//! Three parts, as in Go: the lexer splits the source into text and action tokens (handling
//! `{{-`/`-}}` trim markers and comments), the parser builds a tree and makes Go's parse-time
//! checks (undefined variables and functions, `break` outside `range`), and the executor walks
//! the tree over a [`Value`] — data modelled on how Go's reflection sees it, so printing
//! (`fmt.Sprint`), truthiness, `eq` typing, map ordering and JSON all match Go's.
//!
//! Execution is bounded: a step budget, an output cap and a nesting limit ([`Limits`]) turn a
//! runaway template into a typed error instead of a hang.
//!
//! ```
//! use ruvltra_export::template::gotmpl::{ExecOptions, Template, Value};
//!
//! let t = Template::parse("{{ range $i, $x := . }}{{ if $i }}, {{ end }}{{ $x }}{{ end }}").unwrap();
//! let data = Value::slice("[]string", vec![Value::str("a"), Value::str("b")]);
//! assert_eq!(t.execute(&data, &ExecOptions::default()).unwrap(), "a, b");
//! ```
//!
//! Known differences from Go: methods cannot be called (only fields), `call` always fails (no
//! function values exist), `\x80`-`\xff` escapes in string literals are refused (Rust strings
//! are UTF-8), slicing a string inside a UTF-8 sequence yields U+FFFD, `unicode.IsPrint` (for
//! `%q` and `js`) is approximated, template calls and blocks nest at most [`Limits::max_depth`]
//! deep, and values whose Go printing shows a memory address (a struct with a pointer-receiver
//! `String` method passed to `print`/`printf`, a `*templateMessage`) print as JSON or fields
//! instead — output Go itself cannot reproduce from one run to the next.

mod error;
mod exec;
mod funcs;
mod gofmt;
mod lexer;
pub(crate) mod parse;
mod value;

pub use error::{GoTemplateError, Pos};
pub use exec::{Limits, MissingKey};
pub use funcs::FuncEnv;
pub use value::{Field, JsonMap, Ordered, Slice, Stringer, Struct, Value};

use exec::Exec;
use parse::Tree;

/// How to run a template: missing-key behaviour, available functions, and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOptions {
    /// What a missing map key yields. By default, Go's default ([`MissingKey::Invalid`]).
    pub missing_key: MissingKey,
    /// The extra functions. By default, none (Go's builtins only).
    pub funcs: FuncEnv,
    /// Execution bounds. By default, [`Limits::default`].
    pub limits: Limits,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            missing_key: MissingKey::Invalid,
            funcs: FuncEnv {
                ollama: false,
                today: String::new(),
                yesterday: String::new(),
            },
            limits: Limits::default(),
        }
    }
}

/// A parsed Go template, ready to execute any number of times.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    src: String,
    pub(crate) tree: Tree,
}

impl Template {
    /// Parses `src` with Go's builtin functions only.
    pub fn parse(src: &str) -> Result<Template, GoTemplateError> {
        Self::parse_inner(src, false)
    }

    /// Parses `src` with Ollama's extra functions (`json`, `currentDate`, `yesterdayDate`,
    /// `toTypeScriptType`) defined, as Ollama parses a Modelfile's `TEMPLATE`.
    pub fn parse_ollama(src: &str) -> Result<Template, GoTemplateError> {
        Self::parse_inner(src, true)
    }

    fn parse_inner(src: &str, ollama: bool) -> Result<Template, GoTemplateError> {
        let tree = parse::parse(src, &|name| funcs::known(name, ollama))?;
        Ok(Template {
            src: src.to_owned(),
            tree,
        })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// Runs the template over `data`.
    pub fn execute(&self, data: &Value, opts: &ExecOptions) -> Result<String, GoTemplateError> {
        self.execute_tree(&self.tree.root, true, data, opts)
    }

    /// Runs `root` (this template's body or a rewritten copy of it); `with_defines` says
    /// whether `{{ template "name" }}` can see the `define`d templates.
    pub(crate) fn execute_tree(
        &self,
        root: &parse::List,
        with_defines: bool,
        data: &Value,
        opts: &ExecOptions,
    ) -> Result<String, GoTemplateError> {
        let defines = with_defines.then_some(&self.tree.defines);
        let mut ex = Exec::new(
            &self.src,
            root,
            defines,
            &opts.funcs,
            opts.missing_key,
            opts.limits,
        );
        ex.run(data)?;
        Ok(ex.out)
    }
}
