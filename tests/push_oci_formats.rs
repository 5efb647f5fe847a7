//! The oci backend's three formats (Ollama, Docker Model Runner, CNCF ModelPack) against a
//! real registry (the CNCF distribution registry started by `scripts/setup/40-registry.sh`,
//! the instance that logs every request), read back by independent clients: `skopeo inspect
//! --raw` for every manifest, `skopeo copy ... dir:` (which checks every blob digest while it
//! copies) for the Docker and ModelPack artifacts, Python `jsonschema` for every ModelPack
//! config against the spec's schema, and `skopeo copy oci:DIR:REF` for the OCI layout.

#[path = "support/registry.rs"]
mod registry;
mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use registry::{
    FaultProxy, log_len, log_lines_since, logged_registry, oci_backend, transfer_options, unique,
};
use ruvltra_export::digest::Digest;
use ruvltra_export::gguf::GgufHeader;
use ruvltra_export::push::bundle::{BundleBackend, BundleTarget};
use ruvltra_export::push::oci::{
    ModelFacts, OciArtifact, OciFormat, SourceRepository, gguf_general_keys,
};
use ruvltra_export::push::{
    Action, Backend, DigestCache, OllamaModel, PushContext, QuietProgress, Release,
};

const WEIGHTS: &str = "ggml-vocab-qwen2.gguf";
const PROJECTOR: &str = "ggml-vocab-phi-3.gguf";
const JINJA: &str = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

fn gguf(name: &str) -> PathBuf {
    let path = support::corpus_dir().join("gguf").join(name);
    assert!(path.is_file(), "corpus file {} is missing", path.display());
    path
}

fn facts(license: &str) -> ModelFacts {
    let header = GgufHeader::read_path(&gguf(WEIGHTS)).unwrap();
    ModelFacts {
        name: "RuvLTRA Test".into(),
        family: "RuvLTRA".into(),
        version: "q4_k_m".into(),
        description: "A test model.".into(),
        authors: vec!["ruv".into()],
        license_id: license.into(),
        source: Some(SourceRepository {
            url: "https://huggingface.co/ruv/ruvltra".into(),
            revision: "0123456789abcdef0123456789abcdef01234567".into(),
        }),
        created: "2026-01-01T00:00:00Z".into(),
        architecture: "qwen2".into(),
        parameter_count: 494_032_768,
        quantization: "Q4_K_M".into(),
        context_size: Some(4096),
        gguf_general: gguf_general_keys(&header),
        chat_template: Some(JINJA.into()),
        tool_use: true,
        reasoning: false,
        readme: Some("# RuvLTRA Test\n".into()),
    }
}

/// One model under two tags (`q4_k_m`, `latest`), with a projector, so six manifests share two
/// GGUF blobs.
fn release(repository: &str, license: &str) -> Release {
    let models = ["q4_k_m", "latest"]
        .iter()
        .map(|tag| {
            let mut model = OllamaModel::new(
                format!("{repository}:{tag}").parse().unwrap(),
                gguf(WEIGHTS),
            );
            model.projectors = vec![gguf(PROJECTOR)];
            model.template = Some("{{ range .Messages }}{{ .Content }}{{ end }}".into());
            model.licenses = vec!["Apache License 2.0 text".into()];
            model.config.model_family = "qwen2".into();
            model.config.file_type = "Q4_K_M".into();
            model.facts = Some(facts(license));
            model
        })
        .collect();
    Release {
        models,
        files: Vec::new(),
    }
}

