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

/// What Go does with an edge case over the suite: render every request, fail on every
/// request, or fail on some (such as indexing the first message of an empty conversation).
/// Checked so a harness or data change cannot quietly turn a rendering case into an error case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Renders,
    Fails,
    Mixed,
}

use Expect::{Fails, Mixed, Renders};

fn expect_of(outcomes: &[&harness::Outcome]) -> Expect {
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    match ok {
        0 => Fails,
        n if n == outcomes.len() => Renders,
        _ => Mixed,
    }
}

/// Templates run through Ollama's rules (messages or legacy mode) over the whole suite.
const OLLAMA_EDGE_CASES: &[(Expect, &str)] = &[
    // Trim markers and comments.
    (
        Renders,
        "a  {{- .System -}}  b {{- /* gone */ -}} c {{/* kept spaces */}} d",
    ),
    // Variables, assignment inside range, scoping.
    (
        Renders,
        "{{ $n := 0 }}{{ range .Messages }}{{ $n = len .Content }}{{ end }}{{ $n }}{{ with $x := .System }}[{{ $x }}]{{ end }}",
    ),
    // range with index/else, break, continue.
    (
        Renders,
        "{{ range $i, $m := .Messages }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ if eq .Role \"system\" }}{{ continue }}{{ end }}{{ $i }}:{{ .Role }};{{ else }}none{{ end }}",
    ),
    // range over an int, and over a map (the top-level data, sorted keys).
    (
        Renders,
        "{{ range 3 }}{{ . }}{{ end }}|{{ range $k, $v := $ }}{{ $k }},{{ end }}",
    ),
    // Printing of bools, ints, slices, missing keys, nil.
    (
        Mixed,
        "{{ .Think }} {{ .IsThinkSet }} {{ len .Messages }} {{ .Missing }} {{ print .Missing }} {{ .Tools }} {{ (index .Messages 0).Images }}",
    ),
    // eq typing: multi-arg, mixed kinds that Go allows.
    (
        Renders,
        "{{ eq .ThinkLevel \"high\" \"medium\" }} {{ eq (len .Messages) 1 2 3 }} {{ ne .System \"\" }} {{ eq .Missing \"x\" }}",
    ),
    // eq typing: int against float is an error in Go.
    (Fails, "{{ eq (len .Messages) 1.0 }}"),
    // eq typing: string against int is an error.
    (Fails, "{{ eq .System 1 }}"),
    // lt/le/gt/ge on ints and strings.
    (
        Renders,
        "{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }} {{ lt .System \"M\" }}",
    ),
    // and/or return an operand and short-circuit.
    (
        Renders,
        "{{ and 1 0 \"x\" }} {{ or 0 \"\" .System \"fallback\" }} {{ and .Messages .System }} {{ or .Missing 7 }} {{ not .Messages }}",
    ),
    // index, slice, len on strings and slices.
    (
        Renders,
        "{{ with .Messages }}{{ (index . 0).Role }} {{ len (slice . 1) }}{{ end }} {{ slice \"abcdef\" 1 3 }} {{ index \"abc\" 1 }} {{ len \"héllo\" }}",
    ),
    // slice out of range is an error.
    (Fails, "{{ slice .Messages 0 99 }}"),
    // printf verbs.
    (
        Renders,
        "{{ printf \"%s|%d|%v|%q|%t|%5.2f|%x|%-4s|%03d|%%\" .System 42 .Think .System .IsThinkSet 3.14159 255 \"ab\" 7 }}",
    ),
    (
        Renders,
        "{{ printf \"%d %s\" \"str\" 5 }} {{ printf \"%s\" }} {{ printf \"%v\" 1 2 }}",
    ),
    // print/println spacing rules.
    (
        Renders,
        "{{ print 1 2 \"a\" \"b\" 3 true nil }}|{{ println \"x\" 1 2 }}|",
    ),
    // html, js, urlquery.
    (
        Renders,
        "{{ html .System \"<&>\" }} {{ js \"it's <b> & \\\"q\\\" = \\n\" }} {{ urlquery \"a b&c=d/é\" }}",
    ),
    // json: HTML escaping, tool definitions, tool calls, messages.
    (
        Renders,
        "{{ json .System }} {{ json .Tools }} {{ range .Messages }}{{ json .ToolCalls }}{{ json . }}{{ end }} {{ json .Missing }}",
    ),
    // Tools print through their String methods.
    (
        Renders,
        "{{ range .Tools }}{{ . }}|{{ .Function }}|{{ .Function.Parameters }}|{{ .Function.Description }}{{ end }}",
    ),
    // Tool call fields, arguments as JSON.
    (
        Renders,
        "{{ range .Messages }}{{ range .ToolCalls }}[{{ .ID }} {{ .Function.Index }} {{ .Function.Name }} {{ .Function.Arguments }}]{{ end }}{{ .ToolName }}{{ .ToolCallID }}{{ end }}",
    ),
    // Arguments are a plain map in current Ollama: ranged in sorted key order, indexed,
    // printed and marshalled as sorted JSON; values print raw or as JSON.
    (
        Renders,
        "{{ range .Messages }}{{ range .ToolCalls }}{{ range $k, $v := .Function.Arguments }}<{{ $k }}={{ $v }}|{{ json $v }}|{{ printf \"%v\" $v }}>{{ end }}{{ index .Function.Arguments \"query\" }}{{ .Function.Arguments.city }}{{ len .Function.Arguments }}{{ print .Function.Arguments }}{{ . }}{{ .Function }}{{ json . }}{{ end }}{{ end }}",
    ),
    // Tool properties are a plain map too; tools themselves print field by field.
    (
        Renders,
        "{{ range .Tools }}{{ range $k, $v := .Function.Parameters.Properties }}{{ $k }}:{{ $v }};{{ json $v }}{{ end }}{{ json .Function }}{{ print . }}{{ end }}",
    ),
    // Dates and toTypeScriptType (messages mode: legacy mode's last turn has no functions).
    (
        Renders,
        "{{ with .Messages }}{{ end }}{{ currentDate }} {{ yesterdayDate }} {{ toTypeScriptType .System }} {{ range .Tools }}{{ toTypeScriptType .Function.Parameters }}{{ end }}",
    ),
    // define/template/block.
    (
        Renders,
        "{{ define \"turn\" }}<{{ .Role }}>{{ .Content }}{{ end }}{{ range .Messages }}{{ template \"turn\" . }}{{ end }}{{ block \"tail\" .System }}[{{ . }}]{{ end }}",
    ),
    // A missing field of a struct is an error (Ollama's messages are structs).
    (Mixed, "{{ range .Messages }}{{ .Nope }}{{ end }}"),
    // Field of a missing map key is an error under missingkey=zero.
    (Mixed, "{{ .Missing.Field }}"),
    // Legacy templates: cut at the first .Response, with text and actions after it.
    (
        Renders,
        "{{ if .System }}S:{{ .System }}\n{{ end }}U:{{ .Prompt }}\nA:{{ .Response }}<end>{{ .Prompt }}\n",
    ),
    // Legacy: .Response inside an if, things after it dropped.
    (
        Renders,
        "{{ .Prompt }}{{ if .Prompt }} => {{ .Response }} ! {{ end }}tail",
    ),
    // Legacy: the cut removes a whole action when a later command loses its arguments.
    (Renders, "P={{ .Prompt }} R={{ .Response | print }}|after"),
    // Legacy: .Response in an else block.
    (
        Renders,
        "{{ if .System }}{{ .System }}{{ else }}{{ .Response }}{{ end }}{{ .Prompt }}",
    ),
    // Legacy: .Response in an if that has an else (Ollama cannot cut this).
    (Fails, "{{ if .Prompt }}{{ .Response }}{{ else }}x{{ end }}"),
    // Legacy: an Ollama function after the cut point is dropped; before it, it is undefined.
    (Renders, "{{ .Prompt }}{{ .Response }}{{ json .Prompt }}"),
    (Fails, "{{ json .Prompt }}{{ .Response }}"),
    // Legacy: templates after the cut are not visible.
    (
        Fails,
        "{{ define \"x\" }}X{{ end }}{{ template \"x\" . }}{{ .Prompt }}{{ .Response }}",
    ),
    // Neither .Messages nor .Response: {{ .Response }} is appended.
    (Renders, "{{ .System }}|{{ .Prompt }}|"),
    // .Response only through a variable does not count as a field.
    (Renders, "{{ $.Response }}{{ .Prompt }}"),
    // A template call without an argument: Ollama's scan rejects it.
    (
        Fails,
        "{{ define \"x\" }}X{{ end }}{{ template \"x\" }}{{ .Messages }}",
    ),
    // Parenthesised pipelines and chained fields.
    (
        Mixed,
        "{{ (index .Messages 0).Content }} {{ (len .Messages) }} {{ $m := index .Messages 0 }}{{ $m.Role }}",
    ),
    // with/else with.
    (
        Renders,
        "{{ with .Missing }}a{{ else with .System }}b:{{ . }}{{ else }}c{{ end }}",
    ),
    // Trim markers next to numbers and strings, raw strings, escapes.
    (
        Renders,
        "{{-3}} {{ -3 -}}  {{3 -}}\n  x {{- \"a\" }}\n  {{- `raw\\n` -}}\n\n{{ \"\\u00e9\\x41\\101\\t|\" }}{{ printf \"%q\" \"é\\x01\\u2028\" }}",
    ),
    // Range variables seen from the else branch; the legacy data map printed whole.
    (
        Renders,
        "{{ range $i, $x := .Missing }}{{ else }}[{{ $i }}]{{ end }}{{ range $i, $x := .Messages }}{{ end }}",
    ),
    (Renders, "{{ $ }}{{ .Response }}"),
    // Pipes into functions.
    (
        Mixed,
        "{{ .System | len }} {{ .Messages | len | printf \"%03d\" }} {{ index .Messages 0 | json }} {{ .Tools | len }}",
    ),
    // Parse errors must be errors on both sides.
    (Fails, "{{ break }}"),
    (Fails, "{{ else }}"),
    (Fails, "{{ end }}"),
    (Fails, "{{ .System "),
    (Fails, "{{ \"unterminated }}"),
    (Fails, "{{ if .System }}open"),
    (Fails, "{{ nofunc .System }}"),
    (Fails, "{{ $undefined }}"),
    (Fails, "{{ .System | 3 }}"),
    (Fails, "{{ with $x := .System }}{{ end }}{{ $x }}"),
    (
        Fails,
        "{{ define \"a\" }}A{{ end }}{{ define \"a\" }}B{{ end }}{{ .Messages }}",
    ),
    (Fails, "{{ (1 }}"),
    (Fails, "{{ 1) }}"),
    (Fails, "{{ .System @ }}"),
    (Fails, "{{/* unclosed comment }}"),
    (Fails, "{{ .A.B.C }}{{ .Messages }}"),
    // Regression: `break` in a range's else ends that range only; `continue` goes to the outer.
    (
        Renders,
        "{{ range .Messages }}{{ range .ToolCalls }}c{{ else }}{{ break }}{{ end }}[{{ .Role }}]{{ end }}",
    ),
    (
        Renders,
        "{{ range .Messages }}{{ range .ToolCalls }}c{{ else }}{{ continue }}{{ end }}[{{ .Role }}]{{ end }}",
    ),
    // Regression: html/js/urlquery print a nil operand as `<no value>`, not `<nil>`.
    (
        Renders,
        "{{ html .Missing }}|{{ js .Missing 1 }}|{{ urlquery 1 .Missing 2 }}|{{ print .Missing 1 }}",
    ),
    // Numbers: hex, char constants, floats.
    (
        Renders,
        "{{ 0x1F }} {{ 'a' }} {{ 1.5e3 }} {{ 1e6 }} {{ -0.000012 }} {{ 100000 }}",
    ),
];

