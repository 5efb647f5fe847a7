//! Our GGUF reader against the reference reader, llama.cpp's gguf-py (PyPI `gguf` 0.19,
//! `GGUFReader`), on real files: every key, type and value, every tensor info and the data
//! offset must agree.
//!
//! Files compared: the corpus written by llama.cpp, files written by gguf-py's `GGUFWriter`
//! (little- and big-endian, with tensors), v2 files made by patching their version field, and
//! our own fixtures. The reference output is cached under `target/` (see
//! `tests/support/gguf_reference.py`) because gguf-py takes seconds per large vocabulary.
//!
//! gguf-py reads only v2 and v3 and flattens nested arrays, so v1 files and nested arrays are
//! checked against hand-assembled bytes at the end of this file: no reference reader covers
//! them.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ruvltra_export::gguf::{Array, ByteOrder, GgufHeader, Value, ValueType};
use serde_json::Value as Json;

/// The work folder for generated files and the reference cache.
fn work_dir() -> PathBuf {
    support::root().join("target/gguf-conformance")
}

fn run_python(args: &[&str]) -> Json {
    let script = support::root().join("tests/support/gguf_reference.py");
    let out = Command::new(support::python())
        .arg(&script)
        .args(args)
        .output()
        .expect("run the reference reader");
    assert!(
        out.status.success(),
        "gguf_reference.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("reference output is JSON")
}

/// Files written by gguf-py's `GGUFWriter`, plus v2 copies made by patching the version.
fn writer_files() -> Vec<PathBuf> {
    let dir = work_dir().join("writer");
    let made = run_python(&["make", dir.to_str().expect("UTF-8 path")]);
    let mut paths: Vec<PathBuf> = made
        .as_array()
        .expect("a list of paths")
        .iter()
        .map(|p| PathBuf::from(p.as_str().expect("a path")))
        .collect();
    for v3 in paths.clone() {
        let mut bytes = std::fs::read(&v3).expect("read writer file");
        let header = GgufHeader::read(&bytes[..], Some(bytes.len() as u64)).expect("v3 reads");
        let two = match header.byte_order() {
            ByteOrder::Little => 2u32.to_le_bytes(),
            ByteOrder::Big => 2u32.to_be_bytes(),
        };
        bytes[4..8].copy_from_slice(&two);
        let v2 = v3.with_extension("v2.gguf");
        std::fs::write(&v2, &bytes).expect("write v2 copy");
        paths.push(v2);
    }
    paths
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = support::corpus_dir().join("gguf");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read corpus dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "gguf"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        10,
        "expected the 10 corpus GGUF files in {}",
        dir.display()
    );
    files
}

fn fixture_files() -> Vec<PathBuf> {
    let dir = support::root().join("fixtures");
    let mut files = Vec::new();
    for sub in [dir.clone(), dir.join("no-template"), dir.join("mmproj")] {
        for entry in std::fs::read_dir(&sub).expect("read fixtures") {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "gguf") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert_eq!(files.len(), 7, "expected 7 fixtures");
    files
}

struct Reference {
    corpus: Vec<PathBuf>,
    writer: Vec<PathBuf>,
    fixtures: Vec<PathBuf>,
    json: HashMap<PathBuf, Json>,
}

/// Runs the reference reader once per test run for every file (cached across runs).
fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let corpus = corpus_files();
        let writer = writer_files();
        let fixtures = fixture_files();
        let cache = work_dir().join("reference-cache");
        let mut args = vec!["dump".to_owned(), cache.display().to_string()];
        for p in corpus.iter().chain(&writer).chain(&fixtures) {
            args.push(p.display().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let map = run_python(&args);
        let json = map
            .as_object()
            .expect("a map of outputs")
            .iter()
            .map(|(path, out)| {
                let text = std::fs::read_to_string(out.as_str().expect("a path"))
                    .expect("read cached reference output");
                (
                    PathBuf::from(path),
                    serde_json::from_str(&text).expect("JSON"),
                )
            })
            .collect();
        Reference {
            corpus,
            writer,
            fixtures,
            json,
        }
    })
}

/// One element or scalar in the reference's JSON encoding.
fn scalar_matches(ty: ValueType, value: &Value, json: &Json) -> bool {
    match (ty, value) {
        (ValueType::F32, Value::F32(v)) => json["f32"].as_u64() == Some(u64::from(v.to_bits())),
        (ValueType::F64, Value::F64(v)) => json["f64"].as_u64() == Some(v.to_bits()),
        (ValueType::Bool, Value::Bool(v)) => json.as_bool() == Some(*v),
        (ValueType::String, Value::String(v)) => json.as_str() == Some(v.as_str()),
        (_, v) if v.value_type() == ty => match (v.as_i64(), v.as_u64()) {
            (_, Some(u)) => json.as_u64() == Some(u),
            (Some(i), None) => json.as_i64() == Some(i),
            (None, None) => false,
        },
        _ => false,
    }
}

