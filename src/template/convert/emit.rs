//! Writing the Go template: one pass over Ollama's `.Messages` that writes, before each
//! message, the gap text the probes saw for its position, then its content; the system
//! prompt (`$.System`) where the template puts it; the end gap (generation prompt) last.
//!
//! All literal text is written as Go string literals (`{{- "<|im_start|>user\n" }}`), so
//! every action can trim the layout newline before it and the template stays readable.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::probe::{ArgumentsForm, CallIdPlace, GapKey, Placement, Role, ToolForm, ToolPlacement};
use super::structure::{Piece, Structure, ToolStructure};
use super::transform::{Strip, Transform};

/// How many edge bytes one step of a strip sub-template examines before it calls itself on
/// the rest: each examined byte costs two function calls (`slice`, `eq`) only when it is
/// reached, and each step nests two levels, so whitespace runs of about a kilobyte fit in our
/// verifier's engine (150 levels of calls and blocks; Go allows 100,000 template calls).
const WINDOW: usize = 16;

/// The single characters stripped, as Go string literals for `eq`.
fn strip_chars(strip: Strip) -> &'static str {
    match strip {
        Strip::Keep => "",
        Strip::Newlines => r#""\n""#,
        Strip::Whitespace => r#"" " "\t" "\n" "\v" "\f" "\r""#,
    }
}

/// The largest byte, as a Go string literal, that may be stripped: a string whose first byte
/// is above it (`lt`/`ge` compare strings byte by byte) has nothing to strip at that end.
fn strip_ceiling(strip: Strip) -> &'static str {
    match strip {
        Strip::Keep => "",
        Strip::Newlines => r#""\n""#,
        Strip::Whitespace => r#"" ""#,
    }
}

/// The first byte above [`strip_ceiling`], for `ge` on a whole string.
fn strip_floor(strip: Strip) -> &'static str {
    match strip {
        Strip::Keep => "",
        Strip::Newlines => r#""\v""#,
        Strip::Whitespace => r#""!""#,
    }
}

/// The sub-templates that strip `left`/`right` from a string as Python's `lstrip`/`rstrip`
/// do, for ASCII whitespace (space, `\t`, `\n`, `\v`, `\f`, `\r`) or newlines only; Unicode
/// spaces are kept, unlike Python.
///
/// Go templates have no string functions and no arithmetic, and Ollama parses and renders
/// the template again for every context-truncation step of a long chat, where each function
/// call costs about as much as a hand-written template spends on a whole message. So the
/// usual content — no whitespace at either end — costs five calls where it is written
/// ([`write_stripped`]), and no sub-template call: `ge` on the whole string tests its first
/// byte, and the last byte is `slice (print "x" .) (len .)` (the `"x"` makes an empty string
/// safe) compared with `lt`. Only when an edge byte is at or below the stripped range does
/// a step of these sub-templates look at up to [`WINDOW`] bytes from that end, one `slice`
/// and `eq` each, and drop what it found; a full window calls the step again on the rest.
/// The work is proportional to the whitespace at the ends, never to the whole content.
///
/// Bytes from 0x80 up (parts of multi-byte characters) are never stripped, on either path.
/// Our verifier's engine keeps strings as UTF-8, where Go's are bytes, and turns a slice
/// that cuts a character into U+FFFD: every test here looks at the first byte of a slice or
/// at a one-byte slice, and both engines see a byte from 0x80 up there, so they agree.
/// `name` strips the leading side, then hands over to `{name}_end` for the trailing side.
fn strip_defines(name: &str, left: Strip, right: Strip) -> String {
    let mut out = String::new();
    match (left, right) {
        (Strip::Keep, _) => strip_trailing(&mut out, name, right),
        (_, Strip::Keep) => strip_leading(&mut out, name, left, None),
        _ => {
            let end_name = format!("{name}_end");
            strip_leading(&mut out, name, left, Some((&end_name, right)));
            strip_trailing(&mut out, &end_name, right);
        }
    }
    out
}

