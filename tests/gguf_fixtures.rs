//! The checked-in fixtures: exactly what the generator writes, and saying what RuvLTRA's
//! published files say (Qwen2, ChatML, Qwen 2.5 special tokens, quant matching the name).

#[path = "support/gguf_fixtures.rs"]
mod gguf_fixtures;
mod support;

use ruvltra_export::gguf::{
    FileType, GgmlType, GgufHeader, ModelKind, Quant, check_quant, embed_template,
};

#[test]
fn checked_in_fixtures_equal_generated_bytes() {
    let fixtures = gguf_fixtures::generate(&support::corpus_dir());
    assert_eq!(fixtures.len(), 7);
    for fixture in fixtures {
        let path = support::root().join("fixtures").join(&fixture.path);
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            on_disk == fixture.bytes,
            "{} differs from the generator's output: run `cargo run --example make_fixtures`",
            path.display()
        );
    }
}

#[test]
fn fixtures_describe_ruvltra() {
    let template = gguf_fixtures::qwen25_template(&support::corpus_dir());
    for name in [
        "ruvltra-claude-code-0.5b-q4_k_m.gguf",
        "ruvltra-small-0.5b-q4_k_m.gguf",
        "ruvltra-small-0.5b-q8_0.gguf",
        "ruvltra-medium-1.1b-q4_k_m.gguf",
        "ruvltra-medium-1.1b-q8_0.gguf",
    ] {
        let h = GgufHeader::read_path(&support::root().join("fixtures").join(name))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.architecture(), Some("qwen2"), "{name}");
        assert_eq!(h.model_kind(), ModelKind::Model);
        assert_eq!(h.chat_template(), Some(template.as_str()), "{name}");
        assert_eq!(h.add_bos_token(), Some(false));
        assert_eq!(h.context_length(), Some(32768));
        assert_eq!((h.head_count(), h.head_count_kv()), (Some(4), Some(2)));
        assert_eq!(h.license(), Some("apache-2.0"));
        let specials = h.special_tokens();
        assert_eq!(
            specials.eos.and_then(|t| t.text).as_deref(),
            Some("<|im_end|>")
        );
        assert_eq!(
            specials.pad.and_then(|t| t.text).as_deref(),
            Some("<|endoftext|>")
        );
        let blocks = h.block_count().expect("block_count");
        let in_tensors = h
            .tensors()
            .iter()
            .filter(|t| t.name().ends_with("attn_q.weight"))
            .count();
        assert_eq!(
            blocks, in_tensors as u64,
            "{name}: block_count matches the tensors"
        );
        // The name's quant agrees with the header, and the tensors are that quant's types.
        let quant = Quant::from_file_name(name).expect("quant in name");
        assert_eq!(check_quant(quant, h.file_type()), None, "{name}");
        let types: Vec<GgmlType> = h
            .tensor_type_histogram()
            .iter()
            .map(|c| c.ggml_type)
            .collect();
        match h.file_type() {
            Some(FileType::Q4_K_M) => {
                assert_eq!(types, [GgmlType::F32, GgmlType::Q4_K, GgmlType::Q6_K])
            }
            Some(FileType::Q8_0) => assert_eq!(types, [GgmlType::F32, GgmlType::Q8_0]),
            other => panic!("{name}: unexpected file type {other:?}"),
        }
        let size = h.size_label().expect("size label");
        assert!(name.contains(&size.to_lowercase()), "{name} vs {size}");
    }
}

#[test]
fn no_template_fixture_has_none_until_embedded() {
    let src = support::root().join("fixtures/no-template/ruvltra-small-0.5b-q4_k_m.gguf");
    let h = GgufHeader::read_path(&src).expect("reads");
    assert_eq!(h.chat_template(), None);

    let template = gguf_fixtures::qwen25_template(&support::corpus_dir());
    let dir = tempfile::tempdir().expect("tempdir");
    let dst = dir.path().join("ruvltra-small-0.5b-q4_k_m.gguf");
    let report = embed_template(&src, &dst, &template).expect("embeds");
    assert!(!report.replaced);
    let with = GgufHeader::read_path(&dst).expect("reads");
    assert_eq!(with.chat_template(), Some(template.as_str()));
    // Same model otherwise: the fixture generator's templated twin has the same tensors.
    let twin =
        GgufHeader::read_path(&support::root().join("fixtures/ruvltra-small-0.5b-q4_k_m.gguf"))
            .expect("reads");
    assert_eq!(with.tensors(), twin.tensors());
    assert_eq!(with.data_offset(), report.data_offset);
}