fn skopeo(args: &[&str]) -> Vec<u8> {
    let output = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo is installed by scripts/setup/40-registry.sh");
    assert!(
        output.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Validates each ModelPack config against the spec's JSON schema with Python `jsonschema`
/// (draft 2020-12, formats checked).
fn validate_modelpack_configs(configs: &[Vec<u8>]) {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let path = dir.path().join(format!("config-{i}.json"));
        std::fs::write(&path, config).unwrap();
        paths.push(path);
    }
    let schema =
        support::root().join("../shared/reference/schemas/modelpack-config-v1.schema.json");
    assert!(
        schema.is_file(),
        "the ModelPack schema is missing at {}",
        schema.display()
    );
    let script = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
jsonschema.Draft202012Validator.check_schema(schema)
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(json.load(open(path))))
    if errors:
        sys.exit(f"{path}: " + "; ".join(e.message for e in errors))
    print("valid", path)
"#;
    let output = Command::new(support::python())
        .arg("-c")
        .arg(script)
        .arg(&schema)
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "a ModelPack config does not validate: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let valid = String::from_utf8_lossy(&output.stdout)
        .matches("valid")
        .count();
    assert_eq!(valid, configs.len());
}

/// Pulls `reference` with `skopeo copy` into a `dir:` folder (skopeo checks each blob's
/// digest as it copies), then re-hashes every file the manifest names.
fn pull_and_check(registry: &str, artifact: &OciArtifact) {
    let out = tempfile::tempdir().unwrap();
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{registry}/{}", artifact.reference()),
        &format!("dir:{}", out.path().display()),
    ]);
    let manifest = std::fs::read(out.path().join("manifest.json")).unwrap();
    assert_eq!(
        manifest,
        artifact.manifest.to_vec(),
        "{}",
        artifact.reference()
    );
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let descriptors = std::iter::once(&manifest["config"])
        .chain(manifest["layers"].as_array().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(descriptors.len(), artifact.layers.len() + 1);
    for descriptor in descriptors {
        let digest: Digest = descriptor["digest"].as_str().unwrap().parse().unwrap();
        let file = out.path().join(digest.hex());
        let (actual, len) = Digest::of_reader(&mut std::fs::File::open(&file).unwrap()).unwrap();
        assert_eq!(actual, digest, "{}", file.display());
        assert_eq!(Some(len), descriptor["size"].as_u64());
    }
}

/// Blob uploads finished in the log lines (`PUT .../blobs/uploads/...?digest=`, 201), by
/// digest hex, for repositories starting with `prefix`.
fn uploads(lines: &[String], prefix: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for line in lines {
        let Some(request) = line.split('"').nth(1) else {
            continue;
        };
        let status = line.split('"').nth(2).unwrap_or("").trim();
        if !request.starts_with(&format!("PUT /v2/{prefix}")) || !status.starts_with("201") {
            continue;
        }
        if !request.contains("/blobs/uploads/") {
            continue;
        }
        if let Some(hex) = request
            .split("sha256%3A")
            .nth(1)
            .or(request.split("sha256:").nth(1))
        {
            let hex: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
            *counts.entry(hex).or_default() += 1;
        }
    }
    counts
}

/// Requests that send blob bytes or open upload sessions, for repositories under `prefix`.
fn upload_requests<'a>(lines: &'a [String], prefix: &str) -> Vec<&'a String> {
    lines
        .iter()
        .filter(|line| {
            ["POST", "PATCH", "PUT"].iter().any(|method| {
                line.contains(&format!("\"{method} /v2/{prefix}")) && line.contains("/blobs/")
            })
        })
        .collect()
}