/// Writes the variable `text` stripped by the sub-templates [`strip_defines`] wrote as
/// `name`: the edge tests run here, so the usual content — nothing to strip — is written
/// without a sub-template call (each call declares the step's variables, which costs about a
/// function call more).
fn write_stripped(out: &mut String, name: &str, left: Strip, right: Strip, text: &str) {
    match (left, right) {
        (Strip::Keep, _) => write_guarded(out, text, None, Some((name, right))),
        (_, Strip::Keep) => write_guarded(out, text, Some((name, left)), None),
        _ => write_guarded(
            out,
            text,
            Some((name, left)),
            Some((&format!("{name}_end"), right)),
        ),
    }
}

/// Writes `text`, or hands it to the sub-template of the side whose edge byte may be
/// stripped: `leading` first, as it goes on to the trailing side itself. The tests are the
/// ones [`strip_defines`] describes: one call for the first byte, four for the last.
fn write_guarded(
    out: &mut String,
    text: &str,
    leading: Option<(&str, Strip)>,
    trailing: Option<(&str, Strip)>,
) {
    if let Some((_, strip)) = leading {
        let _ = writeln!(out, "{{{{- if ge {text} {} }}}}", strip_floor(strip));
    }
    match trailing {
        Some((then, strip)) => {
            let _ = writeln!(
                out,
                "{{{{- if lt {} (slice (print \"x\" {text}) (len {text})) }}}}\n{{{{- {text} }}}}\n{{{{- else }}}}\n{{{{- template \"{then}\" {text} }}}}\n{{{{- end }}}}",
                strip_ceiling(strip)
            );
        }
        None => {
            let _ = writeln!(out, "{{{{- {text} }}}}");
        }
    }
    if let Some((name, _)) = leading {
        let _ = writeln!(
            out,
            "{{{{- else }}}}\n{{{{- template \"{name}\" {text} }}}}\n{{{{- end }}}}"
        );
    }
}

/// The leading side's sub-template `name`, for a text whose first byte may be stripped (the
/// call site tested it); the rest goes to `then` (a sub-template that strips the trailing
/// side, called only when the last byte may be stripped too) or is written as it is.
fn strip_leading(out: &mut String, name: &str, strip: Strip, then: Option<(&str, Strip)>) {
    let padding = go_string(&"x".repeat(WINDOW));
    let _ = writeln!(out, "{{{{- define \"{name}\" }}}}");
    out.push_str(STEP_VARIABLES);
    // Padded with ASCII so every slice of the window is in range.
    let _ = writeln!(out, "{{{{- $p := print . {padding} }}}}");
    write_window_tests(out, "$p", Edge::First, strip, |k| format!("slice . {k}"));
    let _ = writeln!(
        out,
        "{{{{- if $more }}}}\n{{{{- template \"{name}\" $rest }}}}\n{{{{- else }}}}"
    );
    match then {
        Some((then, right)) => write_guarded(out, "$s", None, Some((then, right))),
        None => out.push_str("{{- $s }}\n"),
    }
    out.push_str("{{- end }}\n{{- end }}\n");
}

/// The variables of one strip step: the text to write (`$s`), and whether a whole window
/// was whitespace (`$more`), so the step calls itself on the text less that window
/// (`$rest`). The call comes after every test's `if` has closed, so a step nests only two
/// levels whatever the window.
const STEP_VARIABLES: &str = "{{- $s := . }}\n{{- $rest := \"\" }}\n{{- $more := false }}\n";

