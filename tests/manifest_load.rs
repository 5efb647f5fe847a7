//! The manifest: the checked-in `ruvltra.toml`, and how mistakes are reported (every one,
//! with `file:line:col` and a suggestion for near misses).

mod support;

use std::path::Path;

use ruvltra_export::manifest::{ChatTemplateSource, License, Manifest, Visibility};
use ruvltra_export::ollama::{ModelName, ParamValue, Parameter, TagScheme};

const MINIMAL: &str = r#"[family]
name = "RuvLTRA"
description = "Small coding models."
publisher = "ruv"
license = "apache-2.0"

[hub]
repo = "ruv/ruvltra"

[models.small.variants.q4_k_m]
file = "ruvltra-small-0.5b-q4_k_m.gguf"
"#;

fn errors(text: &str) -> Vec<String> {
    Manifest::parse(text, Path::new("ruvltra.toml"))
        .expect_err("should fail")
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_checked_in_manifest_describes_ruvltra() {
    let manifest = Manifest::load(&support::root().join("ruvltra.toml")).unwrap();
    assert_eq!(manifest.family.name, "RuvLTRA");
    assert_eq!(
        manifest.family.base_model.as_deref(),
        Some("Qwen/Qwen2.5-0.5B-Instruct")
    );
    assert_eq!(manifest.family.license, License::Id("apache-2.0".into()));
    assert_eq!(manifest.hub.repo, "ruv/ruvltra");
    assert_eq!(
        manifest.source.local.as_deref(),
        Some(Path::new("fixtures"))
    );
    assert!(manifest.source.fixtures);
    let keys: Vec<&str> = manifest.models.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["claude-code", "small", "medium"]);
    assert_eq!(manifest.default_model().unwrap().key, "claude-code");
    let files: Vec<&str> = manifest
        .models
        .iter()
        .flat_map(|m| m.variants.iter().map(|v| v.file.as_str()))
        .collect();
    assert_eq!(
        files,
        [
            "ruvltra-claude-code-0.5b-q4_k_m.gguf",
            "ruvltra-small-0.5b-q4_k_m.gguf",
            "ruvltra-small-0.5b-q8_0.gguf",
            "ruvltra-medium-1.1b-q4_k_m.gguf",
            "ruvltra-medium-1.1b-q8_0.gguf",
        ]
    );
    for model in &manifest.models {
        assert_eq!(model.default_variant().unwrap().key, "q4_k_m");
    }
    assert_eq!(
        manifest.modelscope.as_ref().unwrap().visibility,
        Visibility::Public
    );

    let medium = manifest.model("medium").unwrap();
    let params = manifest.parameters_for(medium, medium.variant("q8_0").unwrap());
    assert_eq!(params.get(Parameter::NumCtx), Some(&ParamValue::Int(8192)));
    assert_eq!(
        params.get(Parameter::Temperature),
        Some(&ParamValue::Float(0.7))
    );
    let small = manifest.model("small").unwrap();
    let params = manifest.parameters_for(small, small.variant("q8_0").unwrap());
    assert_eq!(params.get(Parameter::NumCtx), Some(&ParamValue::Int(4096)));
    assert!(manifest.system_for(small, &small.variants[0]).is_some());
}

#[test]
fn variants_are_selected_by_name() {
    let manifest = Manifest::load(&support::root().join("ruvltra.toml")).unwrap();
    let ids = |names: &[&str]| -> Vec<String> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        manifest
            .select_variants(&names)
            .unwrap()
            .iter()
            .map(|(m, v)| format!("{}/{}", m.key, v.key))
            .collect()
    };
    assert_eq!(ids(&[]).len(), 5);
    assert_eq!(ids(&["small/q8_0"]), ["small/q8_0"]);
    assert_eq!(
        ids(&["medium", "medium/q8_0"]),
        ["medium/q4_k_m", "medium/q8_0"]
    );
    assert_eq!(
        ids(&["ruvltra-claude-code-0.5b-q4_k_m.gguf"]),
        ["claude-code/q4_k_m"]
    );
    let err = manifest
        .select_variants(&["small/q8".to_owned()])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no variant `small/q8` in the manifest (did you mean `small/q8_0`?); variants: claude-code/q4_k_m, small/q4_k_m, small/q8_0, medium/q4_k_m, medium/q8_0"
    );
}

