//! The ollama backend: puts each model of a release into a running Ollama server, and
//! optionally publishes it under a namespace through the server's own `/api/push`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::OllamaHost;
use super::client::{OllamaClient, ShowResponse, TagEntry};
use super::create::{ModelBlob, files_request, modelfile_request};
use super::error::OllamaApiError;
use super::show_parameters;
use super::text_check::{check, text_check};
use crate::digest::Digest;
use crate::http::HttpSettings;
use crate::ollama::{DEFAULT_HOST, DEFAULT_NAMESPACE, ModelName, NameError, OllamaVersion};
use crate::push::skeleton::{Outgoing, make_in_order, prune, send_side_by_side, transfer};
use crate::push::{
    Action, Backend, BlobSource, Check, ItemKind, ItemOutcome, OllamaModel, Plan, PlanItem,
    PushContext, PushError, PushReport, ReadBackReport, Release, StaleItem,
};

/// Where the ollama backend sends models, and whether it publishes them.
#[derive(Debug, Clone, Default)]
pub struct OllamaTarget {
    /// The server (`OLLAMA_HOST`). By default, `http://127.0.0.1:11434`.
    pub host: OllamaHost,
    /// After creating, copy each model to this namespace and `/api/push` it (ollama.com needs
    /// the server's key registered there). By default, none: models stay local.
    pub publish_namespace: Option<String>,
    /// Let the server push over plain HTTP (`"insecure": true`). By default, off.
    pub insecure: bool,
}

/// The ollama backend (see the [module docs](super)).
#[derive(Debug)]
pub struct OllamaBackend {
    target: OllamaTarget,
    client: OllamaClient,
}

/// The name as Ollama displays it: default host and `library` namespace left out.
pub fn display_name(name: &ModelName) -> String {
    if name.host() != DEFAULT_HOST {
        name.fully_qualified()
    } else if name.namespace() == DEFAULT_NAMESPACE {
        format!("{}:{}", name.model(), name.tag())
    } else {
        format!("{}/{}:{}", name.namespace(), name.model(), name.tag())
    }
}

/// Names as Ollama compares them: case-insensitively, defaults filled in.
fn same_model(a: &str, b: &str) -> bool {
    match (a.parse::<ModelName>(), b.parse::<ModelName>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.eq_ignore_ascii_case(b),
    }
}

