//! What can go wrong when a Jinja chat template is parsed or rendered.

/// A Jinja template failed to parse or to render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JinjaError {
    /// The template is not valid Jinja.
    #[error("chat template syntax error{}: {message}", at_line(*line))]
    Syntax {
        /// What the parser says.
        message: String,
        /// 1-based line of the template, when known.
        line: Option<usize>,
    },
    /// The template refused the input by calling `raise_exception(message)`: a deliberate
    /// refusal (e.g. "roles must alternate"), not a bug, so callers can tell it apart.
    #[error("the chat template raised an exception: {0}")]
    Raised(String),
    /// Rendering failed (undefined attribute, wrong type, unknown filter, ...).
    #[error("chat template failed to render{}: {message}", at_line(*line))]
    Render {
        /// What went wrong.
        message: String,
        /// 1-based line of the template, when known.
        line: Option<usize>,
    },
    /// The template ran for more steps than allowed (e.g. a loop over a huge range or a
    /// recursive macro): it is stopped rather than left to hang.
    #[error("chat template stopped after {fuel} steps: it loops or recurses too much")]
    OutOfFuel {
        /// The step budget that ran out.
        fuel: u64,
    },
    /// The template builds a value that doubles at every step (e.g. `x = x ~ x` in a loop),
    /// which no step budget bounds in memory; it is refused before rendering.
    #[error("chat template refused{}: {message}", at_line(*line))]
    Unbounded {
        /// What was found.
        message: String,
        /// 1-based line of the template, when known.
        line: Option<usize>,
    },
    /// The template is too large, or one of its expressions too long, to compile safely.
    #[error("chat template refused{}: {message}", at_line(*line))]
    TooComplex {
        /// What is too large.
        message: String,
        /// 1-based line of the template, when known.
        line: Option<usize>,
    },
    /// The template built more than one rendering may (a huge padding, a value doubled in
    /// a loop, a string grown without bound): it is stopped before memory runs out.
    #[error("chat template stopped{}: {message}; a chat prompt never needs this much", at_line(*line))]
    TooMuchMemory {
        /// What passed which limit.
        message: String,
        /// 1-based line of the template, when known.
        line: Option<usize>,
    },
    /// The rendered prompt grew past the size limit.
    #[error(
        "chat template output exceeded {limit} bytes; a chat prompt is never this large, so the template is runaway"
    )]
    OutputTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

fn at_line(line: Option<usize>) -> String {
    line.map(|line| format!(" at line {line}"))
        .unwrap_or_default()
}
