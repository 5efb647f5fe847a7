//! Seeded fuzz targets on stable Rust (cargo-fuzz needs nightly): for each reader of untrusted
//! text or bytes (GGUF header, manifest, Jinja engine, Go template engine, Modelfile parser,
//! template converter) a deterministic mutation loop starts from real inputs, applies byte
//! flips, inserts, deletes, splices and duplications, and calls the public entry point. Every
//! call must return `Ok` or `Err`; a panic fails the test, prints the input and saves it under
//! `target/fuzz-crashes/<target>/` so it can be fixed and then kept in
//! `tests/data/fuzz-regressions/<target>/`, which `fuzz_regressions_replay` replays.
//!
//! Each target runs for `RUVLTRA_FUZZ_SECONDS` seconds (default 3, so a plain `cargo test`
//! stays short; `scripts/test.sh` gives each 60) and at most `MAX_ITERATIONS` inputs.
//! The seed `RUVLTRA_FUZZ_SEED` (default fixed) makes a run reproducible.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use ruvltra_export::gguf::GgufHeader;
use ruvltra_export::manifest::Manifest;
use ruvltra_export::modelfile::Modelfile;
use ruvltra_export::template::convert::{ConvertInput, convert};
use ruvltra_export::template::gotmpl::{ExecOptions, FuncEnv, Template};
use ruvltra_export::template::jinja::{JinjaContext, JinjaLimits, JinjaTemplate};
use ruvltra_export::template::ollama::collate;
use ruvltra_export::template::ollama::data::{ThinkFlags, messages_mode};
use ruvltra_export::template::suite;

/// Upper bound on inputs per target, whatever the time budget.
const MAX_ITERATIONS: u64 = 2_000_000;

/// Mutated inputs never grow past this many bytes (keeps each call short and memory bounded).
const MAX_INPUT: usize = 1 << 20;

/// A small xorshift64* generator: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn budget() -> Duration {
    let seconds = std::env::var("RUVLTRA_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(3.0);
    Duration::from_secs_f64(seconds)
}

fn base_seed(target: &str) -> u64 {
    let seed = std::env::var("RUVLTRA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(20_261_207);
    // Each target draws its own stream from the same seed.
    target.bytes().fold(seed, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

/// One random edit of `data`: a byte flip, an insert (a random byte or a dictionary token), a
/// delete, a splice from another seed, or a duplication of a range.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, seeds: &[Vec<u8>], dict: &[&str]) {
    let len = data.len();
    match rng.below(6) {
        0 if len > 0 => {
            let at = rng.below(len);
            data[at] ^= 1 << rng.below(8);
        }
        1 => {
            let at = rng.below(len + 1);
            let byte = [rng.next() as u8];
            let token: &[u8] = if dict.is_empty() || rng.below(2) == 0 {
                &byte
            } else {
                dict[rng.below(dict.len())].as_bytes()
            };
            data.splice(at..at, token.iter().copied());
        }
        2 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(64));
            data.drain(at..at + n);
        }
        3 => {
            let other = &seeds[rng.below(seeds.len())];
            if !other.is_empty() {
                let from = rng.below(other.len());
                let n = 1 + rng.below((other.len() - from).min(256));
                let at = rng.below(len + 1);
                data.splice(at..at, other[from..from + n].iter().copied());
            }
        }
        4 if len > 0 => {
            let from = rng.below(len);
            let n = 1 + rng.below((len - from).min(256));
            let copy = data[from..from + n].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, copy);
        }
        _ if len > 0 => {
            // Overwrite a few bytes with "interesting" values (lengths and counts in binary
            // headers hit their edge cases this way).
            let at = rng.below(len);
            let value: [u8; 8] = match rng.below(4) {
                0 => [0xFF; 8],
                1 => [0; 8],
                2 => (rng.next() >> 32).to_le_bytes(),
                _ => u64::MAX.wrapping_sub(rng.below(4) as u64).to_le_bytes(),
            };
            let n = (1 + rng.below(8)).min(len - at);
            data[at..at + n].copy_from_slice(&value[..n]);
        }
        _ => data.push(rng.next() as u8),
    }
    data.truncate(MAX_INPUT);
}

/// Where a new crashing input is saved: outside the replayed folder, so a crash found by a
/// run does not break the regression test before it is fixed.
fn crash_dir(target: &str) -> PathBuf {
    support::root().join("target/fuzz-crashes").join(target)
}

fn regression_dir(target: &str) -> PathBuf {
    support::root()
        .join("tests/data/fuzz-regressions")
        .join(target)
}

/// FNV-1a of the input, for a stable file name.
fn name_of(input: &[u8]) -> String {
    let hash = input.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01B3)
    });
    format!("crash-{hash:016x}")
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-text panic payload)".to_owned())
}

/// Runs `target` on `input`; on a panic returns the message.
fn run_one(target: fn(&[u8]), input: &[u8]) -> Result<(), String> {
    panic::catch_unwind(AssertUnwindSafe(|| target(input)))
        .map_err(|payload| panic_message(payload.as_ref()))
}

