//! The verifier's rules, on small Jinja/Go template pairs whose verdicts are known by
//! construction, and the `template verify`/`template render` commands end to end.

use std::process::Command;

use ruvltra_export::template::chat::{ChatRequest, Message, Think};
use ruvltra_export::template::jinja::JinjaTemplate;
use ruvltra_export::template::ollama::OllamaTemplate;
use ruvltra_export::template::suite::{self, SuiteKind};
use ruvltra_export::template::verify::{self, Verdict, VerifyOptions, VerifyReport};

const CHATML_JINJA: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const CHATML_GO: &str = "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n";

fn run(jinja: &str, go: &str, options: &VerifyOptions) -> VerifyReport {
    let jinja = JinjaTemplate::new(jinja).unwrap();
    let go = OllamaTemplate::parse(go).unwrap();
    verify::verify(&jinja, &go, options).unwrap()
}

fn plain_count() -> usize {
    suite::conversations_of(SuiteKind::Plain).len()
}

#[test]
fn equivalent_templates_verify_on_every_part() {
    let report = run(CHATML_JINJA, CHATML_GO, &VerifyOptions::default());
    assert!(report.verified(), "{report}");
    assert_eq!(report.plain.conversations, plain_count());
    assert!(
        report.tools.verified && report.thinking.verified,
        "{report}"
    );
    assert!(report.not_renderable.is_none());
}

#[test]
fn a_missing_newline_is_a_mismatch_at_its_byte() {
    let go = CHATML_GO.replace("<|im_end|>\n{{ end }}", "<|im_end|>{{ end }}");
    let report = run(CHATML_JINJA, &go, &VerifyOptions::default());
    assert!(!report.verified());
    assert_eq!(report.plain.mismatches.len(), plain_count());
    let first = &report.plain.mismatches[0];
    assert_eq!(first.conversation, "single_user");
    assert_eq!(first.offset, "<|im_start|>user\nHello!<|im_end|>".len());
    assert_eq!(
        first.jinja,
        "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"
    );
    assert_eq!(
        first.go,
        "<|im_start|>user\nHello!<|im_end|><|im_start|>assistant\n"
    );
    let text = report.to_string();
    assert!(
        text.contains("mismatch in `single_user` at byte 33"),
        "{text}"
    );
}

#[test]
fn refused_conversations_are_skipped_and_listed() {
    let jinja = format!(
        "{{% if messages[0].role == 'system' %}}{{{{ raise_exception('System role not supported') }}}}{{% endif %}}{CHATML_JINJA}"
    );
    let report = run(&jinja, CHATML_GO, &VerifyOptions::default());
    let with_system = suite::conversations_of(SuiteKind::Plain)
        .iter()
        .filter(|c| c.request.messages[0].role == "system")
        .count();
    assert!(with_system > 0);
    assert_eq!(report.plain.skipped.len(), with_system);
    assert!(
        report
            .plain
            .skipped
            .iter()
            .all(|s| s.reason.contains("System role not supported"))
    );
    assert_eq!(report.plain.conversations, plain_count() - with_system);
    assert!(report.verified(), "{report}");
}

#[test]
fn a_template_that_cannot_render_one_user_turn_is_not_renderable() {
    let report = run(
        "{{ raise_exception('always') }}",
        CHATML_GO,
        &VerifyOptions::default(),
    );
    assert!(!report.verified());
    assert!(
        report
            .not_renderable
            .as_deref()
            .is_some_and(|r| r.contains("always"))
    );
    assert_eq!(report.plain.conversations, 0);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verified"], false);
}

#[test]
fn one_leading_bos_is_removed_only_when_the_model_adds_it() {
    let jinja = format!("{{{{ bos_token }}}}{CHATML_JINJA}");
    let options = VerifyOptions {
        bos_token: "<s>".into(),
        ..VerifyOptions::default()
    };
    assert!(run(&jinja, CHATML_GO, &options).verified());
    let no_add = VerifyOptions {
        add_bos_token: false,
        ..options.clone()
    };
    let report = run(&jinja, CHATML_GO, &no_add);
    assert!(!report.verified());
    assert!(
        report
            .plain
            .mismatches
            .iter()
            .all(|m| m.jinja == format!("<s>{}", m.go))
    );
    // Only one BOS is removed.
    let twice = format!("{{{{ bos_token }}}}{jinja}");
    assert!(!run(&twice, CHATML_GO, &options).verified());
}