#[test]
fn ollama_names_follow_the_tag_scheme() {
    let manifest = Manifest::load(&support::root().join("ruvltra.toml")).unwrap();
    let claude = manifest.model("claude-code").unwrap();
    let base = manifest.ollama_name(claude).unwrap();
    assert_eq!(base.to_string(), "ruv/ruvltra-claude-code");
    let tag = manifest.ollama.tag_scheme.tag("0.5B", "Q4_K_M").unwrap();
    assert_eq!(
        base.with_tag(&tag).unwrap().to_string(),
        "ruv/ruvltra-claude-code:0.5b-q4_K_M"
    );
    assert_eq!(
        base.with_tag("0.5b").unwrap().to_string(),
        "ruv/ruvltra-claude-code:0.5b"
    );
    let small = manifest.model("small").unwrap();
    let names: Vec<String> = small
        .variants
        .iter()
        .flat_map(|v| {
            manifest
                .ollama_variant_names(small, v, "0.5B", &v.key)
                .unwrap()
        })
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "ruv/ruvltra-small:0.5b-q4_K_M",
            "ruv/ruvltra-small:0.5b",
            "ruv/ruvltra-small:latest",
            "ruv/ruvltra-small:0.5b-q8_0",
        ]
    );
    // No two models share a name.
    let names: std::collections::HashSet<ModelName> = manifest
        .models
        .iter()
        .map(|m| manifest.ollama_name(m).unwrap())
        .collect();
    assert_eq!(names.len(), 3);
}

#[test]
fn defaults_fill_in() {
    let m = Manifest::parse(MINIMAL, Path::new("ruvltra.toml")).unwrap();
    assert_eq!(m.hub.revision, "main");
    assert_eq!(m.family.default_model, "small");
    assert_eq!(m.models[0].default_variant, "q4_k_m");
    assert_eq!(m.ollama.namespace, "ruv");
    assert_eq!(m.ollama.basename, "ruvltra");
    assert_eq!(m.ollama.tag_scheme, TagScheme::SizeQuant);
    assert!(m.modelscope.is_none());
    assert!(!m.llamacpp.hub_preset);
}

#[test]
fn unknown_keys_are_located_with_a_suggestion() {
    let text = MINIMAL.replace("[hub]\nrepo", "[hub]\nrevison = \"main\"\nrepo");
    assert_eq!(
        errors(&text),
        ["ruvltra.toml:8:1: unknown key `revison` in `[hub]` (did you mean `revision`?)"]
    );
    let text = format!("{MINIMAL}[models.small.variants.q4_k_m.parameters]\ntempreature = 0.5\n");
    assert_eq!(
        errors(&text),
        [
            "ruvltra.toml:13:1: `models.small.variants.q4_k_m.parameters.tempreature`: unknown parameter 'tempreature' (did you mean `temperature`?)"
        ]
    );
    let text = format!("{MINIMAL}[defaults.parameters]\ntempreature = 0.5\n");
    assert_eq!(
        errors(&text),
        [
            "ruvltra.toml:13:1: `defaults.parameters.tempreature`: unknown parameter 'tempreature' (did you mean `temperature`?)"
        ]
    );
    let text = format!("chat_templat = \"x\"\n{MINIMAL}");
    assert_eq!(
        errors(&text),
        ["ruvltra.toml:1:1: unknown key `chat_templat` in the top level"]
    );
}