/// Templates run over plain JSON data (decoded as Go's `any`), with or without missingkey=zero.
fn plain_cases() -> Vec<(Expect, PlainCase)> {
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
    for (expect, src, zero) in [
        (Renders, "{{ . }}", true),
        (
            Renders,
            "{{ .s }} {{ .n }} {{ .f }} {{ .big }} {{ .small }} {{ .neg }} {{ .b }} {{ .list }} {{ .empty }} {{ .map }} {{ .nothing }}",
            true,
        ),
        (Renders, "{{ .missing }} {{ .nothing }}", false),
        (Renders, "{{ .missing }}", true),
        (Renders, "{{ .missing.deeper }}", false),
        (Fails, "{{ .missing.deeper }}", true),
        (Fails, "{{ .nothing.deeper }}", true),
        (
            Renders,
            "{{ range $k, $v := .map }}{{ $k }}={{ $v }};{{ end }}",
            true,
        ),
        (Renders, "{{ range .list }}[{{ . }}]{{ end }}", true),
        (
            Renders,
            "{{ range .empty }}x{{ else }}empty{{ end }}{{ range .nothing }}x{{ else }}nil{{ end }}",
            true,
        ),
        (Renders, "{{ json . }}", true),
        (
            Renders,
            "{{ json .list }} {{ json .big }} {{ json .small }} {{ json .unicode }} {{ json .s }}",
            true,
        ),
        (
            Renders,
            "{{ index .map \"a\" }} {{ index .map \"nope\" }} {{ index .list 3 \"k\" }} {{ index .list 4 1 }}",
            true,
        ),
        (Fails, "{{ index .list 9 }}", true),
        (Fails, "{{ index .map 1 }}", true),
        (Renders, "{{ len .map }} {{ len .list }} {{ len .s }}", true),
        (Fails, "{{ len .n }}", true),
        (Fails, "{{ eq .n 42.0 }} {{ eq .n 42 }}", true),
        (
            Renders,
            "{{ eq .s \"text <b>\" }} {{ eq .nothing .missing }}",
            true,
        ),
        (Fails, "{{ eq .list .list }}", true),
        (Renders, "{{ eq .nothing .list }}", true),
        (Renders, "{{ eq .list .nothing }}", true),
        (Fails, "{{ eq .map .map }}", true),
        (Renders, "{{ eq .nothing .nothing }} {{ eq nil nil }}", true),
        (Fails, "{{ ne .n .missing }} {{ lt .missing 1 }}", true),
        (Renders, "{{ lt .n 50.5 }} {{ gt .f 0.05 }}", true),
        (Fails, "{{ lt .n 50 }}", true),
        (
            Renders,
            "{{ if .empty }}y{{ else }}n{{ end }}{{ if .map }}y{{ end }}{{ if .f }}y{{ end }}{{ if .nothing }}y{{ else }}n{{ end }}",
            true,
        ),
        (
            Renders,
            "{{ printf \"%v %s %d %q %x %5.1f|%-6v|%T %T\" .list .s .n .unicode .s .f .b .s .n }}",
            true,
        ),
        (
            Renders,
            "{{ printf \"%d\" .n }} {{ printf \"%.2f %e %g\" .f .big .small }}",
            true,
        ),
        (
            Renders,
            "{{ print .nothing .missing }} {{ println .list }}",
            true,
        ),
        (
            Renders,
            "{{ html .list }} {{ js .unicode }} {{ urlquery .unicode }}",
            true,
        ),
        (
            Renders,
            "{{ slice .list 1 3 }} {{ slice .list 2 }} {{ slice .s 0 4 }} {{ slice .list 1 2 3 }}",
            true,
        ),
        (Fails, "{{ call .s }}", true),
        (
            Fails,
            "{{ template \"self\" }}{{ define \"self\" }}{{ template \"self\" }}{{ end }}",
            true,
        ),
        (Fails, "{{ range $i, $e := 3 }}{{ end }}", true),
        (Fails, "{{ range .n }}{{ . }}{{ end }}", true),
        (Fails, "{{ range .f }}{{ . }}{{ end }}", true),
        (Fails, "{{ .s.x }}", true),
        (Fails, "{{ .n 1 }}", true),
        (
            Renders,
            "{{ \"x\" | printf \"%s-%s\" \"y\" }} {{ .n | print }} {{ 3 | eq 3 }}",
            true,
        ),
        (
            Renders,
            "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}",
            true,
        ),
        (
            Renders,
            "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}",
            true,
        ),
        (
            Renders,
            "{{ range $i, $e := .list }}{{ if gt $i 1 }}{{ break }}{{ end }}{{ $i }}{{ end }}",
            true,
        ),
        (
            Renders,
            "{{ printf \"%05s|%-5d|%+d|% d|%o|%#o|%b|%U|%c|%x|%X|%#x\" \"ab\" 7 5 5 8 8 5 233 233 -255 255 255 }}",
            true,
        ),
        (
            Renders,
            "{{ printf \"%6.2f|%-8.3e|%g|%.3g|%G|%E|%05.1f|%+.1f\" .f .big .small 1234.5678 2.5 1e-9 -2.25 .f }}",
            true,
        ),
        (
            Renders,
            "{{ printf \"%t|%5t|%v|%q|%s|%d\" .b false .nothing .list .map .list }}",
            true,
        ),
        (
            Renders,
            "{{ printf \"%s %s\" .s }}{{ printf \"%!\" }}{{ printf \"%z\" 1 }}{{ printf \"100%%\" }}{{ printf \"%\" }}",
            true,
        ),
        (
            Renders,
            "{{ printf \"%.2s|%5.1s|%-4q|%x\" \"héllo\" \"abc\" \"a\" \"é\" }}",
            true,
        ),
        (
            Renders,
            "{{ js \"\\u00a0\\u200b\\u00ad\\ufeff\\u0085\\U0001F600\\u0007\\u007f\" }}|{{ printf \"%q\" \"\\u00a0\\u200b\\u00ad\\ufeff\\u0085\\U0001F600\\u0007\\u007f\\U000E0001\" }}|{{ html \"\\u0000<\" }}",
            true,
        ),
        (
            Renders,
            "a \r\n {{-\t.s\t-}} \r\n b {{-\n.n\n-}}\r\nc\r\n{{- /* x */ -}}\r\n d",
            true,
        ),
        (
            Renders,
            "{{ range $i, $v := .list }}{{ if $i }},{{ end }}{{ printf \"%v\" $v }}{{ end }}{{ $x := .map }}{{ $x.a }}{{ $x.z }}",
            true,
        ),
        (
            Renders,
            "{{ with $v := index .list 3 }}{{ $v.k }}{{ end }}{{ range $k, $v := index .map \"m\" }}{{ $k }}{{ $v }}{{ end }}",
            true,
        ),
        (Fails, "{{ .list.x }}", true),
        (Fails, "{{ index .s 99 }}", true),
        (
            Renders,
            "{{ len .unicode }} {{ slice .unicode 0 2 }} {{ index .unicode 0 }}",
            true,
        ),
    ] {
        cases.push((
            expect,
            PlainCase {
                template: src.to_owned(),
                data: data.clone(),
                missing_zero: zero,
            },
        ));
    }
    cases
}

