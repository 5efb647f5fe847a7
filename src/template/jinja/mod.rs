//! Jinja chat templates rendered with Hugging Face transformers' semantics.
//!
//! transformers renders `tokenizer.chat_template` with Jinja2 in a sandbox with
//! `trim_blocks`/`lstrip_blocks`, loop controls, `raise_exception`, `strftime_now` and a
//! `tojson` that is Python's `json.dumps`. This module reproduces that on minijinja (plus
//! Python's string/list/dict methods from `minijinja-contrib`), and prints values as Python
//! does (`None`, `True`, `{'a': 1}`). `tests/jinja_crosscheck.rs` holds it to real Jinja2
//! on every template of the corpus and every conversation of the suite.
//!
//! Rendering is bounded: a step budget (fuel) stops endless loops and runaway recursion,
//! the output is capped, and every failure is a [`JinjaError`], never a panic or a hang.
//!
//! ```
//! use ruvltra_export::template::chat::Message;
//! use ruvltra_export::template::jinja::{JinjaContext, JinjaTemplate};
//!
//! let template = JinjaTemplate::new(
//!     "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}\
//!      {% if add_generation_prompt %}<|assistant|>{% endif %}",
//! )?;
//! let context = JinjaContext {
//!     messages: vec![Message { role: "user".into(), content: "Hi".into(), ..Message::default() }],
//!     add_generation_prompt: true,
//!     ..JinjaContext::default()
//! };
//! assert_eq!(template.render(&context)?, "<|user|>Hi\n<|assistant|>");
//! # Ok::<(), ruvltra_export::template::jinja::JinjaError>(())
//! ```

mod budget;
mod context;
mod environment;
mod error;
mod generation;
mod guard;
mod markup;
mod pyfmt;
mod pyjson;
mod pyobjects;
mod strftime;

use std::io;

use minijinja::{Environment, ErrorKind};

pub use context::{JinjaContext, message_value};
pub use error::JinjaError;
pub use strftime::FixedDateTime;

use environment::{NOW_VARIABLE, RaisedByTemplate};

/// The name the template is stored under inside its environment.
const TEMPLATE_NAME: &str = "chat_template";

/// How many times the output cap one built value may be: values feed the output, but a
/// list of numbers or a JSON text is larger than what is finally printed of it.
const VALUE_PER_OUTPUT: usize = 4;

/// Bounds on one rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JinjaLimits {
    /// Template steps (minijinja instructions) one rendering may take. By default
    /// 5,000,000: the largest corpus template takes well under 1% of that on the 20-turn
    /// conversation with tools, and it stops a runaway loop within about a second.
    pub fuel: u64,
    /// Bytes of output one rendering may produce. By default 4 MiB.
    pub max_output: usize,
    /// Nested macro calls allowed. By default 100 (Jinja2 under Python's default recursion
    /// limit fails at a similar depth).
    pub recursion_limit: usize,
    /// Bytes one rendering may build in all: every string and list an expression makes and
    /// every printed value, counted when made (so a string built in a loop counts at each
    /// step). By default 256 MiB, far above the few megabytes the largest corpus template
    /// builds on the longest suite conversation. No single built value may pass four times
    /// `max_output` (lists count 16 bytes per item, so `range(100000)` is 1.6 MB).
    pub max_built: usize,
}

impl Default for JinjaLimits {
    fn default() -> Self {
        JinjaLimits {
            fuel: 5_000_000,
            max_output: 4 << 20,
            recursion_limit: 100,
            max_built: 256 << 20,
        }
    }
}

/// A parsed Jinja chat template, ready to render many times.
#[derive(Debug)]
pub struct JinjaTemplate {
    env: Environment<'static>,
    limits: JinjaLimits,
}

impl JinjaTemplate {
    /// Parses `source` with the default [`JinjaLimits`].
    pub fn new(source: &str) -> Result<Self, JinjaError> {
        Self::with_limits(source, JinjaLimits::default())
    }

    /// Parses `source`, rendering later within `limits`.
    pub fn with_limits(source: &str, limits: JinjaLimits) -> Result<Self, JinjaError> {
        guard::check_size(source)?;
        let budget = budget::BudgetLimits {
            total: limits.max_built,
            value: limits.max_output.saturating_mul(VALUE_PER_OUTPUT),
        };
        let mut env = environment::build(limits.fuel, limits.recursion_limit, budget);
        let source = generation::rewrite(source);
        let source = markup::rewrite(&source).into_owned();
        guard::check(&source)?;
        let source = budget::rewrite(&source);
        env.add_template_owned(TEMPLATE_NAME, source)
            .map_err(|err| JinjaError::Syntax {
                message: describe(&err),
                line: err.line(),
            })?;
        Ok(JinjaTemplate { env, limits })
    }

    /// Renders the template with `context`'s variables.
    pub fn render(&self, context: &JinjaContext) -> Result<String, JinjaError> {
        let mut vars = context.variables();
        let now = context.now;
        vars.insert(
            NOW_VARIABLE.into(),
            serde_json::json!([
                now.year, now.month, now.day, now.hour, now.minute, now.second
            ]),
        );
        self.render_variables(&vars)
    }

    /// Renders with an explicit variable map (for callers that need variables
    /// [`JinjaContext`] does not model).
    pub fn render_variables(
        &self,
        vars: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, JinjaError> {
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|err| JinjaError::Render {
                message: describe(&err),
                line: None,
            })?;
        let mut out = CappedWriter {
            buf: Vec::new(),
            limit: self.limits.max_output,
            overflowed: false,
        };
        let result = template
            .render_captured_to(environment::variables_value(vars), &mut out)
            .map(|_| ());
        if out.overflowed {
            return Err(JinjaError::OutputTooLarge {
                limit: self.limits.max_output,
            });
        }
        result.map_err(|err| self.classify(&err))?;
        String::from_utf8(out.buf).map_err(|err| JinjaError::Render {
            message: format!("output is not UTF-8: {err}"),
            line: None,
        })
    }

    fn classify(&self, err: &minijinja::Error) -> JinjaError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(cause) = source {
            if let Some(raised) = cause.downcast_ref::<RaisedByTemplate>() {
                return JinjaError::Raised(raised.0.clone());
            }
            if let Some(over) = cause.downcast_ref::<budget::OverBudget>() {
                return JinjaError::TooMuchMemory {
                    message: over.0.clone(),
                    line: err.line(),
                };
            }
            if let Some(inner) = cause.downcast_ref::<minijinja::Error>() {
                if inner.kind() == ErrorKind::OutOfFuel {
                    return JinjaError::OutOfFuel {
                        fuel: self.limits.fuel,
                    };
                }
            }
            source = cause.source();
        }
        JinjaError::Render {
            message: describe(err),
            line: err.line(),
        }
    }
}

/// minijinja's message without the template name (always the same here).
fn describe(err: &minijinja::Error) -> String {
    match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    }
}

/// Collects output and refuses to grow past `limit` bytes.
struct CappedWriter {
    buf: Vec<u8>,
    limit: usize,
    overflowed: bool,
}

impl io::Write for CappedWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > self.limit {
            self.overflowed = true;
            return Err(io::Error::other("chat template output limit reached"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
