//! The GGUF fixtures in `fixtures/`: small, real GGUF files standing in for the RuvLTRA family
//! (`ruv/ruvltra`), written by our own [`GgufWriter`] so they can be regenerated.
//!
//! Each is a Qwen2 model as llama.cpp would write it for the published quant: Qwen 2.5
//! Instruct's ChatML template, a tiny byte-level vocabulary whose special tokens are Qwen
//! 2.5's (`<|endoftext|>` 151643 is bos and padding, `<|im_end|>` the eos), `add_bos_token`
//! false, and tensors with Qwen2's names and the ggml types the quant uses, scaled down
//! (embedding 256, one or two blocks) so each file stays a few hundred KB. Metadata describes
//! the published models (size label, context length 32768); the tensors are zeros.
//!
//! Shared by `examples/make_fixtures.rs` (which writes them) and the tests (which check the
//! checked-in bytes equal freshly generated ones). Everything is deterministic.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ruvltra_export::gguf::{Array, GgmlType, GgufWriter, StringArray, Value};

/// One fixture file: where it goes under `fixtures/` and its bytes.
pub struct Fixture {
    /// Path relative to `fixtures/`.
    pub path: PathBuf,
    /// The whole GGUF file.
    pub bytes: Vec<u8>,
}

/// The quant of a fixture, which decides `general.file_type` and the tensor types.
#[derive(Clone, Copy)]
enum Quant {
    Q4KM,
    Q8_0,
}

struct Model {
    file: &'static str,
    name: &'static str,
    finetune: &'static str,
    size_label: &'static str,
    blocks: u64,
    quant: Quant,
    chat_template: bool,
}

const MODELS: &[Model] = &[
    Model {
        file: "ruvltra-claude-code-0.5b-q4_k_m.gguf",
        name: "RuvLTRA Claude Code 0.5B",
        finetune: "claude-code",
        size_label: "0.5B",
        blocks: 1,
        quant: Quant::Q4KM,
        chat_template: true,
    },
    Model {
        file: "ruvltra-small-0.5b-q4_k_m.gguf",
        name: "RuvLTRA Small 0.5B",
        finetune: "small",
        size_label: "0.5B",
        blocks: 1,
        quant: Quant::Q4KM,
        chat_template: true,
    },
    Model {
        file: "ruvltra-small-0.5b-q8_0.gguf",
        name: "RuvLTRA Small 0.5B",
        finetune: "small",
        size_label: "0.5B",
        blocks: 1,
        quant: Quant::Q8_0,
        chat_template: true,
    },
    Model {
        file: "ruvltra-medium-1.1b-q4_k_m.gguf",
        name: "RuvLTRA Medium 1.1B",
        finetune: "medium",
        size_label: "1.1B",
        blocks: 2,
        quant: Quant::Q4KM,
        chat_template: true,
    },
    Model {
        file: "ruvltra-medium-1.1b-q8_0.gguf",
        name: "RuvLTRA Medium 1.1B",
        finetune: "medium",
        size_label: "1.1B",
        blocks: 2,
        quant: Quant::Q8_0,
        chat_template: true,
    },
    Model {
        file: "no-template/ruvltra-small-0.5b-q4_k_m.gguf",
        name: "RuvLTRA Small 0.5B",
        finetune: "small",
        size_label: "0.5B",
        blocks: 1,
        quant: Quant::Q4KM,
        chat_template: false,
    },
];

const EMBEDDING: u64 = 256;
const FEED_FORWARD: u64 = 256;
const HEADS: u64 = 4;
const KV_HEADS: u64 = 2;
const HEAD_DIM: u64 = EMBEDDING / HEADS;
const CONTEXT_LENGTH: u32 = 32768;

/// Qwen 2.5's special tokens. Their real ids are 151643..151645; here they sit at the end of
/// the small vocabulary, since a token id must index `tokenizer.ggml.tokens`.
const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// The Qwen 2.5 Instruct chat template, from the shared corpus.
pub fn qwen25_template(corpus: &Path) -> String {
    let path = corpus.join("chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the Qwen 2.5 template at {}: {e}",
            path.display()
        )
    })
}

