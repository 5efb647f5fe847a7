//! Crafted input that once crashed the binary or made it report nonsense (issue #14), run
//! through the built binary the way a user meets it: each case ends with a clear error or the
//! right answer, never a panic (exit code 101), a stack overflow or a wrong figure.

mod support;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary with `args` in `dir`.
fn run(dir: &Path, args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1721995200")
        .env_remove("HF_TOKEN")
        .env("HF_HOME", dir)
        .output()
        .unwrap()
}

fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
    args.iter().map(Into::into).collect()
}

fn run_str(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let args = os(args);
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let out = run(dir, &refs);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `template` as `file` and a one-message conversation into a new folder, for
/// `template render --jinja|--go FILE --messages m.json` run there.
fn template_dir(file: &str, template: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), template).unwrap();
    std::fs::write(
        dir.path().join("m.json"),
        r#"[{"role":"user","content":"Hi"}]"#,
    )
    .unwrap();
    dir
}

/// `template render` of `t.jinja` over `m.json` in `dir`: exit code, stdout, stderr.
fn render_jinja(dir: &Path) -> (i32, String, String) {
    run_str(dir, &RENDER_JINJA)
}

const RENDER_JINJA: [&str; 6] = [
    "template",
    "render",
    "--jinja",
    "t.jinja",
    "--messages",
    "m.json",
];

fn fixture() -> std::path::PathBuf {
    support::root()
        .join("fixtures")
        .join("ruvltra-small-0.5b-q4_k_m.gguf")
}

/// Item 1: non-ASCII file names (common on ModelScope) once panicked `inspect` inside the
/// quant-label search.
#[test]
fn inspect_reads_non_ascii_file_names() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["modèle-0.5b-q4_k_m.gguf", "千问-coder-0.5b-q4_k_m.gguf"] {
        let path = dir.path().join(name);
        std::fs::copy(fixture(), &path).unwrap();
        let (code, out, err) = run_str(dir.path(), &["inspect", "--json", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            json[0]["derived"]["quant"]["file_name"], "Q4_K_M",
            "{name}: {out}"
        );
    }
}

/// Item 1: `init` on a folder with a non-ASCII name writes the name as it is, and a name
/// that is not UTF-8 is refused with a message instead of a `file` that names no file.
#[test]
fn init_writes_non_ascii_names_and_refuses_non_utf8_ones() {
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    std::fs::copy(fixture(), models.join("千问-coder-0.5b-q4_k_m.gguf")).unwrap();
    let (code, _, err) = run_str(dir.path(), &["init", "models"]);
    assert_eq!(code, 0, "{err}");
    let manifest = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    assert!(
        manifest.contains("\"千问-coder-0.5b-q4_k_m.gguf\""),
        "{manifest}"
    );

    let odd = std::ffi::OsStr::from_bytes(b"mod\xe8le-0.5b-q4_k_m.gguf");
    std::fs::copy(fixture(), models.join(odd)).unwrap();
    let (code, _, err) = run_str(dir.path(), &["init", "models", "--output", "second.toml"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not valid UTF-8") && err.contains("rename"),
        "{err}"
    );
    assert!(!dir.path().join("second.toml").exists());
}

/// Item 3: the bytes `{%}` in a template that mentions `generation` once panicked the
/// `{% generation %}` rewrite.
#[test]
fn overlapping_tag_delimiters_are_a_syntax_error() {
    let dir = template_dir("t.jinja", "generation {%}");
    let (code, _, err) = render_jinja(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("syntax error"), "{err}");
}

/// Item 4: a `printf` precision of 65536 or more once panicked Rust's formatter; Go prints
/// the digits.
#[test]
fn go_printf_with_a_huge_precision_prints_the_digits() {
    let dir = template_dir(
        "t.go",
        r#"{{ printf "%.70000f|%.66000e|%.70000g" 1.5 1.5 1.5 }}"#,
    );
    let (code, out, err) = run_str(
        dir.path(),
        &["template", "render", "--go", "t.go", "--messages", "m.json"],
    );
    assert_eq!(code, 0, "{err}");
    let parts: Vec<&str> = out.split('|').collect();
    assert_eq!(parts.len(), 3, "{err}");
    assert_eq!(parts[0], format!("1.5{}", "0".repeat(69_999)));
    assert_eq!(parts[1], format!("1.5{}e+00", "0".repeat(65_999)));
    assert_eq!(parts[2], "1.5");
}

/// A GGUF v3 file with one F32 tensor of `shape` and no metadata, padded to `len` bytes.
fn one_tensor_file(shape: &[u64], len: usize) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(1u64.to_le_bytes());
    b.extend(0u64.to_le_bytes());
    b.extend(1u64.to_le_bytes());
    b.extend(b"t");
    b.extend((shape.len() as u32).to_le_bytes());
    for d in shape {
        b.extend(d.to_le_bytes());
    }
    b.extend(0u32.to_le_bytes());
    b.extend(0u64.to_le_bytes());
    b.resize(len, 0);
    b
}

