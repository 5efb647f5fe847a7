//! The converter on the 71 real chat templates of the shared corpus: the verified rate on
//! the plain suite must stay at or above 90% of the renderable templates, the tools rate at
//! or above its floor, every other template must say why, every converted template must
//! render in Go's own `text/template` (through `tests/support/gorender`) exactly as in our Go
//! engine, tool conversations included, and real Go must find the tool-call tag the converter
//! reports.

#[path = "support/gorender/suite.rs"]
#[allow(dead_code)]
mod gosuite;
#[path = "support/gorender/harness.rs"]
mod harness;
mod support;

use std::sync::OnceLock;

use harness::{compare, run_go, run_rust, tool_call_tags};
use ruvltra_export::template::chat::ChatRequest;
use ruvltra_export::template::convert::{Conversion, ConvertError, ConvertInput, convert};
use ruvltra_export::template::jinja::JinjaTemplate;
use ruvltra_export::template::suite;
use ruvltra_export::template::verify::{self, Verdict, VerifyOptions};

/// A corpus template's name, Jinja source and conversion.
type Converted = (String, String, Result<Conversion, ConvertError>);

/// Each corpus template's conversion, computed once per test process.
fn corpus() -> &'static [Converted] {
    static CORPUS: OnceLock<Vec<Converted>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = support::corpus_dir().join("chat-templates");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("read the corpus")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "jinja"))
            .collect();
        paths.sort();
        assert_eq!(paths.len(), 71, "the corpus holds 71 templates");
        paths
            .iter()
            .map(|path| {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let jinja = std::fs::read_to_string(path).unwrap();
                let input = ConvertInput {
                    bos_token: "<s>",
                    eos_token: "</s>",
                    ..ConvertInput::new(&jinja)
                };
                let result = convert(&input);
                (name, jinja, result)
            })
            .collect()
    })
}

fn options() -> VerifyOptions {
    VerifyOptions {
        bos_token: "<s>".into(),
        eos_token: "</s>".into(),
        ..VerifyOptions::default()
    }
}

#[test]
fn verified_rate_on_the_plain_suite_meets_the_target() {
    let mut renderable = 0;
    let mut verified = 0;
    let mut unverified = Vec::new();
    for (name, jinja, result) in corpus() {
        match result {
            Ok(conversion) => {
                renderable += 1;
                if conversion.verified {
                    verified += 1;
                    assert!(conversion.report.plain.mismatches.is_empty(), "{name}");
                } else {
                    assert!(
                        !conversion.unsupported.is_empty(),
                        "{name} is unverified without a reason"
                    );
                    unverified.push(format!("{name}: {}", conversion.unsupported[0].what));
                }
            }
            Err(err @ (ConvertError::NotRenderable { .. } | ConvertError::Syntax(_))) => {
                // Not renderable must mean what the verifier means: a single user turn fails.
                let single = suite::conversations()
                    .into_iter()
                    .find(|c| c.name == "single_user")
                    .unwrap()
                    .request;
                let fails = JinjaTemplate::new(jinja)
                    .map(|t| verify::render_jinja(&t, &single, &options()).is_err())
                    .unwrap_or(true);
                assert!(fails, "{name} is called not renderable but renders: {err}");
            }
            Err(err) => panic!("{name}: conversion failed: {err}"),
        }
    }
    assert!(
        renderable >= 60,
        "only {renderable} of 71 templates renderable"
    );
    assert!(
        verified * 10 >= renderable * 9,
        "{verified} of {renderable} renderable templates verified (target 90%); unverified:\n{}",
        unverified.join("\n")
    );
}

/// Templates that mention `tools` whose converted template renders every tool conversation of
/// the suite the same (up to JSON formatting, and argument order for arguments written key
/// by key) at the time of writing; the rate must not drop. It was 27 before the suite gained
/// `parallel_tool_calls` (issue #14 item 24): the nine templates that write arguments key by
/// key now show the reordering, and Kimi-K2 its call numbering, so they lost the claim.
const TOOLS_EQUIVALENT_FLOOR: usize = 17;

