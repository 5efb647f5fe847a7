//! The llama.cpp difference detector on the corpus cases the reference lists as measured
//! differences (`../shared/reference/gguf-and-llamacpp.md`): Gemma 2's missing system role,
//! Llama 3.1's defaulted `date_string`, `list.append` in Kimi K2, and a plain template that
//! renders the same.

mod support;

use ruvltra_export::template::llamacpp::{LlamaCppDifference as D, llamacpp_differences};

#[test]
fn measured_differences_are_recognised_on_the_corpus() {
    let dir = support::corpus_dir().join("chat-templates");
    let cases: [(&str, &[D]); 4] = [
        ("google-gemma-2-2b-it", &[D::NoSystemBranch]),
        (
            "meta-llama-Llama-3.1-8B-Instruct",
            &[D::ArgumentsAsMapping, D::DefaultedDateString],
        ),
        ("Kimi-K2-Instruct", &[D::ListAppend]),
        ("microsoft-Phi-3.5-mini-instruct", &[]),
    ];
    for (name, expected) in cases {
        let jinja = std::fs::read_to_string(dir.join(format!("{name}.jinja"))).unwrap();
        assert_eq!(llamacpp_differences(&jinja), expected, "{name}");
    }
}