/// Item 18: a tensor whose byte size overflows `u64` once skipped the "data inside the
/// file" check, so a 128-byte file reported 4.6e18 parameters.
#[test]
fn tensor_size_past_u64_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge-f32.gguf");
    std::fs::write(&path, one_tensor_file(&[1 << 62, 1], 128)).unwrap();
    let (code, out, err) = run_str(dir.path(), &["inspect", path.to_str().unwrap()]);
    assert_ne!(code, 0, "{out}");
    assert_ne!(code, 101, "{err}");
    assert!(err.contains("overflows 64 bits"), "{err}");
}

/// Item 5: a 200 KB chain of 50,000 `~` once overflowed the stack in the Jinja compiler;
/// the expression is refused before it is compiled.
#[test]
fn long_operator_chain_is_refused_not_a_stack_overflow() {
    let chain = vec!["1"; 50_001].join(" ~ ");
    let dir = template_dir("t.jinja", &format!("{{{{ {chain} }}}}"));
    let (code, _, err) = render_jinja(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("more than 2000 tokens"), "{err}");
}

/// Runs the binary under a 1 GiB address-space limit (`prlimit`, util-linux) and a 60 s
/// wall clock: exit code (`None` when killed by a signal or the clock) and stderr.
fn run_capped(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new("prlimit")
        .arg(format!("--as={}", 1u64 << 30))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) runs the binary under a memory cap");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return (None, "timed out after 60 s".to_owned());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Item 6: templates that build gigabytes in few steps end with a clear error inside a
/// 1 GiB address space, instead of being killed or running out of memory.
#[test]
fn jinja_memory_is_bounded_under_a_one_gib_cap() {
    let dir = template_dir("t.jinja", "");
    let raw = "r".repeat(2048);
    let cases = [
        ("center", "{{ 'x'|center(3000000000) }}".to_owned()),
        (
            "replace doubling",
            "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s|replace('x', 'xx') %}{% endfor %}{{ ns.s|length }}".to_owned(),
        ),
        (
            "center doubling",
            "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s|center(ns.s|length * 2) %}{% endfor %}{{ ns.s|length }}".to_owned(),
        ),
        (
            "linear ~ growth",
            "{% set ns = namespace(s='') %}{% set big = 'y' * 50000 %}{% for i in range(99999) %}{% set ns.s = ns.s ~ big %}{% endfor %}{{ ns.s|length }}".to_owned(),
        ),
        (
            "doubling through a second attribute",
            "{% set ns = namespace(s='x', t='') %}{% for i in range(64) %}{% set ns.t = ns.s %}{% set ns.s = ns.s ~ ns.t %}{% endfor %}{{ ns.s|length }}".to_owned(),
        ),
        (
            "literal text captured in a macro",
            format!("{{% macro m() %}}{{% for i in range(1000) %}}{{% for j in range(1000) %}}{raw}{{% endfor %}}{{% endfor %}}{{% endmacro %}}{{{{ m()|length }}}}"),
        ),
        (
            "list of large values",
            format!("{{% set b = 'z' * 4000000 %}}{{% set l = [{}] %}}{{{{ l|length }}}}", vec!["b ~ b"; 200].join(", ")),
        ),
        (
            "join with a long separator",
            "{{ (['a'] * 1000000)|join('x' * 1000)|length }}".to_owned(),
        ),
        (
            "string method replace",
            "{% set s = 'a' * 1000000 %}{{ s.replace('a', 'b' * 10000)|length }}".to_owned(),
        ),
    ];
    for (what, template) in cases {
        std::fs::write(dir.path().join("t.jinja"), &template).unwrap();
        let (code, err) = run_capped(dir.path(), &RENDER_JINJA);
        assert_eq!(code, Some(1), "{what}: {err}");
        assert!(err.contains("chat template stopped"), "{what}: {err}");
    }
}

/// Item 24: Kimi-K2 numbers parallel calls (`functions.get_current_time:1`), which the
/// conversion wrote as the literal `:0`; the suite's parallel-calls conversation shows it, so
/// `template convert` no longer claims its tools equivalent. A claim that rests on one
/// conversation (Gemma 2 refuses every tool conversation but the offer) says so.
#[test]
fn tool_claims_rest_on_conversations_that_can_see_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = support::corpus_dir().join("chat-templates");
    let kimi = corpus.join("moonshotai-Kimi-K2.jinja");
    let (code, out, err) = run_str(dir.path(), &["template", "convert", kimi.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("tools: NOT verified"), "{out}");
    assert!(out.contains("mismatch in `parallel_tool_calls`"), "{out}");
    assert!(!out.contains("tools: equivalent"), "{out}");

    let gemma = corpus.join("google-gemma-2-2b-it.jinja");
    let (code, out, err) = run_str(
        dir.path(),
        &["template", "convert", gemma.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("this rests on one conversation only"), "{out}");
}