#[test]
fn tools_rate_meets_the_floor() {
    let mut equivalent = Vec::new();
    for (name, jinja, result) in corpus() {
        let Ok(conversion) = result else { continue };
        let tools = &conversion.report.tools;
        if !jinja.contains("tools") || tools.conversations == 0 {
            continue;
        }
        if tools.equivalent() {
            assert!(tools.mismatches.is_empty(), "{name}");
            // Up to JSON formatting or argument order is its own verdict, never silently
            // "verified"; argument order is claimed exactly where arguments are ranged over.
            let ranged = conversion
                .template
                .contains("range $key, $value := $call.Function.Arguments");
            assert_eq!(tools.verdict == Verdict::ArgumentOrder, ranged, "{name}");
            if ranged {
                assert!(!tools.verified, "{name}");
            } else {
                assert_eq!(tools.verified, tools.json_equivalent.is_empty(), "{name}");
            }
            if !conversion.template.contains(".Tools") {
                // Only a template that never writes tool definitions may leave them out.
                let offered = suite::conversations()
                    .into_iter()
                    .find(|c| c.name == "tools_offered")
                    .unwrap()
                    .request;
                let jinja = JinjaTemplate::new(jinja).unwrap();
                let rendered = verify::render_jinja(&jinja, &offered, &options()).unwrap();
                assert!(
                    !rendered.contains("get_weather"),
                    "{name}: the Jinja template writes the tools, the Go template does not read them"
                );
            }
            equivalent.push(name.as_str());
        } else {
            assert!(
                conversion
                    .unsupported
                    .iter()
                    .any(|u| u.what.contains("tool")),
                "{name}: tools not equivalent without a reason"
            );
        }
    }
    assert!(
        equivalent.len() >= TOOLS_EQUIVALENT_FLOOR,
        "only {} templates render tool conversations equivalently (floor {TOOLS_EQUIVALENT_FLOOR}): {equivalent:?}",
        equivalent.len()
    );
    // The RuvLTRA family is Qwen2.5-based: its template must be among them.
    assert!(
        equivalent.contains(&"Qwen-Qwen2.5-7B-Instruct"),
        "{equivalent:?}"
    );
    // Mistral's templates accept only nine-character ids and print them: they must be among
    // them, with the ids written by the Go template rather than frozen into its text.
    for name in [
        "Mistral-Small-3.2-24B-Instruct-2506",
        "mistralai-Mistral-Nemo-Instruct-2407",
    ] {
        assert!(equivalent.contains(&name), "{name}: {equivalent:?}");
        let (_, _, result) = corpus().iter().find(|(n, _, _)| n == name).unwrap();
        let template = &result.as_ref().unwrap().template;
        assert!(
            template.contains("{{- $call.ID }}") && template.contains("{{- $m.ToolCallID }}"),
            "{name}:\n{template}"
        );
        assert!(!template.contains(suite::CALL_ID), "{name}");
    }
}

#[test]
fn verified_means_the_verifier_agrees_independently() {
    // Re-verify a few converted templates from scratch: the flag must be the verifier's.
    for (name, jinja, result) in corpus().iter().step_by(7) {
        let Ok(conversion) = result else { continue };
        let go = ruvltra_export::template::ollama::OllamaTemplate::parse(&conversion.template)
            .unwrap_or_else(|err| panic!("{name}: converted template does not parse: {err}"));
        let report = verify::verify(&JinjaTemplate::new(jinja).unwrap(), &go, &options()).unwrap();
        assert_eq!(report.verified(), conversion.verified, "{name}");
    }
}

#[test]
fn converted_templates_render_the_same_in_real_go() {
    let converted: Vec<(&str, String)> = corpus()
        .iter()
        .filter_map(|(name, _, result)| {
            result
                .as_ref()
                .ok()
                .map(|c| (name.as_str(), c.template.clone()))
        })
        .collect();
    let mut requests: Vec<(String, ChatRequest)> = suite::conversations()
        .into_iter()
        .map(|c| (c.name.to_owned(), c.request))
        .collect();
    requests.extend(
        gosuite::conversations()
            .into_iter()
            .map(|(name, request)| (format!("gorender:{name}"), request)),
    );
    let templates: Vec<String> = converted.iter().map(|(_, t)| t.clone()).collect();
    let reqs: Vec<ChatRequest> = requests.iter().map(|(_, r)| r.clone()).collect();
    let (go, _) = run_go(&templates, &reqs, &[]);
    let mut failures = Vec::new();
    let mut compared = 0;
    for ((name, template), row) in converted.iter().zip(&go) {
        for ((conversation, request), go_outcome) in requests.iter().zip(row) {
            compared += 1;
            let rust = run_rust(template, request);
            if go_outcome.is_err() {
                failures.push(format!("{name}/{conversation}: Go failed: {go_outcome:?}"));
            }
            if let Some(diff) = compare(&format!("{name}/{conversation}"), go_outcome, &rust) {
                failures.push(diff);
            }
        }
    }
    assert!(compared > 1000, "only {compared} renderings compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ollama_finds_the_tool_call_tag_in_converted_templates() {
    // Real Go's parse of each converted template, searched by the rule Ollama's tool parser
    // uses, must give the tag the converter reports; for the Qwen family, `<tool_call>`.
    let converted: Vec<(&str, &Conversion)> = corpus()
        .iter()
        .filter_map(|(name, _, result)| result.as_ref().ok().map(|c| (name.as_str(), c)))
        .filter(|(_, c)| c.tool_call_tag.is_some())
        .collect();
    assert!(
        converted.len() >= TOOLS_EQUIVALENT_FLOOR,
        "{}",
        converted.len()
    );
    let templates: Vec<String> = converted.iter().map(|(_, c)| c.template.clone()).collect();
    let tags = tool_call_tags(&templates);
    let mut tagged = 0;
    for ((name, conversion), go_tag) in converted.iter().zip(&tags) {
        // An empty tag means none: Ollama then waits for `{`.
        let go_tag = if go_tag.is_empty() {
            "{"
        } else {
            go_tag.as_str()
        };
        assert_eq!(Some(go_tag), conversion.tool_call_tag.as_deref(), "{name}");
        tagged += usize::from(go_tag != "{");
    }
    assert!(
        tagged >= 10,
        "only {tagged} templates carry a tool-call tag"
    );
    for qwen in [
        "Qwen-Qwen2.5-7B-Instruct",
        "Qwen-Qwen3-0.6B",
        "Qwen-QwQ-32B",
    ] {
        let tag = converted
            .iter()
            .find(|(name, _)| *name == qwen)
            .map(|(_, c)| c.tool_call_tag.as_deref());
        assert_eq!(tag, Some(Some("<tool_call>\n")), "{qwen}");
    }
}