/// A GPT-2 style byte-level vocabulary: printable ASCII with `Ġ` for a leading space, a few
/// merges, then Qwen 2.5's special tokens.
fn vocabulary() -> (StringArray, Vec<i32>, StringArray) {
    let mut tokens: Vec<String> = (b'!'..=b'~').map(|b| char::from(b).to_string()).collect();
    tokens.push("Ġ".to_owned());
    let merges = ["Ġ t", "h e", "Ġt he", "i n", "e r", "a n", "Ġ a", "o n"];
    for merge in merges {
        tokens.push(merge.replace(' ', ""));
    }
    let normal = tokens.len();
    tokens.extend(SPECIALS.iter().map(|s| (*s).to_owned()));
    // token_type: 1 normal, 3 control (gguf-py's TokenType).
    let types = (0..tokens.len())
        .map(|i| if i < normal { 1 } else { 3 })
        .collect();
    (
        tokens.iter().map(String::as_str).collect(),
        types,
        merges.into_iter().collect(),
    )
}

fn zeros(ggml_type: GgmlType, shape: &[u64]) -> Vec<u8> {
    let elements: u64 = shape.iter().product();
    let size = ggml_type
        .data_size(elements)
        .unwrap_or_else(|| panic!("{ggml_type} cannot hold {elements} elements"));
    vec![0; size as usize]
}

fn tensor(w: &mut GgufWriter, name: &str, shape: &[u64], ggml_type: GgmlType) {
    w.add_tensor(name, shape.to_vec(), ggml_type, zeros(ggml_type, shape))
        .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"));
}

fn model(m: &Model, template: &str) -> Vec<u8> {
    let (tokens, token_types, merges) = vocabulary();
    let vocab = tokens.len() as u64;
    let id = |s: &str| {
        tokens
            .iter()
            .position(|t| t == s)
            .map(|i| i as u32)
            .unwrap_or_else(|| panic!("{s} is not in the fixture vocabulary"))
    };
    let (endoftext, im_end) = (id("<|endoftext|>"), id("<|im_end|>"));
    let s = |v: &str| Value::String(v.to_owned());
    let strings = |v: &[&str]| Value::Array(Array::String(v.iter().copied().collect()));

    let mut w = GgufWriter::new();
    w.set("general.architecture", s("qwen2"));
    w.set("general.type", s("model"));
    w.set("general.name", s(m.name));
    w.set("general.basename", s("ruvltra"));
    w.set("general.finetune", s(m.finetune));
    w.set("general.size_label", s(m.size_label));
    w.set("general.license", s("apache-2.0"));
    w.set("general.base_model.count", Value::U32(1));
    w.set("general.base_model.0.name", s("Qwen2.5 0.5B Instruct"));
    w.set("general.base_model.0.organization", s("Qwen"));
    w.set(
        "general.base_model.0.repo_url",
        s("https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct"),
    );
    w.set("general.tags", strings(&["ruvltra", "text-generation"]));
    w.set("general.languages", strings(&["en"]));
    w.set("qwen2.block_count", Value::U32(m.blocks as u32));
    w.set("qwen2.context_length", Value::U32(CONTEXT_LENGTH));
    w.set("qwen2.embedding_length", Value::U32(EMBEDDING as u32));
    w.set("qwen2.feed_forward_length", Value::U32(FEED_FORWARD as u32));
    w.set("qwen2.attention.head_count", Value::U32(HEADS as u32));
    w.set("qwen2.attention.head_count_kv", Value::U32(KV_HEADS as u32));
    w.set("qwen2.rope.freq_base", Value::F32(1_000_000.0));
    w.set("qwen2.attention.layer_norm_rms_epsilon", Value::F32(1e-6));
    let file_type = match m.quant {
        Quant::Q4KM => 15,
        Quant::Q8_0 => 7,
    };
    w.set("general.file_type", Value::U32(file_type));
    w.set("tokenizer.ggml.model", s("gpt2"));
    w.set("tokenizer.ggml.pre", s("qwen2"));
    w.set(
        "tokenizer.ggml.tokens",
        Value::Array(Array::String(tokens.clone())),
    );
    w.set(
        "tokenizer.ggml.token_type",
        Value::Array(Array::I32(token_types)),
    );
    w.set("tokenizer.ggml.merges", Value::Array(Array::String(merges)));
    w.set("tokenizer.ggml.eos_token_id", Value::U32(im_end));
    w.set("tokenizer.ggml.padding_token_id", Value::U32(endoftext));
    w.set("tokenizer.ggml.bos_token_id", Value::U32(endoftext));
    w.set("tokenizer.ggml.add_bos_token", Value::Bool(false));
    if m.chat_template {
        w.set("tokenizer.chat_template", s(template));
    }
    w.set("general.quantization_version", Value::U32(2));

    // llama.cpp's Q4_K_M keeps the (tied) embeddings, attn_v and ffn_down in Q6_K and the
    // other matrices in Q4_K; Q8_0 quantizes every matrix to Q8_0. Norms and biases stay F32.
    let (embd, matrix, more_bits) = match m.quant {
        Quant::Q4KM => (GgmlType::Q6_K, GgmlType::Q4_K, GgmlType::Q6_K),
        Quant::Q8_0 => (GgmlType::Q8_0, GgmlType::Q8_0, GgmlType::Q8_0),
    };
    let kv = KV_HEADS * HEAD_DIM;
    tensor(&mut w, "token_embd.weight", &[EMBEDDING, vocab], embd);
    for b in 0..m.blocks {
        let t = |name: &str| format!("blk.{b}.{name}");
        tensor(&mut w, &t("attn_norm.weight"), &[EMBEDDING], GgmlType::F32);
        tensor(&mut w, &t("attn_q.weight"), &[EMBEDDING, EMBEDDING], matrix);
        tensor(&mut w, &t("attn_q.bias"), &[EMBEDDING], GgmlType::F32);
        tensor(&mut w, &t("attn_k.weight"), &[EMBEDDING, kv], matrix);
        tensor(&mut w, &t("attn_k.bias"), &[kv], GgmlType::F32);
        tensor(&mut w, &t("attn_v.weight"), &[EMBEDDING, kv], more_bits);
        tensor(&mut w, &t("attn_v.bias"), &[kv], GgmlType::F32);
        tensor(
            &mut w,
            &t("attn_output.weight"),
            &[EMBEDDING, EMBEDDING],
            matrix,
        );
        tensor(&mut w, &t("ffn_norm.weight"), &[EMBEDDING], GgmlType::F32);
        tensor(
            &mut w,
            &t("ffn_gate.weight"),
            &[EMBEDDING, FEED_FORWARD],
            matrix,
        );
        tensor(
            &mut w,
            &t("ffn_up.weight"),
            &[EMBEDDING, FEED_FORWARD],
            matrix,
        );
        tensor(
            &mut w,
            &t("ffn_down.weight"),
            &[FEED_FORWARD, EMBEDDING],
            more_bits,
        );
    }
    tensor(&mut w, "output_norm.weight", &[EMBEDDING], GgmlType::F32);

    let mut bytes = Vec::new();
    w.write_to(&mut bytes)
        .unwrap_or_else(|e| panic!("writing fixture {}: {e}", m.file));
    bytes
}