#[test]
fn three_formats_share_each_gguf_upload_and_read_back_with_independent_clients() {
    let registry = logged_registry();
    let namespace = unique("formats");
    let repository = format!("{namespace}/model");
    let release = release(&repository, "apache-2.0");
    let backend = oci_backend(&registry, None, Vec::new()).with_formats(&OciFormat::ALL);
    let digests = DigestCache::in_memory();
    let ctx = PushContext::new(&digests, &QuietProgress, transfer_options(64 << 20));
    let artifacts = backend.artifacts(&release, &ctx).unwrap();
    assert_eq!(artifacts.len(), 6, "three formats of two tags");

    let before = log_len();
    let plan = backend.plan(&release, &ctx).unwrap();
    // The plan says per format what is new and what is mounted: every GGUF is uploaded once
    // (to the Ollama repository, pushed first) and mounted everywhere else.
    let weights_digest = digests
        .digest_file(&gguf(WEIGHTS), &QuietProgress)
        .unwrap()
        .0;
    let for_weights: Vec<(&str, &Action)> = plan
        .items
        .iter()
        .filter(|i| i.digest == Some(weights_digest))
        .map(|i| (i.name.split(':').next().unwrap(), &i.action))
        .collect();
    assert_eq!(
        for_weights.len(),
        3,
        "one entry per repository: {for_weights:#?}"
    );
    assert_eq!(for_weights[0], ("ollama", &Action::Upload));
    for (format, action) in &for_weights[1..] {
        assert!(
            matches!(action, Action::Mount { from } if *from == repository),
            "{format}: {action:?}"
        );
    }
    let report = backend.push(&plan, &release, &ctx).unwrap();
    assert_eq!(report.pull_commands.len(), 6);
    assert!(
        report.pull_commands.contains(&format!(
            "docker model pull {registry}/{repository}-docker:q4_k_m"
        )),
        "{:#?}",
        report.pull_commands
    );
    assert!(report.pull_commands.contains(&format!(
        "ramalama pull oci://{registry}/{repository}-modelpack:latest"
    )));
    let lines = log_lines_since(before);
    let counts = uploads(&lines, &namespace);
    for file in [WEIGHTS, PROJECTOR] {
        let hex = digests
            .digest_file(&gguf(file), &QuietProgress)
            .unwrap()
            .0
            .hex();
        assert_eq!(
            counts.get(&hex),
            Some(&1),
            "{file} must be uploaded exactly once: {counts:#?}\n{}",
            lines.join("\n")
        );
    }
    let mounts = lines
        .iter()
        .filter(|l| l.contains("mount=sha256") && l.contains("\" 201 "))
        .count();
    assert!(
        mounts >= 4,
        "the GGUFs are mounted into the docker and modelpack repositories: {}",
        lines.join("\n")
    );

    let verify = backend.verify(&release, &ctx).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");
    assert!(
        verify
            .checks
            .iter()
            .any(|c| c.name.starts_with("modelpack config")),
        "verify reads the configs back: {verify:#?}"
    );

    // Every manifest, as an independent client reads it.
    let mut modelpack_configs = Vec::new();
    for artifact in &artifacts {
        let reference = format!("docker://{registry}/{}", artifact.reference());
        let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &reference]);
        assert_eq!(raw, artifact.manifest.to_vec(), "{reference}");
        let manifest: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        if artifact.format == OciFormat::Ollama {
            // skopeo reads no further: it refuses Ollama's layer media types in a Docker v2
            // manifest. `verify` downloaded and checked this config.
            continue;
        }
        let config = skopeo(&[
            "inspect",
            "--config",
            "--raw",
            "--tls-verify=false",
            &reference,
        ]);
        assert_eq!(Digest::of_bytes(&config), artifact.config.digest);
        let config: serde_json::Value = serde_json::from_slice(&config).unwrap();
        let layer_types: Vec<&str> = manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["mediaType"].as_str().unwrap())
            .collect();
        match artifact.format {
            OciFormat::Ollama => unreachable!("skipped above"),
            OciFormat::Docker => {
                assert_eq!(
                    manifest["mediaType"],
                    "application/vnd.oci.image.manifest.v1+json"
                );
                assert_eq!(
                    manifest["config"]["mediaType"],
                    "application/vnd.docker.ai.model.config.v0.1+json"
                );
                assert_eq!(
                    layer_types,
                    [
                        "application/vnd.docker.ai.gguf.v3",
                        "application/vnd.docker.ai.mmproj",
                        "application/vnd.docker.ai.chat.template.jinja",
                        "application/vnd.docker.ai.license",
                    ]
                );
                assert_eq!(config["config"]["format"], "gguf");
                assert_eq!(config["config"]["quantization"], "Q4_K_M");
                assert_eq!(config["config"]["parameters"], "494.03 M");
                assert_eq!(config["config"]["architecture"], "qwen2");
                assert_eq!(config["config"]["context_size"], 4096);
                let size = std::fs::metadata(gguf(WEIGHTS)).unwrap().len();
                assert_eq!(config["config"]["size"], size.to_string());
                assert_eq!(config["config"]["gguf"]["general.architecture"], "qwen2");
                assert_eq!(config["descriptor"]["created"], "2026-01-01T00:00:00Z");
                assert_eq!(config["rootfs"]["type"], "layers");
                assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 4);
                pull_and_check(&registry, artifact);
            }
            OciFormat::Modelpack => {
                assert_eq!(
                    manifest["artifactType"],
                    "application/vnd.cncf.model.manifest.v1+json"
                );
                assert_eq!(
                    manifest["config"]["mediaType"],
                    "application/vnd.cncf.model.config.v1+json"
                );
                let paths: Vec<(&str, &str)> = manifest["layers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| {
                        (
                            l["mediaType"].as_str().unwrap(),
                            l["annotations"]["org.cncf.model.filepath"]
                                .as_str()
                                .unwrap(),
                        )
                    })
                    .collect();
                assert_eq!(
                    paths,
                    [
                        ("application/vnd.cncf.model.weight.v1.raw", WEIGHTS),
                        ("application/vnd.cncf.model.weight.v1.raw", PROJECTOR),
                        (
                            "application/vnd.cncf.model.weight.config.v1.raw",
                            "chat_template.jinja"
                        ),
                        ("application/vnd.cncf.model.doc.v1.raw", "README.md"),
                        ("application/vnd.cncf.model.doc.v1.raw", "LICENSE"),
                    ]
                );
                assert_eq!(
                    config["descriptor"]["licenses"],
                    serde_json::json!(["Apache-2.0"])
                );
                assert_eq!(
                    config["descriptor"]["sourceURL"],
                    "https://huggingface.co/ruv/ruvltra"
                );
                assert_eq!(
                    config["config"]["capabilities"]["inputTypes"],
                    serde_json::json!(["text", "image"])
                );
                assert_eq!(config["config"]["capabilities"]["toolUsage"], true);
                assert_eq!(config["config"]["precision"], "int4");
                assert_eq!(config["modelfs"]["diffIds"].as_array().unwrap().len(), 5);
                modelpack_configs.push(serde_json::to_vec(&config).unwrap());
                pull_and_check(&registry, artifact);
            }
        }
    }
    assert_eq!(modelpack_configs.len(), 2);
    validate_modelpack_configs(&modelpack_configs);

    // A second push plans only skips and sends nothing at all.
    let before = log_len();
    let again = backend.plan(&release, &ctx).unwrap();
    assert!(again.is_up_to_date(), "{again:#?}");
    let report = backend.push(&again, &release, &ctx).unwrap();
    assert_eq!(report.bytes_sent, 0);
    let lines = log_lines_since(before);
    let sent = upload_requests(&lines, &namespace);
    assert!(sent.is_empty(), "the second push uploaded: {sent:#?}");
}