/// Same host, namespace and model, any tag.
fn same_repository(a: &ModelName, b: &ModelName) -> bool {
    a.host().eq_ignore_ascii_case(b.host())
        && a.namespace().eq_ignore_ascii_case(b.namespace())
        && a.model().eq_ignore_ascii_case(b.model())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A GGUF of a model with where it comes from.
struct LocalBlob {
    blob: ModelBlob,
    path: PathBuf,
}

impl OllamaBackend {
    /// A backend for `target`; each call retries per the command's
    /// [`TransferOptions::retry`](crate::push::TransferOptions::retry).
    pub fn new(target: OllamaTarget) -> Result<Self, PushError> {
        let client = OllamaClient::new(target.host.clone(), HttpSettings::default())?;
        Ok(Self { target, client })
    }

    /// The low-level client (with the default retry policy), for one more call.
    pub fn client(&self) -> &OllamaClient {
        &self.client
    }

    /// The client with this command's retry policy.
    fn api(&self, ctx: &PushContext<'_>) -> OllamaClient {
        self.client.with_settings(ctx.options.http())
    }

    fn local_blobs(
        &self,
        model: &OllamaModel,
        ctx: &PushContext<'_>,
    ) -> Result<Vec<LocalBlob>, PushError> {
        let paths = model
            .gguf
            .iter()
            .chain(&model.projectors)
            .map(|p| (p, false))
            .chain(model.adapters.iter().map(|p| (p, true)));
        let mut names = HashSet::new();
        let mut blobs = Vec::new();
        for (path, adapter) in paths {
            let (digest, size) = ctx.digests.digest_file(path, ctx.progress)?;
            let name = file_name(path);
            if !names.insert(name.clone()) {
                return Err(PushError::input(format!(
                    "`{}` has two GGUF files named `{name}`; Ollama's `files` needs distinct names",
                    display_name(&model.name)
                )));
            }
            blobs.push(LocalBlob {
                blob: ModelBlob {
                    file_name: name,
                    digest,
                    size,
                    adapter,
                },
                path: path.clone(),
            });
        }
        Ok(blobs)
    }

    fn create_body(
        &self,
        version: OllamaVersion,
        model: &OllamaModel,
        blobs: &[ModelBlob],
    ) -> Result<Value, PushError> {
        let name = display_name(&model.name);
        // A server older than the model requires refuses it: say so before sending.
        if let Some(required) = model.requires.as_deref().and_then(OllamaVersion::parse)
            && !version.is_development()
            && version < required
        {
            return Err(PushError::input(format!(
                "`{name}` needs Ollama {required} or later (REQUIRES {required}), but the server at {} is {version}: update Ollama",
                self.target.host
            )));
        }
        let body = if version.supports_files_form() {
            files_request(&name, model, blobs)
        } else {
            modelfile_request(&name, model, blobs)
        };
        body.map_err(backend_error)
    }

    /// `namespace/model:tag` to publish `model` as, checked like any Ollama name.
    fn publish_name(&self, model: &OllamaModel) -> Result<Option<String>, PushError> {
        let Some(namespace) = &self.target.publish_namespace else {
            return Ok(None);
        };
        let text = format!("{namespace}/{}:{}", model.name.model(), model.name.tag());
        let name: ModelName = text.parse().map_err(|e: NameError| {
            PushError::input(format!("cannot publish under namespace `{namespace}`: {e}"))
        })?;
        Ok(Some(display_name(&name)))
    }

    /// Whether the server's model already says everything this one would.
    fn up_to_date(show: &ShowResponse, model: &OllamaModel, blobs: &[ModelBlob]) -> bool {
        model_checks(show, model).iter().all(|c| c.ok)
            && blobs
                .iter()
                .all(|b| show.modelfile.contains(&b.digest.hex()))
    }
}

fn backend_error(err: OllamaApiError) -> PushError {
    PushError::Backend {
        backend: "ollama".to_string(),
        source: Box::new(err),
    }
}

/// The checks `verify` makes for one model against `/api/show`.
fn model_checks(show: &ShowResponse, model: &OllamaModel) -> Vec<Check> {
    let name = display_name(&model.name);
    let mut checks = vec![
        text_check(
            format!("template of {name}"),
            model.template.as_deref().unwrap_or(""),
            &show.template,
        ),
        text_check(
            format!("system of {name}"),
            model.system.as_deref().unwrap_or(""),
            &show.system,
        ),
        text_check(
            format!("license of {name}"),
            &model.licenses.join("\n"),
            &show.license,
        ),
    ];
    let differences = show_parameters::differences(
        &show_parameters::expected(&model.params),
        &show_parameters::parse_show(&show.parameters),
    );
    checks.push(if differences.is_empty() {
        check(
            format!("parameters of {name}"),
            true,
            format!("{} parameters match", model.params.len()),
        )
    } else {
        check(
            format!("parameters of {name}"),
            false,
            differences.join("\n"),
        )
    });
    checks.push(instruction_check(
        &name,
        "PARSER",
        model.parser.as_deref(),
        &show.modelfile,
    ));
    checks.push(instruction_check(
        &name,
        "REQUIRES",
        model.requires.as_deref(),
        &show.modelfile,
    ));
    let missing: Vec<&str> = model
        .capabilities
        .iter()
        .filter(|c| !show.capabilities.contains(c))
        .map(String::as_str)
        .collect();
    checks.push(check(
        format!("capabilities of {name}"),
        missing.is_empty(),
        if missing.is_empty() {
            format!("the server lists {}", show.capabilities.join(", "))
        } else {
            format!(
                "expected {} among them, the server lists {}",
                missing.join(", "),
                show.capabilities.join(", ")
            )
        },
    ));
    let expected: Vec<(String, String)> = model
        .messages
        .iter()
        .map(|m| (m.role.clone(), m.content.clone()))
        .collect();
    let actual: Vec<(String, String)> = show
        .messages
        .iter()
        .map(|m| {
            let field = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            (field("role"), field("content"))
        })
        .collect();
    checks.push(check(
        format!("messages of {name}"),
        expected == actual,
        if expected == actual {
            format!("{} messages match", expected.len())
        } else {
            format!("expected {expected:?}\n  server has {actual:?}")
        },
    ));
    checks
}

/// Checks one single-line instruction (`PARSER`, `REQUIRES`) in the Modelfile `/api/show`
/// writes for the model: present with the value meant, or absent when none is meant.
fn instruction_check(name: &str, keyword: &str, expected: Option<&str>, modelfile: &str) -> Check {
    let found = modelfile.lines().find_map(|line| {
        let (word, value) = line.split_once([' ', '\t'])?;
        word.eq_ignore_ascii_case(keyword).then(|| value.trim())
    });
    let what = format!("{} of {name}", keyword.to_ascii_lowercase());
    match (expected, found) {
        (Some(e), Some(f)) if e == f => check(what, true, format!("{keyword} {f}")),
        (None, None) => check(what, true, format!("no {keyword}, as meant")),
        (e, f) => check(
            what,
            false,
            format!(
                "expected {}, the server's Modelfile has {}",
                e.map_or_else(|| format!("no {keyword}"), |e| format!("{keyword} {e}")),
                f.map_or_else(|| format!("no {keyword}"), |f| format!("{keyword} {f}"))
            ),
        ),
    }
}

impl Backend for OllamaBackend {
    fn name(&self) -> &str {
        "ollama"
    }

    fn plan(&self, release: &Release, ctx: &PushContext<'_>) -> Result<Plan, PushError> {
        let version = self.api(ctx).version(ctx.progress)?;
        let tags = self.api(ctx).tags(ctx.progress)?;
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        for model in &release.models {
            let locals = self.local_blobs(model, ctx)?;
            let blobs: Vec<ModelBlob> = locals.iter().map(|l| l.blob.clone()).collect();
            // Building the request now turns an unrepresentable value into a plan-time error.
            self.create_body(version, model, &blobs)?;
            let name = display_name(&model.name);
            for blob in &blobs {
                if !seen.insert(blob.digest) {
                    continue;
                }
                let action = if self.api(ctx).blob_exists(&blob.digest, ctx.progress)? {
                    Action::Skip {
                        reason: "the server has this blob".into(),
                    }
                } else {
                    Action::Upload
                };
                items.push(PlanItem {
                    kind: ItemKind::Blob,
                    name: blob.file_name.clone(),
                    digest: Some(blob.digest),
                    size: blob.size,
                    action,
                });
            }
            let exists = tags.iter().any(|t| same_model(&t.name, &name));
            let action = if !exists {
                Action::Create
            } else {
                match self.api(ctx).show(&name, ctx.progress)? {
                    Some(show) if Self::up_to_date(&show, model, &blobs) => Action::Skip {
                        reason: "the server's model has the same files, template, system, license, parameters and messages".into(),
                    },
                    _ => Action::Replace,
                }
            };
            let form = if version.supports_files_form() {
                "files"
            } else {
                "Modelfile"
            };
            items.push(PlanItem {
                kind: ItemKind::Commit,
                name: format!("create {name} ({form} form, server {version})"),
                digest: None,
                size: 0,
                action,
            });
            if let Some(destination) = self.publish_name(model)? {
                items.push(PlanItem {
                    kind: ItemKind::Manifest,
                    name: format!("publish {destination}"),
                    digest: None,
                    size: 0,
                    action: Action::Create,
                });
            }
        }
        Ok(Plan {
            backend: self.name().to_string(),
            target: self.target.host.to_string(),
            items,
            stale: stale_tags(release, &tags),
        })
    }

    fn push(
        &self,
        plan: &Plan,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<PushReport, PushError> {
        let version = self.api(ctx).version(ctx.progress)?;
        let mut uploads: BTreeMap<Digest, (ModelBlob, PathBuf)> = BTreeMap::new();
        let mut models = Vec::new();
        for model in &release.models {
            let locals = self.local_blobs(model, ctx)?;
            for local in &locals {
                uploads
                    .entry(local.blob.digest)
                    .or_insert_with(|| (local.blob.clone(), local.path.clone()));
            }
            models.push((
                model,
                locals.into_iter().map(|l| l.blob).collect::<Vec<_>>(),
            ));
        }
        let planned = |digest: &Digest| {
            plan.items
                .iter()
                .find(|item| item.kind == ItemKind::Blob && item.digest.as_ref() == Some(digest))
                .map(|item| item.action.clone())
        };
        let blobs: Vec<Outgoing<(ModelBlob, PathBuf)>> = uploads
            .into_iter()
            .map(|(digest, (blob, path))| Outgoing {
                name: blob.file_name.clone(),
                digest: Some(digest),
                planned: planned(&digest),
                work: (blob, path),
            })
            .collect();
        let mut outcomes = send_side_by_side(&blobs, ctx, |item| {
            let (blob, path) = &item.work;
            let sent = transfer(ctx, self.name(), &item.name, item.digest, blob.size, || {
                let source = ctx.reads.source(BlobSource::file(path, blob.size));
                self.api(ctx)
                    .upload_blob(&blob.digest, &source, &blob.file_name, ctx.progress)
            })?;
            Ok((Action::Upload, sent))
        })?;
        for (model, blobs) in &models {
            let name = display_name(&model.name);
            let item = plan.items.iter().find(|item| {
                item.kind == ItemKind::Commit && item.name.starts_with(&format!("create {name} "))
            });
            let create = Outgoing {
                name: format!("create {name}"),
                digest: None,
                planned: item.map(|item| item.action.clone()),
                work: (),
            };
            outcomes.extend(make_in_order(&[create], ctx, |_, _| {
                let body = self.create_body(version, model, blobs)?;
                self.api(ctx).create(&name, &body, ctx.progress)?;
                Ok(0)
            })?);
            if let Some(destination) = self.publish_name(model)? {
                if !same_model(&destination, &name) {
                    self.api(ctx).copy(&name, &destination, ctx.progress)?;
                }
                self.api(ctx)
                    .push(&destination, self.target.insecure, ctx.progress)?;
                outcomes.push(ItemOutcome {
                    name: format!("publish {destination}"),
                    digest: None,
                    action: Action::Create,
                    bytes_sent: 0,
                });
            }
        }
        let pruned = prune(plan, ctx, |stale| {
            self.api(ctx).delete(&stale.name, ctx.progress)
        })?;
        Ok(PushReport::from_items(
            self.name(),
            self.target.host.to_string(),
            outcomes,
            pruned,
        ))
    }

    fn verify(
        &self,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<ReadBackReport, PushError> {
        let mut checks = Vec::new();
        for model in &release.models {
            let name = display_name(&model.name);
            for local in self.local_blobs(model, ctx)? {
                let present = self
                    .api(ctx)
                    .blob_exists(&local.blob.digest, ctx.progress)?;
                checks.push(check(
                    format!("blob {} of {name}", local.blob.file_name),
                    present,
                    if present {
                        format!("the server has {}", local.blob.digest)
                    } else {
                        format!("the server lacks {}", local.blob.digest)
                    },
                ));
            }
            match self.api(ctx).show(&name, ctx.progress)? {
                Some(show) => checks.extend(model_checks(&show, model)),
                None => checks.push(check(
                    format!("model {name}"),
                    false,
                    format!(
                        "`/api/show` on {} answers 404: the model is not there",
                        self.target.host
                    ),
                )),
            }
        }
        Ok(ReadBackReport {
            backend: self.name().to_string(),
            target: self.target.host.to_string(),
            checks,
            warnings: Vec::new(),
        })
    }
}

/// Models on the server in the same repository as a model of the release, under a tag the
/// release does not have.
fn stale_tags(release: &Release, tags: &[TagEntry]) -> Vec<StaleItem> {
    tags.iter()
        .filter_map(|tag| {
            let on_server: ModelName = tag.name.parse().ok()?;
            let related = release
                .models
                .iter()
                .any(|m| same_repository(&m.name, &on_server));
            let current = release
                .models
                .iter()
                .any(|m| same_model(&display_name(&m.name), &tag.name));
            (related && !current).then(|| StaleItem {
                kind: ItemKind::Manifest,
                name: tag.name.clone(),
                detail: format!("{} bytes, manifest {}", tag.size, tag.digest),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_follow_ollama() {
        let name = |s: &str| display_name(&s.parse().unwrap());
        assert_eq!(name("ruvltra"), "ruvltra:latest");
        assert_eq!(name("ruv/ruvltra:q4"), "ruv/ruvltra:q4");
        assert_eq!(
            name("example.com/ruv/ruvltra:q4"),
            "example.com/ruv/ruvltra:q4"
        );
        assert!(same_model(
            "RUV/ruvltra:Q4",
            "registry.ollama.ai/ruv/ruvltra:q4"
        ));
    }
}
