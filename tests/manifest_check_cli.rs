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
    // The fixtures carry Qwen2.5's template, which llama.cpp renders like jinja2 (its
    // `arguments | tojson` gets a mapping there too): nothing to warn about.
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

/// `tests/data/typed.toml` with the fixtures it names, the role of the message saying
/// `content` replaced by `role`; returns the folder, the manifest's path and the `line:col` of
/// the bad role's value.
fn family_with_role(content: &str, role: &str) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(support::root().join("tests/data/typed.toml")).unwrap();
    let mut at = None;
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let said = format!(", content = \"{content}\"");
            match (line.find("role = \""), line.find(&said)) {
                (Some(start), Some(end)) if start < end => {
                    at = Some(format!("{}:{}", i + 1, start + "role = ".len() + 1));
                    format!("{}role = \"{role}\"{}", &line[..start], &line[end..])
                }
                _ => line.to_owned(),
            }
        })
        .collect();
    let at = at.unwrap_or_else(|| panic!("typed.toml has no message `{content}`"));
    let path = dir.path().join("ruvltra.toml");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    std::fs::create_dir(dir.path().join("fixtures")).unwrap();
    for file in [
        "ruvltra-small-0.5b-q4_k_m.gguf",
        "ruvltra-small-0.5b-q8_0.gguf",
    ] {
        std::fs::copy(
            support::root().join("fixtures").join(file),
            dir.path().join("fixtures").join(file),
        )
        .unwrap();
    }
    (dir, path, at)
}

/// A message role Ollama does not know (`tool`, `developer`) or spells differently (`User`)
/// is an error at its place that lists the roles a Modelfile `MESSAGE` takes, from `check`
/// and from `all` (which writes nothing then): never a message silently left out.
#[test]
fn an_unknown_message_role_is_an_error_with_its_place_and_the_roles() {
    for (content, role, key) in [
        (
            "Only this one.",
            "tool",
            "models.small.variants.q8_0.messages[].role",
        ),
        ("Hi.", "developer", "defaults.messages[].role"),
        ("Be terse.", "User", "defaults.messages[].role"),
    ] {
        let (dir, path, at) = family_with_role(content, role);
        let expected = format!(
            "{}:{at}: `{key}`: must be `system`, `user` or `assistant` (lower-case), found `{role}`",
            path.display()
        );
        let output = check(&path);
        assert_eq!(output.status.code(), Some(1), "{role}: {output:?}");
        assert_eq!(stdout(&output), format!("{expected}\n"), "{role}");

        let out = dir.path().join("dist");
        let output = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
            .arg("all")
            .arg("--manifest")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{role}: {stderr}");
        assert!(stderr.contains(&expected), "{role}: {stderr}");
        assert!(!out.exists(), "{role}: `all` wrote outputs");
    }
}
