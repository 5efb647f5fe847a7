//! A GGUF with a 262,144-token vocabulary (the size of Gemma 3's), shared by the remote-header
//! bound in `tests/hub_client.rs` and by `examples/gguf_header_bench.rs` (through `#[path]`),
//! so the benchmark measures the file the test holds to its bound.

// Each user takes the layouts it needs.
#![allow(dead_code)]

use ruvltra_export::gguf::{Array, GgufWriter, StringArray, Value};

/// Tokens in the vocabulary.
pub const VOCAB: usize = 262_144;

/// What follows the per-token arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merges {
    /// Nothing: a SentencePiece vocabulary, laid out as Gemma 3's.
    None,
    /// One merge per token, as BPE has them: each merge makes its token, so it is that
    /// token's text split in two.
    OneToken,
    /// One merge per token joining token `i` and token `i + 1` (the header benchmark's file:
    /// longer merges than real ones).
    TwoTokens,
}

/// A deterministic pseudo-random token: 2 to 13 letters, unique by its index suffix.
pub fn token(i: usize) -> String {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let len = 2 + (x % 12) as usize;
    let mut s = String::with_capacity(len + 8);
    for _ in 0..len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.push(char::from(b'a' + (x >> 59) as u8 % 26));
    }
    s.push_str(&i.to_string());
    s
}

/// The metadata, in llama.cpp's order: general facts, the token list, one 4-byte value per
/// token (`scores`, `token_type`), the merges, the end-of-sequence id. No tensors.
pub fn vocabulary_writer(merges: Merges) -> GgufWriter {
    let tokens: Vec<String> = (0..VOCAB).map(token).collect();
    let mut w = GgufWriter::new();
    w.set("general.architecture", Value::String("gemma3".into()));
    w.set(
        "general.name",
        Value::String("Bench 262k vocabulary".into()),
    );
    w.set("general.file_type", Value::U32(15));
    w.set("gemma3.context_length", Value::U32(131_072));
    w.set("tokenizer.ggml.model", Value::String("llama".into()));
    w.set(
        "tokenizer.ggml.tokens",
        Value::Array(Array::String(
            tokens.iter().map(String::as_str).collect::<StringArray>(),
        )),
    );
    w.set(
        "tokenizer.ggml.scores",
        Value::Array(Array::F32((0..VOCAB).map(|i| -(i as f32)).collect())),
    );
    w.set(
        "tokenizer.ggml.token_type",
        Value::Array(Array::I32(
            (0..VOCAB).map(|i| if i < 3 { 3 } else { 1 }).collect(),
        )),
    );
    let merges: Vec<String> = match merges {
        Merges::None => Vec::new(),
        Merges::OneToken => tokens
            .iter()
            .map(|text| format!("{} {}", &text[..1], &text[1..]))
            .collect(),
        Merges::TwoTokens => (0..VOCAB)
            .map(|i| format!("{} {}", token(i), token(i + 1)))
            .collect(),
    };
    if !merges.is_empty() {
        w.set(
            "tokenizer.ggml.merges",
            Value::Array(Array::String(
                merges.iter().map(String::as_str).collect::<StringArray>(),
            )),
        );
    }
    w.set("tokenizer.ggml.eos_token_id", Value::U32(1));
    w
}

/// The names of 312 block tensors (26 blocks of Gemma 3's 12), for the tensor infos.
pub fn block_tensor_names() -> impl Iterator<Item = String> {
    (0..26).flat_map(|block| {
        [
            "attn_norm",
            "attn_q",
            "attn_k",
            "attn_v",
            "attn_output",
            "ffn_norm",
            "ffn_gate",
            "ffn_up",
            "ffn_down",
            "post_attention_norm",
            "post_ffw_norm",
            "attn_q_norm",
        ]
        .map(move |name| format!("blk.{block}.{name}.weight"))
    })
}
