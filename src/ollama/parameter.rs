//! Modelfile `PARAMETER` names, their types and the ranges we accept.
//!
//! Ollama type-checks parameters only when a model runs (a string `"4096"` for `num_ctx` is
//! accepted by `ollama create` and fails later), so every value is parsed and range-checked
//! here, once, before anything is written.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as JsonValue;

use super::error::ParamError;

/// A parameter name Ollama knows (v0.33), in the order generated Modelfiles list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Parameter {
    /// `temperature`: sampling temperature, >= 0.
    Temperature,
    /// `top_p`: nucleus sampling mass, in [0, 1].
    TopP,
    /// `top_k`: keep the k most likely tokens, >= 0 (0 disables).
    TopK,
    /// `min_p`: minimum probability relative to the top token, in [0, 1].
    MinP,
    /// `typical_p`: locally typical sampling, in [0, 1] (1 disables).
    TypicalP,
    /// `repeat_penalty`: penalty for repeated tokens, >= 0 (1 disables).
    RepeatPenalty,
    /// `repeat_last_n`: how far back the repeat penalty looks, >= -1 (-1 = the context).
    RepeatLastN,
    /// `presence_penalty`: any finite number.
    PresencePenalty,
    /// `frequency_penalty`: any finite number.
    FrequencyPenalty,
    /// `num_ctx`: context window in tokens, >= 1.
    NumCtx,
    /// `num_predict`: maximum tokens to generate, >= -2 (-1 unlimited, -2 fill the context).
    NumPredict,
    /// `num_keep`: tokens kept when the context shifts, >= -1.
    NumKeep,
    /// `seed`: random seed, any integer (-1 picks one at random).
    Seed,
    /// `num_batch`: prompt batch size, >= 1.
    NumBatch,
    /// `num_gpu`: layers offloaded to the GPU, >= -1 (-1 = automatic).
    NumGpu,
    /// `main_gpu`: index of the main GPU, >= 0.
    MainGpu,
    /// `num_thread`: CPU threads, >= 0 (0 = automatic).
    NumThread,
    /// `use_mmap`: map the model file into memory.
    UseMmap,
    /// `stop`: a stop sequence; repeatable, collected into one array.
    Stop,
}

/// The type Ollama gives a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// A 64-bit integer, written in decimal.
    Int,
    /// A number Ollama stores as a 32-bit float.
    Float,
    /// A boolean (`true`/`false`; Ollama also reads `1`, `t`, `T`, `TRUE`, `True`, and the
    /// matching false forms).
    Bool,
    /// A string.
    String,
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::String => "string",
        })
    }
}

/// The accepted range of a parameter, so that errors can say what is allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Range {
    AnyInt,
    IntAtLeast(i64),
    AnyFinite,
    FloatAtLeast(f64),
    FloatBetween(f64, f64),
    AnyBool,
    NonEmptyString,
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Range::AnyInt => f.write_str("an integer"),
            Range::IntAtLeast(1) => f.write_str("a positive integer"),
            Range::IntAtLeast(min) => write!(f, "an integer >= {min}"),
            Range::AnyFinite => f.write_str("a finite number"),
            Range::FloatAtLeast(min) => write!(f, "a number >= {min}"),
            Range::FloatBetween(lo, hi) => write!(f, "a number between {lo} and {hi}"),
            Range::AnyBool => f.write_str("`true` or `false`"),
            Range::NonEmptyString => f.write_str("a non-empty string"),
        }
    }
}

/// Names Ollama removed in v0.6.9; it still reads them, warns, and ignores them.
pub const REMOVED_PARAMETERS: [&str; 3] = ["mirostat", "mirostat_tau", "mirostat_eta"];

/// Names Ollama ignores with a warning.
pub const IGNORED_PARAMETERS: [&str; 6] = [
    "penalize_newline",
    "low_vram",
    "f16_kv",
    "logits_all",
    "vocab_only",
    "use_mlock",
];