/// The mutation loop: stops at the time budget or `MAX_ITERATIONS`, and fails on the first
/// panic with the input printed and saved.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, dict: &[&str], target: fn(&[u8])) {
    assert!(!seeds.is_empty(), "{name}: no seed inputs");
    let mut rng = Rng::new(base_seed(name));
    let budget = budget();
    let start = Instant::now();
    let mut iterations = 0u64;
    while iterations < MAX_ITERATIONS && start.elapsed() < budget {
        // The seeds themselves come first, unmutated (within the same budget: converting
        // every corpus template takes longer than the default budget).
        let input = match seeds.get(iterations as usize) {
            Some(seed) => seed.clone(),
            None => {
                let mut input = seeds[rng.below(seeds.len())].clone();
                for _ in 0..1 + rng.below(8) {
                    mutate(&mut rng, &mut input, &seeds, dict);
                }
                input
            }
        };
        iterations += 1;
        if let Err(message) = run_one(target, &input) {
            fail(name, &input, &message);
        }
    }
    eprintln!(
        "{name}: {iterations} inputs in {:.1} s, no panic",
        start.elapsed().as_secs_f64()
    );
}

fn fail(name: &str, input: &[u8], message: &str) -> ! {
    let dir = crash_dir(name);
    let saved = std::fs::create_dir_all(&dir)
        .and_then(|()| {
            let path = dir.join(name_of(input));
            std::fs::write(&path, input).map(|()| path)
        })
        .map(|p| p.display().to_string())
        .unwrap_or_else(|err| format!("(could not save: {err})"));
    panic!(
        "{name}: panic on a fuzzed input: {message}\nsaved to {saved}; once fixed, move it into {}\ninput ({} bytes): {:?}",
        regression_dir(name).display(),
        input.len(),
        String::from_utf8_lossy(&input[..input.len().min(2000)])
    );
}

fn read_dir_sorted(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no *.{ext} in {}", dir.display());
    paths
}

fn read_all(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|err| panic!("{}: {err}", p.display())))
        .collect()
}

// ---- Targets: each takes raw bytes and must return without panicking. ----

/// The GGUF header reader, with and without the file length (the length is the input's own
/// or one far beyond it, as when a header prefix is fetched from a remote file).
fn target_gguf(input: &[u8]) {
    for file_len in [None, Some(input.len() as u64), Some(1 << 40)] {
        if let Err(err) = GgufHeader::read(input, file_len) {
            assert!(!err.to_string().is_empty());
        }
    }
}

fn target_manifest(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    if let Err(errors) = Manifest::parse(&text, Path::new("ruvltra.toml")) {
        assert!(!errors.0.is_empty(), "an error result without errors");
    }
}

/// The Jinja engine: parse, then render a suite conversation with tools. Limits are smaller
/// than the defaults so a mutated loop ends quickly; the checks are the same code.
fn target_jinja(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let limits = JinjaLimits {
        fuel: 200_000,
        max_output: 256 << 10,
        recursion_limit: 50,
        max_built: 16 << 20,
    };
    let Ok(template) = JinjaTemplate::with_limits(&text, limits) else {
        return;
    };
    let conversations = suite::conversations();
    // The input picks the conversation, so every conversation gets fuzzed.
    let pick = input.len() % conversations.len();
    let conversation = &conversations[pick];
    let context = JinjaContext {
        messages: conversation.request.messages.clone(),
        tools: conversation.request.tools.clone(),
        add_generation_prompt: true,
        bos_token: "<s>".into(),
        eos_token: "</s>".into(),
        thinking: Some(input.len() % 2 == 0),
        ..JinjaContext::default()
    };
    if let Err(err) = template.render(&context) {
        assert!(!err.to_string().is_empty());
    }
}

/// The Go template engine as Ollama uses it: parse with Ollama's functions, execute over
/// messages-mode data of a suite conversation.
fn target_gotmpl(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let Ok(template) = Template::parse_ollama(&text) else {
        return;
    };
    let conversations = suite::conversations();
    let conversation = &conversations[input.len() % conversations.len()];
    let think = ThinkFlags {
        think: true,
        level: Rc::from("medium"),
        is_set: true,
    };
    let data = messages_mode(
        &collate(&conversation.request.messages),
        &conversation.request.tools,
        &think,
    );
    let opts = ExecOptions {
        funcs: FuncEnv {
            ollama: true,
            today: "2026-12-07".into(),
            yesterday: "2026-12-06".into(),
        },
        ..ExecOptions::default()
    };
    if let Err(err) = template.execute(&data, &opts) {
        assert!(!err.to_string().is_empty());
    }
}

fn target_modelfile(input: &[u8]) {
    if let Err(err) = Modelfile::parse(input) {
        assert!(!err.to_string().is_empty());
    }
    // The lenient check reports instead of failing; it must not panic either.
    let _ = Modelfile::check(input);
}

fn target_convert(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    if let Err(err) = convert(&ConvertInput::new(&text)) {
        assert!(!err.to_string().is_empty());
    }
}

/// A fuzz target: takes raw bytes and must return without panicking.
type Target = fn(&[u8]);

