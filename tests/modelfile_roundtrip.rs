//! The writer's promise, tested with random values: every system prompt, license, stop
//! string and message either reads back exactly through the parser or is refused with a
//! reason that an independent rule confirms, and nothing writable is refused.

use proptest::prelude::*;
use ruvltra_export::modelfile::{
    Message, MessageRole, Modelfile, Refusal, is_print, parse_commands,
};
use ruvltra_export::ollama::{ParamValue, Parameter};

/// Pieces that stress the grammar: quotes, triple quotes, line breaks of every kind, tabs,
/// `#`, Unicode, and characters Ollama drops.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ]{1,6}",
        2 => Just("\"".to_owned()),
        2 => Just("\"\"\"".to_owned()),
        2 => Just("\n".to_owned()),
        1 => Just("\r".to_owned()),
        1 => Just("\r\n".to_owned()),
        1 => Just("\t".to_owned()),
        1 => Just(" ".to_owned()),
        1 => Just("#".to_owned()),
        1 => prop::sample::select(vec!["é", "日本語", "😀", "\u{301}", "€"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["\u{0}", "\u{7}", "\u{1b}", "\u{a0}", "\u{200b}", "\u{feff}", "\u{2028}", "\u{e000}"]).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..10).prop_map(|parts| parts.concat())
}

/// The rule, stated independently of the writer: a value can be written iff every character
/// survives the parser and no line that is followed by a line break ends (ignoring trailing
/// spaces and tabs) with `"""`.
fn line_closing_early(value: &str) -> Option<usize> {
    let segments: Vec<&str> = value.split(['\r', '\n']).collect();
    segments[..segments.len() - 1]
        .iter()
        .position(|line| line.trim_end_matches([' ', '\t']).ends_with("\"\"\""))
}

fn survives(value: &str) -> bool {
    value
        .chars()
        .all(|c| matches!(c, '\t' | '\r' | '\n') || is_print(c))
}

fn writable(value: &str) -> bool {
    survives(value) && line_closing_early(value).is_none()
}

fn field_value<'a>(m: &'a Modelfile, field: &str) -> &'a str {
    let index = |f: &str| {
        f.rsplit_once('#')
            .map_or(0, |(_, n)| n.parse::<usize>().unwrap() - 1)
    };
    match field {
        "SYSTEM" => m.system.as_deref().unwrap(),
        f if f.starts_with("LICENSE") => &m.license[index(f)],
        f if f.starts_with("MESSAGE") => &m.messages[index(f)].content,
        f if f.starts_with("PARAMETER stop") => &m.parameters.stop()[index(f)],
        other => panic!("unexpected field {other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn round_trips_or_refuses_with_a_true_reason(
        system in text(),
        licenses in prop::collection::vec(text(), 0..3),
        stops in prop::collection::vec(text(), 0..3),
        message in text(),
    ) {
        let mut m = Modelfile {
            from: vec!["./ruvltra-small-0.5b-q4_k_m.gguf".to_owned()],
            system: Some(system.clone()),
            license: licenses.clone(),
            messages: vec![Message { role: MessageRole::User, content: message.clone() }],
            ..Modelfile::default()
        };
        let stops: Vec<String> = stops.into_iter().filter(|s| !s.is_empty()).collect();
        for stop in &stops {
            m.parameters.set(Parameter::Stop, ParamValue::Str(stop.clone())).unwrap();
        }
        m.parameters.set(Parameter::Temperature, ParamValue::Float(0.7)).unwrap();

        let all_writable = std::iter::once(&system)
            .chain(&licenses)
            .chain(&stops)
            .chain(std::iter::once(&message))
            .all(|v| writable(v));

        match m.write() {
            Ok(text) => {
                prop_assert!(all_writable, "wrote a value the rule says cannot round-trip:\n{text:?}");
                let back = Modelfile::parse(text.as_bytes());
                prop_assert_eq!(back.as_ref(), Ok(&m), "text: {:?}", text);
                // The writer adds no CR of its own: line endings are LF only.
                let values_have_cr = [&system, &message].into_iter().chain(&licenses).chain(&stops).any(|v| v.contains('\r'));
                prop_assert!(values_have_cr || !text.contains('\r'), "{:?}", text);
                let commands = parse_commands(text.as_bytes()).unwrap();
                prop_assert_eq!(commands.len(), 3 + licenses.len() + stops.len() + 1);
            }
            Err(err) => {
                prop_assert!(!all_writable, "refused a writable value: {err}");
                prop_assert!(
                    !matches!(err.refusal, Refusal::NotRoundTrip { .. }),
                    "the writer produced text that reads back differently: {}", err
                );
                let value = field_value(&m, &err.field);
                match &err.refusal {
                    Refusal::NonPrintable { ch, offset } => {
                        prop_assert_eq!(value[*offset..].chars().next(), Some(*ch));
                        prop_assert!(!survives(&ch.to_string()), "{:?} survives", ch);
                    }
                    Refusal::TripleQuoteAtLineEnd { .. } => {
                        prop_assert!(survives(value));
                        prop_assert!(line_closing_early(value).is_some(), "{value:?}");
                    }
                    other => prop_assert!(false, "unexpected refusal {other:?} for {value:?}"),
                }
                let prefix = format!("cannot write {} into a Modelfile: ", err.field);
                prop_assert!(err.to_string().starts_with(&prefix), "{}", err);
            }
        }
    }

    #[test]
    fn the_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Modelfile::check(&bytes);
    }

    #[test]
    fn the_parser_never_panics_on_near_modelfiles(parts in prop::collection::vec(
        prop_oneof![
            Just("FROM a\n".to_owned()), Just("PARAMETER ".to_owned()), Just("MESSAGE user ".to_owned()),
            Just("SYSTEM ".to_owned()), Just("\"\"\"".to_owned()), Just("\"".to_owned()),
            Just("\r\n".to_owned()), Just("#".to_owned()), Just("stop x\n".to_owned()), text(),
        ],
        0..12,
    )) {
        let _ = Modelfile::check(parts.concat().as_bytes());
    }
}

mod support;

/// Real chat templates (71 from the corpus) as TEMPLATE and SYSTEM values: each reads back
/// exactly or is refused for a reason the independent rule confirms.
#[test]
fn real_chat_templates_round_trip_or_are_refused_for_a_true_reason() {
    let dir = support::corpus_dir().join("chat-templates");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jinja"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 71,
        "expected the 71 corpus templates in {}",
        dir.display()
    );
    let mut written = 0;
    for path in &paths {
        let template = std::fs::read_to_string(path).unwrap();
        let m = Modelfile {
            from: vec!["./m.gguf".to_owned()],
            template: Some(template.clone()),
            system: Some(template.clone()),
            ..Modelfile::default()
        };
        match m.write() {
            Ok(text) => {
                assert!(
                    writable(&template),
                    "{}: wrote an unwritable value",
                    path.display()
                );
                assert_eq!(
                    Modelfile::parse(text.as_bytes()).unwrap(),
                    m,
                    "{}",
                    path.display()
                );
                written += 1;
            }
            Err(err) => {
                assert!(!writable(&template), "{}: refused: {err}", path.display());
                assert_eq!(err.field, "TEMPLATE", "{}", path.display());
            }
        }
    }
    assert!(written > 0, "no corpus template could be written");
}
