//! The files a user names, through the binary the way a user meets them (issue #14): a
//! manifest may publish only files beside it, a device or FIFO ends with a message instead of
//! exhausting memory or hanging, `init` of one GGUF writes a manifest `explain` can use, a
//! local `presets.ini` names every file absolutely and passes our own `check`, and an Ollama
//! store is left without stale partial files and readable by other users.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary's run: exit code (`None` when killed by a signal or the clock), stdout, stderr.
struct Run {
    code: Option<i32>,
    out: String,
    err: String,
}

/// Runs the binary in `dir` under a 1 GiB address-space limit (`prlimit`, util-linux), with
/// umask 022 and a 30 s wall clock, so a read that never ends fails the test instead of
/// exhausting the machine or hanging it.
fn run(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new("prlimit")
        .arg(format!("--as={}", 1u64 << 30))
        .args(["--", "sh", "-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1721995200")
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env("HF_HOME", dir.join(".hf"))
        .env_remove("HF_TOKEN")
        .env_remove("OLLAMA_MODELS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) runs the binary under a memory cap");
    // Both pipes are drained on threads so a chatty child cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                std::io::Read::read_to_string(&mut pipe, &mut text).unwrap();
            }
            text
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return Run {
                code: None,
                out: String::new(),
                err: format!("`{}` timed out after 30 s", args.join(" ")),
            };
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code,
        out: out.join().unwrap(),
        err: err.join().unwrap(),
    }
}

/// The small fixture with a chat template in its header.
fn fixture() -> PathBuf {
    support::root()
        .join("fixtures")
        .join("ruvltra-small-0.5b-q4_k_m.gguf")
}

/// A manifest over `models/ruvltra-small-0.5b-q4_k_m.gguf` with the value of `license`
/// and the body of `[defaults]` given.
fn manifest(license: &str, defaults: &str) -> String {
    format!(
        r#"[family]
name = "Small"
description = "A small model."
publisher = "ruv"
license = {license}
default_model = "small"

[hub]
repo = "ruv/small"

[source]
local = "models"

[defaults]
{defaults}

[models.small]
default_variant = "q4_k_m"

[models.small.variants.q4_k_m]
file = "ruvltra-small-0.5b-q4_k_m.gguf"
"#
    )
}

/// A folder holding `ruvltra.toml` (`text`) and the fixture in `models/`.
fn family(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("models")).unwrap();
    std::fs::copy(
        fixture(),
        dir.path().join("models/ruvltra-small-0.5b-q4_k_m.gguf"),
    )
    .unwrap();
    std::fs::write(dir.path().join("ruvltra.toml"), text).unwrap();
    dir
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Item 8: `family.license.file`, `chat_template_file` and `ollama_template_file` once took
/// absolute paths and `..`, so a manifest published any readable file; they are confined
/// like a variant's `file`, and `check` says which line to change.
#[test]
fn manifest_files_outside_its_folder_are_refused() {
    let dir = family(&manifest(
        r#"{ name = "Mine", file = "/etc/passwd" }"#,
        "chat_template_file = \"../t.jinja\"\nollama_template_file = \"/etc/hostname\"",
    ));
    let run = run(dir.path(), &["check", "ruvltra.toml"]);
    assert_eq!(run.code, Some(1), "{}{}", run.out, run.err);
    for (key, value) in [
        ("family.license.file", "/etc/passwd"),
        ("defaults.chat_template_file", "../t.jinja"),
        ("defaults.ollama_template_file", "/etc/hostname"),
    ] {
        assert!(
            run.out.lines().any(|l| l.contains(key)
                && l.contains(&format!(
                    "`{value}` must be a path inside the manifest's folder"
                ))),
            "{key}: {}",
            run.out
        );
    }
}

/// Item 8: a file beside the manifest that is a symbolic link out of its folder publishes
/// what it points to just the same: refused, with where it leads and what to do.
#[test]
fn symbolic_links_out_of_the_manifest_folder_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "not for publishing").unwrap();
    let dir = family(&manifest(r#"{ name = "Mine", file = "LICENSE" }"#, ""));
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        dir.path().join("LICENSE"),
    )
    .unwrap();
    let run = run(dir.path(), &["explain"]);
    assert_eq!(run.code, Some(1), "{}{}", run.out, run.err);
    assert!(
        run.err.contains("family.license.file")
            && run.err.contains("secret.txt")
            && run.err.contains("copy the file into that folder"),
        "{}",
        run.err
    );
    assert!(!run.out.contains("not for publishing"), "{}", run.out);
}

