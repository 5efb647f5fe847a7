//! A Modelfile with types: what `ollama create` would build from it, checked as strictly as
//! the model's first run would check it.

use std::collections::HashMap;

use super::error::{ModelfileError, ModelfileErrorKind, ModelfileWarning, Position};
use super::syntax::{Command, Instruction, MessageRole, parse_commands};
use crate::ollama::{ParamError, Parameter, Parameters};

/// One `MESSAGE` line: part of a conversation the model starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who speaks.
    pub role: MessageRole,
    /// What is said.
    pub content: String,
}

/// The values of a Modelfile, typed. `parameters` holds only names Ollama knows, with values
/// of the right type and range.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Modelfile {
    /// `FROM` values in order (the model, then split shards or an mmproj projector).
    pub from: Vec<String>,
    /// `ADAPTER` (Ollama keeps the last one).
    pub adapter: Option<String>,
    /// `DRAFT` values in order.
    pub draft: Vec<String>,
    /// `TEMPLATE`: the Go chat template.
    pub template: Option<String>,
    /// `SYSTEM`: the default system prompt.
    pub system: Option<String>,
    /// `PARAMETER` lines.
    pub parameters: Parameters,
    /// `LICENSE` texts, one per line command.
    pub license: Vec<String>,
    /// `MESSAGE` lines in order.
    pub messages: Vec<Message>,
    /// `RENDERER`.
    pub renderer: Option<String>,
    /// `PARSER`.
    pub parser: Option<String>,
    /// `REQUIRES`: the minimum Ollama version.
    pub requires: Option<String>,
}

/// The outcome of checking a Modelfile: the typed values when there is no error, every error,
/// and the warnings (things Ollama accepts that probably do not do what was meant).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The typed values, if there were no errors.
    pub modelfile: Option<Modelfile>,
    /// Every error found (a syntax error stops parsing, as in Ollama).
    pub errors: Vec<ModelfileError>,
    /// Every warning.
    pub warnings: Vec<ModelfileWarning>,
}

impl Modelfile {
    /// Parses and checks a Modelfile, returning the first error.
    pub fn parse(input: &[u8]) -> Result<Modelfile, ModelfileError> {
        let mut report = Self::check(input);
        match report.modelfile {
            Some(modelfile) => Ok(modelfile),
            None => Err(report.errors.swap_remove(0)),
        }
    }

    /// Parses and checks a Modelfile. A syntax error stops parsing (as in Ollama); errors in
    /// values are all collected. `modelfile` is `Some` exactly when `errors` is empty.
    pub fn check(input: &[u8]) -> Report {
        match parse_commands(input) {
            Ok(commands) => Self::from_commands(&commands),
            Err(error) => Report {
                modelfile: None,
                errors: vec![error],
                warnings: Vec::new(),
            },
        }
    }

    /// Types the commands Ollama's grammar yields: known parameter names, typed and
    /// range-checked values, non-empty paths, a valid `REQUIRES`.
    pub fn from_commands(commands: &[Command]) -> Report {
        let mut file = Modelfile::default();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut seen: HashMap<String, Position> = HashMap::new();
        let mut overrides = |key: String, position: Position, warnings: &mut Vec<_>| {
            if let Some(previous) = seen.insert(key.clone(), position) {
                warnings.push(ModelfileWarning {
                    position,
                    message: format!(
                        "{key} overrides the one on line {}; only the last one takes effect",
                        previous.line
                    ),
                });
            }
        };
        for command in commands {
            let position = command.position;
            let value = command.value.clone();
            let needs_value = |errors: &mut Vec<ModelfileError>| {
                let empty = command.value.is_empty();
                if empty {
                    errors.push(ModelfileError {
                        position,
                        kind: ModelfileErrorKind::EmptyValue {
                            command: command.instruction.keyword(),
                        },
                    });
                }
                !empty
            };
            match &command.instruction {
                Instruction::From => {
                    if needs_value(&mut errors) {
                        file.from.push(value);
                    }
                }
                Instruction::Draft => {
                    if needs_value(&mut errors) {
                        file.draft.push(value);
                    }
                }
                Instruction::Adapter => {
                    if needs_value(&mut errors) {
                        overrides("ADAPTER".into(), position, &mut warnings);
                        file.adapter = Some(value);
                    }
                }
                Instruction::Template => {
                    overrides("TEMPLATE".into(), position, &mut warnings);
                    file.template = Some(value);
                }
                Instruction::System => {
                    overrides("SYSTEM".into(), position, &mut warnings);
                    file.system = Some(value);
                }
                Instruction::Renderer => {
                    overrides("RENDERER".into(), position, &mut warnings);
                    file.renderer = Some(value);
                }
                Instruction::Parser => {
                    overrides("PARSER".into(), position, &mut warnings);
                    file.parser = Some(value);
                }
                Instruction::License => file.license.push(value),
                Instruction::Message(role) => file.messages.push(Message {
                    role: *role,
                    content: value,
                }),
                Instruction::Requires => {
                    if is_semver(&value) {
                        overrides("REQUIRES".into(), position, &mut warnings);
                        file.requires = Some(value);
                    } else {
                        errors.push(ModelfileError {
                            position,
                            kind: ModelfileErrorKind::InvalidRequires { found: value },
                        });
                    }
                }
                Instruction::Parameter(name) => {
                    let param_error = |error: ParamError| ModelfileError {
                        position,
                        kind: ModelfileErrorKind::Parameter {
                            error,
                            comment_in_value: command.value.contains('#'),
                        },
                    };
                    let param = match Parameter::from_name(name) {
                        Ok(param) => param,
                        Err(e @ (ParamError::Removed { .. } | ParamError::Ignored { .. })) => {
                            warnings.push(ModelfileWarning {
                                position,
                                message: e.to_string(),
                            });
                            continue;
                        }
                        Err(e) => {
                            errors.push(param_error(e));
                            continue;
                        }
                    };
                    match param
                        .parse_value(&value)
                        .and_then(|v| file.parameters.set(param, v))
                    {
                        Ok(_) if !param.is_repeatable() => {
                            overrides(format!("PARAMETER {param}"), position, &mut warnings)
                        }
                        Ok(_) => {}
                        Err(e) => errors.push(param_error(e)),
                    }
                }
            }
        }
        if file.from.is_empty() && errors.is_empty() {
            errors.push(ModelfileError {
                position: Position::default(),
                kind: ModelfileErrorKind::NoFrom,
            });
        }
        Report {
            modelfile: errors.is_empty().then_some(file),
            errors,
            warnings,
        }
    }
}

