//! The PARSER table on the corpus: each row recognises the real template of its family, and
//! no other corpus template is taken for a family it is not (a wrong PARSER reads a model's
//! output in the wrong format, which is worse than none).

mod support;

use ruvltra_export::ollama::{FAMILY_PARSERS, ParserName, family_parser};

/// Each table row and the corpus templates of its family.
const ROWS: &[(&str, &[&str])] = &[
    // Ollama itself gives `harmony` to any template in gpt-oss's format.
    (
        "harmony",
        &["openai-gpt-oss-120b", "llm-jp-llm-jp-4.1-8b-thinking"],
    ),
    ("glm-4.7", &["GLM-4.7-Flash"]),
    ("deepseek3", &["deepseek-ai-DeepSeek-V3.1"]),
    ("nemotron-3-nano", &["NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"]),
    ("qwen3.5", &["Qwen3.5-4B"]),
    ("qwen3-coder", &["Qwen3-Coder"]),
    ("lfm2-thinking", &["LFM2.5-8B-A1B"]),
    ("lfm2", &["LFM2-8B-A1B"]),
    (
        "gemma4",
        &["google-gemma-4-31B-it", "google-gemma-4-31B-it-interleaved"],
    ),
    ("qwen3", &["Qwen-Qwen3-0.6B"]),
    ("qwen3-thinking", &["Qwen-QwQ-32B"]),
];

#[test]
fn every_row_recognises_its_family_and_nothing_else() {
    assert_eq!(ROWS.len(), FAMILY_PARSERS.len(), "a row without a test");
    let dir = support::corpus_dir().join("chat-templates");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("read the corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jinja"))
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 71);
    let mut seen = Vec::new();
    for path in &paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let jinja = std::fs::read_to_string(path).unwrap();
        let expected = ROWS
            .iter()
            .find(|(_, names)| names.contains(&name.as_str()))
            .map(|(parser, _)| *parser);
        let got = family_parser(&jinja).map(|row| row.parser);
        assert_eq!(got, expected, "{name}");
        if let Some(parser) = got {
            // Every name written is one Ollama knows.
            assert_eq!(ParserName::parse(parser).unwrap().as_str(), parser);
            seen.push(parser);
        }
    }
    for row in FAMILY_PARSERS {
        assert!(seen.contains(&row.parser), "{} matched nothing", row.family);
    }
    // Neighbours that must not be mistaken for a family: GLM-4.6 (its own tool-call layout),
    // DeepSeek V3.2 and the R1 distills, Qwen 2.5, LFM2.5-Instruct (no tools), Bielik (Qwen3's
    // markers in a Mistral-based model's own template).
    for neighbour in [
        "Bielik-11B-v3.0-Instruct",
        "GLM-4.6",
        "deepseek-ai-DeepSeek-V3.2",
        "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B",
        "Qwen-Qwen2.5-7B-Instruct",
        "LFM2.5-Instruct",
    ] {
        let jinja = std::fs::read_to_string(dir.join(format!("{neighbour}.jinja"))).unwrap();
        assert_eq!(family_parser(&jinja), None, "{neighbour}");
    }
}
