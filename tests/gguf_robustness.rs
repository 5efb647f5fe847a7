//! The reader on bad input: truncated, bit-flipped and random bytes, read whole, in tiny
//! pieces and with or without the file length. It must return (no panic, no hang), memory it
//! keeps must stay proportional to the input, and a truncated prefix must say how much more
//! it needs, so that fetching that much eventually parses the file.
//!
//! Proptest runs a fixed number of cases so CI time stays bounded.

use std::io::Read;

use proptest::prelude::*;
use ruvltra_export::gguf::{
    Array, ByteOrder, GgmlType, GgufHeader, GgufWriter, HeaderErrorKind, StringArray, Value,
};

/// A valid file exercising every value type, arrays, nesting and tensors.
fn sample(order: ByteOrder, version: u32) -> Vec<u8> {
    let mut w = GgufWriter::new().byte_order(order).version(version);
    w.set("general.architecture", Value::String("qwen2".into()));
    w.set("general.alignment", Value::U32(64));
    w.set("a.u8", Value::U8(1));
    w.set("a.i8", Value::I8(-1));
    w.set("a.u16", Value::U16(2));
    w.set("a.i16", Value::I16(-2));
    w.set("a.u32", Value::U32(3));
    w.set("a.i32", Value::I32(-3));
    w.set("a.f32", Value::F32(1.5));
    w.set("a.bool", Value::Bool(true));
    w.set("a.u64", Value::U64(4));
    w.set("a.i64", Value::I64(-4));
    w.set("a.f64", Value::F64(2.5));
    let tokens: StringArray = (0..40)
        .map(|i| format!("tok{i}"))
        .collect::<Vec<_>>()
        .iter()
        .map(String::as_str)
        .collect();
    w.set("tokenizer.ggml.tokens", Value::Array(Array::String(tokens)));
    w.set(
        "a.scores",
        Value::Array(Array::F32((0..40).map(|i| i as f32).collect())),
    );
    w.set(
        "a.nested",
        Value::Array(Array::Array(vec![
            Array::U16(vec![1, 2]),
            Array::Bool(vec![true]),
        ])),
    );
    w.add_tensor("t.weight", vec![32, 2], GgmlType::Q8_0, vec![7; 68])
        .expect("tensor");
    w.add_tensor("t.bias", vec![2], GgmlType::F32, vec![0; 8])
        .expect("tensor");
    let mut out = Vec::new();
    w.write_to(&mut out).expect("write");
    out
}

fn samples() -> Vec<Vec<u8>> {
    vec![
        sample(ByteOrder::Little, 3),
        sample(ByteOrder::Big, 3),
        sample(ByteOrder::Little, 1),
    ]
}

/// A reader that hands out at most `step` bytes per call, like a slow network stream.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.len().min(buf.len()).min(self.step);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Heap memory the parsed header keeps for its values.
fn kept_bytes(header: &GgufHeader) -> usize {
    header
        .metadata()
        .entries()
        .iter()
        .map(|e| e.key().len() + e.value().heap_size())
        .sum()
}

/// Parses `bytes` every way and checks the invariants that hold for any input.
fn check_any(bytes: &[u8], step: usize) {
    let len = bytes.len() as u64;
    for file_len in [Some(len), None] {
        let whole = GgufHeader::read(bytes, file_len);
        let trickled = GgufHeader::read(Trickle { data: bytes, step }, file_len);
        match (&whole, &trickled) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "chunking changed the result");
                // Memory kept is proportional to the input: arrays grow at most 2x what they
                // hold, and their elements are never larger in memory than in the file
                // except nested arrays (32 bytes for a 12-byte inner header).
                assert!(
                    kept_bytes(a) <= 6 * bytes.len() + 4096,
                    "kept {} bytes for a {len}-byte input",
                    kept_bytes(a)
                );
                assert!(a.data_offset() <= len.div_ceil(a.alignment()) * a.alignment());
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "chunking changed the error");
                if let Some(needed) = a.bytes_needed() {
                    assert!(
                        needed > len,
                        "truncated at {len} but claims {needed} suffice"
                    );
                }
            }
            _ => panic!("whole and trickled reads disagree: {whole:?} vs {trickled:?}"),
        }
    }
}