#[test]
fn every_error_is_reported_in_file_order() {
    let text = r#"[family]
name = 7
publisher = "ruv"
license = { name = "Custom" }
languages = "en"

[hub]
repo = "not a repo"

[defaults.parameters]
num_ctx = "4096"
top_p = 1.5
temperature = -1
use_mmap = "yes"
stop = "<|im_end|>"
mirostat = 2

[models.small]
default_variant = "q5"

[models.small.variants.q4_k_m]
file = "ruvltra-small-0.5b-q4_k_m.gguf"

[models.small.variants.q8_0]
file = "ruvltra-small-0.5b-q8_0.gguf"
quant = "Q8 0"
"#;
    let got = errors(text);
    assert_eq!(
        got,
        [
            "ruvltra.toml:1:1: missing key `description` in `[family]`: one paragraph for cards and catalogs",
            "ruvltra.toml:2:8: `family.name` must be a string, found an integer",
            "ruvltra.toml:4:11: `family.license`: a named license needs `link` (a URL) or `file` (its text, relative to the manifest)",
            "ruvltra.toml:5:13: `family.languages` must be an array of strings, found a string",
            "ruvltra.toml:8:8: `hub.repo`: `not a repo` is not a Hub repository id like `owner/name`",
            "ruvltra.toml:11:11: `defaults.parameters.num_ctx`: `num_ctx` takes an int, found the string \"4096\"",
            "ruvltra.toml:12:9: `defaults.parameters.top_p`: `top_p` must be a number between 0 and 1, found 1.5",
            "ruvltra.toml:13:15: `defaults.parameters.temperature`: `temperature` must be a number >= 0, found -1",
            "ruvltra.toml:14:12: `defaults.parameters.use_mmap`: `use_mmap` takes a bool, found the string \"yes\"",
            "ruvltra.toml:15:8: `defaults.parameters.stop` must be an array of strings, found a string",
            "ruvltra.toml:16:1: `defaults.parameters.mirostat`: parameter 'mirostat' was removed in Ollama v0.6.9 and has no effect: delete it",
            "ruvltra.toml:19:19: `models.small.default_variant` names a variant of `small` `q5`, which is not defined; defined: q4_k_m, q8_0",
            "ruvltra.toml:26:9: `models.small.variants.q8_0.quant`: `Q8 0` is not a quantization name such as `Q4_K_M` or `Q8_0`",
        ]
    );
}

#[test]
fn size_labels_are_checked() {
    for (size, ok) in [
        ("0.5B", true),
        ("135m", true),
        ("8x7b", true),
        ("1é", false),
        ("b", false),
        ("0b", false),
        ("big", false),
    ] {
        let text = format!("{MINIMAL}size = \"{size}\"\n");
        let result = Manifest::parse(&text, Path::new("ruvltra.toml"));
        assert_eq!(result.is_ok(), ok, "{size}: {result:?}");
    }
}

#[test]
fn toml_syntax_errors_are_located() {
    let got = errors("[family]\nname = \"RuvLTRA\ndescription = \"x\"\n");
    assert!(got[0].starts_with("ruvltra.toml:2:"), "{got:?}");
    assert!(got[0].contains("invalid TOML"), "{got:?}");
}

#[test]
fn overrides_can_be_marked_intended() {
    let text = format!(
        "{MINIMAL}context_length = {{ value = 8192, intended = true }}\nquant = \"q4_k_m\"\n\n[models.small.parameters]\nnum_ctx = {{ value = 8192, intended = true }}\nstop = [\"<|im_end|>\"]\n"
    );
    let m = Manifest::parse(&text, Path::new("ruvltra.toml")).unwrap();
    let variant = &m.models[0].variants[0];
    let ctx = variant.context_length.as_ref().unwrap();
    assert_eq!(
        (ctx.value, ctx.intended, ctx.location.line),
        (8192, true, 12)
    );
    let quant = variant.quant.as_ref().unwrap();
    assert_eq!((quant.value.as_str(), quant.intended), ("Q4_K_M", false));
    let (param, claim) = &m.models[0].settings.parameters[0];
    assert_eq!(
        (*param, &claim.value, claim.intended),
        (Parameter::NumCtx, &ParamValue::Int(8192), true)
    );
    assert_eq!(
        m.models[0].settings.stop.as_ref().unwrap().value,
        ["<|im_end|>"]
    );

    let bad = text.replace("intended = true }\nquant", "intnded = true }\nquant");
    assert_eq!(
        errors(&bad),
        [
            "ruvltra.toml:12:34: unknown key `intnded` in `[models.small.variants.q4_k_m.context_length]` (did you mean `intended`?)"
        ]
    );
}

