//! Differential test: hundreds of randomly generated (but reproducible) Go templates, built
//! from a small grammar of the constructs chat templates use, rendered by Go's own
//! `text/template` (with Ollama's rules) and by the Rust engine over the whole conversation
//! suite. Every output must be byte-identical, and every failure must fail on both sides.

#[path = "support/gorender/harness.rs"]
mod harness;
#[path = "support/gorender/suite.rs"]
mod suite;
mod support;

use harness::{compare, run_go, run_rust};

/// A fixed-seed generator (SplitMix64), so failures reproduce exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What `.` is at a point of the template, which decides the fields that make sense there.
#[derive(Clone, Copy, PartialEq)]
enum Dot {
    Top,
    Message,
    ToolCall,
    Tool,
    Scalar,
}

const TEXT: &[&str] = &[
    "",
    "x",
    " ",
    "\n",
    "  \n\t",
    "<|im_start|>",
    "\n\n",
    "[",
    "]",
    "é世 ",
    "\r\n",
];

fn value(r: &mut Rng, dot: Dot) -> String {
    let top = [
        "$.System",
        "$.Think",
        "$.ThinkLevel",
        "$.IsThinkSet",
        "$.Missing",
        "$.Response",
        "(len $.Messages)",
        "$.Tools",
        "(len $.Tools)",
        "\"lit\"",
        "42",
        "1.5",
        "true",
        "(currentDate)",
        "(json $.System)",
    ];
    let here: &[&str] = match dot {
        Dot::Top => &[
            ".System",
            ".Prompt",
            ".Response",
            ".Think",
            ".ThinkLevel",
            ".IsThinkSet",
            ".Missing",
            ".Tools",
        ],
        Dot::Message => &[
            ".Role",
            ".Content",
            ".Thinking",
            ".ToolName",
            ".ToolCallID",
            "(len .ToolCalls)",
            "(len .Content)",
            ".Images",
            "(json .ToolCalls)",
            "(json .)",
        ],
        Dot::ToolCall => &[
            ".ID",
            ".Function.Name",
            ".Function.Index",
            ".Function.Arguments",
            "(json .Function.Arguments)",
            "(json .)",
        ],
        Dot::Tool => &[
            ".",
            ".Type",
            ".Function.Name",
            ".Function.Description",
            ".Function",
            ".Function.Parameters",
            "(json .Function.Parameters.Properties)",
        ],
        Dot::Scalar => &["."],
    };
    if r.below(3) == 0 {
        r.pick(&top).to_owned()
    } else {
        r.pick(here).to_owned()
    }
}

/// A value that `print`/`printf`/`html` can format deterministically: they get a copy, so Go
/// cannot call pointer-receiver `String` methods and would print struct addresses.
fn printable(r: &mut Rng, dot: Dot) -> String {
    loop {
        let v = value(r, dot);
        let by_pointer = matches!(
            v.as_str(),
            ".Function" | ".Function.Parameters" | ".Function.Arguments"
        ) || (v == "." && matches!(dot, Dot::Message | Dot::ToolCall));
        if !by_pointer {
            return v;
        }
    }
}

/// A string, number or bool: what non-string verbs can format without reaching into structs
/// (where Go would print pointer addresses).
fn scalar(r: &mut Rng, dot: Dot) -> String {
    if r.below(2) == 0 {
        return string_value(r, dot);
    }
    r.pick(&["(len $.Messages)", "1.5", "$.Think", "-7", "$.Missing"])
        .to_owned()
}

fn string_value(r: &mut Rng, dot: Dot) -> String {
    let here: &[&str] = match dot {
        Dot::Message => &[".Role", ".Content", ".Thinking", ".ToolName"],
        Dot::ToolCall => &[".Function.Name", ".ID"],
        Dot::Tool => &[".Function.Name", ".Function.Description", ".Type"],
        _ => &["$.System", "$.ThinkLevel", "\"user\""],
    };
    r.pick(here).to_owned()
}

fn condition(r: &mut Rng, dot: Dot) -> String {
    match r.below(8) {
        0 => format!("eq {} \"user\" \"assistant\"", string_value(r, dot)),
        1 => format!("ne {} \"\"", string_value(r, dot)),
        2 => format!("and {} {}", value(r, dot), value(r, dot)),
        3 => format!("or {} {}", value(r, dot), value(r, dot)),
        4 => format!("not {}", value(r, dot)),
        5 => format!("lt (len {}) 3", string_value(r, dot)),
        6 => format!("gt (len $.Messages) {}", r.below(4)),
        _ => value(r, dot),
    }
}