/// The remote-reader loop: start with a small prefix, fetch `bytes_needed` (at least double)
/// until the header parses. Must finish with the full header in a few rounds.
fn fetch_until_parsed(file: &[u8], first: usize) -> GgufHeader {
    let total = file.len() as u64;
    let mut have = first.min(file.len());
    for _ in 0..64 {
        match GgufHeader::read(&file[..have], Some(total)) {
            Ok(h) => return h,
            Err(err) => {
                let needed = err
                    .bytes_needed()
                    .unwrap_or_else(|| panic!("prefix {have}: {err}"));
                assert!(
                    needed > have as u64,
                    "no progress at {have}: needs {needed}"
                );
                assert!(needed <= total, "needs {needed} of a {total}-byte file");
                have = (needed as usize).max(have * 2).min(file.len());
            }
        }
    }
    panic!("did not converge");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn truncated(which in 0usize..3, cut_frac in 0.0f64..1.0, step in 1usize..9) {
        let file = &samples()[which];
        let cut = (file.len() as f64 * cut_frac) as usize;
        check_any(&file[..cut], step);
        let full = GgufHeader::read(&file[..], Some(file.len() as u64)).expect("sample reads");
        // A prefix with the true file length: truncated (or complete once past the header).
        match GgufHeader::read(&file[..cut], Some(file.len() as u64)) {
            Ok(h) => prop_assert_eq!(h, full.clone()),
            Err(e) => prop_assert!(matches!(e.kind(), HeaderErrorKind::Truncated { .. }), "{}", e),
        }
        prop_assert_eq!(fetch_until_parsed(file, cut.max(1)), full);
    }

    #[test]
    fn bit_flips(which in 0usize..3, flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..8), step in 1usize..9) {
        let mut file = samples()[which].clone();
        for (index, bit) in flips {
            let i = index.index(file.len());
            file[i] ^= 1 << bit;
        }
        check_any(&file, step);
    }

    #[test]
    fn random_after_magic(version in prop::sample::select(vec![1u32, 2, 3, 0x0300_0000]), body in proptest::collection::vec(any::<u8>(), 0..512), step in 1usize..9) {
        let mut file = b"GGUF".to_vec();
        file.extend(version.to_le_bytes());
        file.extend(body);
        check_any(&file, step);
    }

    #[test]
    fn random_bytes(file in proptest::collection::vec(any::<u8>(), 0..256)) {
        check_any(&file, 3);
    }
}

/// A header claiming a huge array: it must fail fast on the count or the missing bytes,
/// without reserving memory for the claimed elements (that would abort the test process).
fn huge_count(element_type: u32) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(0u64.to_le_bytes());
    b.extend(1u64.to_le_bytes());
    b.extend(1u64.to_le_bytes());
    b.push(b'k');
    b.extend(9u32.to_le_bytes());
    b.extend(element_type.to_le_bytes());
    b.extend((1u64 << 60).to_le_bytes());
    b.extend([0u8; 64]);
    b
}

#[test]
fn huge_counts_do_not_allocate() {
    for element_type in 0..13u32 {
        let bytes = huge_count(element_type);
        let len = bytes.len() as u64;
        let known = GgufHeader::read(&bytes[..], Some(len)).unwrap_err();
        assert!(
            matches!(known.kind(), HeaderErrorKind::TooLarge { .. }),
            "type {element_type}: {known}"
        );
        assert_eq!(known.offset(), 41, "the error points at the array length");
        // Without a file length: read as far as bytes arrive, then "truncated".
        let unknown = GgufHeader::read(&bytes[..], None).unwrap_err();
        assert!(
            unknown.bytes_needed().is_some_and(|n| n > len),
            "type {element_type}: {unknown}"
        );
        // A lying file length (a remote server can claim anything) is no reason to allocate.
        let lying = GgufHeader::read(&bytes[..], Some(u64::MAX / 2)).unwrap_err();
        assert!(
            lying.bytes_needed().is_some()
                || matches!(lying.kind(), HeaderErrorKind::TooLarge { .. }),
            "type {element_type}: {lying}"
        );
    }
}

#[test]
fn lfs_pointer_is_named() {
    let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 397\n";
    let err = GgufHeader::read(&pointer[..], Some(pointer.len() as u64))
        .unwrap_err()
        .with_path("m.gguf");
    let text = err.to_string();
    assert!(
        text.starts_with("`m.gguf`: not a GGUF file at byte 0"),
        "{text}"
    );
    assert!(text.contains("git lfs pull"), "{text}");
}
