//! Damaged manifests never panic: the checked-in manifest with random edits either loads or
//! yields located errors.

mod support;

use std::path::Path;

use proptest::prelude::*;
use ruvltra_export::manifest::Manifest;

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    DropLine(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..8).prop_map(|(at, len)| Edit::Delete(at, len)),
        (
            any::<usize>(),
            prop_oneof![
                Just("=".to_owned()),
                Just("[".to_owned()),
                Just("\"".to_owned()),
                Just("{ value = 1, intended = true }".to_owned()),
                Just("\n[models.x]\n".to_owned()),
                Just("é".to_owned()),
                "[a-z_ .0-9]{1,6}",
            ]
        )
            .prop_map(|(at, text)| Edit::Insert(at, text)),
        any::<usize>().prop_map(Edit::DropLine),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let boundary = |at: usize| {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match edit {
        Edit::Delete(at, len) => {
            let start = boundary(*at);
            let end = boundary(start.saturating_add(*len).min(text.len()));
            format!("{}{}", &text[..start], &text[end..])
        }
        Edit::Insert(at, insert) => {
            let at = boundary(*at);
            format!("{}{insert}{}", &text[..at], &text[at..])
        }
        Edit::DropLine(n) => {
            let lines: Vec<&str> = text.lines().collect();
            let drop = n % lines.len().max(1);
            lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != drop)
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn damaged_manifests_give_located_errors(edits in prop::collection::vec(edit(), 1..4)) {
        let original = std::fs::read_to_string(support::root().join("ruvltra.toml")).unwrap();
        let text = edits.iter().fold(original, |text, e| apply(&text, e));
        let lines = text.lines().count().max(1);
        if let Err(errors) = Manifest::parse(&text, Path::new("ruvltra.toml")) {
            prop_assert!(!errors.0.is_empty());
            for error in &errors.0 {
                prop_assert!(error.location.line >= 1 && error.location.line <= lines + 1, "{error}");
                prop_assert!(error.location.column >= 1, "{error}");
            }
        }
    }
}