fn expression(r: &mut Rng, dot: Dot) -> String {
    match r.below(16) {
        0 => format!(
            "printf \"%s|%v|%q\" {} {} {}",
            string_value(r, dot),
            printable(r, dot),
            string_value(r, dot)
        ),
        1 => format!("print {} {}", printable(r, dot), printable(r, dot)),
        2 => format!("{} | len", string_value(r, dot)),
        3 => format!("html {} {}", printable(r, dot), printable(r, dot)),
        4 => format!("js {}", string_value(r, dot)),
        5 => format!("slice {} {}", string_value(r, dot), r.below(3)),
        6 => format!("json {}", value(r, dot)),
        7 => format!("index $.Messages {} | json", r.below(3)),
        8 => format!(
            "eq (len $.Messages) {} {} {}",
            r.below(4),
            r.below(7),
            r.below(22)
        ),
        9 => format!(
            "{} {} {}",
            r.pick(&["and", "or"]),
            printable(r, dot),
            printable(r, dot)
        ),
        10 => format!(
            "{} {} {}",
            r.pick(&["eq", "ne", "lt", "le", "gt", "ge"]),
            printable(r, dot),
            printable(r, dot)
        ),
        11 => format!("slice $.Messages {} | len", r.below(4)),
        12 => format!(
            "printf \"{}\" {}",
            r.pick(&["%5.1f", "%-6s|", "%03d", "%x", "%t", "%q", "%v %v", "%s%%"]),
            scalar(r, dot)
        ),
        13 => format!(
            "(index $.Messages {}).{}",
            r.below(6),
            r.pick(&["Role", "Content", "ToolName"])
        ),
        _ => value(r, dot),
    }
}

/// Random trim markers for the next action.
fn trims(r: &mut Rng) -> (bool, bool) {
    (r.below(3) == 0, r.below(3) == 0)
}

fn action((trim_left, trim_right): (bool, bool), inner: &str) -> String {
    let left = if trim_left { "{{- " } else { "{{ " };
    let right = if trim_right { " -}}" } else { " }}" };
    format!("{left}{inner}{right}")
}

fn block(r: &mut Rng, dot: Dot, depth: usize, in_range: bool, vars: &mut Vec<String>) -> String {
    let mut out = String::new();
    let n = 1 + r.below(4);
    for _ in 0..n {
        out.push_str(r.pick(TEXT));
        let choice = if depth >= 3 { r.below(4) } else { r.below(12) };
        match choice {
            0 | 1 => out.push_str(&action(trims(r), &expression(r, dot))),
            2 => {
                let name = format!("$v{}", vars.len());
                out.push_str(&action(trims(r), &format!("{name} := {}", value(r, dot))));
                vars.push(name);
            }
            3 => {
                if let Some(v) = vars.last().cloned() {
                    if r.below(2) == 0 {
                        out.push_str(&action(trims(r), &format!("{v} = {}", value(r, dot))));
                    } else {
                        out.push_str(&action(trims(r), &v));
                    }
                } else if in_range {
                    out.push_str(&action(
                        trims(r),
                        if r.below(2) == 0 { "continue" } else { "break" },
                    ));
                }
            }
            4 | 5 => {
                let mark = vars.len();
                out.push_str(&action(trims(r), &format!("if {}", condition(r, dot))));
                out.push_str(&block(r, dot, depth + 1, in_range, vars));
                vars.truncate(mark);
                if r.below(2) == 0 {
                    out.push_str(&action(trims(r), &format!("else if {}", condition(r, dot))));
                    out.push_str(&block(r, dot, depth + 1, in_range, vars));
                    vars.truncate(mark);
                }
                if r.below(2) == 0 {
                    out.push_str(&action(trims(r), "else"));
                    out.push_str(&block(r, dot, depth + 1, in_range, vars));
                    vars.truncate(mark);
                }
                out.push_str(&action(trims(r), "end"));
            }
            6..=8 => {
                let (head, inner) = match (dot, r.below(4)) {
                    (Dot::Message, 0) => ("range $j, $c := .ToolCalls", Dot::ToolCall),
                    (_, 0) => ("range $i, $m := $.Messages", Dot::Message),
                    (_, 1) => ("range $.Messages", Dot::Message),
                    (_, 2) => ("range $.Tools", Dot::Tool),
                    _ => ("range 2", Dot::Scalar),
                };
                let mark = vars.len();
                out.push_str(&action(trims(r), head));
                out.push_str(&block(r, inner, depth + 1, true, vars));
                vars.truncate(mark);
                if r.below(3) == 0 {
                    out.push_str(&action(trims(r), "else"));
                    out.push_str(&block(r, dot, depth + 1, in_range, vars));
                    vars.truncate(mark);
                }
                out.push_str(&action(trims(r), "end"));
            }
            11 => {
                let inner = format!("template \"t\" (print {})", printable(r, dot));
                out.push_str(&action(trims(r), &inner));
            }
            9 => {
                let mark = vars.len();
                out.push_str(&action(trims(r), &format!("with {}", string_value(r, dot))));
                out.push_str(&block(r, Dot::Scalar, depth + 1, in_range, vars));
                vars.truncate(mark);
                if r.below(2) == 0 {
                    let inner = format!("else with {}", string_value(r, dot));
                    out.push_str(&action(trims(r), &inner));
                    out.push_str(&block(r, Dot::Scalar, depth + 1, in_range, vars));
                    vars.truncate(mark);
                }
                out.push_str(&action(trims(r), "end"));
            }
            _ => out.push_str(
                &action(trims(r), "/* note */")
                    .replace("{{ /*", "{{/*")
                    .replace("*/ }}", "*/}}"),
            ),
        }
    }
    out
}

