//! The Rust Go-template engine against Go's own `text/template` (through
//! `tests/support/gorender`, which applies Ollama's rendering rules): every hand-written
//! template in `templates/go/` and a set of edge-case templates, over the conversation suite,
//! must render byte for byte the same, and fail exactly where Go fails.

#[path = "support/gorender/harness.rs"]
mod harness;
#[path = "support/gorender/suite.rs"]
mod suite;
mod support;

use harness::{PlainCase, compare, run_go, run_rust, run_rust_plain};
use ruvltra_export::template::chat::ChatRequest;
use serde_json::json;

fn hand_written() -> Vec<(String, String)> {
    let dir = support::root().join("templates/go");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("templates/go exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "gotmpl"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("read template"))
        })
        .collect();
    out.sort();
    out
}

fn requests() -> (Vec<&'static str>, Vec<ChatRequest>) {
    suite::conversations().into_iter().unzip()
}

#[test]
fn hand_written_templates_render_like_go() {
    let templates = hand_written();
    assert!(
        templates.len() >= 10,
        "expected at least ten templates in templates/go, found {}",
        templates.len()
    );
    let (names, reqs) = requests();
    let sources: Vec<String> = templates.iter().map(|(_, s)| s.clone()).collect();
    let (go, _) = run_go(&sources, &reqs, &[]);
    let mut mismatches = Vec::new();
    let mut go_errors = Vec::new();
    for (t, (tname, src)) in templates.iter().enumerate() {
        for (r, req) in reqs.iter().enumerate() {
            let what = format!("{tname} x {}", names[r]);
            if let Err(e) = &go[t][r] {
                go_errors.push(format!("{what}: {e}"));
            }
            if let Some(m) = compare(&what, &go[t][r], &run_rust(src, req)) {
                mismatches.push(m);
            }
        }
    }
    // The hand-written templates are meant to work: Go failing on one is a broken template.
    assert!(
        go_errors.is_empty(),
        "Go could not render:\n{}",
        go_errors.join("\n")
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}

/// Templates run through Ollama's rules (messages or legacy mode) over the whole suite.
const OLLAMA_EDGE_CASES: &[&str] = &[
    // Trim markers and comments.
    "a  {{- .System -}}  b {{- /* gone */ -}} c {{/* kept spaces */}} d",
    // Variables, assignment inside range, scoping.
    "{{ $n := 0 }}{{ range .Messages }}{{ $n = len .Content }}{{ end }}{{ $n }}{{ with $x := .System }}[{{ $x }}]{{ end }}",
    // range with index/else, break, continue.
    "{{ range $i, $m := .Messages }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ if eq .Role \"system\" }}{{ continue }}{{ end }}{{ $i }}:{{ .Role }};{{ else }}none{{ end }}",
    // range over an int, and over a map (the top-level data, sorted keys).
    "{{ range 3 }}{{ . }}{{ end }}|{{ range $k, $v := $ }}{{ $k }},{{ end }}",
    // Printing of bools, ints, slices, missing keys, nil.
    "{{ .Think }} {{ .IsThinkSet }} {{ len .Messages }} {{ .Missing }} {{ print .Missing }} {{ .Tools }} {{ (index .Messages 0).Images }}",
    // eq typing: multi-arg, mixed kinds that Go allows.
    "{{ eq .ThinkLevel \"high\" \"medium\" }} {{ eq (len .Messages) 1 2 3 }} {{ ne .System \"\" }} {{ eq .Missing \"x\" }}",
    // eq typing: int against float is an error in Go.
    "{{ eq (len .Messages) 1.0 }}",
    // eq typing: string against int is an error.
    "{{ eq .System 1 }}",
    // lt/le/gt/ge on ints and strings.
    "{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }} {{ lt .System \"M\" }}",
    // and/or return an operand and short-circuit.
    "{{ and 1 0 \"x\" }} {{ or 0 \"\" .System \"fallback\" }} {{ and .Messages .System }} {{ or .Missing 7 }} {{ not .Messages }}",
    // index, slice, len on strings and slices.
    "{{ with .Messages }}{{ (index . 0).Role }} {{ len (slice . 1) }}{{ end }} {{ slice \"abcdef\" 1 3 }} {{ index \"abc\" 1 }} {{ len \"héllo\" }}",
    // slice out of range is an error.
    "{{ slice .Messages 0 99 }}",
    // printf verbs.
    "{{ printf \"%s|%d|%v|%q|%t|%5.2f|%x|%-4s|%03d|%%\" .System 42 .Think .System .IsThinkSet 3.14159 255 \"ab\" 7 }}",
    "{{ printf \"%d %s\" \"str\" 5 }} {{ printf \"%s\" }} {{ printf \"%v\" 1 2 }}",
    // print/println spacing rules.
    "{{ print 1 2 \"a\" \"b\" 3 true nil }}|{{ println \"x\" 1 2 }}|",
    // html, js, urlquery.
    "{{ html .System \"<&>\" }} {{ js \"it's <b> & \\\"q\\\" = \\n\" }} {{ urlquery \"a b&c=d/é\" }}",
    // json: HTML escaping, tool definitions, tool calls, messages.
    "{{ json .System }} {{ json .Tools }} {{ range .Messages }}{{ json .ToolCalls }}{{ json . }}{{ end }} {{ json .Missing }}",
    // Tools print through their String methods.
    "{{ range .Tools }}{{ . }}|{{ .Function }}|{{ .Function.Parameters }}|{{ .Function.Description }}{{ end }}",
    // Tool call fields, arguments as JSON.
    "{{ range .Messages }}{{ range .ToolCalls }}[{{ .ID }} {{ .Function.Index }} {{ .Function.Name }} {{ .Function.Arguments }}]{{ end }}{{ .ToolName }}{{ .ToolCallID }}{{ end }}",
    // Dates and toTypeScriptType.
    "{{ currentDate }} {{ yesterdayDate }} {{ toTypeScriptType .System }} {{ range .Tools }}{{ toTypeScriptType .Function.Parameters }}{{ end }}",
    // define/template/block.
    "{{ define \"turn\" }}<{{ .Role }}>{{ .Content }}{{ end }}{{ range .Messages }}{{ template \"turn\" . }}{{ end }}{{ block \"tail\" .System }}[{{ . }}]{{ end }}",
    // A missing field of a struct is an error (Ollama's messages are structs).
    "{{ range .Messages }}{{ .Nope }}{{ end }}",
    // Field of a missing map key is an error under missingkey=zero.
    "{{ .Missing.Field }}",
    // Legacy templates: cut at the first .Response, with text and actions after it.
    "{{ if .System }}S:{{ .System }}\n{{ end }}U:{{ .Prompt }}\nA:{{ .Response }}<end>{{ .Prompt }}\n",
    // Legacy: .Response inside an if, things after it dropped.
    "{{ .Prompt }}{{ if .Prompt }} => {{ .Response }} ! {{ end }}tail",
    // Legacy: the cut removes a whole action when a later command loses its arguments.
    "P={{ .Prompt }} R={{ .Response | print }}|after",
    // Legacy: .Response in an else block.
    "{{ if .System }}{{ .System }}{{ else }}{{ .Response }}{{ end }}{{ .Prompt }}",
    // Legacy: .Response in an if that has an else (Ollama cannot cut this).
    "{{ if .Prompt }}{{ .Response }}{{ else }}x{{ end }}",
    // Legacy: an Ollama function after the cut point is dropped; before it, it is undefined.
    "{{ .Prompt }}{{ .Response }}{{ json .Prompt }}",
    "{{ json .Prompt }}{{ .Response }}",
    // Legacy: templates after the cut are not visible.
    "{{ define \"x\" }}X{{ end }}{{ template \"x\" . }}{{ .Prompt }}{{ .Response }}",
    // Neither .Messages nor .Response: {{ .Response }} is appended.
    "{{ .System }}|{{ .Prompt }}|",
    // .Response only through a variable does not count as a field.
    "{{ $.Response }}{{ .Prompt }}",
    // A template call without an argument: Ollama's scan rejects it.
    "{{ define \"x\" }}X{{ end }}{{ template \"x\" }}{{ .Messages }}",
    // Parenthesised pipelines and chained fields.
    "{{ (index .Messages 0).Content }} {{ (len .Messages) }} {{ $m := index .Messages 0 }}{{ $m.Role }}",
    // with/else with.
    "{{ with .Missing }}a{{ else with .System }}b:{{ . }}{{ else }}c{{ end }}",
    // Numbers: hex, char constants, floats.
    "{{ 0x1F }} {{ 'a' }} {{ 1.5e3 }} {{ 1e6 }} {{ -0.000012 }} {{ 100000 }}",
];

/// Templates run over plain JSON data (decoded as Go's `any`), with or without missingkey=zero.
fn plain_cases() -> Vec<PlainCase> {
    let data = json!({
        "s": "text <b>",
        "n": 42,
        "f": 0.1,
        "big": 1e21,
        "small": 1e-7,
        "neg": -3,
        "b": true,
        "list": [3, "x", null, {"k": 1}, [1, 2]],
        "empty": [],
        "map": {"z": 1, "a": "A", "m": [true]},
        "nothing": null,
        "unicode": "é世🎉\u{2028}"
    });
    let mut cases = Vec::new();
    for (src, zero) in [
        ("{{ . }}", true),
        (
            "{{ .s }} {{ .n }} {{ .f }} {{ .big }} {{ .small }} {{ .neg }} {{ .b }} {{ .list }} {{ .empty }} {{ .map }} {{ .nothing }}",
            true,
        ),
        ("{{ .missing }} {{ .nothing }}", false),
        ("{{ .missing }}", true),
        ("{{ .missing.deeper }}", false),
        ("{{ .missing.deeper }}", true),
        ("{{ .nothing.deeper }}", true),
        (
            "{{ range $k, $v := .map }}{{ $k }}={{ $v }};{{ end }}",
            true,
        ),
        ("{{ range .list }}[{{ . }}]{{ end }}", true),
        (
            "{{ range .empty }}x{{ else }}empty{{ end }}{{ range .nothing }}x{{ else }}nil{{ end }}",
            true,
        ),
        ("{{ json . }}", true),
        (
            "{{ json .list }} {{ json .big }} {{ json .small }} {{ json .unicode }} {{ json .s }}",
            true,
        ),
        (
            "{{ index .map \"a\" }} {{ index .map \"nope\" }} {{ index .list 3 \"k\" }} {{ index .list 4 1 }}",
            true,
        ),
        ("{{ index .list 9 }}", true),
        ("{{ index .map 1 }}", true),
        ("{{ len .map }} {{ len .list }} {{ len .s }}", true),
        ("{{ len .n }}", true),
        ("{{ eq .n 42.0 }} {{ eq .n 42 }}", true),
        ("{{ eq .s \"text <b>\" }} {{ eq .nothing .missing }}", true),
        ("{{ eq .list .list }}", true),
        ("{{ eq .nothing .list }}", true),
        ("{{ eq .list .nothing }}", true),
        ("{{ eq .map .map }}", true),
        ("{{ eq .nothing .nothing }} {{ eq nil nil }}", true),
        ("{{ ne .n .missing }} {{ lt .missing 1 }}", true),
        ("{{ lt .n 50.5 }} {{ gt .f 0.05 }}", true),
        ("{{ lt .n 50 }}", true),
        (
            "{{ if .empty }}y{{ else }}n{{ end }}{{ if .map }}y{{ end }}{{ if .f }}y{{ end }}{{ if .nothing }}y{{ else }}n{{ end }}",
            true,
        ),
        (
            "{{ printf \"%v %s %d %q %x %5.1f|%-6v|%T %T\" .list .s .n .unicode .s .f .b .s .n }}",
            true,
        ),
        (
            "{{ printf \"%d\" .n }} {{ printf \"%.2f %e %g\" .f .big .small }}",
            true,
        ),
        ("{{ print .nothing .missing }} {{ println .list }}", true),
        (
            "{{ html .list }} {{ js .unicode }} {{ urlquery .unicode }}",
            true,
        ),
        (
            "{{ slice .list 1 3 }} {{ slice .list 2 }} {{ slice .s 0 4 }} {{ slice .list 1 2 3 }}",
            true,
        ),
        ("{{ call .s }}", true),
        (
            "{{ template \"self\" }}{{ define \"self\" }}{{ template \"self\" }}{{ end }}",
            true,
        ),
        ("{{ range $i, $e := 3 }}{{ end }}", true),
        ("{{ range .n }}{{ . }}{{ end }}", true),
        ("{{ range .f }}{{ . }}{{ end }}", true),
        ("{{ .s.x }}", true),
        ("{{ .n 1 }}", true),
        (
            "{{ \"x\" | printf \"%s-%s\" \"y\" }} {{ .n | print }} {{ 3 | eq 3 }}",
            true,
        ),
        (
            "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}",
            true,
        ),
        (
            "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}",
            true,
        ),
        (
            "{{ range $i, $e := .list }}{{ if gt $i 1 }}{{ break }}{{ end }}{{ $i }}{{ end }}",
            true,
        ),
    ] {
        cases.push(PlainCase {
            template: src.to_owned(),
            data: data.clone(),
            missing_zero: zero,
        });
    }
    cases
}

#[test]
fn edge_case_templates_render_like_go() {
    let (names, reqs) = requests();
    let sources: Vec<String> = OLLAMA_EDGE_CASES.iter().map(|s| (*s).to_owned()).collect();
    let plain = plain_cases();
    let (go, go_plain) = run_go(&sources, &reqs, &plain);
    let mut mismatches = Vec::new();
    let mut go_ok = 0;
    for (t, src) in sources.iter().enumerate() {
        for (r, req) in reqs.iter().enumerate() {
            go_ok += usize::from(go[t][r].is_ok());
            if let Some(m) = compare(
                &format!("{src:?} x {}", names[r]),
                &go[t][r],
                &run_rust(src, req),
            ) {
                mismatches.push(m);
            }
        }
    }
    for (case, go) in plain.iter().zip(&go_plain) {
        go_ok += usize::from(go.is_ok());
        if let Some(m) = compare(
            &format!("plain {:?}", case.template),
            go,
            &run_rust_plain(case),
        ) {
            mismatches.push(m);
        }
    }
    // Most cases render; the error cases are a minority by design.
    let total = sources.len() * reqs.len() + plain.len();
    assert!(
        go_ok * 2 > total,
        "Go rendered only {go_ok} of {total} edge cases"
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}