impl Parameter {
    /// Every known parameter, in the order generated Modelfiles list them.
    pub const ALL: [Parameter; 19] = [
        Parameter::Temperature,
        Parameter::TopP,
        Parameter::TopK,
        Parameter::MinP,
        Parameter::TypicalP,
        Parameter::RepeatPenalty,
        Parameter::RepeatLastN,
        Parameter::PresencePenalty,
        Parameter::FrequencyPenalty,
        Parameter::NumCtx,
        Parameter::NumPredict,
        Parameter::NumKeep,
        Parameter::Seed,
        Parameter::NumBatch,
        Parameter::NumGpu,
        Parameter::MainGpu,
        Parameter::NumThread,
        Parameter::UseMmap,
        Parameter::Stop,
    ];

    /// The name as written after `PARAMETER` (case-sensitive in Ollama).
    pub fn name(self) -> &'static str {
        match self {
            Parameter::Temperature => "temperature",
            Parameter::TopP => "top_p",
            Parameter::TopK => "top_k",
            Parameter::MinP => "min_p",
            Parameter::TypicalP => "typical_p",
            Parameter::RepeatPenalty => "repeat_penalty",
            Parameter::RepeatLastN => "repeat_last_n",
            Parameter::PresencePenalty => "presence_penalty",
            Parameter::FrequencyPenalty => "frequency_penalty",
            Parameter::NumCtx => "num_ctx",
            Parameter::NumPredict => "num_predict",
            Parameter::NumKeep => "num_keep",
            Parameter::Seed => "seed",
            Parameter::NumBatch => "num_batch",
            Parameter::NumGpu => "num_gpu",
            Parameter::MainGpu => "main_gpu",
            Parameter::NumThread => "num_thread",
            Parameter::UseMmap => "use_mmap",
            Parameter::Stop => "stop",
        }
    }

    /// The value type Ollama gives this parameter.
    pub fn param_type(self) -> ParamType {
        match self.range() {
            Range::AnyInt | Range::IntAtLeast(_) => ParamType::Int,
            Range::AnyFinite | Range::FloatAtLeast(_) | Range::FloatBetween(..) => ParamType::Float,
            Range::AnyBool => ParamType::Bool,
            Range::NonEmptyString => ParamType::String,
        }
    }

    /// Whether the parameter may appear several times (only `stop`, which becomes an array).
    pub fn is_repeatable(self) -> bool {
        self == Parameter::Stop
    }

    /// What values are accepted, in words (for documentation and messages).
    pub fn accepted(self) -> String {
        self.range().to_string()
    }

    fn range(self) -> Range {
        match self {
            Parameter::Temperature | Parameter::RepeatPenalty => Range::FloatAtLeast(0.0),
            Parameter::TopP | Parameter::MinP | Parameter::TypicalP => {
                Range::FloatBetween(0.0, 1.0)
            }
            Parameter::PresencePenalty | Parameter::FrequencyPenalty => Range::AnyFinite,
            Parameter::TopK | Parameter::MainGpu | Parameter::NumThread => Range::IntAtLeast(0),
            Parameter::RepeatLastN | Parameter::NumKeep | Parameter::NumGpu => {
                Range::IntAtLeast(-1)
            }
            Parameter::NumCtx | Parameter::NumBatch => Range::IntAtLeast(1),
            Parameter::NumPredict => Range::IntAtLeast(-2),
            Parameter::Seed => Range::AnyInt,
            Parameter::UseMmap => Range::AnyBool,
            Parameter::Stop => Range::NonEmptyString,
        }
    }

    /// Looks a name up the way Ollama does (case-sensitive), telling removed, ignored and
    /// unknown names apart and suggesting the nearest known name for a typo.
    pub fn from_name(name: &str) -> Result<Parameter, ParamError> {
        if let Some(param) = Parameter::ALL.into_iter().find(|p| p.name() == name) {
            return Ok(param);
        }
        if REMOVED_PARAMETERS.contains(&name) {
            return Err(ParamError::Removed {
                name: name.to_owned(),
            });
        }
        if IGNORED_PARAMETERS.contains(&name) {
            return Err(ParamError::Ignored {
                name: name.to_owned(),
            });
        }
        Err(ParamError::Unknown {
            name: name.to_owned(),
            suggestion: crate::ollama::suggest(name, Parameter::ALL.iter().map(|p| p.name())),
        })
    }

    /// Parses a value as written in a Modelfile, with Ollama's syntax for each type, then
    /// checks its range.
    pub fn parse_value(self, text: &str) -> Result<ParamValue, ParamError> {
        let bad_type = || ParamError::Type {
            param: self,
            expected: self.param_type(),
            found: format!("`{text}`"),
        };
        let value = match self.param_type() {
            // Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits only.
            ParamType::Int => ParamValue::Int(text.parse::<i64>().map_err(|_| bad_type())?),
            ParamType::Float => {
                let parsed = text.parse::<f64>().map_err(|_| bad_type())?;
                // Go's ParseFloat(s, 32) fails for values outside float32's range.
                if parsed.is_finite() && parsed.abs() > f64::from(f32::MAX) {
                    return Err(bad_type());
                }
                ParamValue::Float(parsed)
            }
            ParamType::Bool => ParamValue::Bool(match text {
                "1" | "t" | "T" | "TRUE" | "true" | "True" => true,
                "0" | "f" | "F" | "FALSE" | "false" | "False" => false,
                _ => return Err(bad_type()),
            }),
            ParamType::String => ParamValue::Str(text.to_owned()),
        };
        self.check(value)
    }

    /// Checks a typed value (from the manifest or a Modelfile) against this parameter's type
    /// and range. An integer is accepted for a float parameter.
    pub fn check(self, value: ParamValue) -> Result<ParamValue, ParamError> {
        let out_of_range = |value: &ParamValue| ParamError::Range {
            param: self,
            value: value.to_string(),
            accepted: self.accepted(),
        };
        let value = match (self.param_type(), value) {
            (ParamType::Float, ParamValue::Int(i)) => ParamValue::Float(i as f64),
            (expected, value) if value.param_type() != expected => {
                return Err(ParamError::Type {
                    param: self,
                    expected,
                    found: value.describe(),
                });
            }
            (_, value) => value,
        };
        let ok = match (self.range(), &value) {
            (Range::AnyInt, ParamValue::Int(_)) => true,
            (Range::IntAtLeast(min), ParamValue::Int(i)) => *i >= min,
            (Range::AnyFinite, ParamValue::Float(x)) => fits_f32(*x),
            (Range::FloatAtLeast(min), ParamValue::Float(x)) => fits_f32(*x) && *x >= min,
            (Range::FloatBetween(lo, hi), ParamValue::Float(x)) => {
                fits_f32(*x) && *x >= lo && *x <= hi
            }
            (Range::AnyBool, ParamValue::Bool(_)) => true,
            (Range::NonEmptyString, ParamValue::Str(s)) => !s.is_empty(),
            _ => false,
        };
        if ok {
            Ok(value)
        } else {
            Err(out_of_range(&value))
        }
    }
}