/// The multimodal projector fixture, relative to `fixtures/`.
pub const MMPROJ: &str = "mmproj/ruvltra-small-0.5b-mmproj-f16.gguf";

/// A tiny mmproj GGUF as llama.cpp's converter writes one: `general.type = mmproj`,
/// architecture `clip` with a vision encoder, and one zero F32 patch-embedding tensor.
fn mmproj() -> Vec<u8> {
    let s = |v: &str| Value::String(v.to_owned());
    let mut w = GgufWriter::new();
    w.set("general.architecture", s("clip"));
    w.set("general.type", s("mmproj"));
    w.set("general.name", s("RuvLTRA Small 0.5B projector"));
    w.set("general.file_type", Value::U32(1));
    w.set("clip.has_vision_encoder", Value::Bool(true));
    w.set("clip.projector_type", s("mlp"));
    w.set("clip.vision.image_size", Value::U32(16));
    w.set("clip.vision.patch_size", Value::U32(8));
    w.set("clip.vision.embedding_length", Value::U32(16));
    tensor(&mut w, "v.patch_embd.weight", &[8, 8, 3, 16], GgmlType::F32);
    let mut bytes = Vec::new();
    w.write_to(&mut bytes)
        .unwrap_or_else(|e| panic!("writing fixture {MMPROJ}: {e}"));
    bytes
}

/// Every fixture, generated from scratch.
pub fn generate(corpus: &Path) -> Vec<Fixture> {
    let template = qwen25_template(corpus);
    let mut fixtures: Vec<Fixture> = MODELS
        .iter()
        .map(|m| Fixture {
            path: PathBuf::from(m.file),
            bytes: model(m, &template),
        })
        .collect();
    fixtures.push(Fixture {
        path: PathBuf::from(MMPROJ),
        bytes: mmproj(),
    });
    fixtures
}