/// The trailing side's sub-template `name`. The window is the last [`WINDOW`] bytes of the
/// padded text; indexes into it count from its start, which is the same in both engines
/// only when the window starts on an ASCII byte (`lt $t "\x7f"`; `"\x80"` is no UTF-8
/// string, and DEL just takes the slow way). Otherwise one byte is tested, from positions
/// counted in the padding (`len (slice $p 1)`), and dropped.
fn strip_trailing(out: &mut String, name: &str, strip: Strip) {
    let padding = go_string(&"x".repeat(WINDOW));
    let _ = writeln!(out, "{{{{- define \"{name}\" }}}}");
    out.push_str(STEP_VARIABLES);
    let _ = writeln!(out, "{{{{- $p := print {padding} . }}}}");
    out.push_str("{{- $t := slice $p (len .) }}\n{{- if lt $t \"\\x7f\" }}\n");
    // Without `k` bytes: from the padding's end to the padded length less `k`.
    let without = |k: usize| format!("slice $p {WINDOW} (len (slice $p {k}))");
    write_window_tests(out, "$t", Edge::Last, strip, without);
    let _ = writeln!(
        out,
        "{{{{- else if eq (slice $p (len (slice $p 1))) {} }}}}\n{{{{- $rest = {} }}}}\n{{{{- $more = true }}}}\n{{{{- end }}}}",
        strip_chars(strip),
        without(1)
    );
    let _ = writeln!(
        out,
        "{{{{- if $more }}}}\n{{{{- template \"{name}\" $rest }}}}\n{{{{- else }}}}\n{{{{- $s }}}}\n{{{{- end }}}}"
    );
    out.push_str("{{- end }}\n");
}

/// Which end of a text a window holds.
#[derive(Clone, Copy)]
enum Edge {
    First,
    Last,
}

/// Writes the tests of one strip step: the bytes of `window` (the text's [`WINDOW`] bytes at
/// `edge`) one by one from that edge, each in the `if` of the one before, so the first byte
/// kept stops them. When the first `k` are stripped, `$s` becomes `without(k)`; when all are,
/// `$rest` becomes `without(WINDOW)` and `$more` is set.
fn write_window_tests(
    out: &mut String,
    window: &str,
    edge: Edge,
    strip: Strip,
    without: impl Fn(usize) -> String,
) {
    let chars = strip_chars(strip);
    for step in 0..WINDOW {
        let k = match edge {
            Edge::First => step,
            Edge::Last => WINDOW - 1 - step,
        };
        let _ = writeln!(
            out,
            "{{{{- if eq (slice {window} {k} {}) {chars} }}}}",
            k + 1
        );
    }
    let _ = writeln!(
        out,
        "{{{{- $rest = {} }}}}\n{{{{- $more = true }}}}",
        without(WINDOW)
    );
    for k in (1..WINDOW).rev() {
        let _ = writeln!(
            out,
            "{{{{- else }}}}\n{{{{- $s = {} }}}}\n{{{{- end }}}}",
            without(k)
        );
    }
    out.push_str("{{- end }}\n");
}