fn fits_f32(x: f64) -> bool {
    x.is_finite() && x.abs() <= f64::from(f32::MAX)
}

/// Written as Ollama's name (`temperature`).
impl serde::Serialize for Parameter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A typed parameter value; serialised as the bare JSON value (`0.7`, `40`, `true`, `"x"`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// An integer.
    Int(i64),
    /// A float (kept as f64; Ollama narrows it to f32).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string (one `stop` sequence).
    Str(String),
}

impl ParamValue {
    /// The type of this value.
    pub fn param_type(&self) -> ParamType {
        match self {
            ParamValue::Int(_) => ParamType::Int,
            ParamValue::Float(_) => ParamType::Float,
            ParamValue::Bool(_) => ParamType::Bool,
            ParamValue::Str(_) => ParamType::String,
        }
    }

    /// The value as JSON, the way Ollama's `/api/create` and `params` layer want it.
    pub fn to_json(&self) -> JsonValue {
        match self {
            ParamValue::Int(i) => JsonValue::from(*i),
            ParamValue::Float(x) => JsonValue::from(*x),
            ParamValue::Bool(b) => JsonValue::from(*b),
            ParamValue::Str(s) => JsonValue::from(s.as_str()),
        }
    }

    fn describe(&self) -> String {
        match self {
            ParamValue::Str(s) => format!("the string {s:?}"),
            other => format!("the {} {other}", other.param_type()),
        }
    }
}

