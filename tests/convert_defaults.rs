//! Every architecture default template converts to a verified Go template with the family's
//! end-of-turn marker in its stop list.

use ruvltra_export::gguf::{Array, GgufHeader, GgufWriter, StringArray, Value};
use ruvltra_export::template::convert::{ConvertInput, convert};
use ruvltra_export::template::defaults::{self, DefaultTemplate};
use ruvltra_export::template::fit::{self, Vocabulary};
use ruvltra_export::template::jinja::{FixedDateTime, JinjaTemplate};
use ruvltra_export::template::suite::{self, SuiteKind};

/// The tokens each family's GGUFs name as BOS and EOS, and the stop the template must yield.
fn tokens(name: &str) -> (&'static str, &'static str, &'static str) {
    match name {
        "chatml" => ("", "<|im_end|>", "<|im_end|>"),
        "llama3" => ("<|begin_of_text|>", "<|eot_id|>", "<|eot_id|>"),
        "gemma" => ("<bos>", "<eos>", "<end_of_turn>"),
        "phi3" => ("<s>", "<|endoftext|>", "<|end|>"),
        "mistral" => ("<s>", "</s>", "</s>"),
        "command-r" => (
            "<BOS_TOKEN>",
            "<|END_OF_TURN_TOKEN|>",
            "<|END_OF_TURN_TOKEN|>",
        ),
        other => panic!("no tokens for {other}"),
    }
}

#[test]
fn every_default_converts_and_verifies() {
    for default in defaults::ALL {
        let (bos, eos, stop) = tokens(default.name);
        let input = ConvertInput {
            bos_token: bos,
            eos_token: eos,
            ..ConvertInput::new(default.jinja)
        };
        let conversion = convert(&input).unwrap_or_else(|err| panic!("{}: {err}", default.name));
        assert!(
            conversion.verified,
            "{}:\n{}\n{}",
            default.name, conversion.template, conversion.report
        );
        assert!(
            conversion.stop.iter().any(|s| s == stop),
            "{}: stop {:?} lacks {stop}",
            default.name,
            conversion.stop
        );
    }
}

/// A vocabulary holding exactly `tokens` as control tokens (plus one plain token), with BOS
/// and EOS at the given positions.
fn vocabulary(architecture: &str, tokens: &[&str], bos: usize, eos: usize) -> GgufHeader {
    let mut w = GgufWriter::new();
    w.set("general.architecture", Value::String(architecture.into()));
    w.set("tokenizer.ggml.model", Value::String("gpt2".into()));
    let mut list: StringArray = tokens.iter().copied().collect();
    list.push("a");
    let mut types = vec![3; tokens.len()];
    types.push(1);
    w.set("tokenizer.ggml.tokens", Value::Array(Array::String(list)));
    w.set("tokenizer.ggml.token_type", Value::Array(Array::I32(types)));
    w.set("tokenizer.ggml.bos_token_id", Value::U32(bos as u32));
    w.set("tokenizer.ggml.eos_token_id", Value::U32(eos as u32));
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    GgufHeader::read(bytes.as_slice(), None).unwrap()
}

#[test]
fn each_family_names_the_markers_its_prompts_use_and_is_chosen_by_them() {
    for default in defaults::ALL {
        let (bos, eos, _) = tokens(default.name);
        let jinja = JinjaTemplate::new(default.jinja).unwrap();
        let renderings = fit::jinja_prompts(&jinja, bos, eos, FixedDateTime::default());
        let prompts = fit::texts(&renderings, false);
        for marker in default.markers {
            assert!(
                prompts.iter().any(|p| p.contains(marker)),
                "{}: no prompt contains {marker}",
                default.name
            );
        }
        let mut tokens: Vec<&str> = default.markers.to_vec();
        let bos_at = tokens.len();
        tokens.push(if bos.is_empty() { eos } else { bos });
        tokens.push(eos);
        let header = vocabulary("some-arch", &tokens, bos_at, bos_at + 1);
        let vocabulary = Vocabulary::from_header(&header).unwrap();
        let fit = fit::check_renderings(&renderings, &[], &vocabulary);
        assert!(fit.fits(), "{}: {}", default.name, fit.missing());
        let choice = fit::choose_default(&vocabulary, "some-arch").unwrap();
        assert_eq!(choice.template.name, default.name);
        // Without its first marker the template does not fit; `[INST]`, plain text in Llama
        // 2's vocabulary, only warns.
        let header = vocabulary_without(&tokens[1..]);
        let vocabulary = Vocabulary::from_header(&header).unwrap();
        let fit = fit::check(&prompts, &[], &vocabulary);
        if default.sentencepiece_text_tags {
            assert!(fit.fits(), "{}", default.name);
            assert!(fit.warnings.iter().any(|w| w.contains(default.markers[0])));
        } else {
            assert!(
                fit.missing().contains(default.markers[0]),
                "{}: {}",
                default.name,
                fit.missing()
            );
        }
    }
}

fn vocabulary_without(tokens: &[&str]) -> GgufHeader {
    vocabulary("some-arch", tokens, tokens.len() - 2, tokens.len() - 1)
}

#[test]
fn the_architecture_breaks_a_tie_and_never_decides_alone() {
    // A vocabulary with both ChatML's and Llama 3's markers: the architecture decides.
    let both = [
        "<|im_start|>",
        "<|im_end|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|eot_id|>",
    ];
    let header = vocabulary("qwen2", &both, 4, 4);
    let v = Vocabulary::from_header(&header).unwrap();
    assert_eq!(
        fit::choose_default(&v, "qwen2").unwrap().template.name,
        "chatml"
    );
    assert_eq!(
        fit::choose_default(&v, "llama").unwrap().template.name,
        "llama3"
    );
    // `llama` with ChatML's markers only gets ChatML, not Llama 3.
    let header = vocabulary("llama", &["<|im_start|>", "<|im_end|>"], 1, 1);
    let v = Vocabulary::from_header(&header).unwrap();
    assert_eq!(
        fit::choose_default(&v, "llama").unwrap().template.name,
        "chatml"
    );
}

fn chatml() -> DefaultTemplate {
    *defaults::ALL.iter().find(|t| t.name == "chatml").unwrap()
}

#[test]
fn the_chatml_default_converts_qwens_tool_calling() {
    // What a Qwen-based GGUF without a chat template (RuvLTRA among them) gets: tools listed
    // in the system turn, calls in `<tool_call>`, results in `<tool_response>`.
    let default = chatml();
    let input = ConvertInput {
        eos_token: "<|im_end|>",
        ..ConvertInput::new(default.jinja)
    };
    let conversion = convert(&input).unwrap();
    let tools = &conversion.report.tools;
    assert!(
        tools.equivalent()
            && tools.mismatches.is_empty()
            && tools.conversations == suite::conversations_of(SuiteKind::Tools).len(),
        "{}",
        conversion.report
    );
    assert!(
        conversion.template.contains("json $tool"),
        "{}",
        conversion.template
    );
    assert_eq!(conversion.tool_call_tag.as_deref(), Some("<tool_call>\n"));
}
