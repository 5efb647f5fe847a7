//! The llama.cpp difference detector on the corpus cases the reference lists as measured
//! differences (`../shared/reference/gguf-and-llamacpp.md`): Gemma 2's missing system role,
//! Llama 3.1's defaulted `date_string`, `list.append` in Kimi K2, and a plain template that
//! renders the same.

mod support;

use ruvltra_export::template::llamacpp::{LlamaCppDifference as D, llamacpp_differences};

#[test]
fn measured_differences_are_recognised_on_the_corpus() {
    let dir = support::corpus_dir().join("chat-templates");
    let cases: [(&str, &[D]); 5] = [
        ("google-gemma-2-2b-it", &[D::NoSystemBranch]),
        (
            "meta-llama-Llama-3.1-8B-Instruct",
            &[D::DefaultedDateString],
        ),
        // Today's date from `strftime_now`, the same in both engines.
        ("meta-llama-Llama-3.2-3B-Instruct", &[]),
        ("Kimi-K2-Instruct", &[D::ListAppend]),
        ("microsoft-Phi-3.5-mini-instruct", &[]),
    ];
    for (name, expected) in cases {
        let jinja = std::fs::read_to_string(dir.join(format!("{name}.jinja"))).unwrap();
        assert_eq!(llamacpp_differences(&jinja), expected, "{name}");
    }
}

/// `check` on a copy of the checked-in family whose `[defaults]` set Gemma 2's template: the
/// manifest is valid (exit 0) and every llama.cpp difference of that template is a warning
/// at the `chat_template_file` line.
#[test]
fn check_warns_for_the_manifests_templates() {
    let family = support::fixture_family();
    let manifest = family.path().join("ruvltra.toml");
    std::fs::copy(
        support::corpus_dir().join("chat-templates/google-gemma-2-2b-it.jinja"),
        family.path().join("gemma2.jinja"),
    )
    .unwrap();
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replacen(
        "[defaults]\n",
        "[defaults]\nchat_template_file = \"gemma2.jinja\"\n",
        1,
    );
    std::fs::write(&manifest, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("chat_template_file"))
        .unwrap()
        + 1;
    let column = "chat_template_file = ".len() + 1;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .arg("check")
        .arg(&manifest)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let expected = format!(
        "{}:{line}:{column}: warning: llama.cpp renders this chat template differently: {} (affects {})",
        manifest.display(),
        D::NoSystemBranch.describe(),
        ruvltra_export::template::llamacpp::AFFECTED_RUNTIMES
    );
    assert!(
        stdout.lines().any(|l| l == expected),
        "expected `{expected}` in:\n{stdout}"
    );
    // The template applies to every variant: the GGUFs' own templates are not used, so they
    // are not warned about.
    assert!(!stdout.contains(".gguf"), "{stdout}");
}