#[test]
fn references_and_uniqueness_are_checked() {
    let two_models = format!(
        "{MINIMAL}\n[models.big.variants.q8_0]\nfile = \"ruvltra-small-0.5b-q4_k_m.gguf\"\n"
    );
    let got = errors(&two_models);
    assert!(
        got.iter()
            .any(|e| e.contains("missing key `default_model` in [family]")),
        "{got:?}"
    );

    let text = two_models.replace(
        "publisher = \"ruv\"",
        "publisher = \"ruv\"\ndefault_model = \"smal\"",
    );
    let got = errors(&text);
    assert!(
        got.iter().any(|e| e.contains("`family.default_model` names a model `smal`, which is not defined (did you mean `small`?); defined: small, big")),
        "{got:?}"
    );

    let text = two_models.replace(
        "publisher = \"ruv\"",
        "publisher = \"ruv\"\ndefault_model = \"small\"",
    );
    let got = errors(&text);
    assert!(
        got.iter().any(|e| e.ends_with("`models.big.variants.q8_0.file`: `ruvltra-small-0.5b-q4_k_m.gguf` is already used by `models.small.variants.q4_k_m.file`")),
        "{got:?}"
    );

    let clash = format!(
        "{MINIMAL}\n[models.small.ollama]\nname = \"same\"\n\n[models.big]\n[models.big.ollama]\nname = \"SAME\"\n[models.big.variants.q8_0]\nfile = \"b.gguf\"\n"
    )
    .replace("publisher = \"ruv\"", "publisher = \"ruv\"\ndefault_model = \"small\"");
    let got = errors(&clash);
    assert!(
        got.iter().any(|e| e.contains(
            "`models.big.ollama.name`: `ruv/SAME` is already used by `models.small.ollama.name`"
        )),
        "{got:?}"
    );
}

#[test]
fn chat_template_and_licenses() {
    let text = MINIMAL.replace(
        "license = \"apache-2.0\"",
        "license = { name = \"RuvLTRA License\", link = \"https://example.com/license\" }",
    ) + "\n[defaults]\nchat_template_file = \"templates/chatml.jinja\"\nmessages = [{ role = \"user\", content = \"hi\" }]\n";
    let m = Manifest::parse(&text, Path::new("ruvltra.toml")).unwrap();
    assert!(
        matches!(&m.family.license, License::Custom { name, link: Some(_), file: None } if name == "RuvLTRA License")
    );
    assert_eq!(
        m.defaults.chat_template.as_ref().unwrap().value,
        ChatTemplateSource::File("templates/chatml.jinja".into())
    );
    assert_eq!(m.defaults.messages[0].content, "hi");

    let both = text.replace(
        "chat_template_file = ",
        "chat_template = \"{{ x }}\"\nchat_template_file = ",
    );
    let got = errors(&both);
    assert!(
        got[0].contains("give either `chat_template` or `chat_template_file`, not both"),
        "{got:?}"
    );
    let bad_role = text.replace("role = \"user\"", "role = \"User\"");
    let got = errors(&bad_role);
    assert!(
        got[0].contains("must be `system`, `user` or `assistant` (lower-case), found `User`"),
        "{got:?}"
    );
}

#[test]
fn load_reports_unreadable_files() {
    let err = Manifest::load(Path::new("/nonexistent/ruvltra.toml")).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot read the manifest `/nonexistent/ruvltra.toml`"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, b"[family]\nname = \"\xff\"\n").unwrap();
    let err = Manifest::load(&path).unwrap_err();
    let cause = std::error::Error::source(&err).map(ToString::to_string);
    assert!(
        err.to_string().contains("cannot read the manifest")
            && cause.as_ref().is_some_and(
                |c| c.contains("not UTF-8 text (the first invalid byte is at offset 17)")
            ),
        "{err}: {cause:?}"
    );
}
