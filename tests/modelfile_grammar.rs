//! Ollama's Modelfile grammar, case by case, as the reference describes it
//! (`../shared/reference/ollama.md`): every behaviour below is one a real Modelfile relies on.

use ruvltra_export::modelfile::{
    Instruction, MessageRole, Modelfile, ModelfileErrorKind, parse_commands,
};
use ruvltra_export::ollama::{ParamValue, Parameter};

fn parse(text: &str) -> Modelfile {
    Modelfile::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn error(text: &str) -> String {
    Modelfile::parse(text.as_bytes())
        .expect_err(text)
        .to_string()
}

#[test]
fn instructions_are_case_insensitive() {
    let m = parse("from ./a.gguf\nSyStEm hello\ntemplate {{ .Prompt }}\n");
    assert_eq!(m.from, ["./a.gguf"]);
    assert_eq!(m.system.as_deref(), Some("hello"));
    assert_eq!(m.template.as_deref(), Some("{{ .Prompt }}"));
}

#[test]
fn every_instruction_is_known() {
    let m = parse(
        "FROM a\nADAPTER b\nDRAFT c\nTEMPLATE t\nSYSTEM s\nLICENSE l\nRENDERER r\nPARSER p\nREQUIRES 0.14.0\nPARAMETER seed 1\nMESSAGE assistant hi\n",
    );
    assert_eq!(m.adapter.as_deref(), Some("b"));
    assert_eq!(m.draft, ["c"]);
    assert_eq!(m.renderer.as_deref(), Some("r"));
    assert_eq!(m.parser.as_deref(), Some("p"));
    assert_eq!(m.requires.as_deref(), Some("0.14.0"));
    assert_eq!(m.messages[0].role, MessageRole::Assistant);
}

#[test]
fn a_hash_is_a_comment_only_at_the_start_of_a_line() {
    let m = parse("# leading comment\n   # indented comment\nFROM a # not a comment\n");
    assert_eq!(m.from, ["a # not a comment"]);
    let err = error("FROM a\nPARAMETER temperature 0.7 # warm\n");
    assert!(
        err.starts_with("(line 2): `temperature` takes a float, found `0.7 # warm`"),
        "{err}"
    );
}

#[test]
fn a_command_is_letters_then_a_space_or_tab() {
    let expected = "command must be one of \"from\", \"license\", \"template\", \"system\", \"adapter\", \"draft\", \"renderer\", \"parser\", \"parameter\", \"message\", or \"requires\"";
    for (text, line) in [
        ("FROM a\nFROM:b\n", 2),
        ("FROM a\n\nFROM\n", 3),
        ("FROM a\nSYSTEM2 x\n", 2),
        ("FROM a\nINSTRUCTION x\n", 2),
        ("FROM a\n\"quoted\" x\n", 2),
    ] {
        let err = error(text);
        assert!(
            err.starts_with(&format!("(line {line}): {expected}")),
            "{text:?}: {err}"
        );
    }
    assert_eq!(parse("FROM\ta\n").from, ["a"]);
}

#[test]
fn parameter_names_and_message_roles() {
    let m = parse("FROM a\nPARAMETER num_ctx 8192\n");
    assert_eq!(
        m.parameters.get(Parameter::NumCtx),
        Some(&ParamValue::Int(8192))
    );
    // Names are case-sensitive.
    assert_eq!(
        error("FROM a\nPARAMETER NUM_CTX 8192\n"),
        "(line 2): unknown parameter 'NUM_CTX' (did you mean `num_ctx`?)"
    );
    assert!(matches!(
        parse_commands(b"FROM a\nPARAMETER top-k 1\n")
            .unwrap_err()
            .kind,
        ModelfileErrorKind::InvalidParameterName { found: '-', .. }
    ));
    for role in ["User", "SYSTEM", "tool", "bot"] {
        let err = error(&format!("FROM a\nMESSAGE {role} hi\n"));
        assert!(
            err.starts_with(
                "(line 2): message role must be one of \"system\", \"user\", or \"assistant\""
            ),
            "{err}"
        );
    }
}

#[test]
fn spaces_never_end_a_value() {
    assert_eq!(parse("FROM  my model.gguf  \n").from, ["my model.gguf"]);
    assert_eq!(
        parse("FROM a\nSYSTEM one two\tthree\n").system.as_deref(),
        Some("one two\tthree")
    );
}

#[test]
fn quoted_values_end_at_the_first_line_whose_trimmed_end_closes_them() {
    let m = parse("FROM a\nSYSTEM \"\"\"line one\n\"quoted\"\nline \"\"\" three\n\"\"\"\n");
    assert_eq!(
        m.system.as_deref(),
        Some("line one\n\"quoted\"\nline \"\"\" three\n")
    );
    let m = parse("FROM a\nSYSTEM \"one\ntwo\"   \nLICENSE x\n");
    assert_eq!(m.system.as_deref(), Some("one\ntwo"));
    assert_eq!(m.license, ["x"]);
    // No escapes: a backslash is just a backslash.
    assert_eq!(
        parse("FROM a\nSYSTEM \"a\\\"\n").system.as_deref(),
        Some("a\\")
    );
}

#[test]
fn a_line_ending_in_triple_quotes_closes_early() {
    let commands =
        parse_commands(b"FROM a\nSYSTEM \"\"\"Say \"\"\"\nPARAMETER seed 3\"\"\"\n").unwrap();
    assert_eq!(commands[1].value, "Say ");
    assert_eq!(
        commands[2].instruction,
        Instruction::Parameter("seed".into())
    );
    // The rest became a PARAMETER line with a bad value.
    let err = error("FROM a\nSYSTEM \"\"\"Say \"\"\"\nPARAMETER seed 3\"\"\"\n");
    assert!(err.starts_with("(line 3): `seed` takes an int"), "{err}");
}

#[test]
fn an_unterminated_quote_swallows_the_rest() {
    let err = error("FROM a\nSYSTEM \"never closed\nPARAMETER seed 1\n");
    assert!(err.starts_with("(line 2): unexpected EOF"), "{err}");
    let err = error("FROM a\nTEMPLATE \"\"\"{{ .Prompt }}\n");
    assert!(err.starts_with("(line 2): unexpected EOF"), "{err}");
}

#[test]
fn only_printable_characters_survive() {
    let m = parse("FROM a\nSYSTEM \"x\u{0}\u{7}\u{a0}\u{200b}\u{feff}y\u{1b}[0m\"\n");
    assert_eq!(m.system.as_deref(), Some("xy[0m"));
    // CR survives inside a quoted value: a CRLF Modelfile puts CRLF into the template.
    let m = parse("FROM a\r\nTEMPLATE \"\"\"{{ .System }}\r\n{{ .Prompt }}\"\"\"\r\nSYSTEM s\r\n");
    assert_eq!(
        m.template.as_deref(),
        Some("{{ .System }}\r\n{{ .Prompt }}")
    );
    assert_eq!(m.system.as_deref(), Some("s"));
}

#[test]
fn byte_order_marks_are_accepted() {
    let mut utf8 = vec![0xEF, 0xBB, 0xBF];
    utf8.extend_from_slice(b"FROM a\n");
    assert_eq!(Modelfile::parse(&utf8).unwrap().from, ["a"]);
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "FROM a\nSYSTEM \"日本\"\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    assert_eq!(
        Modelfile::parse(&utf16).unwrap().system.as_deref(),
        Some("日本")
    );
}

#[test]
fn repeated_commands_collect() {
    let m = parse(
        "FROM model-00001-of-00002.gguf\nFROM model-00002-of-00002.gguf\nFROM mmproj.gguf\nPARAMETER stop <|im_end|>\nPARAMETER stop <|endoftext|>\nLICENSE MIT\nLICENSE \"\"\"Apache\n2.0\"\"\"\n",
    );
    assert_eq!(m.from.len(), 3);
    assert_eq!(m.parameters.stop(), ["<|im_end|>", "<|endoftext|>"]);
    assert_eq!(m.license, ["MIT", "Apache\n2.0"]);
}

#[test]
fn no_from_is_an_error() {
    assert_eq!(error("SYSTEM x\n"), "no FROM line");
    assert_eq!(error(""), "no FROM line");
}

#[test]
fn commands_keep_their_lines() {
    let commands =
        parse_commands(b"# c\nFROM a\n\nSYSTEM \"\"\"x\ny\"\"\"\nMESSAGE user hi\n").unwrap();
    let lines: Vec<usize> = commands.iter().map(|c| c.position.line).collect();
    assert_eq!(lines, [2, 4, 6]);
    assert_eq!(
        commands[2].instruction,
        Instruction::Message(MessageRole::User)
    );
}
