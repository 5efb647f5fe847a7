//! Every architecture default template converts to a verified Go template with the family's
//! end-of-turn marker in its stop list.

use ruvltra_export::template::convert::{ConvertInput, convert};
use ruvltra_export::template::defaults::{self, for_architecture};
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

#[test]
fn architectures_map_to_their_family() {
    for (arch, name) in [
        ("qwen2", "chatml"),
        ("qwen3", "chatml"),
        ("llama", "llama3"),
        ("gemma2", "gemma"),
        ("gemma3", "gemma"),
        ("phi3", "phi3"),
        ("mistral", "mistral"),
        ("command-r", "command-r"),
    ] {
        assert_eq!(for_architecture(arch).map(|d| d.name), Some(name), "{arch}");
    }
    assert_eq!(for_architecture("bert"), None);
}

#[test]
fn the_chatml_default_converts_qwens_tool_calling() {
    // What a Qwen-based GGUF without a chat template (RuvLTRA among them) gets: tools listed
    // in the system turn, calls in `<tool_call>`, results in `<tool_response>`.
    let default = for_architecture("qwen2").unwrap();
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