/// Modelfile text: shortest decimal that reads back to the same number.
impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Str(s) => f.write_str(s),
        }
    }
}

/// A checked set of parameters: at most one value per scalar parameter, and the `stop`
/// sequences in order. Iterates in [`Parameter::ALL`] order, so output is deterministic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parameters {
    scalars: BTreeMap<Parameter, ParamValue>,
    stop: Vec<String>,
}

impl Parameters {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a parameter after checking the value. For `stop`, appends one sequence; for the
    /// others, replaces any earlier value and returns it.
    pub fn set(
        &mut self,
        param: Parameter,
        value: ParamValue,
    ) -> Result<Option<ParamValue>, ParamError> {
        match param.check(value)? {
            ParamValue::Str(stop) if param == Parameter::Stop => {
                self.stop.push(stop);
                Ok(None)
            }
            value => Ok(self.scalars.insert(param, value)),
        }
    }

    /// Sets one parameter given as `name` and `value` text, as on `push --param name=value`:
    /// the name is looked up and the value parsed and range-checked exactly as a Modelfile's
    /// `PARAMETER` line and a manifest's `[parameters]` are, so a typo or a value Ollama would
    /// fail on at run time is refused here. A value written as a JSON string (`"<|im_end|>"`)
    /// is taken without its quotes, and `stop` also takes a JSON array of sequences.
    pub fn set_text(&mut self, name: &str, value: &str) -> Result<(), ParamError> {
        let param = Parameter::from_name(name)?;
        match serde_json::from_str::<JsonValue>(value) {
            Ok(JsonValue::String(text)) => {
                self.set(param, param.parse_value(&text)?)?;
            }
            Ok(JsonValue::Array(items)) if param == Parameter::Stop => {
                for item in items {
                    let found = match item {
                        JsonValue::String(text) => ParamValue::Str(text),
                        other => {
                            return Err(ParamError::Type {
                                param,
                                expected: ParamType::String,
                                found: format!("`{other}`"),
                            });
                        }
                    };
                    self.set(param, found)?;
                }
            }
            _ => {
                self.set(param, param.parse_value(value)?)?;
            }
        }
        Ok(())
    }

    /// Replaces the stop sequences with a new list (each checked).
    pub fn set_stop(&mut self, stops: Vec<String>) -> Result<(), ParamError> {
        for stop in &stops {
            Parameter::Stop.check(ParamValue::Str(stop.clone()))?;
        }
        self.stop = stops;
        Ok(())
    }

    /// The value of a scalar parameter, if set.
    pub fn get(&self, param: Parameter) -> Option<&ParamValue> {
        self.scalars.get(&param)
    }

    /// The stop sequences, in order.
    pub fn stop(&self) -> &[String] {
        &self.stop
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.scalars.is_empty() && self.stop.is_empty()
    }

