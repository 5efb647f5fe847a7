//! Benchmark helper for the GGUF header reader (run by `scripts/bench/gguf-header.sh`).
//!
//! `gguf_header_bench write FILE` writes a GGUF with a 262,144-token vocabulary (tokens,
//! scores, token types and as many merges, like a large modern tokenizer) and 314 small
//! tensors; `write-spm FILE` the same without merges, laid out as Gemma 3's SentencePiece
//! vocabulary is (for `scripts/bench/remote-header.sh`). `gguf_header_bench read FILE [RUNS]`
//! reads its header RUNS times (default 20) and prints the fastest and median wall time; peak
//! memory is measured around it by the script.
//! `gguf_header_bench write-tensors FILE COUNT` writes a header with COUNT small F32 tensors
//! and no vocabulary (the `inspect --json` benchmark of `scripts/bench/inspect-json.sh`); the
//! tensor data is a hole, so the file takes no disk space for it.

use std::path::Path;
use std::time::Instant;

use ruvltra_export::gguf::{GgmlType, GgufHeader};

#[path = "../tests/support/large_vocab.rs"]
mod large_vocab;

use large_vocab::{Merges, block_tensor_names, vocabulary_writer};

fn write(path: &Path, merges: Merges) -> Result<(), Box<dyn std::error::Error>> {
    let mut w = vocabulary_writer(merges);
    for name in block_tensor_names() {
        w.add_tensor(name, vec![8], GgmlType::F32, vec![0; 32])?;
    }
    w.add_tensor("token_embd.weight", vec![8], GgmlType::F32, vec![0; 32])?;
    w.add_tensor("output_norm.weight", vec![8], GgmlType::F32, vec![0; 32])?;
    let len = w.write_to(std::io::BufWriter::new(std::fs::File::create(path)?))?;
    println!("wrote {} ({len} bytes)", path.display());
    Ok(())
}

/// A GGUF v3 header with `count` tensors `blk.N.ffn_down.weight`, shape `[8]`, F32, then a
/// sparse data section of the right length. Written byte by byte: the writer keeps tensor
/// data in memory, which is not what this measures.
fn write_tensors(path: &Path, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::new(&file);
    let string = |out: &mut std::io::BufWriter<&std::fs::File>, s: &str| {
        out.write_all(&(s.len() as u64).to_le_bytes())?;
        out.write_all(s.as_bytes())
    };
    out.write_all(b"GGUF")?;
    out.write_all(&3u32.to_le_bytes())?;
    out.write_all(&count.to_le_bytes())?;
    out.write_all(&1u64.to_le_bytes())?;
    string(&mut out, "general.architecture")?;
    out.write_all(&8u32.to_le_bytes())?;
    string(&mut out, "llama")?;
    for i in 0..count {
        string(&mut out, &format!("blk.{i}.ffn_down.weight"))?;
        out.write_all(&1u32.to_le_bytes())?;
        out.write_all(&8u64.to_le_bytes())?;
        out.write_all(&0u32.to_le_bytes())?;
        out.write_all(&(i * 32).to_le_bytes())?;
    }
    out.flush()?;
    drop(out);
    let header = file.metadata()?.len();
    let data_offset = header.div_ceil(32) * 32;
    file.set_len(data_offset + count * 32)?;
    println!(
        "wrote {} ({header} header bytes, {count} tensors)",
        path.display()
    );
    Ok(())
}

fn read(path: &Path, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(runs);
    let mut header = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let h = GgufHeader::read_path(path)?;
        times.push(start.elapsed());
        header = Some(h);
    }
    times.sort();
    let h = header.ok_or("no run")?;
    println!(
        "{}: {} keys, {} tokens, {} tensors, data offset {}",
        path.display(),
        h.metadata().len(),
        h.tokens().map_or(0, |t| t.len()),
        h.tensors().len(),
        h.data_offset()
    );
    println!(
        "header read over {} runs: fastest {:.1} ms, median {:.1} ms",
        times.len(),
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, file] if cmd == "write" => write(Path::new(file), Merges::TwoTokens),
        [cmd, file] if cmd == "write-spm" => write(Path::new(file), Merges::None),
        [cmd, file, count] if cmd == "write-tensors" => {
            write_tensors(Path::new(file), count.parse()?)
        }
        [cmd, file] if cmd == "read" => read(Path::new(file), 20),
        [cmd, file, runs] if cmd == "read" => read(Path::new(file), runs.parse()?),
        _ => Err(
            "usage: gguf_header_bench write FILE | write-spm FILE | write-tensors FILE COUNT | read FILE [RUNS]"
                .into(),
        ),
    }
}