/// `(error text, requests the registry saw)` for planning `release` in `formats` through a
/// proxy that records every request.
fn plan_error(
    release: &Release,
    formats: &[OciFormat],
    mount_from: Vec<String>,
) -> (String, usize) {
    let proxy = FaultProxy::start(&logged_registry());
    let backend = oci_backend(&proxy.addr(), None, mount_from).with_formats(formats);
    let digests = DigestCache::in_memory();
    let ctx = PushContext::new(&digests, &QuietProgress, transfer_options(64 << 20));
    let err = backend.plan(release, &ctx).unwrap_err().to_string();
    (err, proxy.log().len())
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let repository = format!("{}/model", unique("bad"));
    // A license without an SPDX id, for ModelPack only.
    let (err, requests) = plan_error(
        &release(&repository, "other"),
        &[OciFormat::Modelpack],
        Vec::new(),
    );
    assert!(
        err.contains("the license `other` has no SPDX identifier"),
        "{err}"
    );
    assert_eq!(requests, 0);
    let (err, requests) = plan_error(&release(&repository, "llama3"), &OciFormat::ALL, Vec::new());
    assert!(err.contains("`llama3`"), "{err}");
    assert_eq!(requests, 0);
    // An invalid repository name (uppercase letters are valid in Ollama names, not in OCI's).
    let (err, requests) = plan_error(
        &release("Ruv/Model", "mit"),
        &[OciFormat::Docker],
        Vec::new(),
    );
    assert!(
        err.contains("`Ruv/Model-docker` is not a valid OCI repository name (`Ruv` has the uppercase letter `R`)"),
        "{err}"
    );
    assert_eq!(requests, 0);
    let (err, requests) = plan_error(
        &release(&repository, "mit"),
        &[OciFormat::Ollama],
        vec!["other//repo".into()],
    );
    assert!(
        err.starts_with("`--mount-from`: `other//repo` is not a valid OCI repository name"),
        "{err}"
    );
    assert_eq!(requests, 0);
    // Bare GGUF files have no facts for the model-config formats.
    let mut bare = release(&repository, "mit");
    for model in &mut bare.models {
        model.facts = None;
    }
    let (err, requests) = plan_error(&bare, &[OciFormat::Docker], Vec::new());
    assert!(
        err.contains("the `docker` format needs what the manifest resolves"),
        "{err}"
    );
    assert_eq!(requests, 0);
    // An unknown format name.
    let err = "gguf".parse::<OciFormat>().unwrap_err().to_string();
    assert!(err.starts_with("unknown OCI format `gguf`"), "{err}");
}