fn compare(path: &Path, json: &Json) -> Vec<String> {
    let header = GgufHeader::read_path(path).unwrap_or_else(|e| panic!("{e}"));
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    check(
        json["version"] == header.version(),
        format!("version {} vs {}", header.version(), json["version"]),
    );
    let order = match header.byte_order() {
        ByteOrder::Little => "little",
        ByteOrder::Big => "big",
    };
    check(
        json["byte_order"] == order,
        format!("byte order {order} vs {}", json["byte_order"]),
    );
    check(
        json["alignment"] == header.alignment(),
        format!("alignment {} vs {}", header.alignment(), json["alignment"]),
    );
    check(
        json["data_offset"] == header.data_offset(),
        format!(
            "data offset {} vs {}",
            header.data_offset(),
            json["data_offset"]
        ),
    );

    let fields = json["fields"].as_array().expect("fields");
    let ours = header.metadata().entries();
    check(
        fields.len() == ours.len(),
        format!("{} keys vs {}", ours.len(), fields.len()),
    );
    for (entry, field) in ours.iter().zip(fields) {
        let key = entry.key();
        check(
            field["key"] == key,
            format!("key `{key}` vs {}", field["key"]),
        );
        check(
            field["offset"] == entry.offset(),
            format!("`{key}` offset {} vs {}", entry.offset(), field["offset"]),
        );
        let types: Vec<&str> = field["types"]
            .as_array()
            .expect("types")
            .iter()
            .filter_map(Json::as_str)
            .collect();
        let value = entry.value();
        match value {
            Value::Array(array) => {
                let ty = array.element_type();
                check(
                    types.first() == Some(&"ARRAY") && types.get(1) == Some(&ty.name()),
                    format!("`{key}` types {types:?} vs array of {ty}"),
                );
                if let Array::Array(_) = array {
                    // gguf-py flattens nested arrays (value null): checked by hand below.
                    continue;
                }
                let elems = field["value"].as_array().expect("array value");
                check(
                    elems.len() == array.len(),
                    format!("`{key}` has {} elements vs {}", array.len(), elems.len()),
                );
                let mismatched = elems
                    .iter()
                    .enumerate()
                    .find(|(i, e)| !array.get(*i).is_some_and(|v| scalar_matches(ty, &v, e)));
                if let Some((i, e)) = mismatched {
                    check(false, format!("`{key}`[{i}] = {:?} vs {e}", array.get(i)));
                }
            }
            scalar => {
                let ty = scalar.value_type();
                check(
                    types == [ty.name()],
                    format!("`{key}` type {ty} vs {types:?}"),
                );
                check(
                    scalar_matches(ty, scalar, &field["value"]),
                    format!("`{key}` = {scalar:?} vs {}", field["value"]),
                );
            }
        }
    }

    let tensors = json["tensors"].as_array().expect("tensors");
    check(
        tensors.len() == header.tensors().len(),
        format!("{} tensors vs {}", header.tensors().len(), tensors.len()),
    );
    for (t, r) in header.tensors().iter().zip(tensors) {
        let shape: Vec<u64> = r["shape"]
            .as_array()
            .expect("shape")
            .iter()
            .filter_map(Json::as_u64)
            .collect();
        check(
            r["name"] == t.name(),
            format!("tensor `{}` vs {}", t.name(), r["name"]),
        );
        check(
            shape == t.shape(),
            format!("`{}` shape {:?} vs {shape:?}", t.name(), t.shape()),
        );
        check(
            r["type"] == t.ggml_type().to_u32(),
            format!("`{}` type {} vs {}", t.name(), t.ggml_type(), r["type"]),
        );
        check(
            r["offset"] == t.offset(),
            format!("`{}` offset {} vs {}", t.name(), t.offset(), r["offset"]),
        );
    }
    problems
}

fn assert_all_match(files: &[PathBuf]) {
    let reference = reference();
    let mut failures = Vec::new();
    for path in files {
        let json = reference
            .json
            .get(path)
            .unwrap_or_else(|| panic!("no reference output for {}", path.display()));
        let problems = compare(path, json);
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", path.display(), problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "differences from gguf-py:\n{}",
        failures.join("\n")
    );
}

#[test]
fn corpus_matches_reference() {
    assert_all_match(&reference().corpus);
}

#[test]
fn gguf_py_writer_files_match_reference() {
    let files = &reference().writer;
    assert_eq!(files.len(), 4, "LE and BE, v3 and v2");
    let orders: Vec<ByteOrder> = files
        .iter()
        .map(|p| GgufHeader::read_path(p).expect("reads").byte_order())
        .collect();
    assert!(orders.contains(&ByteOrder::Big) && orders.contains(&ByteOrder::Little));
    assert_all_match(files);
}

