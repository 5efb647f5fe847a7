//! A LoRA adapter GGUF as llama.cpp's `convert_lora_to_gguf.py` writes one, made with the
//! crate's own `GgufWriter`: the base's architecture, `general.type = adapter`,
//! `adapter.type = lora`, `adapter.lora.alpha`, and `.lora_a`/`.lora_b` tensor pairs
//! (zeros, rank 4).
#![allow(dead_code)]

use ruvltra_export::gguf::{GgmlType, GgufWriter, Value};

/// The adapter's bytes, for a base model of architecture `arch` (the fixtures are `qwen2`).
pub fn lora_adapter(arch: &str) -> Vec<u8> {
    let s = |v: &str| Value::String(v.to_owned());
    let mut w = GgufWriter::new();
    w.set("general.architecture", s(arch));
    w.set("general.type", s("adapter"));
    w.set("general.name", s("RuvLTRA Small 0.5B SQL LoRA"));
    w.set("adapter.type", s("lora"));
    w.set("adapter.lora.alpha", Value::F32(16.0));
    for (name, shape) in [
        ("blk.0.attn_q.weight.lora_a", [256u64, 4]),
        ("blk.0.attn_q.weight.lora_b", [4, 256]),
    ] {
        let elements: u64 = shape.iter().product();
        w.add_tensor(
            name,
            shape.to_vec(),
            GgmlType::F32,
            vec![0; elements as usize * 4],
        )
        .unwrap();
    }
    let mut out = Vec::new();
    w.write_to(&mut out).unwrap();
    out
}