    /// Every value, one `(parameter, value)` pair per Modelfile line: scalars first in
    /// [`Parameter::ALL`] order, then each stop sequence.
    pub fn lines(&self) -> impl Iterator<Item = (Parameter, ParamValue)> + '_ {
        self.scalars.iter().map(|(p, v)| (*p, v.clone())).chain(
            self.stop
                .iter()
                .map(|s| (Parameter::Stop, ParamValue::Str(s.clone()))),
        )
    }

    /// The JSON object Ollama's `params` layer and `/api/create` take (`stop` an array).
    pub fn to_json(&self) -> serde_json::Map<String, JsonValue> {
        let mut map: serde_json::Map<String, JsonValue> = self
            .scalars
            .iter()
            .map(|(p, v)| (p.name().to_owned(), v.to_json()))
            .collect();
        if !self.stop.is_empty() {
            map.insert("stop".to_owned(), JsonValue::from(self.stop.clone()));
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn num_ctx_rejects_a_string() {
        let err = Parameter::NumCtx.parse_value("\"4096\"").unwrap_err();
        assert!(matches!(err, ParamError::Type { .. }), "{err}");
        let err = Parameter::NumCtx
            .check(ParamValue::Str("4096".into()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`num_ctx` takes an int, found the string \"4096\""
        );
    }

    #[test]
    fn ranges() {
        assert!(Parameter::NumCtx.parse_value("0").is_err());
        assert!(Parameter::NumCtx.parse_value("1").is_ok());
        assert!(Parameter::TopP.parse_value("1.0").is_ok());
        assert!(Parameter::TopP.parse_value("1.01").is_err());
        assert!(Parameter::Temperature.parse_value("-0.1").is_err());
        assert!(Parameter::Temperature.parse_value("nan").is_err());
        assert!(Parameter::Temperature.parse_value("inf").is_err());
        assert!(Parameter::Temperature.parse_value("1e39").is_err());
        assert!(Parameter::NumPredict.parse_value("-2").is_ok());
        assert!(Parameter::NumPredict.parse_value("-3").is_err());
        assert!(Parameter::Stop.parse_value("").is_err());
    }

    #[test]
    fn go_syntax() {
        assert_eq!(
            Parameter::Seed.parse_value("+7").unwrap(),
            ParamValue::Int(7)
        );
        assert!(Parameter::Seed.parse_value("7.0").is_err());
        assert!(Parameter::Seed.parse_value(" 7").is_err());
        assert_eq!(
            Parameter::UseMmap.parse_value("T").unwrap(),
            ParamValue::Bool(true)
        );
        assert!(Parameter::UseMmap.parse_value("yes").is_err());
        assert_eq!(
            Parameter::Temperature.parse_value("1").unwrap(),
            ParamValue::Float(1.0)
        );
    }

    #[test]
    fn names() {
        assert_eq!(Parameter::from_name("top_p").unwrap(), Parameter::TopP);
        assert!(matches!(
            Parameter::from_name("Top_P"),
            Err(ParamError::Unknown {
                suggestion: Some("top_p"),
                ..
            })
        ));
        assert!(matches!(
            Parameter::from_name("mirostat"),
            Err(ParamError::Removed { .. })
        ));
        assert!(matches!(
            Parameter::from_name("use_mlock"),
            Err(ParamError::Ignored { .. })
        ));
        for p in Parameter::ALL {
            assert_eq!(Parameter::from_name(p.name()).unwrap(), p);
        }
    }

    #[test]
    fn text_values_are_checked_like_modelfile_lines() {
        let mut params = Parameters::new();
        params.set_text("num_ctx", "8192").unwrap();
        params.set_text("stop", "<|im_end|>").unwrap();
        params.set_text("stop", r#"["<|a|>","<|b|>"]"#).unwrap();
        params.set_text("temperature", r#""0.5""#).unwrap();
        assert_eq!(params.stop(), ["<|im_end|>", "<|a|>", "<|b|>"]);
        assert_eq!(
            params.get(Parameter::Temperature),
            Some(&ParamValue::Float(0.5))
        );
        assert!(matches!(
            params.set_text("temprature", "0.5"),
            Err(ParamError::Unknown {
                suggestion: Some("temperature"),
                ..
            })
        ));
        assert!(matches!(
            params.set_text("num_ctx", "abc"),
            Err(ParamError::Type { .. })
        ));
        assert!(matches!(
            params.set_text("top_p", "7"),
            Err(ParamError::Range { .. })
        ));
        assert!(params.set_text("stop", "[1]").is_err());
    }

    #[test]
    fn stop_collects_and_json_is_typed() {
        let mut params = Parameters::new();
        params
            .set(Parameter::Stop, ParamValue::Str("<|im_end|>".into()))
            .unwrap();
        params
            .set(Parameter::Stop, ParamValue::Str("<|endoftext|>".into()))
            .unwrap();
        params
            .set(Parameter::NumCtx, ParamValue::Int(4096))
            .unwrap();
        params
            .set(Parameter::Temperature, ParamValue::Int(1))
            .unwrap();
        assert_eq!(
            serde_json::Value::Object(params.to_json()).to_string(),
            r#"{"temperature":1.0,"num_ctx":4096,"stop":["<|im_end|>","<|endoftext|>"]}"#
        );
    }
}
