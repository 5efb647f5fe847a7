//! The body of `POST /api/create`, in both forms Ollama has accepted: the files form
//! (v0.5.5+: blob digests plus typed fields) and the older Modelfile form
//! (`FROM @sha256:<hex>` lines plus instructions).

use serde_json::{Map, Value, json};

use super::error::OllamaApiError;
use crate::digest::Digest;
use crate::push::OllamaModel;

/// One GGUF of a model, already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelBlob {
    /// The `files`/`adapters` key: the file name, without folders.
    pub file_name: String,
    /// Its sha256.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it is a LoRA adapter (sent under `adapters`, or as `ADAPTER` in a Modelfile).
    pub adapter: bool,
}

/// Checks a `files` key the way Ollama does: relative, no `..`, not empty.
pub fn check_file_name(name: &str) -> Result<(), OllamaApiError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.starts_with('/') || name.contains('\\') {
        Some("it must be a relative path with `/` separators")
    } else if name.split('/').any(|part| part == "..") {
        Some("it contains `..`")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(OllamaApiError::BadFileName {
            name: name.to_string(),
            reason: reason.to_string(),
        }),
        None => Ok(()),
    }
}

/// `parameters` with `stop` always an array (Ollama merges repeated stops into one).
fn typed_parameters(model: &OllamaModel) -> Map<String, Value> {
    let mut parameters = model.params.clone();
    if let Some(stop) = parameters.get_mut("stop")
        && !stop.is_array()
    {
        *stop = Value::Array(vec![stop.take()]);
    }
    parameters
}

/// The files-form request for `name`.
pub fn files_request(
    name: &str,
    model: &OllamaModel,
    blobs: &[ModelBlob],
) -> Result<Value, OllamaApiError> {
    let mut files = Map::new();
    let mut adapters = Map::new();
    for blob in blobs {
        check_file_name(&blob.file_name)?;
        let target = if blob.adapter {
            &mut adapters
        } else {
            &mut files
        };
        target.insert(
            blob.file_name.clone(),
            Value::String(blob.digest.to_string()),
        );
    }
    let mut body = json!({ "model": name, "files": files, "stream": true });
    if !adapters.is_empty() {
        body["adapters"] = Value::Object(adapters);
    }
    if let Some(template) = &model.template {
        body["template"] = json!(template);
    }
    if let Some(system) = &model.system {
        body["system"] = json!(system);
    }
    let parameters = typed_parameters(model);
    if !parameters.is_empty() {
        body["parameters"] = Value::Object(parameters);
    }
    match model.licenses.as_slice() {
        [] => {}
        [one] => body["license"] = json!(one),
        many => body["license"] = json!(many),
    }
    if !model.messages.is_empty() {
        body["messages"] = json!(model.messages);
    }
    if let Some(parser) = &model.parser {
        body["parser"] = json!(parser);
    }
    if let Some(requires) = &model.requires {
        body["requires"] = json!(requires);
    }
    if !model.capabilities.is_empty() {
        body["info"] = json!({ "capabilities": model.capabilities });
    }
    Ok(body)
}

/// A `"""`-quoted Modelfile value, refused when it cannot round-trip (a line ending in `"""`
/// closes the value early; Ollama drops non-printable characters).
fn triple_quoted(what: &'static str, model: &str, value: &str) -> Result<String, OllamaApiError> {
    let refuse = |reason: &str| OllamaApiError::NotRepresentable {
        what,
        model: model.to_string(),
        reason: reason.to_string(),
    };
    if value
        .lines()
        .any(|line| line.trim_end().ends_with("\"\"\""))
        || value.ends_with('"')
    {
        return Err(refuse(
            "a line ends with a quote, which would close the value early",
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(refuse(&format!(
            "it contains the control character U+{:04X}",
            bad as u32
        )));
    }
    Ok(format!("\"\"\"{value}\"\"\""))
}

/// A parameter value in Modelfile syntax: strings quoted when they hold spaces.
fn parameter_value(model: &str, name: &str, value: &Value) -> Result<String, OllamaApiError> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    };
    if text.contains('\n') || text.contains('"') {
        return Err(OllamaApiError::NotRepresentable {
            what: "PARAMETER",
            model: model.to_string(),
            reason: format!("`{name}` holds a newline or a quote"),
        });
    }
    Ok(if text.contains([' ', '\t']) || text.is_empty() {
        format!("\"{text}\"")
    } else {
        text
    })
}

