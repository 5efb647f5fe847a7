//! One Ollama model from GGUF files and hand-given parts (`push --gguf FILE --name NAME`),
//! checked the way a manifest's models are: each `--param` through the same parameter
//! validation as a manifest's `[parameters]` and a Modelfile's `PARAMETER` lines
//! ([`Parameters::set_text`]), the template and stops against the GGUF's vocabulary, and the
//! image config's family, model type and file type taken from the GGUF header unless given.
//! Without this, a typo such as `temprature=0.5` or a value such as `num_ctx=abc` reached
//! the params layer, where Ollama fails only when the model runs.

use std::path::{Path, PathBuf};

use super::error::PushError;
use super::from_resolved::ollama_model_type;
use super::release::{ModelConfig, OllamaModel, Release};
use crate::gguf::{GgufHeader, Quant};
use crate::manifest::MAX_TEXT_FILE_BYTES;
use crate::ollama::{ModelName, Parameters};
use crate::template::ollama::OllamaTemplate;

/// What `push --gguf` was given for one model. Paths are read by [`GgufModelSpec::build`].
#[derive(Debug, Clone)]
pub struct GgufModelSpec {
    /// Where the model goes.
    pub name: ModelName,
    /// The GGUF file(s): one, or the shards of a split model in order.
    pub gguf: Vec<PathBuf>,
    /// A file with the Go chat template.
    pub template: Option<PathBuf>,
    /// A file with the system prompt.
    pub system: Option<PathBuf>,
    /// License files, one layer each.
    pub licenses: Vec<PathBuf>,
    /// Parameters as `name=value` text.
    pub params: Vec<String>,
    /// `model_family` of the image config; the header's architecture when `None`.
    pub family: Option<String>,
    /// `model_type`; Ollama's human parameter count of the header's tensors when `None`.
    pub model_type: Option<String>,
    /// `file_type`; the header's `general.file_type` (else the file name's quant) when `None`.
    pub file_type: Option<String>,
}

/// The release of one model, and what the user should know about it before it goes.
#[derive(Debug, Clone)]
pub struct GgufModel {
    /// The release to push.
    pub release: Release,
    /// Warnings to show (no template, an unreadable header, tool-only misfits).
    pub warnings: Vec<String>,
}

impl GgufModelSpec {
    /// Reads the files, checks the parameters and the template, and fills the config from
    /// the header. Fails on a bad `--param`, a template that is not a Go template, or markers
    /// that do not fit the vocabulary.
    pub fn build(&self) -> Result<GgufModel, PushError> {
        let first = self
            .gguf
            .first()
            .ok_or_else(|| PushError::input("`--gguf` needs at least one GGUF file"))?;
        let mut warnings = Vec::new();
        let mut params = Parameters::new();
        for param in &self.params {
            let Some((key, value)) = param.split_once('=') else {
                return Err(PushError::input(format!(
                    "`--param {param}` is not `name=value`, e.g. `--param num_ctx=4096`"
                )));
            };
            params.set_text(key, value).map_err(|e| {
                PushError::input(format!(
                    "`--param {param}`: {e}; fix or leave out the value"
                ))
            })?;
        }
        let mut model = OllamaModel::new(self.name.clone(), first.clone());
        model.gguf = self.gguf.clone();
        model.template = self.template.as_deref().map(read_text).transpose()?;
        model.system = self.system.as_deref().map(read_text).transpose()?;
        model.licenses = self
            .licenses
            .iter()
            .map(|p| read_text(p))
            .collect::<Result<_, _>>()?;
        model.params = params.to_json();
        let template = match (&model.template, &self.template) {
            (Some(text), Some(path)) => OllamaTemplate::parse(text).map_err(|e| {
                PushError::input(format!(
                    "`--template {}` is not an Ollama Go template: {e}",
                    path.display()
                ))
            })?,
            _ => OllamaTemplate::parse("").map_err(|e| PushError::input(e.to_string()))?,
        };
        let headers: Result<Vec<GgufHeader>, String> = self
            .gguf
            .iter()
            .map(|path| {
                GgufHeader::read_path(path)
                    .map_err(|e| format!("cannot read the header of `{}`: {e}", path.display()))
            })
            .collect();
        let headers = headers.unwrap_or_else(|why| {
            warnings.push(format!(
                "{why}: the template's fit to the vocabulary is not checked, and the config's family, model type and file type are empty unless given"
            ));
            Vec::new()
        });
        if let Some(header) = headers.first() {
            warnings.extend(check_fit(&template, params.stop(), header, first)?);
            if self.template.is_none() {
                warnings.push(no_template_warning(header, first));
            }
        }
        model.config = config(self, &headers, first);
        Ok(GgufModel {
            release: Release {
                models: vec![model],
                files: Vec::new(),
            },
            warnings,
        })
    }
}

/// Refuses a template or marker-like stop that does not fit the GGUF's vocabulary; returns
/// the warnings of a fit that holds.
fn check_fit(
    template: &OllamaTemplate,
    stops: &[String],
    header: &GgufHeader,
    gguf: &Path,
) -> Result<Vec<String>, PushError> {
    let Some(fit) = crate::template::fit::check_go(template, stops, header) else {
        return Ok(Vec::new());
    };
    if !fit.fits() {
        return Err(PushError::input(format!(
            "the template and stops do not fit the vocabulary of `{}`: {}; write the markers exactly as the model's vocabulary has them",
            gguf.display(),
            fit.missing()
        )));
    }
    Ok(fit.warnings)
}

/// What a model pushed without `--template` gets, said before it goes.
fn no_template_warning(header: &GgufHeader, gguf: &Path) -> String {
    let file = gguf.display();
    if header.chat_template().is_some() {
        format!(
            "no `--template`: the model gets no TEMPLATE layer; Ollama 0.30 and later render the chat template of `{file}`, older servers send prompts raw; `ruvltra-export template convert {file}` writes a verified Go template for `--template`"
        )
    } else {
        format!(
            "no `--template`, and `{file}` carries no chat template: the model gets no template, so Ollama sends prompts raw and chat will not work; give `--template FILE` with a Go template"
        )
    }
}

/// The image config: what was given, else the header's facts (the architecture, the
/// parameter count over every shard, `general.file_type` or the file name's quant).
fn config(spec: &GgufModelSpec, headers: &[GgufHeader], first: &Path) -> ModelConfig {
    let header = headers.first();
    let family = spec.family.clone().unwrap_or_else(|| {
        header
            .and_then(GgufHeader::architecture)
            .unwrap_or_default()
            .to_owned()
    });
    let model_type = spec.model_type.clone().unwrap_or_else(|| {
        let count: u64 = headers.iter().map(GgufHeader::parameter_count).sum();
        if count == 0 {
            String::new()
        } else {
            ollama_model_type(count)
        }
    });
    let file_type = spec.file_type.clone().unwrap_or_else(|| {
        header
            .and_then(|h| h.file_type())
            .and_then(|ft| ft.name())
            .map(str::to_owned)
            .or_else(|| {
                first
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(Quant::from_file_name)
                    .map(|q| q.to_string())
            })
            .unwrap_or_default()
    });
    ModelConfig {
        model_families: if family.is_empty() {
            Vec::new()
        } else {
            vec![family.clone()]
        },
        model_family: family,
        model_type,
        file_type,
        ..ModelConfig::default()
    }
}

fn read_text(path: &Path) -> Result<String, PushError> {
    crate::text_file::read_text(path, MAX_TEXT_FILE_BYTES)
        .map_err(|e| PushError::input(format!("cannot read `{}`: {e}", path.display())))
}
