//! A real model through real engines: Gemma 3 270M (a real GGUF without a chat template,
//! `scripts/setup/60-gemma.sh`) served by the real `llama-server`, and llama.cpp's real
//! tokenizer (`llama-tokenize`, `scripts/setup/50-llama-server.sh`) on the corpus vocabularies.
//!
//! What the fit check (`template::fit`) reads from the header is held against what the engines
//! do: the template the tool chooses keeps every control marker ONE special token in the real
//! tokenizer, a wrong family forced on a vocabulary does not, the embedded template renders in
//! llama.cpp to the same prompt tokens as our Go rendering, and our stop list ends a real
//! generation. Gemma 270M is a base model: these tests assert mechanics (tokens, stops, equal
//! prompts), never answer quality.
//!
//! The models and binaries are provided by the setup scripts; missing ones fail the tests with
//! the script to run, never skip them.

#[path = "support/gorender/harness.rs"]
mod gorender;
#[path = "support/llama_server.rs"]
mod llama_server;
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use llama_server::{Router, gemma_model, scratch, tokenize_ids};
use ruvltra_export::gguf::{Array, GgufHeader};
use ruvltra_export::template::chat::ChatRequest;
use ruvltra_export::template::convert::{ConvertInput, convert};
use ruvltra_export::template::defaults::{self, DefaultTemplate};
use ruvltra_export::template::fit::markers::bar_markers;
use ruvltra_export::template::ollama::collate;
use ruvltra_export::template::suite::{self, SuiteKind};
use serde_json::{Value, json};
use support::{run_in, text, vocab};

/// One Gemma server at a time: each loads the 253 MB model, and CI has two cores.
static GEMMA: Mutex<()> = Mutex::new(());

fn gemma_turn() -> MutexGuard<'static, ()> {
    // A failed test poisons the lock; the next one may still run.
    GEMMA.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many tokens the completion test generates: enough to see a stop, short on 2 cores.
const N_PREDICT: u64 = 24;

fn family(name: &str) -> DefaultTemplate {
    *defaults::ALL
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no built-in family `{name}`"))
}

// ---- The vocabulary as the check needs it ----

/// A GGUF's vocabulary: token texts, their types, and the texts of its BOS/EOS/EOT/EOM.
struct Vocab {
    tokens: Vec<String>,
    types: Option<Vec<i32>>,
    specials: Vec<String>,
    /// SentencePiece with `<s>`/`</s>`: Llama 2 and Mistral v0.1 write `[INST]` as text.
    sentencepiece_s: bool,
    bos: String,
    eos: String,
}

impl Vocab {
    fn read(path: &Path) -> Vocab {
        let header = GgufHeader::read_path(path).unwrap();
        let tokens: Vec<String> = header
            .tokens()
            .unwrap_or_else(|| panic!("{} has no vocabulary", path.display()))
            .iter()
            .map(str::to_owned)
            .collect();
        let types = match header
            .get("tokenizer.ggml.token_type")
            .and_then(|v| v.as_array())
        {
            Some(Array::I32(types)) if types.len() == tokens.len() => Some(types.clone()),
            _ => None,
        };
        let special = header.special_tokens();
        let text = |t: Option<ruvltra_export::gguf::SpecialToken>| {
            t.and_then(|t| t.text).unwrap_or_default()
        };
        let (bos, eos) = (text(special.bos.clone()), text(special.eos.clone()));
        let specials = [special.bos, special.eos, special.eot, special.eom]
            .into_iter()
            .map(text)
            .filter(|t| !t.is_empty())
            .collect();
        Vocab {
            sentencepiece_s: header.tokenizer_model() == Some("llama")
                && bos == "<s>"
                && eos == "</s>",
            tokens,
            types,
            specials,
            bos,
            eos,
        }
    }

    /// Whether token `id` is `text` and a control or user-defined one (any token when the
    /// header gives no types): what the tokenizer matches whole before splitting text.
    fn is_special(&self, id: u32, text: &str) -> bool {
        let id = id as usize;
        self.tokens.get(id).is_some_and(|t| t == text)
            && self
                .types
                .as_ref()
                .is_none_or(|types| matches!(types.get(id), Some(3 | 4)))
    }

    /// The markers `family` needs as tokens on this vocabulary (none of Mistral's on a
    /// SentencePiece `<s>`/`</s>` vocabulary, where `[INST]` is text by design).
    fn required(&self, family: &DefaultTemplate) -> Vec<&'static str> {
        if family.sentencepiece_text_tags && self.sentencepiece_s {
            Vec::new()
        } else {
            family.markers.to_vec()
        }
    }
}