#[test]
fn jinja_sees_ollamas_collated_messages() {
    let jinja = JinjaTemplate::new(
        "{{ messages|length }}:{% for m in messages %}[{{ m.role }}={{ m.content }}]{% endfor %}",
    )
    .unwrap();
    let request = ChatRequest {
        messages: vec![
            Message {
                role: "system".into(),
                content: "A".into(),
                ..Message::default()
            },
            Message {
                role: "system".into(),
                content: "B".into(),
                ..Message::default()
            },
            Message {
                role: "user".into(),
                content: "Hi".into(),
                ..Message::default()
            },
        ],
        ..ChatRequest::default()
    };
    let rendered = verify::render_jinja(&jinja, &request, &VerifyOptions::default()).unwrap();
    assert_eq!(rendered, "2:[system=A\n\nB][user=Hi]");
}

#[test]
fn thinking_flags_reach_both_sides() {
    let jinja = format!(
        "{CHATML_JINJA}{{% if enable_thinking and thinking %}}<think>{{% elif enable_thinking is false and thinking is false %}}<no_think>{{% endif %}}"
    );
    let go = format!("{CHATML_GO}{{{{ if .Think }}}}<think>{{{{ else }}}}<no_think>{{{{ end }}}}");
    let report = run(&jinja, &go, &VerifyOptions::default());
    assert!(
        report.verified() && report.thinking.verified && report.tools.verified,
        "{report}"
    );
    let request = ChatRequest {
        think: Some(Think::Enabled(true)),
        ..suite::conversations()[0].request.clone()
    };
    let rendered = verify::render_jinja(
        &JinjaTemplate::new(&jinja).unwrap(),
        &request,
        &VerifyOptions::default(),
    )
    .unwrap();
    assert!(rendered.ends_with("<think>"), "{rendered}");
}

