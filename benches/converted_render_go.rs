//! Benchmark: how long real Go `text/template` (Ollama's engine, through
//! `tests/support/gorender`) takes to build the prompt of a long chat — 200 messages, about
//! 100 KB — with each converted corpus template, and with the hand-written template of the
//! same family in `templates/go/`. Ollama renders the template again for each
//! context-truncation step, so this time is paid many times per request on long chats.
//!
//! Each runs twice: on the chat with whitespace at the ends of many contents, which the
//! stripping templates remove, and on the same chat without it. Times are CPU time on one
//! processor, so other programs' load does not count.
//!
//! Targets: each converted template within 2x of the hand-written one of its family, and
//! under 50 ms for every converted corpus template. Run with
//! `cargo bench --bench converted_render_go`; numbers go to `docs/benchmarks.md`
//! ("Converted templates in Go").

#[path = "../tests/support/gorender/harness.rs"]
mod harness;
#[path = "../tests/support/mod.rs"]
mod support;

use ruvltra_export::template::convert::{ConvertInput, convert};

/// Renders per template and chat, timed in rounds of batches of five (CPU time on one
/// processor); the fastest batch counts.
const REPEAT: usize = 100;

/// Corpus templates and the hand-written template of their family.
const FAMILIES: [(&str, &str); 10] = [
    ("Qwen-Qwen2.5-7B-Instruct", "chatml"),
    ("meta-llama-Llama-3.1-8B-Instruct", "llama3"),
    ("meta-llama-Llama-3.2-3B-Instruct", "llama3"),
    ("google-gemma-2-2b-it", "gemma"),
    ("microsoft-Phi-3.5-mini-instruct", "phi3"),
    ("mistralai-Mistral-Nemo-Instruct-2407", "mistral"),
    ("CohereForAI-c4ai-command-r-plus-tool_use", "command-r"),
    ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "deepseek-r1"),
    ("Qwen-Qwen3-0.6B", "qwen3-thinking"),
    ("openai-gpt-oss-120b", "harmony"),
];

fn main() {
    let dir = support::corpus_dir().join("chat-templates");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("read the corpus")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jinja"))
        .collect();
    paths.sort();
    let mut names = Vec::new();
    let mut templates = Vec::new();
    for path in &paths {
        let jinja = std::fs::read_to_string(path).expect("template text");
        let input = ConvertInput {
            bos_token: "<s>",
            eos_token: "</s>",
            ..ConvertInput::new(&jinja)
        };
        if let Ok(conversion) = convert(&input) {
            let stem = path.file_stem().expect("a name").to_string_lossy();
            let verdict = if conversion.verified {
                "verified"
            } else {
                "unverified"
            };
            names.push(format!("{stem} ({verdict})"));
            templates.push(conversion.template);
        }
    }
    let converted = templates.len();
    for (_, family) in FAMILIES {
        let path = support::root().join(format!("templates/go/{family}.gotmpl"));
        templates.push(std::fs::read_to_string(&path).expect("hand-written template"));
        names.push(format!("templates/go/{family}.gotmpl"));
    }
    // The stress chat has whitespace at an end of two contents in three, which the stripping
    // templates must remove; the same chat without it is the usual case.
    let stress = harness::long_chat();
    let mut usual = stress.clone();
    for message in &mut usual.messages {
        message.content = message.content.trim().to_owned();
    }
    let times = harness::run_go_timed(&templates, &[stress, usual], REPEAT);
    let ms = |nanos: u64| format!("{:.2}", nanos as f64 / 1e6);
    println!(
        "| family | edge whitespace: converted (ms) | hand-written (ms) | ratio | none: converted (ms) | hand-written (ms) | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (n, (stem, family)) in FAMILIES.iter().enumerate() {
        let Some(at) = names
            .iter()
            .position(|name| name.starts_with(&format!("{stem} (")))
        else {
            println!("| {stem} | not converted | | | | | |");
            continue;
        };
        let (ours, theirs) = (&times[at], &times[converted + n]);
        let cells: Vec<String> = (0..2)
            .map(|chat| {
                format!(
                    "{} | {} | {:.2}",
                    ms(ours[chat].1),
                    ms(theirs[chat].1),
                    ours[chat].1 as f64 / theirs[chat].1 as f64
                )
            })
            .collect();
        println!("| {} -> {family} | {} |", names[at], cells.join(" | "));
    }
    let mut slowest: Vec<(u64, &str)> = times[..converted]
        .iter()
        .zip(&names)
        .map(|(row, name)| (row[0].1, name.as_str()))
        .collect();
    slowest.sort_unstable_by(|a, b| b.cmp(a));
    println!(
        "\nevery converted template ({converted}) on the edge-whitespace chat, slowest first:"
    );
    for (nanos, name) in &slowest {
        println!("{:>8.2} ms  {name}", *nanos as f64 / 1e6);
    }
    let failed: Vec<&str> = times[..converted]
        .iter()
        .zip(&names)
        .filter(|(row, _)| row.iter().any(|(outcome, _)| outcome.is_err()))
        .map(|(_, name)| name.as_str())
        .collect();
    println!("\nrender errors in Go: {failed:?}");
}