/// Item 8: the 1 MiB cap once came from the file's metadata, so `/dev/zero` (0 bytes by its
/// metadata) was read until memory ran out and a FIFO blocked forever; the same check
/// guarded `check FILE` and `--manifest`. Each ends at once with a message, inside a 1 GiB
/// address space and 30 s.
#[test]
fn devices_and_fifos_end_with_a_message_not_a_hang() {
    let dir = family(&manifest(
        r#""apache-2.0""#,
        "chat_template_file = \"t.jinja\"",
    ));
    mkfifo(&dir.path().join("t.jinja"));
    let run1 = run(dir.path(), &["explain"]);
    assert_eq!(run1.code, Some(1), "{}", run1.err);
    assert!(
        run1.err.contains("t.jinja") && run1.err.contains("not a regular file: name a file"),
        "{}",
        run1.err
    );
    // `check` reads the template too (for its llama.cpp warnings) and leaves errors to
    // `explain`: it ends.
    let checked = run(dir.path(), &["check", "ruvltra.toml"]);
    assert_eq!(checked.code, Some(0), "{}", checked.err);

    mkfifo(&dir.path().join("fifo.toml"));
    for args in [
        &["check", "/dev/zero"][..],
        &["check", "fifo.toml"],
        &["explain", "--manifest", "/dev/zero"],
        &["explain", "--manifest", "fifo.toml"],
    ] {
        let run = run(dir.path(), args);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.err);
        assert!(
            run.err.contains("not a regular file: name a file"),
            "{args:?}: {}",
            run.err
        );
    }

    // A regular file past the cap: the bytes read are counted, not the metadata trusted.
    std::fs::write(dir.path().join("big.jinja"), vec![b'x'; (1 << 20) + 1]).unwrap();
    std::fs::write(
        dir.path().join("ruvltra.toml"),
        manifest(r#""apache-2.0""#, "chat_template_file = \"big.jinja\""),
    )
    .unwrap();
    let run = run(dir.path(), &["explain"]);
    assert_eq!(run.code, Some(1), "{}", run.err);
    assert!(run.err.contains("larger than 1048576 bytes"), "{}", run.err);
}

/// Item 10: `init FILE.gguf` once wrote `local = "models/FILE.gguf"`, which `check`
/// accepted and `explain` refused ("Not a directory"); it writes the file's folder.
#[test]
fn files_named_on_the_command_line_are_read_bounded() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("t.jinja"));
    std::fs::write(
        dir.path().join("m.json"),
        r#"{"messages": [{"role": "user", "content": "Hi"}]}"#,
    )
    .unwrap();
    let gguf = fixture();
    let gguf = gguf.to_str().unwrap();
    mkfifo(&dir.path().join("m.gguf"));
    let run1 = run(dir.path(), &["inspect", "m.gguf"]);
    assert_ne!(run1.code, Some(0), "{}", run1.err);
    assert!(run1.err.contains("not a regular file"), "{}", run1.err);
    for args in [
        &["template", "convert", "t.jinja"][..],
        &[
            "template",
            "render",
            "--jinja",
            "t.jinja",
            "--messages",
            "m.json",
        ],
        &[
            "gguf",
            "embed-template",
            gguf,
            "--template",
            "t.jinja",
            "--out",
            "o.gguf",
        ],
        &[
            "push",
            "--to",
            "bundle",
            "--gguf",
            gguf,
            "--name",
            "ruv/x",
            "--template",
            "t.jinja",
        ],
    ] {
        let run = run(dir.path(), args);
        assert_ne!(run.code, Some(0), "{args:?}: {}", run.err);
        assert!(
            run.err.contains("t.jinja") && run.err.contains("not a regular file: name a file"),
            "{args:?}: {}",
            run.err
        );
    }
}

#[test]
fn init_of_one_gguf_names_its_folder() {
    let dir = family("");
    std::fs::remove_file(dir.path().join("ruvltra.toml")).unwrap();
    let run1 = run(
        dir.path(),
        &["init", "models/ruvltra-small-0.5b-q4_k_m.gguf"],
    );
    assert_eq!(run1.code, Some(0), "{}", run1.err);
    let written = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    assert!(written.contains("local = \"models\"\n"), "{written}");
    support::fill_placeholders(&dir.path().join("ruvltra.toml"));
    let run2 = run(dir.path(), &["explain"]);
    assert_eq!(run2.code, Some(0), "{}", run2.err);
}

