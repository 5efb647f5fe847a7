//! `ruvltra-export gguf embed-template` end to end, through the built binary.

mod support;

use std::process::Command;

use ruvltra_export::gguf::GgufHeader;
use sha2::{Digest, Sha256};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
}

#[test]
fn embed_template_writes_a_copy_and_prints_its_sha256() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = support::root().join("fixtures/no-template/ruvltra-small-0.5b-q4_k_m.gguf");
    let template = support::corpus_dir().join("chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja");
    let out = dir.path().join("with-template.gguf");
    let run = binary()
        .args(["gguf", "embed-template"])
        .arg(&src)
        .arg("--template")
        .arg(&template)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.starts_with("added the chat template"), "{stderr}");
    let bytes = std::fs::read(&out).expect("copy written");
    let stdout = String::from_utf8(run.stdout).expect("UTF-8");
    assert_eq!(
        stdout,
        format!(
            "{}  {}\n",
            hex::encode(Sha256::digest(&bytes)),
            out.display()
        )
    );
    let header = GgufHeader::read(&bytes[..], Some(bytes.len() as u64)).expect("copy reads");
    let expected = std::fs::read_to_string(&template).expect("template");
    assert_eq!(header.chat_template(), Some(expected.as_str()));
}

#[test]
fn embed_template_names_a_missing_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = support::root().join("fixtures/ruvltra-small-0.5b-q8_0.gguf");
    let out = dir.path().join("x.gguf");
    let run = binary()
        .args(["gguf", "embed-template"])
        .arg(&src)
        .args(["--template", "no-such.jinja", "--out"])
        .arg(&out)
        .output()
        .expect("run the binary");
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("cannot read the template `no-such.jinja`"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn embed_template_reports_a_bad_source_with_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("pointer.gguf");
    std::fs::write(
        &src,
        "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n",
    )
    .expect("write");
    let template = dir.path().join("t.jinja");
    std::fs::write(&template, "{{ messages }}").expect("write");
    let run = binary()
        .args(["gguf", "embed-template"])
        .arg(&src)
        .arg("--template")
        .arg(&template)
        .arg("--out")
        .arg(dir.path().join("out.gguf"))
        .output()
        .expect("run the binary");
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("pointer.gguf`: not a GGUF file at byte 0"),
        "{stderr}"
    );
    assert!(stderr.contains("git lfs pull"), "{stderr}");
}