/// Every target by the name of its fuzz and regression folders.
const TARGETS: &[(&str, Target)] = &[
    ("gguf_header", target_gguf),
    ("manifest", target_manifest),
    ("jinja", target_jinja),
    ("gotmpl", target_gotmpl),
    ("modelfile", target_modelfile),
    ("convert", target_convert),
];

fn target(name: &str) -> fn(&[u8]) {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no fuzz target {name}"))
}

// ---- Seeds: real inputs. ----

/// The fixtures' headers (metadata and tensor infos, without tensor data).
fn gguf_seeds() -> Vec<Vec<u8>> {
    read_all(&read_dir_sorted(&support::root().join("fixtures"), "gguf"))
        .into_iter()
        .map(|bytes| {
            let header = GgufHeader::read(&bytes[..], Some(bytes.len() as u64))
                .expect("fixture header reads");
            let end = usize::try_from(header.data_offset())
                .unwrap_or(bytes.len())
                .min(bytes.len());
            bytes[..end].to_vec()
        })
        .collect()
}

fn corpus_template_seeds() -> Vec<Vec<u8>> {
    read_all(&read_dir_sorted(
        &support::corpus_dir().join("chat-templates"),
        "jinja",
    ))
}

/// A generated Modelfile: the golden output of `generate`, without the snapshot's front matter.
fn modelfile_seeds() -> Vec<Vec<u8>> {
    let golden = support::root().join("tests/golden");
    [
        "ollama__small-q4_k_m.Modelfile.snap",
        "ollama__medium-q8_0.Modelfile.snap",
    ]
    .iter()
    .map(|name| {
        let text = std::fs::read_to_string(golden.join(name)).expect("golden Modelfile");
        let body = text
            .splitn(3, "---\n")
            .nth(2)
            .expect("snapshot front matter");
        body.as_bytes().to_vec()
    })
    .collect()
}

const JINJA_DICT: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{%- ",
    " -%}",
    "for m in messages",
    "endfor",
    "if ",
    "endif",
    "else",
    "set x = ",
    "macro f(a)",
    "endmacro",
    "namespace(a=1)",
    "|tojson",
    "|join",
    "[0]",
    "[-1:]",
    "loop.index",
    "raise_exception('x')",
    "range(99999)",
    "~",
    "'",
    "\"",
    "(",
    ")",
    "é",
];

const GO_DICT: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    "-}}",
    "range $i, $m := .Messages",
    "end",
    "if ",
    "else if",
    "with ",
    "define \"t\"",
    "template \"t\" .",
    "block \"b\" .",
    "$.Tools",
    "json",
    "index . 0",
    "slice . 1",
    "printf \"%v\"",
    "len",
    "and",
    "or",
    "not",
    "eq",
    "|",
    "(",
    ")",
    "\"",
    "`",
    "$x := 1",
    "$x = 2",
    "break",
    "continue",
    "é",
];

const TOML_DICT: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "\"",
    "'''",
    "{",
    "}",
    ",",
    "\n",
    "[models.x]\n",
    "true",
    "1e999",
    "-1",
    "é",
    "\\u0000",
];

const MODELFILE_DICT: &[&str] = &[
    "FROM ",
    "TEMPLATE ",
    "PARAMETER ",
    "SYSTEM ",
    "MESSAGE ",
    "ADAPTER ",
    "LICENSE ",
    "\"\"\"",
    "\"",
    "\n",
    "#",
    "stop ",
    "num_ctx ",
    "\\",
    "é",
];

// ---- One test per target. ----

#[test]
fn fuzz_gguf_header() {
    fuzz("gguf_header", gguf_seeds(), &[], target_gguf);
}

#[test]
fn fuzz_manifest() {
    let seed = std::fs::read(support::root().join("ruvltra.toml")).expect("ruvltra.toml");
    fuzz("manifest", vec![seed], TOML_DICT, target_manifest);
}

#[test]
fn fuzz_jinja() {
    fuzz("jinja", corpus_template_seeds(), JINJA_DICT, target_jinja);
}

#[test]
fn fuzz_gotmpl() {
    let seeds = read_all(&read_dir_sorted(
        &support::root().join("templates/go"),
        "gotmpl",
    ));
    fuzz("gotmpl", seeds, GO_DICT, target_gotmpl);
}

#[test]
fn fuzz_modelfile() {
    fuzz(
        "modelfile",
        modelfile_seeds(),
        MODELFILE_DICT,
        target_modelfile,
    );
}

#[test]
fn fuzz_convert() {
    fuzz(
        "convert",
        corpus_template_seeds(),
        JINJA_DICT,
        target_convert,
    );
}

/// Replays every input kept in `tests/data/fuzz-regressions/<target>/` (each once crashed the
/// target); a folder named after no target is an error, so a typo cannot hide inputs.
#[test]
fn fuzz_regressions_replay() {
    let root = support::root().join("tests/data/fuzz-regressions");
    let mut replayed = 0;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|err| panic!("{}: {err}", root.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let run = target(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("regression folder")
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let input = std::fs::read(&file).expect("regression input");
            if let Err(message) = run_one(run, &input) {
                panic!("{}: still panics: {message}", file.display());
            }
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} fuzz regression inputs");
}