/// Item 10: a `local` that names a file is refused by `check` at its line, with the folder
/// to write instead.
#[test]
fn check_refuses_a_local_that_is_a_file() {
    let text = manifest(r#""apache-2.0""#, "").replace(
        "local = \"models\"",
        "local = \"models/ruvltra-small-0.5b-q4_k_m.gguf\"",
    );
    let line = 1 + text.lines().position(|l| l.starts_with("local =")).unwrap();
    let dir = family(&text);
    let run = run(dir.path(), &["check", "ruvltra.toml"]);
    assert_eq!(run.code, Some(1), "{}{}", run.out, run.err);
    assert!(
        run.out.contains(&format!("ruvltra.toml:{line}:"))
            && run.out.contains("is a file: `local` names the folder")
            && run.out.contains("local = \"models\""),
        "{}",
        run.out
    );
}

/// Item 12: with `--from local`, `presets.ini` once named the models absolutely and the
/// `.jinja` file relatively (resolved against llama-server's working directory), and our own
/// `check` warned about our own output. Every path is absolute, names the shipped file, and
/// `check` is silent.
#[test]
fn local_presets_name_every_file_absolutely_and_pass_check() {
    let dir = family(&manifest(r#""apache-2.0""#, ""));
    let gguf = dir.path().join("models/ruvltra-small-0.5b-q4_k_m.gguf");
    std::fs::copy(
        support::root().join("fixtures/no-template/ruvltra-small-0.5b-q4_k_m.gguf"),
        &gguf,
    )
    .unwrap();
    let run1 = run(
        dir.path(),
        &["llamacpp", "--from", "local", "--out", "dist"],
    );
    assert_eq!(run1.code, Some(0), "{}", run1.err);
    let presets = dir.path().join("dist/llamacpp/presets.ini");
    let text = std::fs::read_to_string(&presets).unwrap();
    let template = text
        .lines()
        .find_map(|l| l.strip_prefix("chat-template-file = "))
        .unwrap_or_else(|| panic!("a GGUF without a template gets one: {text}"));
    let template = Path::new(template);
    assert!(template.is_absolute(), "{text}");
    assert_eq!(
        template,
        dir.path()
            .canonicalize()
            .unwrap()
            .join("dist/llamacpp")
            .join(template.file_name().unwrap()),
        "{text}"
    );
    assert!(template.is_file(), "{text}");

    let run2 = run(dir.path(), &["check", presets.to_str().unwrap()]);
    assert_eq!(run2.code, Some(0), "{}{}", run2.out, run2.err);
    assert!(
        !format!("{}{}", run2.out, run2.err).contains("warning"),
        "{}{}",
        run2.out,
        run2.err
    );
}

/// Item 15: Ctrl-C during `push --to bundle` once left a `.partial-*` file (up to a whole
/// GGUF) that later runs never removed, and the store's files were 0600 where Ollama writes
/// 0644. A later push removes a stale partial (but not one a running push may still be
/// writing), and every file it writes is 0644 under umask 022.
#[test]
fn bundle_push_removes_stale_partials_and_writes_readable_files() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let blobs = store.join("blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    let stale = blobs.join(".partial-interrupted");
    let file = std::fs::File::create(&stale).unwrap();
    file.set_len(1 << 20).unwrap();
    file.set_modified(an_hour_ago).unwrap();
    drop(file);
    // A partial another push may be writing: written to a moment ago.
    let fresh = blobs.join(".partial-running");
    std::fs::write(&fresh, b"being written").unwrap();

    let run = run(
        dir.path(),
        &[
            "push",
            "--to",
            "bundle",
            "--dir",
            store.to_str().unwrap(),
            "--gguf",
            fixture().to_str().unwrap(),
            "--name",
            "ruv/small:q4",
        ],
    );
    assert_eq!(run.code, Some(0), "{}{}", run.out, run.err);
    assert!(!stale.exists(), "the stale partial is still there");
    assert!(fresh.exists(), "a partial that may be in use was removed");
    std::fs::remove_file(&fresh).unwrap();

    let mut files = Vec::new();
    let mut folders = vec![store.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(
        files.iter().any(|f| f.starts_with(store.join("manifests")))
            && files.iter().filter(|f| f.starts_with(&blobs)).count() >= 2,
        "{files:?}"
    );
    for file in files {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{}: {mode:o}", file.display());
    }
}
