//! Bad Go templates give typed errors with positions, bounded in time and memory: syntax
//! errors, runaway recursion, loops and output, and Ollama's own refusals.

use proptest::prelude::*;
use ruvltra_export::template::chat::{ChatRequest, Message};
use ruvltra_export::template::gotmpl::{ExecOptions, GoTemplateError, Limits, Template, Value};
use ruvltra_export::template::ollama::{Date, OllamaTemplate, OllamaTemplateError, RenderOptions};

fn syntax(src: &str) -> (usize, usize, String) {
    match Template::parse(src) {
        Err(GoTemplateError::Syntax { pos, message }) => (pos.line, pos.col, message),
        other => panic!("expected a syntax error for {src:?}, got {other:?}"),
    }
}

#[test]
fn syntax_errors_name_line_and_column() {
    assert_eq!(
        syntax("line one\n  {{ .A "),
        (2, 3, "unclosed action".to_owned())
    );
    assert_eq!(
        syntax("{{ if .A }}\n{{ else }}\n{{ else }}{{ end }}").2,
        "expected end; found {{else}}"
    );
    let (line, col, msg) = syntax("ok\n\nx {{ \"open }}");
    assert_eq!((line, col), (3, 6));
    assert!(msg.contains("unterminated quoted string"), "{msg}");
    assert!(
        syntax("{{ nope 1 }}")
            .2
            .contains("function \"nope\" not defined")
    );
    assert!(syntax("{{ $x }}").2.contains("undefined variable \"$x\""));
    assert!(syntax("{{ break }}").2.contains("outside {{range}}"));
    assert!(
        syntax("{{ range . }}{{ else if . }}{{ end }}")
            .2
            .contains("unexpected")
    );
    assert!(
        syntax("{{ .A | \"lit\" }}")
            .2
            .contains("non executable command")
    );
    assert!(syntax("{{ 08 }}").2.contains("number"));
    assert!(syntax("{{ .A.b-c }}").2.contains("bad character"));
    assert!(syntax("{{/* never closed").2.contains("unclosed comment"));
    assert!(syntax("{{ \"\\q\" }}").2.contains("invalid syntax"));
}