/// The control markers of `text` that the real tokenizer did not keep as ONE special token:
/// every `<|...|>`/`<｜...｜>` marker, the `required` family markers and the vocabulary's
/// BOS/EOS/EOT/EOM texts, each counted in the text and among the tokens `ids`: a marker
/// fails when fewer of its occurrences are whole special tokens than the text holds.
fn split_markers(text: &str, required: &[&str], ids: &[u32], vocab: &Vocab) -> BTreeSet<String> {
    let mut markers = BTreeSet::new();
    bar_markers(text, &mut markers);
    for marker in required
        .iter()
        .map(|m| (*m).to_owned())
        .chain(vocab.specials.clone())
    {
        if text.contains(&marker) {
            markers.insert(marker);
        }
    }
    markers
        .into_iter()
        .filter_map(|marker| {
            let in_text = text.matches(&marker).count();
            let whole = ids
                .iter()
                .filter(|id| vocab.is_special(**id, &marker))
                .count();
            (whole != in_text).then_some(marker)
        })
        .collect()
}

// ---- Our Go templates and their prompts ----

/// What `template convert --json` says for a source.
struct Converted {
    template: String,
    stop: Vec<String>,
    origin: String,
    verified: bool,
    /// The fit check's warnings (tags or tool-only markers that are not tokens).
    warnings: Vec<String>,
}

/// `ruvltra-export template convert SOURCE --json` through the binary: the Go template the
/// tool ships for the source, or the tool's refusal.
fn convert_source(source: &Path) -> Result<Converted, String> {
    let out = run_in(
        Path::new("."),
        &["template", "convert", source.to_str().unwrap(), "--json"],
    );
    let Ok(json) = serde_json::from_slice::<Value>(&out.stdout) else {
        assert!(!out.status.success(), "no JSON: {}", text(&out));
        return Err(text(&out));
    };
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Converted {
        template: json["template"].as_str().unwrap().to_owned(),
        stop: strings(&json["stop"]),
        origin: json["origin"].as_str().unwrap().to_owned(),
        verified: json["verified"] == true,
        warnings: strings(&json["fit"]["warnings"]),
    })
}

/// A built-in family's Go template with `vocab`'s BOS/EOS, as the converter derives it: the
/// template a publisher forces by naming the family's `.jinja` in the manifest.
fn forced_template(family: &DefaultTemplate, vocab: &Vocab) -> String {
    let input = ConvertInput {
        bos_token: &vocab.bos,
        eos_token: &vocab.eos,
        ..ConvertInput::new(family.jinja)
    };
    convert(&input)
        .unwrap_or_else(|e| panic!("{}: {e}", family.name))
        .template
}

/// One suite conversation's prompt from Go's own `text/template` under Ollama's rules.
struct Prompt {
    conversation: &'static str,
    kind: SuiteKind,
    request: ChatRequest,
    text: String,
}

/// Renders each template over the whole suite with real Go (`tests/support/gorender`); the
/// conversations a template refuses are left out.
fn go_prompts(templates: &[String]) -> Vec<Vec<Prompt>> {
    let conversations = suite::conversations();
    let requests: Vec<ChatRequest> = conversations.iter().map(|c| c.request.clone()).collect();
    let (rendered, _) = gorender::run_go(templates, &requests, &[]);
    rendered
        .into_iter()
        .zip(templates)
        .map(|(row, template)| {
            let prompts: Vec<Prompt> = row
                .into_iter()
                .zip(&conversations)
                .filter_map(|(outcome, c)| {
                    outcome.ok().map(|text| Prompt {
                        conversation: c.name,
                        kind: c.kind,
                        request: c.request.clone(),
                        text,
                    })
                })
                .collect();
            assert!(
                prompts.iter().any(|p| p.kind == SuiteKind::Plain),
                "Go rendered no plain conversation with:\n{template}"
            );
            prompts
        })
        .collect()
}

/// The hard rule's prompts (plain and thinking) joined into one text, so one tokenizer run
/// covers them: llama.cpp matches special tokens before it splits text, so a marker's fate
/// does not depend on its neighbours.
fn joined(prompts: &[Prompt], tools: bool) -> String {
    prompts
        .iter()
        .filter(|p| (p.kind == SuiteKind::Tools) == tools)
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n")
}