/// `golang.org/x/mod/semver.IsValid` after Ollama adds a missing `v`: `1`, `1.2`, `1.2.3`,
/// the last with an optional `-prerelease` and `+build`; no leading zeros.
fn is_semver(s: &str) -> bool {
    let s = s.strip_prefix('v').unwrap_or(s);
    let (core, build) = match s.split_once('+') {
        Some((core, build)) => (core, Some(build)),
        None => (s, None),
    };
    let (core, pre) = match core.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (core, None),
    };
    let number = |n: &str| {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
    };
    let idents = |s: &str, numeric_rule: bool| {
        s.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && (!numeric_rule || !id.bytes().all(|b| b.is_ascii_digit()) || number(id))
        })
    };
    let parts: Vec<&str> = core.split('.').collect();
    if !parts.iter().all(|p| number(p)) || parts.is_empty() || parts.len() > 3 {
        return false;
    }
    if (pre.is_some() || build.is_some()) && parts.len() != 3 {
        return false;
    }
    pre.is_none_or(|p| idents(p, true)) && build.is_none_or(|b| idents(b, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ollama::ParamValue;

    #[test]
    fn types_values_and_collects_errors() {
        let text = "FROM ./a.gguf\nPARAMETER num_ctx 4k\nPARAMETER temperature 0.7 # warm\nPARAMETER tempreature 1\nPARAMETER stop <|im_end|>\nPARAMETER stop \"\"\"\n\n\"\"\"\n";
        let report = Modelfile::check(text.as_bytes());
        assert_eq!(report.modelfile, None);
        let shown: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 3, "{shown:#?}");
        assert_eq!(shown[0], "(line 2): `num_ctx` takes an int, found `4k`");
        assert!(
            shown[1].starts_with(
                "(line 3): `temperature` takes a float, found `0.7 # warm` (`#` starts"
            ),
            "{}",
            shown[1]
        );
        assert_eq!(
            shown[2],
            "(line 4): unknown parameter 'tempreature' (did you mean `temperature`?)"
        );
    }

    #[test]
    fn collects_stop_and_warns() {
        let text = "FROM a\nPARAMETER stop <|im_end|>\nPARAMETER stop \"\"\"\n\n\"\"\"\nPARAMETER mirostat 1\nSYSTEM a\nSYSTEM b\nLICENSE MIT\nLICENSE \"\"\"x\ny\"\"\"\nMESSAGE user hi\nREQUIRES 0.14.0\n";
        let checked = Modelfile::check(text.as_bytes());
        let m = checked.modelfile.unwrap();
        assert_eq!(m.parameters.stop(), ["<|im_end|>", "\n\n"]);
        assert_eq!(m.system.as_deref(), Some("b"));
        assert_eq!(m.license, ["MIT", "x\ny"]);
        assert_eq!(
            m.messages,
            [Message {
                role: MessageRole::User,
                content: "hi".into()
            }]
        );
        assert_eq!(checked.warnings.len(), 2, "{:?}", checked.warnings);
        assert!(
            checked.warnings[0]
                .message
                .contains("removed in Ollama v0.6.9")
        );
        assert!(
            checked.warnings[1]
                .to_string()
                .starts_with("(line 8): SYSTEM overrides the one on line 7")
        );
        assert_eq!(m.parameters.get(Parameter::Temperature), None);
        let m = Modelfile::parse(b"FROM a\nparameter top_k 40\n").unwrap();
        assert_eq!(
            m.parameters.get(Parameter::TopK),
            Some(&ParamValue::Int(40))
        );
    }

    #[test]
    fn semver() {
        for ok in ["0.14.0", "v0.14.0", "1", "1.2", "1.2.3-rc.1+b5"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["", "x", "01.2.3", "1.2.3.4", "1.2-rc", "1.2.3-01"] {
            assert!(!is_semver(bad), "{bad}");
        }
    }
}
