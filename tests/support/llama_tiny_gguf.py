"""Writes the smallest GGUF that llama.cpp can load and run: a 2-layer llama-architecture model
with 64-wide F32 tensors, a SentencePiece-style vocabulary of special, byte and word tokens, and
NO `tokenizer.chat_template`, so a test can prove where llama-server takes its template from.

Usage: python llama_tiny_gguf.py OUT.gguf
The weights are a fixed pseudo-random pattern: the file is the same on every run.
"""

import sys

import numpy as np
from gguf import GGUFWriter, TokenType

N_EMBD = 64
N_HEAD = 4
N_HEAD_KV = 4
N_FF = 128
N_LAYER = 2
N_CTX = 512
WORDS = ["hello", "world", "the", "a", "is", "model", "tiny", "user", "assistant", "system"]


def vocabulary():
    tokens = ["<unk>", "<s>", "</s>"]
    types = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    # SentencePiece byte fallback: llama.cpp looks up `<0x0A>` for the newline token at load.
    for byte in range(256):
        tokens.append(f"<0x{byte:02X}>")
        types.append(TokenType.BYTE)
    for word in WORDS:
        tokens.append("\u2581" + word)
        types.append(TokenType.NORMAL)
    scores = [0.0] * len(tokens)
    for i, _ in enumerate(WORDS):
        scores[len(tokens) - len(WORDS) + i] = -float(i + 1)
    return tokens, scores, types


def main(out):
    rng = np.random.default_rng(11434)

    def weight(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    tokens, scores, types = vocabulary()
    n_vocab = len(tokens)

    writer = GGUFWriter(out, "llama")
    writer.add_name("ruvltra-export tiny test model")
    writer.add_file_type(0)  # all F32
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)

    # numpy shapes are ggml's dimensions reversed: ne = [n_embd, n_vocab] is (n_vocab, n_embd).
    writer.add_tensor("token_embd.weight", weight(n_vocab, N_EMBD))
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor("output.weight", weight(n_vocab, N_EMBD))
    for i in range(N_LAYER):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.attn_q.weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(f"blk.{i}.attn_k.weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(f"blk.{i}.attn_v.weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(f"blk.{i}.attn_output.weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weight(N_FF, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(N_FF, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(N_EMBD, N_FF))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main(sys.argv[1])