#[test]
fn errors_display_go_style_positions() {
    let err = Template::parse("a\n{{ end }}").expect_err("stray end");
    assert_eq!(err.to_string(), "template:2:1: unexpected {{end}}");
    let t = Template::parse("x\n  {{ .A.B }}").expect("parses");
    let err = t
        .execute(&Value::str("s"), &ExecOptions::default())
        .expect_err("field of a string");
    assert_eq!(err.pos().line, 2);
    assert!(
        err.to_string()
            .contains("can't evaluate field A in type string"),
        "{err}"
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowing() {
    let src = "{{ if 1 }}".repeat(10_000) + &"{{ end }}".repeat(10_000);
    assert!(syntax(&src).2.contains("nesting deeper than"));
    let parens = format!("{{{{ {}1{} }}}}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(syntax(&parens).2.contains("nesting deeper than"));
}

fn run_limited(src: &str, limits: Limits) -> Result<String, GoTemplateError> {
    let t = Template::parse(src).expect("parses");
    let opts = ExecOptions {
        limits,
        ..ExecOptions::default()
    };
    t.execute(&Value::str("x"), &opts)
}

#[test]
fn self_recursive_template_hits_the_depth_limit() {
    // Run on a thread with a small stack: the limit must trip long before the stack does.
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let nested_ifs =
                "{{ if 1 }}".repeat(90) + "{{ template \"a\" . }}" + &"{{ end }}".repeat(90);
            let src = format!(
                "{{{{ define \"a\" }}}}{nested_ifs}{{{{ end }}}}{{{{ template \"a\" . }}}}"
            );
            run_limited(&src, Limits::default())
        })
        .expect("spawn");
    let r = handle.join().expect("no stack overflow");
    assert!(
        matches!(r, Err(GoTemplateError::DepthLimit { .. })),
        "{r:?}"
    );
}

#[test]
fn exponential_recursion_hits_the_step_limit() {
    let src = r#"{{ define "a" }}{{ if lt (len .) 60 }}{{ template "a" (print . "x") }}{{ template "a" (print . "y") }}{{ end }}{{ end }}{{ template "a" . }}"#;
    let r = run_limited(src, Limits::default());
    assert!(matches!(r, Err(GoTemplateError::StepLimit { .. })), "{r:?}");
}

#[test]
fn huge_range_hits_the_step_limit() {
    let r = run_limited("{{ range 1000000000000 }}{{ end }}", Limits::default());
    assert!(matches!(r, Err(GoTemplateError::StepLimit { .. })), "{r:?}");
    let r = run_limited(
        "{{ range 100000 }}{{ range 100000 }}{{ end }}{{ end }}",
        Limits::default(),
    );
    assert!(matches!(r, Err(GoTemplateError::StepLimit { .. })), "{r:?}");
}

#[test]
fn growing_output_hits_the_output_cap() {
    let limits = Limits {
        max_output: 1 << 20,
        ..Limits::default()
    };
    let src = format!("{{{{ range 100000 }}}}{}{{{{ end }}}}", "y".repeat(100));
    let r = run_limited(&src, limits);
    assert!(
        matches!(r, Err(GoTemplateError::OutputLimit { limit, .. }) if limit == 1 << 20),
        "{r:?}"
    );
    // Doubling through variables grows without many steps.
    let doubling = format!(
        "{{{{ $s := \"xxxxxxxxxxxxxxxx\" }}}}{}{{{{ $s }}}}",
        "{{ $s = print $s $s }}".repeat(60)
    );
    let r = run_limited(&doubling, limits);
    assert!(
        matches!(r, Err(GoTemplateError::OutputLimit { .. })),
        "{r:?}"
    );
}

fn request(messages: &[(&str, &str)]) -> ChatRequest {
    ChatRequest {
        messages: messages
            .iter()
            .map(|(role, content)| Message {
                role: (*role).to_owned(),
                content: (*content).to_owned(),
                ..Message::default()
            })
            .collect(),
        ..ChatRequest::default()
    }
}

fn opts() -> RenderOptions {
    RenderOptions::with_date(Date::parse("2025-03-01").expect("date"))
}

#[test]
fn ollama_rejects_template_calls_without_argument() {
    let err = OllamaTemplate::parse("{{ define \"x\" }}x{{ end }}{{ template \"x\" }}")
        .expect_err("rejected");
    assert!(
        matches!(err, OllamaTemplateError::Rejected { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("undefined template specified"));
}

#[test]
fn legacy_response_in_block_with_else_is_reported() {
    let t =
        OllamaTemplate::parse("{{ if .Prompt }}{{ .Prompt }}{{ .Response }}{{ else }}-{{ end }}")
            .expect("parses");
    let err = t
        .render(&request(&[("user", "hi")]), &opts())
        .expect_err("Ollama cannot cut this");
    assert_eq!(err, OllamaTemplateError::ResponseInElseBlock);
}

#[test]
fn legacy_mode_renders_turns_and_cuts_the_last() {
    let t = OllamaTemplate::parse("[{{ .System }}|{{ .Prompt }}|{{ .Response }}]").expect("parses");
    assert!(!t.uses_messages());
    let out = t
        .render(
            &request(&[
                ("system", "s"),
                ("user", "u1"),
                ("assistant", "a1"),
                ("user", "u2"),
            ]),
            &opts(),
        )
        .expect("renders");
    assert_eq!(out, "[s|u1|a1][|u2|");
}

#[test]
fn response_is_appended_when_neither_mode_is_used() {
    let t = OllamaTemplate::parse("{{ .Prompt }}>").expect("parses");
    let out = t
        .render(
            &request(&[("user", "q"), ("assistant", "a"), ("user", "q2")]),
            &opts(),
        )
        .expect("renders");
    assert_eq!(out, "q>aq2>");
}

#[test]
fn capabilities_follow_the_fields_used() {
    let t = OllamaTemplate::parse(
        "{{ range .Messages }}{{ .Content }}{{ end }}{{ if .Tools }}{{ .Tools }}{{ end }}",
    )
    .expect("parses");
    assert!(t.uses_messages() && t.uses_tools() && !t.uses_thinking());
    let t = OllamaTemplate::parse("{{ if .Think }}<think>{{ end }}{{ .Prompt }}").expect("parses");
    assert!(!t.uses_messages() && !t.uses_tools() && t.uses_thinking());
}

#[test]
fn dates_come_from_the_options() {
    let t = OllamaTemplate::parse("{{ .Messages }}{{ currentDate }} {{ yesterdayDate }}")
        .expect("parses");
    let mut req = request(&[]);
    req.messages.clear();
    let out = t.render(&req, &opts()).expect("renders");
    assert_eq!(out, "[]2025-03-01 2025-02-28");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any mix of template fragments parses or fails cleanly, and runs or fails cleanly.
    #[test]
    fn fragments_never_panic(parts in proptest::collection::vec(proptest::sample::select(vec![
        "{{", "}}", "{{-", " -}}", "{{ if .System }}", "{{ else }}", "{{ end }}", "{{ range .Messages }}",
        "{{ range $i, $m := .Messages }}", "{{ $i }}", "{{ break }}", "{{ continue }}", "{{ with .X }}",
        "{{ .Content }}", "{{ .Role }}", "{{ template \"t\" . }}", "{{ define \"t\" }}", "(", ")", "|",
        "{{ printf \"%d%s\" 1 }}", "{{ index .Messages 0 }}", "{{ slice .System 1 }}", "{{ json . }}",
        "\"", "`", "'", "{{/*", "*/}}", "text ", "\n", "{{ $x := 1 }}", "{{ $x = 2 }}", "{{ eq 1 1.0 }}",
        "{{ len . }}", "{{ .Response }}", "{{ .Prompt }}", "{{ 0x }}", "{{ - }}", "{{ nil }}",
    ]), 0..20)) {
        let src: String = parts.concat();
        if let Ok(t) = OllamaTemplate::parse(&src) {
            let _ = t.render(&request(&[("system", "s"), ("user", "u"), ("assistant", "a"), ("user", "v")]), &opts());
        }
    }
}