fn template(r: &mut Rng) -> String {
    let mut vars = Vec::new();
    let mut t = block(r, Dot::Top, 0, false, &mut vars);
    // The target of `{{ template "t" ... }}`, called with a string.
    let mut define_vars = Vec::new();
    // No recursion: Go would run a self-call to its depth limit of 100,000 (slowly).
    let body = block(r, Dot::Scalar, 2, false, &mut define_vars).replace("template \"t\"", "print");
    t.push_str(&format!("{{{{ define \"t\" }}}}{body}{{{{ end }}}}"));
    // Half the templates use messages mode, the rest stay legacy (and may get a `.Response`).
    match r.below(4) {
        0 | 1 => t.push_str("{{ if .Messages }}{{ end }}"),
        2 => t.push_str("{{ .Response }}<|end|>{{ .Prompt }}"),
        _ => {}
    }
    t
}

#[test]
fn random_templates_render_like_go() {
    let mut rng = Rng(0x5EED_0F60_7E3D);
    let templates: Vec<String> = (0..300).map(|_| template(&mut rng)).collect();
    let (names, reqs): (Vec<&str>, Vec<_>) = suite::conversations().into_iter().unzip();
    let (go, _) = run_go(&templates, &reqs, &[]);
    let mut mismatches = Vec::new();
    let mut rendered = 0;
    for (t, src) in templates.iter().enumerate() {
        for (r, req) in reqs.iter().enumerate() {
            rendered += usize::from(go[t][r].is_ok());
            if let Some(m) = compare(
                &format!("template #{t} {src:?} x {}", names[r]),
                &go[t][r],
                &run_rust(src, req),
            ) {
                mismatches.push(m);
            }
        }
    }
    let total = templates.len() * reqs.len();
    // The grammar is meant to produce mostly valid templates; if Go fails on most, the test
    // would prove little.
    assert!(
        rendered * 2 > total,
        "Go rendered only {rendered} of {total} random cases"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {total} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// Pieces that combine into valid and invalid templates alike: the parser must accept exactly
/// what Go accepts, and what it accepts must render the same. (Printing `.Messages` or `$` in
/// messages mode is left out: Go prints the messages' memory addresses.)
const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    " -}}",
    "{{ if .System }}",
    "{{ else }}",
    "{{ end }}",
    "{{ range .Messages }}",
    "{{ range $i, $m := .Messages }}",
    "{{ $i }}",
    "{{ break }}",
    "{{ continue }}",
    "{{ with .X }}",
    "{{ .Content }}",
    "{{ .Role }}",
    "{{ template \"t\" . }}",
    "{{ define \"t\" }}",
    "(",
    ")",
    "|",
    " ",
    "{{ printf \"%d%s\" 1 }}",
    "{{ index .Messages 0 }}",
    "{{ slice .System 1 }}",
    "{{ json .System }}",
    "\"",
    "`",
    "'",
    "{{/*",
    "*/}}",
    "text ",
    "\n",
    "{{ $x := 1 }}",
    "{{ $x = 2 }}",
    "{{ eq 1 1.0 }}",
    "{{ len .System }}",
    "{{ .Response }}",
    "{{ .Prompt }}",
    "{{ 0x }}",
    "{{ - }}",
    "{{ nil }}",
    "{{ else if .Prompt }}",
    "{{ else with .System }}",
    "{{ block \"b\" . }}",
    "$",
    ".",
    ":=",
    "=",
    "{{ len .Messages }}",
    "{{ 'x' }}",
    "{{ 1e3 }}",
    "{{ true }}",
    "{{ .A.B }}",
    "{{ (.System) }}",
];

#[test]
fn random_fragments_parse_and_render_like_go() {
    let mut rng = Rng(0xF4A6_0001);
    let templates: Vec<String> = (0..600)
        .map(|_| {
            let n = 1 + rng.below(8);
            (0..n).map(|_| rng.pick(FRAGMENTS)).collect::<String>()
        })
        .collect();
    let all = suite::conversations();
    // Three conversations keep this fast: empty, plain multi-turn, tools.
    let picked: Vec<_> = all
        .into_iter()
        .filter(|(n, _)| {
            matches!(
                *n,
                "no messages" | "multi-turn" | "tools with calls and results"
            )
        })
        .collect();
    let (names, reqs): (Vec<&str>, Vec<_>) = picked.into_iter().unzip();
    let (go, _) = run_go(&templates, &reqs, &[]);
    let mut mismatches = Vec::new();
    let mut rendered = 0;
    for (t, src) in templates.iter().enumerate() {
        for (r, req) in reqs.iter().enumerate() {
            rendered += usize::from(go[t][r].is_ok());
            if let Some(m) = compare(
                &format!("fragments #{t} {src:?} x {}", names[r]),
                &go[t][r],
                &run_rust(src, req),
            ) {
                mismatches.push(m);
            }
        }
    }
    // Both outcomes must be well represented for the test to mean something.
    let total = templates.len() * reqs.len();
    assert!(
        rendered * 10 > total && rendered * 10 < total * 9,
        "Go rendered {rendered} of {total}"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {total} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
