//! The verifier on real corpus templates with hand-written Go templates: one that matches on
//! everything, one whose Jinja refuses system prompts (those conversations are skipped, the
//! rest verify), and a naive one that misses Llama 3.1's default date header.

mod support;

use ruvltra_export::template::jinja::JinjaTemplate;
use ruvltra_export::template::ollama::OllamaTemplate;
use ruvltra_export::template::verify::{self, VerifyOptions, VerifyReport};

fn verify_corpus(name: &str, go: &str, bos: &str) -> VerifyReport {
    let path = support::corpus_dir().join("chat-templates").join(name);
    let jinja = JinjaTemplate::new(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let go = OllamaTemplate::parse(go).unwrap();
    let options = VerifyOptions {
        bos_token: bos.into(),
        eos_token: "<|endoftext|>".into(),
        ..VerifyOptions::default()
    };
    verify::verify(&jinja, &go, &options).unwrap()
}

#[test]
fn phi_3_5_verifies_on_every_part() {
    let go = "{{- range .Messages }}{{ if eq .Role \"system\" }}{{ if .Content }}<|system|>\n{{ .Content }}<|end|>\n{{ end }}\
              {{ else if eq .Role \"user\" }}<|user|>\n{{ .Content }}<|end|>\n\
              {{ else if eq .Role \"assistant\" }}<|assistant|>\n{{ .Content }}<|end|>\n{{ end }}{{ end }}<|assistant|>\n";
    let report = verify_corpus("microsoft-Phi-3.5-mini-instruct.jinja", go, "<s>");
    assert!(
        report.verified() && report.tools.verified && report.thinking.verified,
        "{report}"
    );
    assert!(report.plain.skipped.is_empty());
}

#[test]
fn gemma_2_skips_what_it_refuses_and_verifies_the_rest() {
    let go = "{{- range .Messages }}<start_of_turn>{{ if eq .Role \"assistant\" }}model{{ else }}{{ .Role }}{{ end }}\n\
              {{ .Content }}<end_of_turn>\n{{ end }}<start_of_turn>model\n";
    let report = verify_corpus("google-gemma-2-2b-it.jinja", go, "<bos>");
    assert!(report.verified(), "{report}");
    let skipped: Vec<&str> = report
        .plain
        .skipped
        .iter()
        .map(|s| s.conversation.as_str())
        .collect();
    assert!(
        skipped.contains(&"system_user") && skipped.contains(&"two_system"),
        "{skipped:?}"
    );
    assert!(
        report
            .plain
            .skipped
            .iter()
            .all(|s| s.reason.contains("System role not supported"))
    );
    assert_eq!(report.plain.conversations + report.plain.skipped.len(), 8);
    assert!(report.plain.conversations >= 3);
}

#[test]
fn llama_3_1_without_its_date_header_does_not_verify() {
    let go = "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}\
              <|start_header_id|>assistant<|end_header_id|>\n\n";
    let report = verify_corpus(
        "meta-llama-Llama-3.1-8B-Instruct.jinja",
        go,
        "<|begin_of_text|>",
    );
    assert!(!report.verified());
    let first = &report.plain.mismatches[0];
    assert_eq!(first.conversation, "single_user");
    // The BOS was stripped, so both start with the header; they part where Jinja adds the
    // default system turn with "Cutting Knowledge Date".
    assert_eq!(first.offset, "<|start_header_id|>".len());
    assert!(
        first.jinja[first.offset..]
            .starts_with("system<|end_header_id|>\n\nCutting Knowledge Date"),
        "{}",
        first.jinja
    );
}