#[test]
fn edge_case_templates_render_like_go() {
    let (names, reqs) = requests();
    let sources: Vec<String> = OLLAMA_EDGE_CASES
        .iter()
        .map(|(_, s)| (*s).to_owned())
        .collect();
    let (expects, plain): (Vec<Expect>, Vec<PlainCase>) = plain_cases().into_iter().unzip();
    let (go, go_plain) = run_go(&sources, &reqs, &plain);
    let mut mismatches = Vec::new();
    for (t, (expect, src)) in OLLAMA_EDGE_CASES.iter().enumerate() {
        let got = expect_of(&go[t].iter().collect::<Vec<_>>());
        if got != *expect {
            mismatches.push(format!(
                "{src:?}: Go's outcome is {got:?}, the case expects {expect:?}: {:?}",
                go[t]
            ));
        }
        for (r, req) in reqs.iter().enumerate() {
            if let Some(m) = compare(
                &format!("{src:?} x {}", names[r]),
                &go[t][r],
                &run_rust(src, req),
            ) {
                mismatches.push(m);
            }
        }
    }
    for ((case, go), expect) in plain.iter().zip(&go_plain).zip(&expects) {
        let got = expect_of(&[go]);
        if got != *expect {
            mismatches.push(format!(
                "plain {:?}: Go's outcome is {got:?}, the case expects {expect:?}: {go:?}",
                case.template
            ));
        }
        if let Some(m) = compare(
            &format!("plain {:?}", case.template),
            go,
            &run_rust_plain(case),
        ) {
            mismatches.push(m);
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}