// ---- The corpus vocabularies through llama-tokenize ----

/// What the tool must choose for a corpus vocabulary without a manifest.
enum Expect {
    /// The GGUF's own template, or the built-in default named.
    Origin(&'static str),
    /// Any family whose markers the vocabulary has, or a refusal: never Llama 3.
    NotLlama3,
    /// "no built-in chat template fits its vocabulary".
    Refused,
}

#[test]
fn corpus_vocabularies_keep_the_chosen_templates_markers_whole_and_split_a_wrong_familys() {
    let expectations = [
        ("phi-3", Expect::Origin("gguf")),
        ("qwen2", Expect::Origin("gguf")),
        ("command-r", Expect::Origin("gguf")),
        ("llama-bpe", Expect::Origin("default:llama3")),
        ("llama-spm", Expect::NotLlama3),
        ("deepseek-coder", Expect::NotLlama3),
        ("bert-bge", Expect::Refused),
        ("gpt-2", Expect::Refused),
        ("falcon", Expect::Refused),
        ("starcoder", Expect::Refused),
    ];
    let work = scratch("real-corpus-vocabularies");
    // Every template to render, with what it is: the tool's choice or a forced family.
    struct Case {
        vocab: &'static str,
        family: Option<DefaultTemplate>,
        converted: Option<Converted>,
    }
    let mut cases: Vec<Case> = Vec::new();
    let mut templates: Vec<String> = Vec::new();
    for (name, expect) in &expectations {
        let path = vocab(name);
        let v = Vocab::read(&path);
        let chosen = convert_source(&path);
        let wrong: Vec<DefaultTemplate> = match (&chosen, expect) {
            (Ok(c), Expect::Origin(origin)) => {
                assert_eq!(c.origin, *origin, "{name}");
                vec![family(if *origin == "default:llama3" {
                    "chatml"
                } else {
                    "llama3"
                })]
            }
            (Ok(c), Expect::NotLlama3) => {
                assert_ne!(c.origin, "default:llama3", "{name} must never get Llama 3");
                vec![family("llama3")]
            }
            (Err(refusal), Expect::NotLlama3 | Expect::Refused) => {
                assert!(
                    refusal.contains("no built-in chat template fits its vocabulary"),
                    "{name}: {refusal}"
                );
                // "No family fits" is the real tokenizer's verdict too: every family splits.
                defaults::ALL.to_vec()
            }
            (Ok(c), Expect::Refused) => {
                panic!("{name} must be refused, got {}:\n{}", c.origin, c.template)
            }
            (Err(refusal), Expect::Origin(_)) => panic!("{name} was refused: {refusal}"),
        };
        if let Ok(c) = chosen {
            templates.push(c.template.clone());
            cases.push(Case {
                vocab: name,
                family: None,
                converted: Some(c),
            });
        }
        for f in wrong {
            templates.push(forced_template(&f, &v));
            cases.push(Case {
                vocab: name,
                family: Some(f),
                converted: None,
            });
        }
    }
    let prompts = go_prompts(&templates);

    let mut failures = Vec::new();
    for (case, prompts) in cases.iter().zip(&prompts) {
        let path = vocab(case.vocab);
        let v = Vocab::read(&path);
        let plain = joined(prompts, false);
        let ids = tokenize_ids(&path, &plain, &work);
        match (&case.family, &case.converted) {
            (None, Some(chosen)) => {
                // The tool's choice: its own markers hold, and the chosen family's required ones.
                let required = chosen
                    .origin
                    .strip_prefix("default:")
                    .map(|f| v.required(&family(f)))
                    .unwrap_or_default();
                let split = split_markers(&plain, &required, &ids, &v);
                if !split.is_empty() {
                    failures.push(format!(
                        "{}: the chosen template ({}) has markers llama.cpp splits: {split:?}",
                        case.vocab, chosen.origin
                    ));
                }
                // Tool conversations are held to a warning: every marker split there is one
                // the tool's fit check warned about.
                let tools = joined(prompts, true);
                if !tools.is_empty() {
                    let ids = tokenize_ids(&path, &tools, &work);
                    for marker in split_markers(&tools, &required, &ids, &v) {
                        if !chosen.warnings.iter().any(|w| w.contains(&marker)) {
                            failures.push(format!(
                                "{}: llama.cpp splits {marker} in tool conversations and the tool did not warn: {:?}",
                                case.vocab, chosen.warnings
                            ));
                        }
                    }
                }
            }
            (Some(forced), _) => {
                let split = split_markers(&plain, &v.required(forced), &ids, &v);
                if split.is_empty() {
                    failures.push(format!(
                        "{}: the check passes for the wrong family {} forced on it",
                        case.vocab, forced.name
                    ));
                }
            }
            (None, None) => unreachable!(),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_marker_check_fails_for_a_forced_wrong_family_and_the_tool_names_the_same_markers() {
    // Llama 3's template forced on Llama 2's SentencePiece vocabulary: the real tokenizer
    // splits exactly the markers the tool's refusal names.
    let work = scratch("real-forced-llama3");
    let path = vocab("llama-spm");
    let v = Vocab::read(&path);
    let llama3 = family("llama3");
    let prompts = go_prompts(&[forced_template(&llama3, &v)]);
    let plain = joined(&prompts[0], false);
    let split = split_markers(
        &plain,
        &v.required(&llama3),
        &tokenize_ids(&path, &plain, &work),
        &v,
    );
    assert_eq!(
        split,
        ["<|end_header_id|>", "<|eot_id|>", "<|start_header_id|>"]
            .map(str::to_owned)
            .into(),
        "llama.cpp splits Llama 3's markers in Llama 2's vocabulary"
    );

    std::fs::create_dir_all(work.join("models")).unwrap();
    std::fs::copy(&path, work.join("models/model-f16.gguf")).unwrap();
    // A template file must lie inside the manifest's folder.
    std::fs::write(work.join("llama3.jinja"), llama3.jinja).unwrap();
    std::fs::write(
        work.join("ruvltra.toml"),
        r#"[family]
name = "Forced"
description = "Llama 3's template forced on Llama 2's vocabulary."
publisher = "ruv"
license = "apache-2.0"

[hub]
repo = "ruv/forced"

[source]
local = "models"

[models.m]
name = "Forced"
context_length = 4096
chat_template_file = "llama3.jinja"

[models.m.variants.f16]
file = "model-f16.gguf"
quant = "F16"
"#,
    )
    .unwrap();
    let out = run_in(&work, &["explain"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    for marker in &split {
        assert!(
            all.contains(&format!("`{marker}` is not a token of the vocabulary")),
            "the tool does not name {marker}: {all}"
        );
    }
}

// ---- Gemma 3 270M through llama-server ----

/// A family folder with the real Gemma GGUF (linked, not copied: 253 MB) after `init`, the
/// publisher's placeholders filled, `check` and `all`; returns the folder.
fn gemma_family(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir(dir.join("models")).unwrap();
    std::os::unix::fs::symlink(gemma_model(), dir.join("models/gemma-3-270m-q4_k_m.gguf")).unwrap();
    let init = run_in(&dir, &["init", "models"]);
    assert!(init.status.success(), "init: {}", text(&init));
    support::fill_placeholders(&dir.join("ruvltra.toml"));
    let check = run_in(&dir, &["check", "ruvltra.toml"]);
    assert!(check.status.success(), "check: {}", text(&check));
    let explain = run_in(&dir, &["explain"]);
    let table = text(&explain);
    assert!(explain.status.success(), "explain: {table}");
    assert!(
        table.contains("built-in `gemma`")
            && table.contains("vocabulary has <start_of_turn>, <end_of_turn>"),
        "the vocabulary must choose Gemma: {table}"
    );
    let all = run_in(&dir, &["all"]);
    assert!(all.status.success(), "all: {}", text(&all));
    dir
}

/// A preset serving the given local GGUFs by section name, small enough for two cores.
fn write_preset(dir: &Path, models: &[(&str, &Path)]) -> PathBuf {
    let mut text = String::from(
        "version = 1\n\n[*]\nctx-size = 4096\nn-gpu-layers = 0\nparallel = 1\nthreads = 2\n",
    );
    for (name, path) in models {
        text.push_str(&format!("\n[{name}]\nmodel = {}\n", path.display()));
    }
    let path = dir.join("presets.ini");
    std::fs::write(&path, text).unwrap();
    path
}

/// `/tokenize` on `model`: the token ids, each piece checked against the vocabulary text of
/// its id where that text is a control marker.
fn server_tokens(router: &Router, model: &str, content: &str, vocab: &Vocab) -> Vec<u32> {
    let (status, answer) = router.post(
        "/tokenize",
        &json!({"model": model, "content": content, "parse_special": true, "with_pieces": true}),
    );
    assert_eq!(status, 200, "{answer:#}\n{}", router.log());
    answer["tokens"]
        .as_array()
        .unwrap_or_else(|| panic!("no tokens: {answer:#}"))
        .iter()
        .map(|t| {
            let id = t["id"].as_u64().unwrap() as u32;
            if vocab.is_special(id, vocab.tokens[id as usize].as_str()) {
                assert_eq!(
                    t["piece"].as_str(),
                    Some(vocab.tokens[id as usize].as_str()),
                    "the piece of special token {id}"
                );
            }
            id
        })
        .collect()
}

/// The only model a router serves.
fn only_model(router: &Router) -> String {
    let models = router.models();
    let data = models["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{models:#}");
    data[0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn init_and_all_choose_gemma_and_the_generated_preset_serves_gemma_turns() {
    let _turn = gemma_turn();
    let dir = gemma_family("real-gemma-init");
    let dist = dir.join("dist");
    let modelfiles: Vec<PathBuf> = std::fs::read_dir(dist.join("ollama"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Modelfile"))
        .collect();
    assert_eq!(modelfiles.len(), 1, "{modelfiles:?}");
    let modelfile = std::fs::read_to_string(&modelfiles[0]).unwrap();
    assert!(
        modelfile.contains("<start_of_turn>") && modelfile.contains("PARAMETER stop <end_of_turn>"),
        "{modelfile}"
    );
    assert!(
        !modelfile.contains("<|im_start|>") && !modelfile.contains("<|eot_id|>"),
        "{modelfile}"
    );

    let work = dist.join("llamacpp");
    let router = Router::start(&work, &work.join("presets.ini"));
    let model = only_model(&router);
    let (status, answer) = router.post(
        "/apply-template",
        &json!({"model": model, "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello!"},
            {"role": "assistant", "content": "Hi."},
            {"role": "user", "content": "Name a colour."}
        ]}),
    );
    assert_eq!(status, 200, "{answer:#}\n{}", router.log());
    let prompt = answer["prompt"].as_str().unwrap();
    assert!(
        prompt.ends_with(
            "<start_of_turn>user\nBe brief.\n\nHello!<end_of_turn>\n<start_of_turn>model\nHi.<end_of_turn>\n<start_of_turn>user\nName a colour.<end_of_turn>\n<start_of_turn>model\n"
        ),
        "Gemma turns from the shipped template, not the ChatML fallback: {prompt:?}"
    );
    assert!(!prompt.contains("<|im_start|>"), "{prompt:?}");
}

#[test]
fn our_go_prompts_keep_every_gemma_marker_one_special_token_in_llama_server() {
    let _turn = gemma_turn();
    let gemma = gemma_model();
    let chosen = convert_source(&gemma).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(chosen.origin, "default:gemma");
    assert!(chosen.verified, "{}", chosen.template);
    let v = Vocab::read(&gemma);
    let prompts = go_prompts(std::slice::from_ref(&chosen.template)).remove(0);

    let work = scratch("real-gemma-tokenize");
    let router = Router::start(&work, &write_preset(&work, &[("gemma", &gemma)]));
    let required = v.required(&family("gemma"));
    let mut checked = 0;
    for prompt in &prompts {
        let ids = server_tokens(&router, "gemma", &prompt.text, &v);
        let split = split_markers(&prompt.text, &required, &ids, &v);
        let allowed = prompt.kind == SuiteKind::Tools
            && split
                .iter()
                .all(|m| chosen.warnings.iter().any(|w| w.contains(m)));
        assert!(
            split.is_empty() || allowed,
            "{}: llama-server splits {split:?} in {:?}",
            prompt.conversation,
            prompt.text
        );
        checked += prompt.text.matches("<start_of_turn>").count();
    }
    assert!(checked > 20, "the suite has Gemma turns: {checked}");

    // The check is not vacuous: with special tokens read as text, every turn marker splits.
    let text = &prompts[0].text;
    let (status, answer) = router.post(
        "/tokenize",
        &json!({"model": "gemma", "content": text, "parse_special": false}),
    );
    assert_eq!(status, 200, "{answer:#}");
    let ids: Vec<u32> = answer["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap() as u32)
        .collect();
    assert_eq!(
        split_markers(text, &required, &ids, &v),
        ["<end_of_turn>", "<start_of_turn>"]
            .map(str::to_owned)
            .into()
    );
}

#[test]
fn the_embedded_template_gives_llama_server_our_go_prompt_tokens() {
    let _turn = gemma_turn();
    let dir = gemma_family("real-gemma-embed");
    // The template the tool chose and ships next to the preset.
    let preset = std::fs::read_to_string(dir.join("dist/llamacpp/presets.ini")).unwrap();
    let jinja = preset
        .lines()
        .find_map(|l| l.strip_prefix("chat-template-file = "))
        .unwrap_or_else(|| panic!("no chat-template-file: {preset}"));
    let jinja = dir.join("dist/llamacpp").join(jinja);
    let embedded = dir.join("gemma-embedded.gguf");
    let out = run_in(
        &dir,
        &[
            "gguf",
            "embed-template",
            gemma_model().to_str().unwrap(),
            "--template",
            jinja.to_str().unwrap(),
            "--out",
            embedded.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));

    let chosen = convert_source(&gemma_model()).unwrap_or_else(|e| panic!("{e}"));
    let prompts = go_prompts(std::slice::from_ref(&chosen.template)).remove(0);
    let v = Vocab::read(&embedded);
    let work = scratch("real-gemma-embed-server");
    let router = Router::start(&work, &write_preset(&work, &[("embedded", &embedded)]));
    let mut compared = 0;
    for prompt in prompts.iter().filter(|p| p.kind == SuiteKind::Plain) {
        // llama-server gets the messages Ollama's Go template sees: same-role runs merged.
        let messages: Vec<Value> = collate(&prompt.request.messages)
            .messages
            .iter()
            .map(|m| json!({"role": m.role, "content": m.content}))
            .collect();
        let (status, answer) = router.post(
            "/apply-template",
            &json!({"model": "embedded", "messages": messages}),
        );
        assert_eq!(status, 200, "{answer:#}\n{}", router.log());
        let served = answer["prompt"].as_str().unwrap();
        let served_ids = server_tokens(&router, "embedded", served, &v);
        let our_ids = server_tokens(&router, "embedded", &prompt.text, &v);
        assert_eq!(
            served_ids, our_ids,
            "{}: llama.cpp's prompt {served:?}\nour Go prompt {:?}",
            prompt.conversation, prompt.text
        );
        compared += 1;
    }
    assert_eq!(compared, suite::conversations_of(SuiteKind::Plain).len());
}

#[test]
fn a_short_completion_with_our_prompt_and_stops_ends_cleanly_without_markers() {
    let _turn = gemma_turn();
    let gemma = gemma_model();
    let chosen = convert_source(&gemma).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        chosen.stop.iter().any(|s| s == "<end_of_turn>"),
        "{:?}",
        chosen.stop
    );
    let prompts = go_prompts(std::slice::from_ref(&chosen.template)).remove(0);
    let work = scratch("real-gemma-completion");
    let router = Router::start(&work, &write_preset(&work, &[("gemma", &gemma)]));
    for name in ["system_user", "multi_turn"] {
        let prompt = prompts
            .iter()
            .find(|p| p.conversation == name)
            .unwrap_or_else(|| panic!("no {name}"));
        let (status, answer) = router.post(
            "/completion",
            &json!({
                "model": "gemma",
                "prompt": prompt.text,
                "n_predict": N_PREDICT,
                "stop": chosen.stop,
                "temperature": 0,
                "seed": 42,
                "cache_prompt": false
            }),
        );
        assert_eq!(status, 200, "{answer:#}\n{}", router.log());
        let content = answer["content"].as_str().unwrap();
        match answer["stop_type"].as_str() {
            Some("eos") => {}
            Some("word") => assert!(
                chosen
                    .stop
                    .iter()
                    .any(|s| answer["stopping_word"].as_str() == Some(s.as_str())),
                "{name}: stopped on a word not in our list: {answer:#}"
            ),
            Some("limit") => assert_eq!(
                answer["tokens_predicted"].as_u64(),
                Some(N_PREDICT),
                "{answer:#}"
            ),
            other => panic!("{name}: stop_type {other:?}: {answer:#}"),
        }
        let mut markers = BTreeSet::new();
        bar_markers(content, &mut markers);
        for marker in ["<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>"] {
            if content.contains(marker) {
                markers.insert(marker.to_owned());
            }
        }
        assert!(
            markers.is_empty(),
            "{name}: the generated text carries {markers:?}: {content:?}"
        );
    }
}
