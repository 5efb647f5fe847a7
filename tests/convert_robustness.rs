//! The converter on arbitrary templates built from chat-template fragments: it never panics,
//! and whatever it returns is consistent (verified only with no plain mismatch, a Go template
//! that parses).

use proptest::prelude::*;
use ruvltra_export::template::convert::{ConvertInput, convert};
use ruvltra_export::template::ollama::OllamaTemplate;

const FRAGMENTS: &[&str] = &[
    "{% for m in messages %}",
    "{% endfor %}",
    "{{ m.content }}",
    "{{ m.content | trim }}",
    "{{ m.content.lstrip('\\n') }}",
    "{{ m.role }}",
    "{% if loop.last %}L{% endif %}",
    "{% if loop.first %}F{% endif %}",
    "{% if m.role == 'system' %}S:{% endif %}",
    "{% if add_generation_prompt %}<|assistant|>{% endif %}",
    "{{ strftime_now('%d %b') }}",
    "{{ bos_token }}",
    "{{ eos_token }}",
    "{{ loop.index }}",
    "é ✓ \"q\" \\ {{ '{{' }}",
    "\n",
    "ZqMark0qZ",
    "{{ messages | length }}",
    "{% if enable_thinking %}<think>{% endif %}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn conversion_never_panics_and_stays_consistent(
        picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..12)
    ) {
        let jinja: String = picks.iter().map(|&i| FRAGMENTS[i]).collect();
        let input = ConvertInput { bos_token: "<s>", eos_token: "</s>", ..ConvertInput::new(&jinja) };
        if let Ok(conversion) = convert(&input) {
            prop_assert!(OllamaTemplate::parse(&conversion.template).is_ok(), "{}", conversion.template);
            prop_assert_eq!(conversion.verified, conversion.report.plain.mismatches.is_empty()
                && conversion.report.plain.conversations > 0);
            if !conversion.verified {
                prop_assert!(!conversion.unsupported.is_empty());
            }
        }
    }
}
