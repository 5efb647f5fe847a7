//! `ruvltra-export check FILE` from the outside: exit codes and `path:line:col: message`.

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn check(path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .arg("check")
        .arg(path)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_checked_in_manifest_passes() {
    let output = check(&support::root().join("ruvltra.toml"));
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_bad_manifest_fails_with_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ruvltra.toml");
    std::fs::write(&path, "[family]\nnme = \"x\"\n").unwrap();
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let shown = path.display().to_string();
    assert!(
        text.contains(&format!(
            "{shown}:2:1: unknown key `nme` in `[family]` (did you mean `name`?)\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{shown}:1:1: missing key `hub` in the top level")),
        "{text}"
    );
}

#[test]
fn modelfiles_are_recognised_by_name_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let good = "FROM ./m.gguf\nPARAMETER num_ctx 4096\nPARAMETER mirostat 1\n";
    for name in [
        "Modelfile",
        "ruvltra-small.Modelfile",
        "Modelfile.small",
        "notes.txt",
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, good).unwrap();
        let output = check(&path);
        assert_eq!(output.status.code(), Some(0), "{name}: {output:?}");
        assert_eq!(
            stdout(&output),
            format!(
                "{}:3:1: warning: parameter 'mirostat' was removed in Ollama v0.6.9 and has no effect: delete it\n",
                path.display()
            )
        );
    }
}

#[test]
fn a_bad_modelfile_fails_with_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Modelfile");
    std::fs::write(
        &path,
        "FROM ./m.gguf\nPARAMETER num_ctx 4k\nPARAMETER top_p 2\n",
    )
    .unwrap();
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    let shown = path.display();
    assert_eq!(
        stdout(&output),
        format!(
            "{shown}:2:1: `num_ctx` takes an int, found `4k`\n{shown}:3:1: `top_p` must be a number between 0 and 1, found 2\n"
        )
    );

    std::fs::write(&path, "FROM a\nSYSTEM \"\"\"never closed\n").unwrap();
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).starts_with(&format!("{shown}:2:8: unexpected EOF")),
        "{}",
        stdout(&output)
    );
}

#[test]
fn unknown_and_missing_files_fail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.bin");
    std::fs::write(&path, "\u{0}\u{1}binary").unwrap();
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cannot tell what"),
        "{output:?}"
    );
    let output = check(&dir.path().join("missing.toml"));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cannot read"),
        "{output:?}"
    );
}
