//! Bad chat templates end in a typed error, in bounded time and memory: syntax errors,
//! endless loops, runaway recursion, output past the cap, templates that always raise.

mod support;

use std::time::Instant;

use ruvltra_export::template::chat::Message;
use ruvltra_export::template::jinja::{JinjaContext, JinjaError, JinjaLimits, JinjaTemplate};

fn context() -> JinjaContext {
    JinjaContext {
        messages: vec![Message {
            role: "user".into(),
            content: "Hi".into(),
            ..Message::default()
        }],
        add_generation_prompt: true,
        ..JinjaContext::default()
    }
}

fn render(source: &str) -> Result<String, JinjaError> {
    JinjaTemplate::new(source)?.render(&context())
}

#[test]
fn syntax_error_names_the_line() {
    let err = render("{% for m in messages %}\n{{ m.content }\n{% endfor %}").unwrap_err();
    match err {
        JinjaError::Syntax { line, .. } => assert_eq!(line, Some(2)),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    assert!(matches!(
        render("{% if true %}never closed"),
        Err(JinjaError::Syntax { .. })
    ));
    assert!(matches!(
        render("{% generation %}unterminated"),
        Err(JinjaError::Syntax { .. })
    ));
}

#[test]
fn nested_huge_loops_run_out_of_fuel() {
    let started = Instant::now();
    let err =
        render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
            .unwrap_err();
    assert_eq!(
        err,
        JinjaError::OutOfFuel {
            fuel: JinjaLimits::default().fuel
        }
    );
    eprintln!("stopped after {:?}", started.elapsed());
}

#[test]
fn ranges_past_the_sandbox_limit_fail_like_jinja2() {
    let err = render("{% for i in range(10000000) %}x{% endfor %}").unwrap_err();
    assert!(
        matches!(&err, JinjaError::Render { message, .. } if message.contains("range too big")),
        "{err:?}"
    );
}

#[test]
fn recursive_macro_hits_the_recursion_limit() {
    let err = render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").unwrap_err();
    assert!(
        matches!(&err, JinjaError::Render { message, .. } if message.contains("recursion")),
        "{err:?}"
    );
}

#[test]
fn output_past_the_cap_is_refused() {
    let limits = JinjaLimits {
        max_output: 1 << 20,
        ..JinjaLimits::default()
    };
    let template = JinjaTemplate::with_limits(
        "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
        limits,
    )
    .unwrap();
    assert_eq!(
        template.render(&context()).unwrap_err(),
        JinjaError::OutputTooLarge { limit: 1 << 20 }
    );
    // The same template within a larger cap renders: the cap, not the loop, stopped it.
    let small = JinjaTemplate::with_limits(
        "{% for i in range(10) %}{{ 'x' * 1000 }}{% endfor %}",
        limits,
    )
    .unwrap();
    assert_eq!(small.render(&context()).unwrap().len(), 10_000);
}

#[test]
fn raising_templates_are_told_apart_from_broken_ones() {
    let err = render("{{ raise_exception('Conversation roles must alternate') }}").unwrap_err();
    assert_eq!(
        err,
        JinjaError::Raised("Conversation roles must alternate".into())
    );
    // Raised from inside a macro and a loop: still the template's own refusal.
    let err = render("{% macro no() %}{{ raise_exception('no: ' ~ messages|length) }}{% endmacro %}{% for m in messages %}{{ no() }}{% endfor %}")
        .unwrap_err();
    assert_eq!(err, JinjaError::Raised("no: 1".into()));
    // A type error is not a refusal.
    assert!(matches!(
        render("{{ messages[0].content + 1 }}"),
        Err(JinjaError::Render { .. })
    ));
}

#[test]
fn self_doubling_values_are_refused_before_rendering() {
    let doubling = [
        "{% set ns = namespace(s='xx') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
        "{% set s = 'ab' %}{% for i in range(100) %}{% set s = s + s %}{{ s }}{% endfor %}",
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s %}{{ ns.s }}{{ ns.s }}{% endset %}{% endfor %}",
        "{% macro grow(s, n) %}{{ grow(s ~ s, n + 1) }}{% endmacro %}{{ grow('x', 0) }}",
    ];
    for source in doubling {
        let started = Instant::now();
        let err = JinjaTemplate::new(source).unwrap_err();
        assert!(
            matches!(err, JinjaError::Unbounded { .. }),
            "{source}: {err:?}"
        );
        assert!(started.elapsed().as_secs() < 5);
    }
    // Growing by a bounded amount per step is ordinary and allowed.
    let linear = "{% set ns = namespace(s='') %}{% for m in messages %}{% set ns.s = ns.s ~ m.content ~ ns.sep %}{% endfor %}{{ ns.s }}";
    assert_eq!(render(linear).unwrap(), "Hi");
}

#[test]
fn compile_time_errors_match_jinja2() {
    for source in [
        "{{ messages|from_json }}",
        "{{ messages is list }}",
        "{% do messages.append(1) %}",
    ] {
        assert!(
            matches!(JinjaTemplate::new(source), Err(JinjaError::Syntax { .. })),
            "{source}"
        );
    }
}

#[test]
fn deeply_nested_values_fail_instead_of_overflowing_the_stack() {
    // Built by the template: refused before rendering, since freeing such a value recurses too.
    for source in [
        "{% set ns = namespace(x=1) %}{% for i in range(50000) %}{% set ns.x = [ns.x] %}{% endfor %}",
        "{% set ns = namespace(x=1) %}{% for i in range(50000) %}{% set ns.x = {'a': ns.x} %}{% endfor %}",
        "{% set ns = namespace(x=1) %}{% for i in range(50000) %}{% set ns.x = dict(a=ns.x) %}{% endfor %}",
    ] {
        assert!(
            matches!(
                JinjaTemplate::new(source),
                Err(JinjaError::Unbounded { .. })
            ),
            "{source}"
        );
    }
    // Given as input: printing it fails cleanly.
    let mut deep = serde_json::json!(1);
    for _ in 0..300 {
        deep = serde_json::json!([deep]);
    }
    let mut context = context();
    context.extra.insert("deep".into(), deep);
    for print in [
        "{{ deep }}",
        "{{ deep|string }}",
        "{{ deep|tojson }}",
        "{{ [deep]|join }}",
    ] {
        let err = JinjaTemplate::new(print)
            .unwrap()
            .render(&context)
            .unwrap_err();
        assert!(
            matches!(&err, JinjaError::Render { message, .. } if message.contains("too deeply")),
            "{print}: {err:?}"
        );
    }
    // Appending to a list is ordinary.
    let append = "{% set ns = namespace(x=[]) %}{% for m in messages %}{% set ns.x = ns.x + [m.role] %}{% endfor %}{{ ns.x }}";
    assert_eq!(render(append).unwrap(), "['user']");
}

#[test]
fn templates_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<JinjaTemplate>();
}

/// The size and depth limits accept every chat template of the corpus.
#[test]
fn size_limits_accept_every_corpus_template() {
    let dir = support::corpus_dir().join("chat-templates");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "jinja") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        if let Err(err @ JinjaError::TooComplex { .. }) = JinjaTemplate::new(&source) {
            panic!("{}: {err}", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 71, "only {seen} corpus templates");
}