#[test]
fn oci_layout_holds_every_format_and_skopeo_reads_it() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("layout");
    let release = release("ruv/layout", "apache-2.0");
    let backend = BundleBackend::new(BundleTarget::OciLayout {
        dir: dir.clone(),
        formats: OciFormat::ALL.to_vec(),
    });
    let digests = DigestCache::in_memory();
    let ctx = PushContext::new(&digests, &QuietProgress, transfer_options(64 << 20));
    let plan = backend.plan(&release, &ctx).unwrap();
    let report = backend.push(&plan, &release, &ctx).unwrap();
    assert!(report.bytes_sent > 0);
    let verify = backend.verify(&release, &ctx).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");
    assert_eq!(
        std::fs::read_to_string(dir.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    // Each GGUF is stored once, whatever the formats.
    let weights_hex = digests
        .digest_file(&gguf(WEIGHTS), &QuietProgress)
        .unwrap()
        .0
        .hex();
    let blobs: Vec<String> = std::fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(blobs.iter().filter(|b| **b == weights_hex).count(), 1);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let refs: BTreeMap<String, String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["annotations"]["org.opencontainers.image.ref.name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                m["digest"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(refs.len(), 6, "{refs:#?}");
    assert!(refs.contains_key("ruv/layout:q4_k_m"), "{refs:#?}");
    // skopeo (containers/image) reads the OCI manifests of a layout; it passes over index
    // entries with Docker's manifest type, such as Ollama's image.
    for reference in ["ruv/layout-docker:q4_k_m", "ruv/layout-modelpack:latest"] {
        assert!(refs.contains_key(reference), "{reference}: {refs:#?}");
        let copy = out.path().join(reference.replace(['/', ':'], "_"));
        skopeo(&[
            "copy",
            &format!("oci:{}:{reference}", dir.display()),
            &format!("dir:{}", copy.display()),
        ]);
        let manifest = std::fs::read(copy.join("manifest.json")).unwrap();
        assert_eq!(format!("{}", Digest::of_bytes(&manifest)), refs[reference]);
    }
    // Writing the same release again writes nothing new.
    let again = backend.plan(&release, &ctx).unwrap();
    assert!(again.is_up_to_date(), "{again:#?}");
    assert!(Path::new(&dir).join("index.json").is_file());
}

/// The checked-in manifest, written into `dir` with its fixtures folder made absolute, the
/// Ollama namespace `namespace` and `oci` appended as its `[oci]` table.
fn manifest_with_oci(dir: &Path, namespace: &str, oci: &str) -> PathBuf {
    let text = std::fs::read_to_string(support::root().join("ruvltra.toml")).unwrap();
    let fixtures = support::root().join("fixtures");
    let text = text
        .replace(
            "local = \"fixtures\"",
            &format!("local = {:?}", fixtures.display().to_string()),
        )
        .replace("namespace = \"ruv\"", &format!("namespace = {namespace:?}"));
    let path = dir.join("ruvltra.toml");
    std::fs::write(&path, format!("{text}\n[oci]\n{oci}\n")).unwrap();
    path
}

/// Runs the binary with a private cache; `(success, stdout, stderr)`.
fn run(args: &[&str], cache: &Path) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .env("DOCKER_CONFIG", cache.join("no-docker"))
        .env_remove("REGISTRY_USERNAME")
        .env_remove("REGISTRY_PASSWORD")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn the_manifest_chooses_formats_and_the_card_and_usage_print_the_pull_commands() {
    let registry = logged_registry();
    let cache = tempfile::tempdir().unwrap();
    let namespace = unique("cli");
    let oci = format!("registry = {registry:?}\nformats = [\"ollama\", \"docker\", \"modelpack\"]");
    let manifest = manifest_with_oci(cache.path(), &namespace, &oci);
    let manifest = manifest.to_str().unwrap();

    // The generated card and usage.md name each format's pull command.
    let out = cache.path().join("out");
    let (ok, stdout, stderr) = run(
        &[
            "all",
            "--manifest",
            manifest,
            "--out",
            out.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert!(ok, "{stdout}{stderr}");
    let docker =
        format!("docker model pull {registry}/{namespace}/ruvltra-small-docker:0.5b-q4_K_M");
    let ramalama =
        format!("ramalama pull oci://{registry}/{namespace}/ruvltra-small-modelpack:0.5b-q4_K_M");
    let ollama = format!("ollama pull {registry}/{namespace}/ruvltra-small:0.5b-q4_K_M");
    for file in ["hub/README.md", "llamacpp/usage.md"] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        for command in [&docker, &ramalama, &ollama] {
            assert!(
                text.contains(command.as_str()),
                "{file} lacks `{command}`:\n{text}"
            );
        }
    }

    // The push writes the manifest's formats and prints the same commands.
    let push = [
        "push",
        "--to",
        "oci",
        "--registry",
        &registry,
        "--insecure",
        "--manifest",
        manifest,
        "--variant",
        "small/q4_k_m",
    ];
    let (ok, stdout, stderr) = run(&push, cache.path());
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("pull with:"), "{stdout}");
    for command in [&docker, &ramalama, &ollama] {
        assert!(stdout.contains(command.as_str()), "{stdout}");
    }
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{registry}/{namespace}/ruvltra-small-modelpack:0.5b-q4_K_M"),
    ]);
    let raw: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        raw["artifactType"],
        "application/vnd.cncf.model.manifest.v1+json"
    );

    // `--format` replaces the manifest's list; an unknown one is refused by name.
    let mut only_docker = push.to_vec();
    only_docker.extend(["--format", "docker", "--dry-run"]);
    let (ok, stdout, stderr) = run(&only_docker, cache.path());
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("docker: "), "{stdout}");
    assert!(!stdout.contains("modelpack: "), "{stdout}");
    let mut bogus = push.to_vec();
    bogus.extend(["--format", "gguf"]);
    let (ok, _, stderr) = run(&bogus, cache.path());
    assert!(!ok);
    assert!(stderr.contains("unknown OCI format `gguf`"), "{stderr}");

    // A misspelt format in the manifest is an error with a suggestion.
    let dir = tempfile::tempdir().unwrap();
    let bad = manifest_with_oci(dir.path(), "ruv", "formats = [\"dockr\"]");
    let (ok, stdout, stderr) = run(&["check", bad.to_str().unwrap()], cache.path());
    assert!(!ok, "{stdout}");
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains("`oci.formats`: must list formats from `ollama`, `docker`, `modelpack`, found `dockr` (did you mean `docker`?)"),
        "{all}"
    );
}