/// Writes the Go template for `structure`.
pub(super) fn go_template(structure: &Structure) -> String {
    let mut out = String::new();
    let transforms: BTreeSet<Transform> = structure.transforms.values().copied().collect();
    for transform in transforms {
        if let (Transform::Strip { left, right }, Some(name)) = (transform, transform.define_name())
        {
            out.push_str(&strip_defines(&name, left, right));
        }
    }
    let turns = turns(structure);
    out.push_str("{{- $prev := \"\" }}\n");
    // The position of the last user message, only when the tool definitions go before it.
    if turns.contains("$lastUser") {
        out.push_str("{{- $lastUser := -1 }}\n{{- range $j, $n := .Messages }}\n{{- if eq $n.Role \"user\" }}\n{{- $lastUser = $j }}\n{{- end }}\n{{- end }}\n");
    }
    out.push_str("{{- range $i, $m := .Messages }}\n");
    // Whether the message is the conversation's last, only when a gap depends on it.
    if turns.contains("$last") {
        out.push_str("{{- $last := eq (len (slice $.Messages $i)) 1 }}\n");
    }
    out.push_str(&turns);
    // A final newline would be output: the template ends right after its last action.
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

/// The body of the loop over messages, its end, and the end gap.
fn turns(structure: &Structure) -> String {
    let mut out = String::new();
    let tools_first = structure
        .tools
        .filter(|tools| tools.before_system && tools.form != ToolForm::Absent);
    if let Some(tools) = tools_first {
        write_tool_definitions(&mut out, structure, tools);
    }
    let user_only = structure
        .tools
        .is_some_and(|tools| tools.system_before_last_user_only);
    if let Some(placement) = structure.placement {
        let condition = match (placement, tools_first.is_some()) {
            (Placement::First | Placement::Either, false) => "eq $prev \"\"",
            (Placement::First | Placement::Either, true) => "eq $prev \"\" \"tooldef\"",
            (Placement::BeforeLast, _) if user_only => "and $last (eq $m.Role \"user\")",
            (Placement::BeforeLast, _) => "$last",
        };
        // Tested in the order that fails soonest on most messages: after the first turn
        // `$prev` is set, and testing it alone costs no function call.
        if condition == "eq $prev \"\"" {
            out.push_str("{{- if $prev }}\n{{- else if and $.System (ne $m.Role \"system\") }}\n");
        } else {
            let _ = writeln!(
                out,
                "{{{{- if and $.System ({condition}) (ne $m.Role \"system\") }}}}"
            );
        }
        write_gap(&mut out, structure, Some(Role::System));
        write_content(&mut out, structure, Role::System, "$.System");
        out.push_str("{{- $prev = \"system\" }}\n{{- end }}\n");
    }
    if let Some(tools) = structure
        .tools
        .filter(|tools| !tools.before_system && tools.form != ToolForm::Absent)
    {
        write_tool_definitions(&mut out, structure, tools);
    }
    for (n, role) in [Role::User, Role::Assistant].iter().enumerate() {
        let keyword = if n == 0 { "if" } else { "else if" };
        let _ = writeln!(out, "{{{{- {keyword} eq $m.Role \"{}\" }}}}", role.name());
        // An assistant turn that calls tools is written by its own branch.
        let calls = structure.tools.filter(|_| *role == Role::Assistant);
        if let Some(tools) = calls {
            out.push_str("{{- if $m.ToolCalls }}\n");
            if tools.content_with_calls {
                out.push_str("{{- if $m.Content }}\n");
                write_gap(&mut out, structure, Some(Role::CallContent));
                write_content(&mut out, structure, Role::Assistant, "$m.Content");
                out.push_str("{{- $prev = \"callcontent\" }}\n{{- end }}\n");
            }
            write_tool_calls(&mut out, structure, tools.call_id);
            out.push_str("{{- else }}\n");
        }
        if *role == Role::Assistant {
            write_reasoning(&mut out, structure);
        }
        write_gap(&mut out, structure, Some(*role));
        write_content(&mut out, structure, *role, "$m.Content");
        let _ = writeln!(out, "{{{{- $prev = \"{}\" }}}}", role.name());
        if calls.is_some() {
            out.push_str("{{- end }}\n");
        }
    }
    if let Some(tools) = structure.tools {
        out.push_str("{{- else if eq $m.Role \"tool\" }}\n");
        // The content and, where the template writes them, the call id and tool name, in the
        // order seen; only the gap before the first can depend on what came before.
        let mut last = Role::ToolResult;
        for role in tools.result_places.into_iter().flatten() {
            write_gap(&mut out, structure, Some(role));
            out.push_str(match role {
                Role::ResultId => "{{- $m.ToolCallID }}\n",
                Role::ResultName => "{{- $m.ToolName }}\n",
                _ if tools.results_as_json => "{{- json $m.Content }}\n",
                _ => "{{- $m.Content }}\n",
            });
            last = role;
        }
        let _ = writeln!(out, "{{{{- $prev = \"{}\" }}}}", last.name());
    }
    out.push_str("{{- end }}\n{{- end }}\n");
    write_gap(&mut out, structure, None);
    out
}

/// The tool definitions (`$.Tools`), each as JSON, where the template writes them: before the
/// first message after the system prompt, before the last message, or before the last user
/// message (`$lastUser`, found before the message loop).
fn write_tool_definitions(out: &mut String, structure: &Structure, tools: ToolStructure) {
    let condition = match (tools.placement, tools.before_system) {
        (ToolPlacement::First, false) => "eq $prev \"\" \"system\"",
        (ToolPlacement::First, true) => "eq $prev \"\"",
        (ToolPlacement::BeforeLast, _) => "$last",
        (ToolPlacement::BeforeLastUser, _) => "eq $i $lastUser",
    };
    let _ = writeln!(
        out,
        "{{{{- if and $.Tools (ne $m.Role \"system\") ({condition}) }}}}"
    );
    out.push_str("{{- range $tool := $.Tools }}\n");
    write_gap(out, structure, Some(Role::ToolDef));
    let _ = writeln!(
        out,
        "{{{{- json {} }}}}",
        match tools.form {
            ToolForm::Tool | ToolForm::Absent => "$tool",
            ToolForm::Function => "$tool.Function",
        }
    );
    out.push_str("{{- $prev = \"tooldef\" }}\n{{- end }}\n{{- end }}\n");
}

/// The tool calls of an assistant turn: each call's name and JSON arguments with the texts
/// around them.
///
/// Ollama finds tool calls in the model's output by a tag it reads from the template: the
/// first plain text inside the first `{{ if }}` on the field `.ToolCalls`, up to a `{`
/// (`<tool_call>`); without one it takes any JSON object for a call and passes the text
/// around it on as content. So the part of the first call's gap that the model writes itself
/// (what follows the generation prompt) is written as plain text inside `{{ if .ToolCalls }}`.
fn write_tool_calls(out: &mut String, structure: &Structure, call_id: Option<CallIdPlace>) {
    let first_calls = |key: &GapKey| key.next == Some(Role::CallName) && !ends_a_call(key.prev);
    let later_calls = |key: &GapKey| key.next == Some(Role::CallName) && ends_a_call(key.prev);
    let mut first = structure.clone();
    first.gaps.retain(|key, _| !later_calls(key));
    let tag = model_written_prefix(structure);
    if let Some((_, written)) = &tag {
        for (_, pieces) in first.gaps.iter_mut().filter(|(key, _)| first_calls(key)) {
            if let [Piece::Text(text)] = pieces.as_mut_slice() {
                text.truncate(text.len() - written.len());
            }
        }
    }
    write_gap(out, &first, Some(Role::CallName));
    if let Some((_, written)) = &tag {
        let _ = writeln!(out, "{{{{- if .ToolCalls }}}}{written}{{{{ end }}}}");
    }
    out.push_str("{{- range $k, $call := $m.ToolCalls }}\n{{- if $k }}\n");
    let mut later = structure.clone();
    later.gaps.retain(|key, _| !first_calls(key));
    write_gap(out, &later, Some(Role::CallName));
    out.push_str("{{- end }}\n{{- $call.Function.Name }}\n");
    if call_id == Some(CallIdPlace::AfterName) {
        write_gap(out, structure, Some(Role::CallId));
        out.push_str("{{- $call.ID }}\n");
    }
    write_gap(out, structure, Some(Role::CallArgs));
    write_arguments(out, &structure.arguments);
    if call_id == Some(CallIdPlace::AfterArgs) {
        write_gap(out, structure, Some(Role::CallId));
        out.push_str("{{- $call.ID }}\n{{- $prev = \"callid\" }}\n{{- end }}\n");
    } else {
        out.push_str("{{- $prev = \"callargs\" }}\n{{- end }}\n");
    }
}

/// A call's arguments: one JSON object, or key by key. Go ranges over the arguments in
/// sorted key order (Ollama hands templates a plain map), Jinja in the caller's order. A
/// string value is written as it is, any other as JSON: a string's JSON starts with a quote.
fn write_arguments(out: &mut String, form: &ArgumentsForm) {
    match form {
        ArgumentsForm::Json => out.push_str("{{- json $call.Function.Arguments }}\n"),
        ArgumentsForm::KeyByKey {
            between,
            separator,
            split,
        } => {
            let value = "{{- if eq (slice (json $value) 0 1) \"\\\"\" }}{{ $value }}{{ else }}{{ json $value }}{{ end }}\n";
            let literal = |out: &mut String, text: &str| {
                if !text.is_empty() {
                    let _ = writeln!(out, "{{{{- {} }}}}", go_string(text));
                }
            };
            match split {
                // Each argument whole: what starts it, key, value, what ends it.
                Some((end, start)) => {
                    out.push_str("{{- range $key, $value := $call.Function.Arguments }}\n");
                    literal(out, start);
                    out.push_str("{{- $key }}\n");
                    literal(out, between);
                    out.push_str(value);
                    literal(out, end);
                    out.push_str("{{- end }}\n");
                }
                None => {
                    out.push_str("{{- $more := false }}\n");
                    out.push_str("{{- range $key, $value := $call.Function.Arguments }}\n");
                    if !separator.is_empty() {
                        let _ = writeln!(
                            out,
                            "{{{{- if $more }}}}{{{{ {} }}}}{{{{ end }}}}",
                            go_string(separator)
                        );
                    }
                    out.push_str("{{- $key }}\n");
                    literal(out, between);
                    out.push_str(value);
                    out.push_str("{{- $more = true }}\n{{- end }}\n");
                }
            }
        }
    }
}

/// Whether `prev` is the last place of a tool call (its arguments or its id): the gap after
/// it, before a call's name, leads to the next call of the same turn.
fn ends_a_call(prev: Option<Role>) -> bool {
    matches!(prev, Some(Role::CallArgs | Role::CallId))
}

/// The tag Ollama will read from the converted template, and the text the model writes
/// itself before the name of its first tool call: the part of the gap before the first call
/// that it does not share with the generation prompt after the same message, when that is
/// the same after every role and holds a tag.
pub(super) fn model_written_prefix(structure: &Structure) -> Option<(String, String)> {
    let mut written: Option<&str> = None;
    let mut after_content = Vec::new();
    for (key, pieces) in &structure.gaps {
        if key.next != Some(Role::CallName) || ends_a_call(key.prev) {
            continue;
        }
        if key.prev == Some(Role::CallContent) {
            after_content.push(pieces);
            continue;
        }
        let end = GapKey {
            next: None,
            last: false,
            reasoning: false,
            ..*key
        };
        let (Some([Piece::Text(end)]), [Piece::Text(gap)]) = (
            structure.gaps.get(&end).map(Vec::as_slice),
            pieces.as_slice(),
        ) else {
            return None;
        };
        // What the gap shares with the generation prompt after the same message is the
        // prompt's; the rest is the model's (a generation prompt may hold more, such as
        // Qwen 3's empty think block).
        let mut shared = gap
            .bytes()
            .zip(end.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        // Where they part inside a word or token (`<think>` and `<tool_call>`), the model's
        // part starts at that word.
        if shared < end.len() {
            while shared > 0 && !matches!(gap.as_bytes()[shared - 1], b'\n' | b'>' | b']' | b' ') {
                shared -= 1;
            }
        }
        let rest = &gap[shared..];
        if written.is_some_and(|known| known != rest) {
            return None;
        }
        written = Some(rest);
    }
    let written = written?;
    // After the turn's own content the gap must end with the same text, so it can be cut.
    let cut_after_content = after_content
        .iter()
        .all(|pieces| matches!(pieces.as_slice(), [Piece::Text(gap)] if gap.ends_with(written)));
    if !cut_after_content {
        return None;
    }
    // Ollama's rule: the text trimmed, then cut before the first `{`.
    let tag = written.trim().split('{').next().unwrap_or_default();
    (!tag.is_empty() && !written.contains("{{")).then(|| (tag.to_owned(), written.to_owned()))
}

/// The reasoning of an assistant turn (`.Thinking`), written where and when the template
/// writes it.
fn write_reasoning(out: &mut String, structure: &Structure) {
    let condition = match structure.reasoning {
        [false, false] => return,
        [true, true] => "$m.Thinking",
        [false, true] => "and $m.Thinking $.Think",
        [true, false] => "and $m.Thinking (not $.Think)",
    };
    let _ = writeln!(out, "{{{{- if {condition} }}}}");
    write_gap(out, structure, Some(Role::Reasoning));
    out.push_str("{{- $m.Thinking }}\n{{- $prev = \"reasoning\" }}\n{{- end }}\n");
}

fn write_content(out: &mut String, structure: &Structure, role: Role, expr: &str) {
    let transform = structure.transforms.get(&role).copied();
    match (transform, transform.and_then(Transform::define_name)) {
        (Some(Transform::Strip { left, right }), Some(name)) => {
            let _ = writeln!(out, "{{{{- $text := {expr} }}}}");
            write_stripped(out, &name, left, right, "$text");
        }
        _ => {
            let _ = writeln!(out, "{{{{- {expr} }}}}");
        }
    }
}

/// One gap's texts keyed by what the template can test: (last turn, system prompt present,
/// thinking on, the next message carries reasoning, tools offered).
type Variants<'a> = BTreeMap<[bool; 5], &'a Vec<Piece>>;

/// The Go condition for each dimension of a [`Variants`] key.
const CONDITIONS: [&str; 5] = ["$last", "$.System", "$.Think", "$m.Thinking", "$.Tools"];

/// Writes the gap before `next` (or the end gap), choosing by the previous role, then by
/// last turn, system prompt and thinking only where the probes saw them make a difference.
fn write_gap(out: &mut String, structure: &Structure, next: Option<Role>) {
    let mut by_prev: BTreeMap<Option<Role>, Variants<'_>> = BTreeMap::new();
    for (key, pieces) in &structure.gaps {
        if key.next == next {
            by_prev.entry(key.prev).or_default().insert(
                [key.last, key.system, key.think, key.reasoning, key.tools],
                pieces,
            );
        }
    }
    if by_prev.len() == 1 {
        if let Some(variants) = by_prev.values().next() {
            write_variants(out, variants);
        }
        return;
    }
    // Previous roles with the same texts share one branch (`eq $prev "a" "b"`).
    let mut groups: Vec<(Vec<&str>, &Variants<'_>)> = Vec::new();
    for (prev, variants) in &by_prev {
        let name = prev.map(Role::name).unwrap_or("");
        match groups.iter_mut().find(|(_, v)| same_texts(v, variants)) {
            Some((names, _)) => names.push(name),
            None => groups.push((vec![name], variants)),
        }
    }
    // The gap before the first turn alone (`$prev` empty) is tested as `if $prev`, which
    // costs no function call on every later message (Ollama renders the template again for
    // each truncation step, so each call per message counts).
    let first = if groups.len() > 1 && groups[0].0 == [""] {
        out.push_str("{{- if $prev }}\n");
        Some(groups.remove(0).1)
    } else {
        None
    };
    for (n, (names, variants)) in groups.iter().enumerate() {
        let keyword = if n == 0 { "if" } else { "else if" };
        let names: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
        let _ = writeln!(out, "{{{{- {keyword} eq $prev {} }}}}", names.join(" "));
        write_variants(out, variants);
    }
    if !by_prev.is_empty() {
        out.push_str("{{- end }}\n");
    }
    if let Some(variants) = first {
        out.push_str("{{- else }}\n");
        write_variants(out, variants);
        out.push_str("{{- end }}\n");
    }
}

/// Whether two gaps write the same: one text for every case each, or the same cases.
fn same_texts(a: &Variants<'_>, b: &Variants<'_>) -> bool {
    match (uniform(a), uniform(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The one text a gap writes in every case, if it is one.
fn uniform<'a>(variants: &Variants<'a>) -> Option<&'a Vec<Piece>> {
    let mut texts = variants.values().copied();
    let first = texts.next()?;
    texts.all(|t| t == first).then_some(first)
}

/// Writes one gap's variants: the text when they agree, else an `if` on the first dimension
/// that changes the text, recursively. A combination the probes never saw takes the text of
/// its nearest seen sibling.
fn write_variants(out: &mut String, variants: &Variants<'_>) {
    let mut texts = variants.values();
    let Some(first) = texts.next() else {
        return;
    };
    if texts.all(|text| text == first) {
        write_pieces(out, first);
        return;
    }
    let matters = |dim: usize| {
        variants.iter().any(|(key, text)| {
            let mut other = *key;
            other[dim] = !other[dim];
            variants.get(&other).is_some_and(|o| o != text)
        })
    };
    let splits = |dim: usize| variants.keys().any(|k| k[dim]) && variants.keys().any(|k| !k[dim]);
    let Some(dim) = (0..CONDITIONS.len())
        .find(|&d| matters(d))
        .or_else(|| (0..CONDITIONS.len()).find(|&d| splits(d)))
    else {
        write_pieces(out, first);
        return;
    };
    let half = |value: bool| -> Variants<'_> {
        variants
            .iter()
            .filter(|(k, _)| k[dim] == value)
            .map(|(k, v)| (*k, *v))
            .collect()
    };
    let _ = writeln!(out, "{{{{- if {} }}}}", CONDITIONS[dim]);
    write_variants(out, &half(true));
    out.push_str("{{- else }}\n");
    write_variants(out, &half(false));
    out.push_str("{{- end }}\n");
}

fn write_pieces(out: &mut String, pieces: &[Piece]) {
    for piece in pieces {
        match piece {
            Piece::Text(text) if text.is_empty() => {}
            Piece::Text(text) => {
                let _ = writeln!(out, "{{{{- {} }}}}", go_string(text));
            }
            Piece::CurrentDate => out.push_str("{{- currentDate }}\n"),
        }
    }
}

/// `text` as a Go interpreted string literal.
pub(super) fn go_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::convert::probe::GapKey;

    #[test]
    fn strip_sub_templates_strip_as_python_does() {
        use crate::template::gotmpl::{ExecOptions, Template, Value};
        let long = format!("{}x y{}", " \t".repeat(300), "\n".repeat(150));
        let inputs = [
            "",
            " ",
            "\n\n",
            "  a  ",
            "\u{a0}a b\u{a0}",
            "\r\na\x0b\x0c",
            &long,
        ];
        let sides = [Strip::Keep, Strip::Newlines, Strip::Whitespace];
        for left in sides {
            for right in sides {
                if left == Strip::Keep && right == Strip::Keep {
                    continue;
                }
                let mut source = strip_defines("s", left, right);
                source.push_str("{{- $text := . }}\n");
                write_stripped(&mut source, "s", left, right, "$text");
                // The layout newline after the last action, trimmed as the next one does.
                source.push_str("{{- \"\" }}");
                let template = Template::parse(&source).unwrap();
                for input in inputs {
                    let stripped = |s: Strip, c: char| match s {
                        Strip::Keep => false,
                        Strip::Newlines => c == '\n',
                        Strip::Whitespace => " \t\n\x0b\x0c\r".contains(c),
                    };
                    let want = input
                        .trim_start_matches(|c| stripped(left, c))
                        .trim_end_matches(|c| stripped(right, c));
                    let got = template
                        .execute(&Value::str(input), &ExecOptions::default())
                        .unwrap_or_else(|e| panic!("{e}\n{left:?} {right:?} {input:?}\n{source}"));
                    assert_eq!(got, want, "{left:?} {right:?} {input:?}\n{source}");
                }
            }
        }
    }

    #[test]
    fn go_strings_escape_what_go_needs() {
        assert_eq!(go_string("a\"b\\c\nd\te\u{1}"), r#""a\"b\\c\nd\te\x01""#);
        assert_eq!(go_string("héllo"), "\"héllo\"");
    }

    #[test]
    fn gaps_key_only_on_what_differs() {
        let mut structure = Structure::default();
        let key = |prev, last, system| GapKey {
            prev,
            next: Some(Role::User),
            last,
            system,
            think: false,
            reasoning: false,
            tools: false,
        };
        let text = |t: &str| vec![Piece::Text(t.into())];
        structure.gaps.insert(key(None, true, false), text("A"));
        structure.gaps.insert(key(None, false, false), text("A"));
        structure
            .gaps
            .insert(key(Some(Role::Assistant), true, false), text("B"));
        structure
            .gaps
            .insert(key(Some(Role::Assistant), false, false), text("C"));
        let mut out = String::new();
        write_gap(&mut out, &structure, Some(Role::User));
        assert_eq!(
            out,
            "{{- if $prev }}\n{{- if eq $prev \"assistant\" }}\n{{- if $last }}\n{{- \"B\" }}\n{{- else }}\n{{- \"C\" }}\n{{- end }}\n{{- end }}\n{{- else }}\n{{- \"A\" }}\n{{- end }}\n"
        );
    }
}