/// The Modelfile-form request for servers older than 0.5.5.
pub fn modelfile_request(
    name: &str,
    model: &OllamaModel,
    blobs: &[ModelBlob],
) -> Result<Value, OllamaApiError> {
    let mut text = String::new();
    for blob in blobs {
        let command = if blob.adapter { "ADAPTER" } else { "FROM" };
        text.push_str(&format!("{command} @{}\n", blob.digest));
    }
    if let Some(template) = &model.template {
        text.push_str(&format!(
            "TEMPLATE {}\n",
            triple_quoted("TEMPLATE", name, template)?
        ));
    }
    if let Some(system) = &model.system {
        text.push_str(&format!(
            "SYSTEM {}\n",
            triple_quoted("SYSTEM", name, system)?
        ));
    }
    for (key, value) in typed_parameters(model) {
        let values = match value {
            Value::Array(items) => items,
            single => vec![single],
        };
        for value in values {
            text.push_str(&format!(
                "PARAMETER {key} {}\n",
                parameter_value(name, &key, &value)?
            ));
        }
    }
    for license in &model.licenses {
        text.push_str(&format!(
            "LICENSE {}\n",
            triple_quoted("LICENSE", name, license)?
        ));
    }
    for message in &model.messages {
        let content = triple_quoted("MESSAGE", name, &message.content)?;
        text.push_str(&format!("MESSAGE {} {content}\n", message.role));
    }
    // Servers this old refuse both instructions, which is what REQUIRES is for.
    if let Some(parser) = &model.parser {
        text.push_str(&format!("PARSER {parser}\n"));
    }
    if let Some(requires) = &model.requires {
        text.push_str(&format!("REQUIRES {requires}\n"));
    }
    Ok(json!({ "model": name, "modelfile": text, "stream": true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::OllamaMessage;

    fn model() -> OllamaModel {
        let mut model = OllamaModel::new("ruv/ruvltra:q4".parse().unwrap(), "/x/m.gguf");
        model.template = Some("{{ .Prompt }}".into());
        model.params.insert("stop".into(), json!("<|im_end|>"));
        model.params.insert("num_ctx".into(), json!(8192));
        model.licenses = vec!["Apache-2.0".into()];
        model.messages = vec![OllamaMessage {
            role: "user".into(),
            content: "hi".into(),
        }];
        model
    }

    fn blobs() -> Vec<ModelBlob> {
        vec![ModelBlob {
            file_name: "m-Q4_K_M.gguf".into(),
            digest: Digest::of_bytes(b"gguf"),
            size: 4,
            adapter: false,
        }]
    }

    #[test]
    fn files_form_is_typed() {
        let body = files_request("ruv/ruvltra:q4", &model(), &blobs()).unwrap();
        assert_eq!(body["parameters"]["stop"], json!(["<|im_end|>"]));
        assert_eq!(body["parameters"]["num_ctx"], json!(8192));
        assert_eq!(body["license"], json!("Apache-2.0"));
        assert_eq!(
            body["files"]["m-Q4_K_M.gguf"],
            json!(Digest::of_bytes(b"gguf").to_string())
        );
        assert_eq!(body["messages"][0]["role"], json!("user"));
    }

    #[test]
    fn files_form_carries_parser_requires_and_capabilities() {
        let plain = files_request("m", &model(), &blobs()).unwrap();
        for field in ["parser", "requires", "info"] {
            assert!(plain.get(field).is_none(), "{field}");
        }
        let mut qwen = model();
        qwen.parser = Some("qwen3".into());
        qwen.requires = Some("0.14.0".into());
        qwen.capabilities = vec!["tools".into(), "thinking".into()];
        let body = files_request("m", &qwen, &blobs()).unwrap();
        assert_eq!(body["parser"], json!("qwen3"));
        assert_eq!(body["requires"], json!("0.14.0"));
        assert_eq!(body["info"], json!({"capabilities": ["tools", "thinking"]}));
        let text = modelfile_request("m", &qwen, &blobs()).unwrap()["modelfile"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(text.ends_with("PARSER qwen3\nREQUIRES 0.14.0\n"), "{text}");
    }

    #[test]
    fn modelfile_form_refers_to_blobs() {
        let body = modelfile_request("ruv/ruvltra:q4", &model(), &blobs()).unwrap();
        let text = body["modelfile"].as_str().unwrap();
        let hex = Digest::of_bytes(b"gguf").hex();
        assert!(
            text.starts_with(&format!(
                "FROM @sha256:{hex}\nTEMPLATE \"\"\"{{{{ .Prompt }}}}\"\"\"\n"
            )),
            "{text}"
        );
        assert!(text.contains("PARAMETER stop <|im_end|>\n"), "{text}");
        assert!(text.contains("MESSAGE user \"\"\"hi\"\"\"\n"), "{text}");
    }

    #[test]
    fn unrepresentable_values_and_bad_names_fail() {
        let mut bad = model();
        bad.system = Some("say \"\"\"\nnext".into());
        assert!(modelfile_request("m", &bad, &blobs()).is_err());
        let mut names = blobs();
        names[0].file_name = "../m.gguf".into();
        let err = files_request("m", &model(), &names).unwrap_err();
        assert!(err.to_string().contains("contains `..`"), "{err}");
    }
}
