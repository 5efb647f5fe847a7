//! The Jinja renderer against real Jinja2 configured as transformers configures it
//! (`tests/support/render_jinja.py`): every corpus template on every suite conversation, and
//! hand-written templates for the features chat templates lean on. Any divergence fails.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use ruvltra_export::template::jinja::{FixedDateTime, JinjaContext, JinjaError, JinjaTemplate};
use ruvltra_export::template::ollama;
use ruvltra_export::template::suite::{self, SuiteKind};
use ruvltra_export::template::verify::excerpt;

/// What real Jinja2 did with one template and one context.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Reference {
    Ok(String),
    Raised(String),
    Error(#[allow(dead_code)] String),
}

const NOW: FixedDateTime = FixedDateTime {
    year: 2026,
    month: 3,
    day: 9,
    hour: 14,
    minute: 5,
    second: 7,
};

/// Renders every template on every context with Jinja2, in one Python run; results are
/// cached under `target/` by a hash of the batch and the script.
fn reference(templates: &[String], contexts: &[Map<String, Value>]) -> Vec<Vec<Reference>> {
    let script = support::root().join("tests/support/render_jinja.py");
    let batch = json!({
        "now": [NOW.year, NOW.month, NOW.day, NOW.hour, NOW.minute, NOW.second],
        "templates": templates,
        "contexts": contexts,
    });
    let input = serde_json::to_vec(&batch).unwrap();
    let mut hasher = Sha256::new();
    hasher.update(&input);
    hasher.update(std::fs::read(&script).unwrap());
    let cache: PathBuf = support::root()
        .join("target/test-cache/jinja")
        .join(format!("{}.json", hex::encode(hasher.finalize())));
    if let Ok(cached) = std::fs::read(&cache) {
        return serde_json::from_slice(&cached).unwrap();
    }
    let mut child = Command::new(support::python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&input).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "render_jinja.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    std::fs::write(&cache, &output.stdout).unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Compares our rendering with Jinja2's; `None` when they agree.
fn divergence(ours: &Result<String, JinjaError>, theirs: &Reference) -> Option<String> {
    match (ours, theirs) {
        (Ok(a), Reference::Ok(b)) if a == b => None,
        (Ok(a), Reference::Ok(b)) => {
            let offset = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            Some(format!(
                "differ at byte {offset}:\n    ours:   {}\n    jinja2: {}",
                excerpt(a, offset),
                excerpt(b, offset)
            ))
        }
        (Err(JinjaError::Raised(a)), Reference::Raised(b)) if a == b => None,
        (Err(err), Reference::Error(_)) if !matches!(err, JinjaError::Raised(_)) => None,
        (ours, theirs) => Some(format!("ours: {ours:?}\n    jinja2: {theirs:?}")),
    }
}

fn check(names: &[String], templates: &[String], contexts: &[(String, JinjaContext)]) {
    let variables: Vec<Map<String, Value>> = contexts.iter().map(|(_, c)| c.variables()).collect();
    let references = reference(templates, &variables);
    let mut failures = Vec::new();
    let mut agreed = 0;
    for ((name, source), results) in names.iter().zip(templates).zip(&references) {
        let ours = JinjaTemplate::new(source);
        for ((conversation, context), theirs) in contexts.iter().zip(results) {
            let rendered = match &ours {
                Ok(template) => template.render(context),
                Err(err) => Err(err.clone()),
            };
            match divergence(&rendered, theirs) {
                None => agreed += 1,
                Some(why) => failures.push(format!("{name} / {conversation}: {why}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} renderings diverge from Jinja2 ({agreed} agree):\n{}",
        failures.len(),
        failures.len() + agreed,
        failures.join("\n")
    );
}

/// Each suite conversation as sent (generation prompt on, thinking set by its part), as the
/// verifier renders it (Ollama's collated messages) when that differs, and as a
/// training-style rendering (no generation prompt, thinking unset).
fn suite_contexts() -> Vec<(String, JinjaContext)> {
    let mut contexts = Vec::new();
    for conversation in suite::conversations() {
        let collated = ollama::collate(&conversation.request.messages).messages;
        if collated != conversation.request.messages {
            contexts.push((
                format!("{}+collated", conversation.name),
                JinjaContext {
                    messages: collated,
                    tools: conversation.request.tools.clone(),
                    add_generation_prompt: true,
                    bos_token: "<s>".into(),
                    eos_token: "</s>".into(),
                    thinking: Some(conversation.kind == SuiteKind::Thinking),
                    now: NOW,
                    ..JinjaContext::default()
                },
            ));
        }
        let base = JinjaContext {
            messages: conversation.request.messages.clone(),
            tools: conversation.request.tools.clone(),
            bos_token: "<s>".into(),
            eos_token: "</s>".into(),
            now: NOW,
            ..JinjaContext::default()
        };
        let thinking = conversation.kind == SuiteKind::Thinking;
        contexts.push((
            format!("{}+prompt", conversation.name),
            JinjaContext {
                add_generation_prompt: true,
                thinking: Some(thinking),
                ..base.clone()
            },
        ));
        contexts.push((conversation.name.to_string(), base));
    }
    contexts
}

#[test]
fn corpus_templates_render_like_jinja2() {
    let dir = support::corpus_dir().join("chat-templates");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let names: Vec<String> = entries
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let templates: Vec<String> = entries
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(
        templates.len(),
        71,
        "the corpus should hold 71 chat templates"
    );
    check(&names, &templates, &suite_contexts());
}

/// Small templates for the features chat templates rely on, each rendered on a couple of
/// contexts by both engines.
const FEATURES: &[&str] = &[
    // Python printing of values.
    "{{ none }}|{{ true }}|{{ false }}|{{ 1.0 }}|{{ 1e20 }}|{{ 0.00001 }}|{{ [1, 'a', none, true] }}|{{ {'k': \"it's\", 'n': [1.5]} }}",
    "{{ messages[0] }}|{{ messages[0]|string }}|{{ tools }}",
    "{{ [1, none, 'x']|join(', ') }}|{{ messages|join('-', attribute='role') }}",
    // tojson and its keyword arguments.
    "{{ messages|tojson }}|{{ tools|tojson(indent=2) }}",
    "{{ {'b': 'é\\u0001', 'a': [1, 2.5, none, true]}|tojson(ensure_ascii=True, sort_keys=True) }}",
    "{{ {'a': [1, {'b': []}]}|tojson(indent=4, separators=(',', ':')) }}|{{ 'x'|tojson(indent='\\t') }}",
    "{{ [{'a': 'x'}, {}]|tojson(separators=[';', '=']) }}|{{ 3.0|tojson }}",
    // strftime_now at the fixed moment.
    "{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%d %B %Y, %A %j %I%p') }}|{{ strftime_now('%-d %b %y %H:%M:%S') }}",
    "{% for f in ['%a %A %b %B %c', '%d %e %-e %f %H %I %j %m %M %p %S', '%U %w %W %x %X %y %Y %z %Z %%', '%D %F %T %R %h %n %t %C %u %G %g %V', '%-m/%-d %-H:%-M %Q %'] %}[{{ strftime_now(f) }}]{% endfor %}",
    // Less common constructs.
    "{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}in{% endcall %}|{% for m in messages %}{{ loop.cycle('a', 'b') }}{{ loop.previtem is defined }}{{ loop.nextitem is defined }}{% endfor %}|{% filter upper %}up{% endfilter %}|{% with x = 1 %}{{ x }}{% endwith %}",
    "{{ [1, 2, 3, 4, 5]|batch(2)|list }}|{{ messages|groupby('role')|map(attribute='grouper')|list }}|{{ 'ab'|center(6) }}|{{ 'a b c'|wordcount }}|{{ 'hello world'|truncate(8) }}|{{ \"it's a dog-eat-dog (world)\"|title }}|{{ 'ÉCOLE  x\\ty'|title }}|{{ 'hELLO'|capitalize }}",
    "{{ 2.5|round }}|{{ 3.5|round }}|{{ 2.675|round(2) }}|{{ 7|round }}|{{ 2.1|round(0, 'ceil') }}|{{ 2.9|round(method='floor') }}|{{ 1234.5|round(-2) }}|{{ 'a b'|center(9) }}|{{ 'abc'|center(8) }}|{{ 'one, two_three 4'|wordcount }}|{{ 'hello big world'|truncate(9) }}|{{ 'hello big world'|truncate(9, true) }}|{{ 'hello big world'|truncate(9, false, '…', 0) }}|{{ {'a': 1}.items()|list }}|{{ 2.567|round(2) }}|{{ -3|abs }}|{{ [1, 2.5]|sum }}|{{ [3, 1]|max }}|{{ [3, 1]|min }}|{{ [1, 2]|reverse|list }}|{{ 'abc'|reverse }}|{{ 'abc'|list }}|{{ 'abc'|first }}|{{ messages|map(attribute='role')|first }}",
    "{{ '{0}-{1}'.format('a', 'b') }}|{{ '{name}'.format(name='n') }}|{{ ', '.join(['a', 'b']) }}|{{ 'banana'.count('a') }}|{{ 'banana'.find('n') }}|{{ 'a,b'.split(',', 1) }}|{{ 'x' in messages[0] }}|{{ 'role' in messages[0] }}",
    "{{ messages[0].tool_calls is defined }}|{{ messages[0].content is string }}|{{ 4 is divisibleby 2 }}|{{ none|default('d', true) }}|{{ ''|default('e', true) }}|{{ {'a': 1}.a }}|{{ {'a': 1}['a'] }}|{{ messages[0]|items|list }}",
    "{{ 1 == 1.0 }}|{{ 'a' < 'b' }}|{{ [1] == [1] }}|{{ (1, 2)|list }}|{{ 10 / 4 }}|{{ 10 // 4 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 1e3 }}|{{ 3 * 'ab' }}|{{ true + 1 }}",
    // Keyword arguments of common filters.
    "{{ 'a\\n\\nb'|indent(2, first=true) }}|{{ 'a\\n\\nb'|indent(width=3, blank=true) }}|{{ 'a\\nb'|indent('> ') }}|{{ ''|default('x', boolean=true) }}|{{ ['a', 'b']|join(d='-') }}",
    "{{ messages|sort(attribute='role', reverse=true)|map(attribute='role')|list }}|{{ ['b', 'A', 'a']|sort }}|{{ ['b', 'A', 'a']|sort(case_sensitive=true) }}|{{ ['A', 'a', 'b']|unique|list }}|{{ ['a', 'b']|map('upper')|list }}|{{ [1, 2, 3]|select('odd')|list }}",
    "{{ messages|selectattr('content')|list|length }}|{{ {'b': 1, 'a': 2}|dictsort(by='value') }}|{{ {'b': 1, 'a': 2}|dictsort|tojson }}|{{ [1, 2, 3]|batch(2, 'x')|list }}|{{ 'aaa'|replace('a', 'b', 2) }}|{{ 'x'|int(7) }}|{{ '3.5'|float }}|{{ messages[0]|attr('role') }}",
    // raise_exception and undefined values.
    "{% if messages[0].role != 'system' %}{{ raise_exception('System message required, got ' ~ messages[0].role) }}{% endif %}ok",
    "[{{ missing }}]{% for x in missing %}x{% endfor %}{{ missing is defined }}{{ missing|default('d') }}{{ missing|length }}",
    "{{ messages[0].nothing }}|{{ messages[0].nothing is none }}|{{ messages[0]['nothing'] is defined }}",
    "{{ missing.attr }}",
    // Python methods.
    "{% for m in messages %}{{ m.content.strip() }}|{{ m.content.split(' ')[0] }}|{{ m.content.upper() }}|{{ m.content.startswith('H') }}|{{ m.content.replace('l', 'L', 1) }}|{{ m.content.lstrip('H') }}|{{ m.content.rstrip('!') }}{% endfor %}",
    "{% for k, v in messages[0].items() %}{{ k }}={{ v }};{% endfor %}{{ messages[0].get('role') }}{{ messages[0].get('x', 'dflt') }}{{ messages[0].keys()|list }}",
    "{{ '{} and {}'.format('a', 1) }}|{{ 'a\\nb'.splitlines() }}|{{ 'abc'.title() }}|{{ '  x '.strip() }}|{{ 'a,b,,c'.split(',') }}",
    // Loops, loop controls, namespaces, macros, whitespace control.
    "{% for m in messages %}{% if loop.index > 2 %}{% break %}{% endif %}{% if m.role == 'system' %}{% continue %}{% endif %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}\n{% endfor %}",
    "{% set ns = namespace(n=0, s='') %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% set ns.s = ns.s ~ m.role[0] %}{% endfor %}{{ ns.n }}:{{ ns.s }}",
    "{% macro turn(role, text) -%}\n  <{{ role }}>{{ text }}</{{ role }}>\n{%- endmacro %}\n{% for m in messages %}\n  {{ turn(m.role, m.content) }}\n{% endfor %}\n",
    "  {%- for m in messages -%}\n    {{ m.role }}\n  {% endfor %}\n  {% if add_generation_prompt %}\n  gen\n  {% endif %}\n",
    // Generation blocks keep their output and scope their variables.
    "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{% set inner = 1 %}[{{ m.content }}]{% endgeneration %}{% endif %}{% endfor %}{{ inner is defined }}",
    // Tests and filters.
    "{{ 'abc' is string }}{{ 'abc' is sequence }}{{ messages is sequence }}{{ messages[0] is mapping }}{{ 1 is number }}{{ none is none }}{{ messages is iterable }}",
    "{{ messages|selectattr('role', 'equalto', 'user')|list|length }}|{{ messages|map(attribute='role')|unique|list }}|{{ messages|rejectattr('role', 'eq', 'user')|map(attribute='content')|first }}",
    "{{ 'a b'|replace(' ', '_') }}|{{ '  t  '|trim }}|{{ 'x'|upper }}|{{ [3, 1, 2]|sort }}|{{ {'b': 1, 'a': 2}|dictsort }}|{{ '5'|int + 1 }}|{{ 'line1\\nline2'|indent(2) }}|{{ 'line1\\nline2'|indent(2, true) }}",
    "{{ messages[-1].content[::-1] }}|{{ messages[1:]|length }}|{{ (messages|last).role }}|{{ 7 // 2 }}|{{ 7 / 2 }}|{{ 7 % 3 }}|{{ 2 ** 10 }}|{{ 'ab' * 3 }}",
    "{{ messages[0].content + 1 }}",
    "{% for i in range(3) %}{{ i }}{% endfor %}|{{ range(2, 10, 3)|list }}|{{ range(5, 0, -2)|list }}|{{ range(200000)|length }}",
    "{{ bos_token }}{% for m in messages %}{{ m.role|capitalize }}: {{ m.content }}{{ eos_token }}{% endfor %}{% if enable_thinking is defined and not enable_thinking %}/no_think{% endif %}",
    "{{ messages.append(1) }}",
    "{% if true %}unterminated",
    // Jinja2 rejects unknown filters and tests when compiling, except under an `if`
    // (statement or expression) where it defers the error to rendering; `do` is no tag.
    "{{ messages|from_json }}",
    "{% if false %}{{ messages|from_json }}{% endif %}ok",
    "{% if messages %}{{ messages|from_json }}{% endif %}ok",
    "{% if true %}{% for m in messages %}{{ m|from_json }}{% endfor %}{% endif %}ok",
    "{{ (messages|from_json) if false else 'ok' }}",
    "{{ messages is list }}",
    "{% if false %}{{ messages is list }}{% endif %}ok",
    "{% if false %}{% do messages.append(1) %}{% endif %}ok",
    // Adding plain strings to `Markup` escapes them; other operators do not.
    "{{ '<b>'|safe + messages[0].content + '</b>'|safe + messages[0] | tojson }}|{{ '<i>'|safe ~ '\"&' }}|{{ 'a' + '<'|safe }}",
    // Self-referencing assignments that grow by a bounded amount are ordinary.
    "{% set ns = namespace(s='') %}{% for m in messages %}{% set ns.s = ns.s ~ m.role if m.role != 'user' else ns.s ~ '!' %}{% set ns.s = ns.s|trim ~ (ns.s|length|string) %}{% endfor %}{{ ns.s }}",
];

#[test]
fn features_behave_like_jinja2() {
    // Operators minijinja implements differently and offers no hook for: we refuse them with
    // an error (the verifier then skips the conversation) rather than print something else.
    for refused in ["{{ '%s has %d items' % ('list', 3) }}", "{{ 2 ** -1 }}"] {
        let err = JinjaTemplate::new(refused)
            .unwrap()
            .render(&JinjaContext::default())
            .unwrap_err();
        assert!(
            matches!(err, JinjaError::Render { .. }),
            "{refused}: {err:?}"
        );
    }
    let names: Vec<String> = (0..FEATURES.len())
        .map(|i| format!("feature {i}: {:?}", FEATURES[i]))
        .collect();
    let templates: Vec<String> = FEATURES.iter().map(|s| s.to_string()).collect();
    let contexts: Vec<(String, JinjaContext)> = suite_contexts()
        .into_iter()
        .filter(|(name, _)| {
            [
                "system_user+prompt",
                "tool_round_trip+prompt",
                "special_characters",
            ]
            .contains(&name.as_str())
        })
        .collect();
    assert_eq!(contexts.len(), 3);
    check(&names, &templates, &contexts);
}

/// Arbitrary JSON values: strings with quotes, escapes, controls and non-ASCII text, integers,
/// floats across magnitudes, nested lists and objects.
fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let text = || {
        proptest::string::string_regex("[a-zA-Z0-9 \"'\\\\\\n\\t\\u{1}\\u{7f}é€😀<>&{}%-]{0,12}")
            .unwrap()
    };
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-30i32..30, -1000.0f64..1000.0)
            .prop_map(|(exp, mantissa)| json!(mantissa * 10f64.powi(exp))),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((text(), inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

#[test]
fn arbitrary_values_print_and_serialise_like_python() {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = json_value();
    let contexts: Vec<(String, JinjaContext)> = (0..150)
        .map(|i| {
            let value = strategy.new_tree(&mut runner).unwrap().current();
            let mut extra = Map::new();
            extra.insert("v".into(), value.clone());
            (
                format!("value {i}: {value}"),
                JinjaContext {
                    now: NOW,
                    extra,
                    ..JinjaContext::default()
                },
            )
        })
        .collect();
    let template = "{{ v }}|{{ v|tojson }}|{{ v|tojson(ensure_ascii=True, indent=1, sort_keys=True) }}|{{ v|tojson(separators=(',', ':')) }}|{{ [v]|join(',') }}|{{ v|string|length }}";
    check(
        &["printing and tojson".to_string()],
        &[template.to_string()],
        &contexts,
    );
}