#[test]
fn both_sides_render_the_same_fixed_date() {
    let jinja = format!("{{{{ strftime_now('%Y-%m-%d') }}}}{CHATML_JINJA}");
    let go = format!("{{{{ currentDate }}}}{CHATML_GO}");
    assert!(run(&jinja, &go, &VerifyOptions::default()).verified());
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1721995200")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn cli_verify_prints_verdict_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let jinja = dir.path().join("t.jinja");
    let go = dir.path().join("t.go");
    let bad = dir.path().join("bad.go");
    std::fs::write(&jinja, CHATML_JINJA).unwrap();
    std::fs::write(&go, CHATML_GO).unwrap();
    std::fs::write(
        &bad,
        CHATML_GO.replace("<|im_start|>assistant\n", "<|im_start|>assistant"),
    )
    .unwrap();
    let (code, out, _) = cli(&[
        "template",
        "verify",
        "--jinja",
        jinja.to_str().unwrap(),
        "--go",
        go.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("plain: verified"), "{out}");

    let (code, out, _) = cli(&[
        "template",
        "verify",
        "--jinja",
        jinja.to_str().unwrap(),
        "--go",
        bad.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["verified"], false);
    assert_eq!(json["conversations"], plain_count());
    assert!(json["skipped"].as_array().unwrap().is_empty());
    let first = &json["mismatches"][0];
    assert_eq!(first["conversation"], "single_user");
    assert_eq!(first["offset"], first["go"].as_str().unwrap().len());
    assert!(first["jinja"].as_str().unwrap().ends_with("assistant\n"));
}

#[test]
fn cli_render_takes_a_request_or_bare_messages() {
    let dir = tempfile::tempdir().unwrap();
    let jinja = dir.path().join("t.jinja");
    let go = dir.path().join("t.go");
    std::fs::write(&jinja, format!("{{{{ bos_token }}}}{CHATML_JINJA}")).unwrap();
    std::fs::write(&go, CHATML_GO).unwrap();
    let bare = dir.path().join("bare.json");
    std::fs::write(&bare, r#"[{"role": "user", "content": "Hi"}]"#).unwrap();
    let request = dir.path().join("request.json");
    std::fs::write(
        &request,
        r#"{"messages": [{"role": "user", "content": "Hi"}], "think": false}"#,
    )
    .unwrap();
    let expected = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
    for messages in [&bare, &request] {
        let (code, out, err) = cli(&[
            "template",
            "render",
            "--go",
            go.to_str().unwrap(),
            "--messages",
            messages.to_str().unwrap(),
        ]);
        assert_eq!((code, out.as_str()), (0, expected), "{err}");
        let (code, out, err) = cli(&[
            "template",
            "render",
            "--jinja",
            jinja.to_str().unwrap(),
            "--messages",
            messages.to_str().unwrap(),
            "--bos",
            "<s>",
        ]);
        assert_eq!((code, out.as_str()), (0, expected), "{err}");
    }
    let (code, _, err) = cli(&[
        "template",
        "render",
        "--go",
        go.to_str().unwrap(),
        "--messages",
        jinja.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("is not a chat request"), "{err}");
}

/// A ChatML template that lists the tools as JSON (Python's `tojson`) and writes calls as
/// JSON objects.
const TOOLS_JINJA: &str = "{% if tools %}<tools>{% for t in tools %}{{ '\\n' }}{{ t | tojson }}{% endfor %}{{ '\\n</tools>\\n' }}{% endif %}\
{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}\
{% for c in m.tool_calls or [] %}<tool_call>{\"name\": \"{{ c.function.name }}\", \"arguments\": {{ c.function.arguments | tojson }}}</tool_call>{% endfor %}\
<|im_end|>\n{% endfor %}{{ '<|im_start|>assistant\\n' }}";

/// The same in Go: compact JSON in Go's struct order.
const TOOLS_GO: &str = "{{ if .Tools }}<tools>{{ range .Tools }}\n{{ json . }}{{ end }}\n</tools>\n{{ end }}\
{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}\
{{- range .ToolCalls }}<tool_call>{\"name\": \"{{ .Function.Name }}\", \"arguments\": {{ json .Function.Arguments }}}</tool_call>{{ end }}\
<|im_end|>\n{{ end }}<|im_start|>assistant\n";

#[test]
fn tool_json_formatting_is_its_own_verdict() {
    let report = run(TOOLS_JINJA, TOOLS_GO, &VerifyOptions::default());
    assert!(report.verified(), "{report}");
    let tools = &report.tools;
    assert!(
        !tools.verified,
        "JSON formatting differs, so not byte for byte"
    );
    assert_eq!(tools.verdict, Verdict::JsonEquivalent, "{report}");
    assert!(tools.equivalent() && tools.mismatches.is_empty());
    assert_eq!(
        tools.json_equivalent.len(),
        suite::conversations_of(SuiteKind::Tools).len()
    );
    let n = suite::conversations_of(SuiteKind::Tools).len();
    assert!(
        report.to_string().contains(&format!(
            "tools: equivalent up to JSON formatting: {n} of {n}"
        )),
        "{report}"
    );
}

#[test]
fn text_around_tool_json_is_still_compared_byte_for_byte() {
    let go = TOOLS_GO.replace("</tool_call>", "</tool_call>\n");
    let report = run(TOOLS_JINJA, &go, &VerifyOptions::default());
    let tools = &report.tools;
    assert_eq!(tools.verdict, Verdict::NotVerified, "{report}");
    let names: Vec<&str> = tools
        .mismatches
        .iter()
        .map(|m| m.conversation.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "tool_call_and_result",
            "tool_call_with_content",
            "tool_round_trip",
            "tool_call_without_arguments",
            "parallel_tool_calls"
        ]
    );
    // The offsets point at the extra newline on both sides, past differently formatted JSON.
    let first = &tools.mismatches[0];
    assert!(first.jinja[first.offset..].starts_with("<|im_end|>"));
    assert!(first.go[first.go_offset..].starts_with("\n<|im_end|>"));
    assert_ne!(first.offset, first.go_offset);
    // A different JSON value is a mismatch too.
    let go = TOOLS_GO.replace("json .Function.Arguments", "json .Function.Name");
    let report = run(TOOLS_JINJA, &go, &VerifyOptions::default());
    // Every tool conversation but `tools_offered` has a call.
    assert_eq!(report.tools.mismatches.len(), 5, "{report}");
}
