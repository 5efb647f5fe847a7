//! The converter's rules, one small Jinja template per behaviour, each checked through the
//! verifier and, where it matters, by what the Go template contains.

use ruvltra_export::template::convert::{Conversion, ConvertInput, convert};
use ruvltra_export::template::jinja::FixedDateTime;

fn run(jinja: &str) -> Conversion {
    convert(&ConvertInput::new(jinja)).unwrap_or_else(|err| panic!("{err}"))
}

fn assert_verified(conversion: &Conversion) {
    assert!(
        conversion.verified,
        "{}\n{}",
        conversion.template, conversion.report
    );
}

const LOOP: &str = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

#[test]
fn default_system_prompt_appears_only_without_a_system_message() {
    let jinja = format!(
        "{{% if messages[0].role != 'system' %}}<|system|>You are helpful.<|end|>{{% endif %}}{LOOP}"
    );
    let conversion = run(&jinja);
    assert_verified(&conversion);
    assert!(conversion.template.contains("You are helpful."));
}

#[test]
fn system_prompt_inside_the_first_user_turn() {
    let jinja = "{% set sys = messages[0].content + '\n\n' if messages[0].role == 'system' else '' %}{% for m in messages if m.role != 'system' %}<turn {{ m.role }}>{% if loop.first %}{{ sys }}{% endif %}{{ m.content }}</turn>\n{% endfor %}<turn assistant>";
    assert_verified(&run(jinja));
}

#[test]
fn system_prompt_inside_the_last_user_turn() {
    let jinja = "{% if messages[0].role == 'system' %}{% set sys = messages[0].content %}{% set rest = messages[1:] %}{% else %}{% set rest = messages %}{% endif %}{% for m in rest %}{% if m.role == 'user' %}[INST] {% if loop.last and sys is defined %}{{ sys }}\n\n{% endif %}{{ m.content }} [/INST]{% else %} {{ m.content }}</s>{% endif %}{% endfor %}";
    let conversion = run(jinja);
    assert_verified(&conversion);
    assert!(
        conversion.template.contains("$last"),
        "{}",
        conversion.template
    );
    assert_eq!(conversion.stop, ["</s>", "[INST]"]);
}

#[test]
fn stripping_is_reproduced_side_by_side() {
    for (filter, define) in [
        ("m.content | trim", "strip_ws_ws"),
        ("m.content.lstrip()", "strip_ws_keep"),
        ("m.content.rstrip()", "strip_keep_ws"),
        ("m.content.lstrip('\\n')", "strip_nl_keep"),
    ] {
        let jinja = format!(
            "{{% for m in messages %}}<|{{{{ m.role }}}}|>{{{{ {filter} }}}}<|end|>{{% endfor %}}<|assistant|>"
        );
        let conversion = run(&jinja);
        assert_verified(&conversion);
        assert!(
            conversion.template.contains(define),
            "{filter}: {}",
            conversion.template
        );
    }
}

#[test]
fn iso_dates_become_current_date_and_other_formats_are_frozen() {
    let iso = format!("Today: {{{{ strftime_now('%Y-%m-%d') }}}}\n{LOOP}");
    let conversion = run(&iso);
    assert_verified(&conversion);
    assert!(conversion.template.contains("currentDate"));
    assert!(conversion.notes.is_empty(), "{:?}", conversion.notes);

    let long = format!("Today: {{{{ strftime_now('%d %B %Y') }}}}\n{LOOP}");
    let input = ConvertInput {
        date: FixedDateTime::from_unix_seconds(1_700_000_000),
        ..ConvertInput::new(&long)
    };
    let conversion = convert(&input).unwrap();
    assert_verified(&conversion);
    assert!(conversion.template.contains("14 November 2023"));
    assert!(
        conversion.notes.iter().any(|n| n.contains("frozen")),
        "{:?}",
        conversion.notes
    );
}

#[test]
fn thinking_changes_the_generation_prompt() {
    let jinja = format!(
        "{LOOP}{{% if enable_thinking is defined and not enable_thinking %}}<think></think>{{% endif %}}"
    );
    let conversion = run(&jinja);
    assert_verified(&conversion);
    assert!(conversion.report.thinking.verified, "{}", conversion.report);
    assert!(conversion.template.contains("$.Think"));
}

#[test]
fn plain_text_turn_markers_stop_on_a_word_with_a_warning() {
    let jinja = "{% for m in messages %}{% if m.role == 'user' %}User: {{ m.content }}\n{% elif m.role == 'assistant' %}Assistant: {{ m.content }}\n{% else %}{{ m.content }}\n\n{% endif %}{% endfor %}Assistant:";
    let conversion = run(jinja);
    assert_verified(&conversion);
    assert_eq!(conversion.stop, ["User:"]);
    assert!(
        conversion.notes.iter().any(|n| n.contains("`User:`")),
        "{:?}",
        conversion.notes
    );
    let with_eos = ConvertInput {
        eos_token: "</s>",
        ..ConvertInput::new(jinja)
    };
    assert_eq!(convert(&with_eos).unwrap().stop, ["</s>"]);
}

#[test]
fn bos_added_by_the_model_is_not_written_twice() {
    let jinja = format!("{{{{ bos_token }}}}{LOOP}");
    for add_bos in [Some(true), Some(false), None] {
        let input = ConvertInput {
            bos_token: "<s>",
            add_bos_token: add_bos,
            ..ConvertInput::new(&jinja)
        };
        let conversion = convert(&input).unwrap();
        assert_verified(&conversion);
        assert_eq!(
            conversion.template.contains("<s>"),
            add_bos == Some(false),
            "{add_bos:?}: {}",
            conversion.template
        );
    }
}

#[test]
fn content_dependent_templates_are_not_called_verified() {
    // Behaviour the probes cannot see: the prompt depends on what the user wrote.
    let jinja = "{% for m in messages %}{% if 'France' in m.content %}[geo]{% endif %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endfor %}<|assistant|>";
    let conversion = run(jinja);
    assert!(!conversion.verified);
    assert!(!conversion.unsupported.is_empty());
    assert!(
        conversion.unsupported[0]
            .conversations
            .iter()
            .any(|c| c == "system_user")
    );
}

#[test]
fn reasoning_of_earlier_turns_is_written_where_the_template_writes_it() {
    let jinja = "{% for m in messages %}<|{{ m.role }}|>{% if m.reasoning_content %}<think>{{ m.reasoning_content }}</think>{% endif %}{{ m.content }}<|end|>{% endfor %}<|assistant|>";
    let conversion = run(jinja);
    assert_verified(&conversion);
    assert!(conversion.report.thinking.verified, "{}", conversion.report);
    assert!(conversion.template.contains("$m.Thinking"));
    // A template that drops earlier reasoning gets no reasoning branch.
    let conversion = run(LOOP);
    assert!(conversion.report.thinking.verified, "{}", conversion.report);
    assert!(!conversion.template.contains("$m.Thinking"));
}

#[test]
fn named_templates_convert_in_order_with_the_same_tokens() {
    use ruvltra_export::template::convert::convert_named;
    let named = vec![
        ("plain".to_owned(), LOOP.to_owned()),
        ("broken".to_owned(), "{% for %}".to_owned()),
    ];
    let base = ConvertInput {
        eos_token: "<|end|>",
        ..ConvertInput::new("")
    };
    let results = convert_named(&named, &base);
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].0, "plain");
    let first = results[0].1.as_ref().unwrap();
    assert_verified(first);
    assert_eq!(first.stop, ["<|end|>", "<|user|>"]);
    assert_eq!(results[1].0, "broken");
    assert!(results[1].1.is_err());
}