#[test]
fn fixtures_match_reference() {
    assert_all_match(&reference().fixtures);
}

#[test]
fn comparison_notices_differences() {
    // The comparison itself must be able to fail: a file against another file's output.
    let r = reference();
    let (le, be) = (&r.writer[0], &r.writer[1]);
    let problems = compare(le, &r.json[be]);
    assert!(
        problems.iter().any(|p| p.starts_with("byte order")),
        "{problems:?}"
    );
    let (small, medium) = (&r.fixtures[2], &r.fixtures[0]);
    let problems = compare(small, &r.json[medium]);
    assert!(
        !problems.is_empty(),
        "{} vs {}",
        small.display(),
        medium.display()
    );
}

/// Little helpers to hand-assemble GGUF bytes.
struct Bytes {
    out: Vec<u8>,
    big: bool,
    v1: bool,
}

impl Bytes {
    fn new(version: u32, big: bool) -> Bytes {
        let mut b = Bytes {
            out: b"GGUF".to_vec(),
            big,
            v1: version == 1,
        };
        b.u32(version);
        b
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        let bytes = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend(bytes);
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        let bytes = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend(bytes);
        self
    }
    fn len(&mut self, v: u64) -> &mut Self {
        if self.v1 {
            self.u32(v as u32)
        } else {
            self.u64(v)
        }
    }
    fn str(&mut self, s: &str) -> &mut Self {
        self.len(s.len() as u64);
        self.out.extend(s.as_bytes());
        self
    }
}

#[test]
fn v1_files_by_hand() {
    // No reference reader covers GGUF v1 (gguf-py reads v2+): 32-bit counts, lengths and dims.
    for big in [false, true] {
        let mut b = Bytes::new(1, big);
        b.len(1).len(2); // one tensor, two pairs
        b.str("general.architecture").u32(8).str("llama");
        b.str("tokenizer.ggml.tokens")
            .u32(9)
            .u32(8)
            .len(2)
            .str("<s>")
            .str("é");
        b.str("output.weight").u32(2).len(32).len(2).u32(8).u64(0);
        let header_len = b.out.len() as u64;
        b.out.resize(header_len.div_ceil(32) as usize * 32 + 68, 0);
        let h = GgufHeader::read(&b.out[..], Some(b.out.len() as u64)).expect("v1 reads");
        assert_eq!(h.version(), 1);
        assert_eq!(
            h.byte_order(),
            if big {
                ByteOrder::Big
            } else {
                ByteOrder::Little
            }
        );
        assert_eq!(h.architecture(), Some("llama"));
        assert_eq!(
            h.tokens().map(|t| t.iter().collect::<Vec<_>>()),
            Some(vec!["<s>", "é"])
        );
        let t = &h.tensors()[0];
        assert_eq!(
            (t.name(), t.shape(), t.ggml_type().name()),
            ("output.weight", &[32, 2][..], Some("Q8_0"))
        );
        assert_eq!(h.data_offset(), header_len.div_ceil(32) * 32);
        assert_eq!(h.parameter_count(), 64);
    }
}

#[test]
fn nested_arrays_by_hand() {
    // gguf-py flattens nested arrays, so no reference reader covers them.
    let mut b = Bytes::new(3, false);
    b.u64(0).u64(1);
    b.str("test.nested").u32(9).u32(9).u64(3);
    b.u32(5).u64(2).u32(u32::MAX - 1).u32(7); // [i32; 2] = [-2, 7]
    b.u32(8).u64(1).str("x"); // [string; 1]
    b.u32(9).u64(1).u32(0).u64(0); // [[u8; 0]]
    let h = GgufHeader::read(&b.out[..], Some(b.out.len() as u64)).expect("nested arrays read");
    let expected = Array::Array(vec![
        Array::I32(vec![-2, 7]),
        Array::String(["x"].into_iter().collect()),
        Array::Array(vec![Array::U8(vec![])]),
    ]);
    assert_eq!(h.get("test.nested"), Some(&Value::Array(expected)));

    // Nesting deeper than the limit is an error, not a stack overflow.
    let depth = ruvltra_export::gguf::MAX_ARRAY_DEPTH + 1;
    let mut b = Bytes::new(3, false);
    b.u64(0).u64(1);
    b.str("deep").u32(9);
    for _ in 0..depth - 1 {
        b.u32(9).u64(1);
    }
    b.u32(0).u64(0);
    let err = GgufHeader::read(&b.out[..], Some(b.out.len() as u64)).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("arrays nested too deep in `deep`"),
        "{err}"
    );
}
