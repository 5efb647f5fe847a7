//! Reading a manifest: TOML with spans, walked by hand so that every unknown key, wrong
//! type and missing field is reported (not just the first), each with `file:line:col` and a
//! "did you mean" for near misses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{LoadError, ManifestErrorKind, ManifestErrors};
use super::reader::{Reader, TableRef, Value, display_table, dotted};
use super::schema::{
    Benchmark, CardSettings, ChatTemplateSource, CompanionFile, Family, HubSettings, License,
    LlamaCppSettings, Manifest, ManifestMessage, ModelEntry, ModelScopeSettings, OciSettings,
    OllamaSettings, Settings, SourceSettings, VariantEntry, Visibility,
};
use crate::modelfile::MessageRole;
use crate::ollama::{ModelName, ParamValue, Parameter, TagScheme, suggest};
use crate::push::oci::OciFormat;

/// The largest manifest we read.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

const ROOT_KEYS: &[&str] = &[
    "family",
    "hub",
    "source",
    "defaults",
    "models",
    "ollama",
    "modelscope",
    "card",
    "llamacpp",
    "oci",
];
const FAMILY_KEYS: &[&str] = &[
    "name",
    "description",
    "publisher",
    "base_model",
    "license",
    "languages",
    "tags",
    "default_model",
];
const SETTINGS_KEYS: &[&str] = &[
    "system",
    "chat_template",
    "chat_template_file",
    "ollama_template_file",
    "parameters",
    "messages",
];
const MODEL_KEYS: &[&str] = &[
    "name",
    "description",
    "default_variant",
    "context_length",
    "size",
    "variants",
    "ollama",
    "modelscope",
    "projector",
    "adapter",
];
const VARIANT_KEYS: &[&str] = &[
    "file",
    "quant",
    "context_length",
    "size",
    "projector",
    "adapter",
];

impl Manifest {
    /// Reads and checks a manifest file.
    pub fn load(path: &Path) -> Result<Manifest, LoadError> {
        let text = crate::text_file::read_text(path, MAX_MANIFEST_BYTES).map_err(|source| {
            LoadError::Read {
                path: path.to_owned(),
                source,
            }
        })?;
        Manifest::parse(&text, path).map_err(LoadError::Invalid)
    }

    /// Checks manifest text; `path` is where it came from (for messages and relative paths).
    /// Returns every problem found, in file order.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestErrors> {
        let mut reader = Reader::new(text, path);
        let (root, syntax_errors) = DeTable::parse_recoverable(text);
        for error in syntax_errors {
            let span = error.span().unwrap_or(0..0);
            reader.error(
                span,
                ManifestErrorKind::Syntax {
                    message: error.message().trim().to_owned(),
                },
            );
        }
        if !reader.errors.is_empty() {
            return Err(reader.finish());
        }
        let manifest = reader.manifest(&root, path);
        match manifest {
            Some(mut manifest) if reader.errors.is_empty() => {
                manifest.placeholders = std::mem::take(&mut reader.placeholders);
                Ok(manifest)
            }
            _ => Err(reader.finish()),
        }
    }
}

impl Reader<'_> {
    fn manifest(&mut self, root: &Spanned<DeTable<'_>>, path: &Path) -> Option<Manifest> {
        let root = TableRef {
            table: root.get_ref(),
            start: 0,
            name: "",
        };
        self.only_keys(root, ROOT_KEYS);

        let family_value = self.required(
            root,
            "family",
            "add a `[family]` table with `name`, `description`, `publisher` and `license`",
        );
        let family = family_value
            .and_then(|v| self.sub_table(v, "family"))
            .and_then(|t| self.family(t));
        let hub = self
            .required(root, "hub", "add `[hub]` with `repo = \"owner/name\"`")
            .and_then(|v| self.sub_table(v, "hub"))
            .and_then(|t| self.hub(t));
        let source = match root.table.get("source") {
            Some(v) => self.sub_table(v, "source").map(|t| self.source(t, path)),
            None => Some(SourceSettings::default()),
        };
        let defaults = match root.table.get("defaults") {
            Some(v) => self.sub_table(v, "defaults").map(|t| self.settings(t, &[])),
            None => Some(Settings::default()),
        };
        let models = self
            .required(root, "models", "add a `[models.NAME]` table per model, each with `[models.NAME.variants.VARIANT] file = \"...gguf\"`")
            .and_then(|v| self.sub_table(v, "models"))
            .map(|t| self.models(t))
            .unwrap_or_default();
        let ollama = match root.table.get("ollama") {
            Some(v) => self.sub_table(v, "ollama").map(|t| self.ollama(t)),
            None => Some((None, None, TagScheme::default())),
        };
        let modelscope = match root.table.get("modelscope") {
            Some(v) => self.sub_table(v, "modelscope").map(|t| self.modelscope(t)),
            None => Some(None),
        };
        let card = match root.table.get("card") {
            Some(v) => self.sub_table(v, "card").map(|t| self.card(t)),
            None => Some(CardSettings::default()),
        };
        let llamacpp = match root.table.get("llamacpp") {
            Some(v) => self.sub_table(v, "llamacpp").map(|t| self.llamacpp(t)),
            None => Some(LlamaCppSettings::default()),
        };
        let oci = match root.table.get("oci") {
            Some(v) => self.sub_table(v, "oci").map(|t| self.oci(t)),
            None => Some(OciSettings::default()),
        };

        let (mut family, family_value) = (family?, family_value?);
        let hub = hub?;
        let (namespace, basename, tag_scheme) = ollama?;
        if models.is_empty() {
            return None;
        }
        let default_model = self.resolve_default_model(&family, family_value, &models)?;
        family.default_model = default_model;
        let ollama = OllamaSettings {
            namespace: namespace.unwrap_or_else(|| family.publisher.clone()),
            basename: basename.unwrap_or_else(|| family.name.to_ascii_lowercase()),
            tag_scheme,
        };
        let manifest = Manifest {
            path: path.to_owned(),
            family,
            hub,
            source: source?,
            defaults: defaults?,
            models,
            ollama,
            modelscope: modelscope?,
            card: card?,
            llamacpp: llamacpp?,
            oci: oci?,
            placeholders: Vec::new(),
        };
        self.cross_checks(&manifest, root);
        Some(manifest)
    }

    fn family(&mut self, t: TableRef<'_, '_>) -> Option<Family> {
        self.only_keys(t, FAMILY_KEYS);
        let name = self.required_string(t, "name", "e.g. `name = \"RuvLTRA\"`", "family.name");
        let description = self.required_string(
            t,
            "description",
            "one paragraph for cards and catalogs",
            "family.description",
        );
        let publisher = self.required_string(
            t,
            "publisher",
            "the Hub user or organisation",
            "family.publisher",
        );
        if let (Some(p), Some(v)) = (&publisher, t.table.get("publisher")) {
            self.placeholder(
                v.span(),
                "family.publisher",
                p,
                "your Hub user or organisation",
            );
        }
        let license = self
            .required(t, "license", "a Hub license id such as `\"apache-2.0\"`, or `{ name = \"...\", link = \"...\" }`")
            .and_then(|v| self.license(v));
        let base_model = self.optional(t, "base_model", |r, v, k| {
            let s = r.string(v, k)?;
            r.repo_id(v, k, &s).then_some(s)
        });
        let languages = self.optional(t, "languages", Self::languages);
        let tags = self.optional(t, "tags", Self::tags);
        // Resolved against the models once they are read.
        let default_model = self
            .optional(t, "default_model", Self::non_empty_string)
            .unwrap_or_default();
        Some(Family {
            name: name?,
            description: description?,
            publisher: publisher?,
            base_model,
            license: license?,
            languages: languages.unwrap_or_default(),
            tags: tags.unwrap_or_default(),
            default_model,
        })
    }

    fn license(&mut self, value: &Value<'_>) -> Option<License> {
        match value.get_ref() {
            DeValue::String(_) => {
                let id = self.non_empty_string(value, "family.license")?;
                if super::starter::is_placeholder(&id) {
                    self.placeholder(value.span(), "family.license", &id, "a Hub license id such as `\"apache-2.0\"`, or `{ name = \"...\", link = \"https://...\" }`");
                } else if !super::hub_license::is_hub_license(&id) {
                    self.invalid(
                        value.span(),
                        "family.license",
                        format!(
                            "`{id}` is not a Hub license id{}; for a license the Hub does not list write `{{ name = \"...\", link = \"https://...\" }}`",
                            super::error::did_you_mean(super::hub_license::suggest_hub_license(&id))
                        ),
                    );
                    return None;
                }
                Some(License::Id(id))
            }
            DeValue::Table(table) => {
                let t = TableRef {
                    table,
                    start: value.span().start,
                    name: "family.license",
                };
                self.only_keys(t, &["name", "link", "file"]);
                let name =
                    self.required_string(t, "name", "the license's name", "family.license.name");
                let link = self.optional(t, "link", |r, v, k| {
                    let s = r.string(v, k)?;
                    match url::Url::parse(&s) {
                        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(s),
                        _ => {
                            r.invalid(v.span(), k, format!("`{s}` is not an http(s) URL"));
                            None
                        }
                    }
                });
                let file = self.optional(t, "file", Self::file_beside);
                // A present but invalid `link` or `file` has been reported already.
                if !t.table.contains_key("link") && !t.table.contains_key("file") {
                    self.invalid(value.span(), "family.license", "a named license needs `link` (a URL) or `file` (its text, relative to the manifest)");
                    return None;
                }
                Some(License::Custom {
                    name: name?,
                    link,
                    file,
                })
            }
            other => {
                self.wrong_type(
                    value.span(),
                    "family.license",
                    "a license id string or a table",
                    other,
                );
                None
            }
        }
    }

    /// Checks `owner/name` as the Hub spells repository ids (the crate's one
    /// [`RepoId`](crate::source::RepoId) rule).
    fn repo_id(&mut self, value: &Value<'_>, key: &str, s: &str) -> bool {
        let ok = s.parse::<crate::source::RepoId>().is_ok();
        if !ok {
            self.invalid(
                value.span(),
                key,
                format!("`{s}` is not a Hub repository id like `owner/name`"),
            );
        }
        ok
    }

    fn hub(&mut self, t: TableRef<'_, '_>) -> Option<HubSettings> {
        self.only_keys(t, &["repo", "revision"]);
        let repo = self
            .required(t, "repo", "e.g. `repo = \"ruv/ruvltra\"`")
            .and_then(|v| {
                let s = self.string(v, "hub.repo")?;
                self.placeholder(
                    v.span(),
                    "hub.repo",
                    &s,
                    "the Hub repository `owner/name` the GGUF files are published in",
                );
                self.repo_id(v, "hub.repo", &s).then_some(s)
            });
        let revision = self
            .optional(t, "revision", Self::non_empty_string)
            .unwrap_or_else(|| "main".to_owned());
        Some(HubSettings {
            repo: repo?,
            revision,
        })
    }

    /// `[source]`; `path` is the manifest's, which `local` is relative to.
    fn source(&mut self, t: TableRef<'_, '_>, path: &Path) -> SourceSettings {
        self.only_keys(t, &["local", "fixtures"]);
        SourceSettings {
            local: self.optional(t, "local", |r, v, k| {
                let local = PathBuf::from(r.non_empty_string(v, k)?);
                // A file here passes every other check and fails only when `--from local`
                // lists the folder ("Not a directory"): say so where the value is written.
                let base = path.parent().unwrap_or(Path::new(""));
                if base.join(&local).is_file() {
                    let folder = local
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(Path::new("."));
                    r.invalid(
                        v.span(),
                        k,
                        format!(
                            "`{}` is a file: `local` names the folder that holds the GGUF files, e.g. `local = \"{}\"`",
                            local.display(),
                            folder.display()
                        ),
                    );
                    return None;
                }
                Some(local)
            }),
            fixtures: self.optional(t, "fixtures", Self::bool).unwrap_or(false),
        }
    }

    fn settings(&mut self, t: TableRef<'_, '_>, other_keys: &[&str]) -> Settings {
        let allowed: Vec<&str> = SETTINGS_KEYS.iter().chain(other_keys).copied().collect();
        self.only_keys(t, &allowed);
        let mut settings = Settings {
            system: t
                .table
                .get("system")
                .and_then(|v| self.claim(v, &dotted(t.name, "system"), Self::string)),
            ..Settings::default()
        };
        let inline = t.table.get("chat_template").and_then(|v| {
            self.claim(v, &dotted(t.name, "chat_template"), |r, v, k| {
                r.non_empty_string(v, k).map(ChatTemplateSource::Inline)
            })
        });
        let file = t.table.get("chat_template_file").and_then(|v| {
            self.claim(v, &dotted(t.name, "chat_template_file"), |r, v, k| {
                r.file_beside(v, k).map(ChatTemplateSource::File)
            })
        });
        settings.ollama_template_file = t.table.get("ollama_template_file").and_then(|v| {
            self.claim(
                v,
                &dotted(t.name, "ollama_template_file"),
                Self::file_beside,
            )
        });
        settings.chat_template = match (inline, file) {
            (Some(_), Some(_)) => {
                if let Some(v) = t.table.get("chat_template_file") {
                    self.invalid(
                        v.span(),
                        &dotted(t.name, "chat_template_file"),
                        "give either `chat_template` or `chat_template_file`, not both",
                    );
                }
                None
            }
            (inline, file) => inline.or(file),
        };
        if let Some(v) = t.table.get("parameters") {
            let name = dotted(t.name, "parameters");
            if let Some(pt) = self.sub_table(v, &name) {
                self.parameters(pt, &mut settings);
            }
        }
        if let Some(v) = t.table.get("messages") {
            settings.messages = self.messages(v, &dotted(t.name, "messages"));
        }
        settings
    }

    fn parameters(&mut self, t: TableRef<'_, '_>, settings: &mut Settings) {
        let mut entries: Vec<_> = t.table.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (key, value) in entries {
            let name = key.get_ref().as_ref();
            let dotted_key = dotted(t.name, name);
            let param = match Parameter::from_name(name) {
                Ok(p) => p,
                Err(error) => {
                    self.error(
                        key.span(),
                        ManifestErrorKind::Parameter {
                            key: dotted_key,
                            error,
                        },
                    );
                    continue;
                }
            };
            if param == Parameter::Stop {
                settings.stop = self.claim(value, &dotted_key, |r, v, k| {
                    let stops = r.strings(v, k)?;
                    if stops.is_empty() {
                        r.invalid(v.span(), k, "an empty list removes every stop token, so the model never stops: leave `stop` out to keep the template's own");
                        return None;
                    }
                    match stops.iter().find(|s| s.is_empty()) {
                        Some(_) => {
                            r.invalid(v.span(), k, "a stop sequence must not be empty");
                            None
                        }
                        None => Some(stops),
                    }
                });
                continue;
            }
            let claim = self.claim(value, &dotted_key, |r, v, k| {
                let raw = match v.get_ref() {
                    DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                        Ok(n) => ParamValue::Int(n),
                        Err(_) => {
                            r.invalid(v.span(), k, format!("{i} does not fit in 64 bits"));
                            return None;
                        }
                    },
                    DeValue::Float(f) => match f.as_str().parse::<f64>() {
                        Ok(x) => ParamValue::Float(x),
                        Err(_) => {
                            r.invalid(v.span(), k, format!("`{f}` is not a number"));
                            return None;
                        }
                    },
                    DeValue::Boolean(b) => ParamValue::Bool(*b),
                    DeValue::String(s) => ParamValue::Str(s.to_string()),
                    other => {
                        r.wrong_type(
                            v.span(),
                            k,
                            &format!("{} {}", article(param), param.param_type()),
                            other,
                        );
                        return None;
                    }
                };
                match param.check(raw) {
                    Ok(value) => Some(value),
                    Err(error) => {
                        r.error(
                            v.span(),
                            ManifestErrorKind::Parameter {
                                key: k.to_owned(),
                                error,
                            },
                        );
                        None
                    }
                }
            });
            if let Some(claim) = claim {
                settings.parameters.push((param, claim));
            }
        }
    }

    fn messages(&mut self, value: &Value<'_>, key: &str) -> Vec<ManifestMessage> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(
                value.span(),
                key,
                "an array of `{ role = \"user\", content = \"...\" }` tables",
                value.get_ref(),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let item_key = format!("{key}[]");
            let Some(t) = self.sub_table(item, &item_key) else {
                continue;
            };
            self.only_keys(t, &["role", "content"]);
            let role = self
                .required(t, "role", "`system`, `user` or `assistant`")
                .and_then(|v| {
                    let s = self.string(v, &dotted(&item_key, "role"))?;
                    let role = MessageRole::from_exact(&s);
                    if role.is_none() {
                        self.invalid(
                            v.span(),
                            &dotted(&item_key, "role"),
                            format!(
                                "must be `system`, `user` or `assistant` (lower-case), found `{s}`"
                            ),
                        );
                    }
                    role
                });
            let content = self
                .required(t, "content", "the message text")
                .and_then(|v| self.string(v, &dotted(&item_key, "content")));
            if let (Some(role), Some(content)) = (role, content) {
                out.push(ManifestMessage { role, content });
            }
        }
        out
    }

    fn models(&mut self, t: TableRef<'_, '_>) -> Vec<ModelEntry> {
        let mut entries: Vec<_> = t.table.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        let mut models = Vec::new();
        for (key, value) in entries {
            let model_key = key.get_ref().to_string();
            let name = format!("models.{model_key}");
            if !is_simple_key(&model_key) {
                self.invalid(key.span(), &name, "a model name is lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit (it becomes part of Ollama names)");
                continue;
            }
            let Some(mt) = self.sub_table(value, &name) else {
                continue;
            };
            if let Some(model) = self.model(mt, model_key) {
                models.push(model);
            }
        }
        if models.is_empty() && self.errors.is_empty() {
            self.error(
                t.span(),
                ManifestErrorKind::Missing {
                    key: "models.NAME".into(),
                    table: "[models]".into(),
                    hint: "add at least one `[models.NAME]` table".into(),
                },
            );
        }
        models
    }

    fn model(&mut self, t: TableRef<'_, '_>, key: String) -> Option<ModelEntry> {
        let settings = self.settings(t, MODEL_KEYS);
        let display_name = self.optional(t, "name", Self::non_empty_string);
        let description = self.optional(t, "description", Self::non_empty_string);
        let context_length = t
            .table
            .get("context_length")
            .and_then(|v| self.claim(v, &dotted(t.name, "context_length"), Self::positive_int));
        let size = t
            .table
            .get("size")
            .and_then(|v| self.claim(v, &dotted(t.name, "size"), Self::size_label));
        let ollama_name = t.table.get("ollama").and_then(|v| {
            let name = dotted(t.name, "ollama");
            let ot = self.sub_table(v, &name)?;
            self.only_keys(ot, &["name"]);
            self.optional(ot, "name", Self::non_empty_string)
        });
        let modelscope_repo = t.table.get("modelscope").and_then(|v| {
            let name = dotted(t.name, "modelscope");
            let mt = self.sub_table(v, &name)?;
            self.only_keys(mt, &["repo"]);
            self.optional(mt, "repo", Self::non_empty_string)
        });
        let projector = self.optional(t, "projector", Self::companion_file);
        let adapter = self.optional(t, "adapter", Self::companion_file);
        let variants_name = dotted(t.name, "variants");
        let variants_value = self.required(
            t,
            "variants",
            "add `[models.NAME.variants.VARIANT]` with `file = \"...gguf\"`",
        );
        let mut variants = Vec::new();
        if let Some(vt) = variants_value.and_then(|v| self.sub_table(v, &variants_name)) {
            let mut entries: Vec<_> = vt.table.iter().collect();
            entries.sort_by_key(|(k, _)| k.span().start);
            for (vkey, vvalue) in entries {
                let variant_key = vkey.get_ref().to_string();
                let name = dotted(&variants_name, &variant_key);
                if !is_simple_key(&variant_key) {
                    self.invalid(vkey.span(), &name, "a variant name is lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit");
                    continue;
                }
                if let Some(table) = self.sub_table(vvalue, &name)
                    && let Some(variant) = self.variant(table, variant_key)
                {
                    variants.push(variant);
                }
            }
            if variants.is_empty() && vt.table.is_empty() {
                self.invalid(
                    vt.span(),
                    &variants_name,
                    "a model needs at least one variant",
                );
            }
        }
        let default_variant = match t.table.get("default_variant") {
            Some(v) => {
                let name = self.non_empty_string(v, &dotted(t.name, "default_variant"))?;
                if !variants.is_empty() && !variants.iter().any(|x: &VariantEntry| x.key == name) {
                    let defined: Vec<String> = variants.iter().map(|x| x.key.clone()).collect();
                    self.error(
                        v.span(),
                        ManifestErrorKind::UnknownReference {
                            key: dotted(t.name, "default_variant"),
                            what: format!("a variant of `{key}`"),
                            suggestion: suggest(&name, defined.iter().map(String::as_str))
                                .map(str::to_owned),
                            value: name.clone(),
                            defined,
                        },
                    );
                }
                name
            }
            None if variants.len() == 1 => variants[0].key.clone(),
            None => {
                if variants.len() > 1 {
                    self.error(t.span(), ManifestErrorKind::Missing {
                        key: "default_variant".into(),
                        table: display_table(t.name),
                        hint: format!("the model has {} variants; name the preferred one, e.g. `default_variant = \"{}\"`", variants.len(), variants[0].key),
                    });
                }
                return None;
            }
        };
        Some(ModelEntry {
            location: self.at(&t.span()),
            key,
            name: display_name,
            description,
            default_variant,
            context_length,
            size,
            settings,
            variants,
            ollama_name,
            modelscope_repo,
            projector,
            adapter,
        })
    }

    fn variant(&mut self, t: TableRef<'_, '_>, key: String) -> Option<VariantEntry> {
        let settings = self.settings(t, VARIANT_KEYS);
        let file = self
            .required(
                t,
                "file",
                "the GGUF file name, e.g. `file = \"ruvltra-small-0.5b-q4_k_m.gguf\"`",
            )
            .and_then(|v| self.gguf_file_name(v, &dotted(t.name, "file")));
        let projector = self.optional(t, "projector", Self::companion_file);
        let adapter = self.optional(t, "adapter", Self::companion_file);
        let quant = t.table.get("quant").and_then(|v| {
            self.claim(v, &dotted(t.name, "quant"), |r, v, k| {
                let s = r.non_empty_string(v, k)?;
                if crate::ollama::quant_tag(&s).is_err() {
                    r.invalid(
                        v.span(),
                        k,
                        format!("`{s}` is not a quantization name such as `Q4_K_M` or `Q8_0`"),
                    );
                    return None;
                }
                Some(s.to_ascii_uppercase())
            })
        });
        let context_length = t
            .table
            .get("context_length")
            .and_then(|v| self.claim(v, &dotted(t.name, "context_length"), Self::positive_int));
        let size = t
            .table
            .get("size")
            .and_then(|v| self.claim(v, &dotted(t.name, "size"), Self::size_label));
        Some(VariantEntry {
            location: self.at(&t.span()),
            key,
            file: file?,
            quant,
            context_length,
            size,
            projector,
            adapter,
            settings,
        })
    }

    /// A `projector` or `adapter` value: a GGUF file name, with its place for resolution's
    /// errors.
    fn companion_file(&mut self, v: &Value<'_>, k: &str) -> Option<CompanionFile> {
        let location = self.at(&v.span());
        self.gguf_file_name(v, k)
            .map(|file| CompanionFile { file, location })
    }

    /// A GGUF file name inside the source: ends in `.gguf`, no `..`, no absolute path.
    fn gguf_file_name(&mut self, v: &Value<'_>, k: &str) -> Option<String> {
        let s = self.non_empty_string(v, k)?;
        if !s.to_ascii_lowercase().ends_with(".gguf") {
            self.invalid(v.span(), k, format!("`{s}` is not a `.gguf` file name"));
            return None;
        }
        self.confined(v, k, s, "the repository")
    }

    /// A file beside the manifest (a license, a chat template): no `..`, no absolute path,
    /// so a manifest cannot publish a file from elsewhere on the machine.
    fn file_beside(&mut self, v: &Value<'_>, k: &str) -> Option<PathBuf> {
        let s = self.non_empty_string(v, k)?;
        self.confined(v, k, s, "the manifest's folder")
            .map(PathBuf::from)
    }

    /// `s` if it stays inside `inside` (no `..`, not absolute, no `\`); every key that names a
    /// file goes through this one check.
    fn confined(&mut self, v: &Value<'_>, k: &str, s: String, inside: &str) -> Option<String> {
        if s.contains("..") || s.starts_with('/') || s.contains('\\') || Path::new(&s).is_absolute()
        {
            self.invalid(
                v.span(),
                k,
                format!("`{s}` must be a path inside {inside}, without `..`"),
            );
            return None;
        }
        Some(s)
    }

    /// `family.languages`: ISO 639-1, 639-2 or 639-3 codes (`en`, `fra`), as the Hub's
    /// `language:` and ModelScope want them, optionally with a region (`zh-hans`).
    fn languages(&mut self, v: &Value<'_>, k: &str) -> Option<Vec<String>> {
        let languages = self.strings(v, k)?;
        let code_ok = |code: &str| {
            let mut parts = code.split('-');
            let language = parts.next().unwrap_or_default();
            (2..=3).contains(&language.len())
                && language.chars().all(|c| c.is_ascii_lowercase())
                && parts.all(|p| {
                    (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric())
                })
        };
        match languages.iter().find(|l| !code_ok(l)) {
            Some(bad) => {
                self.invalid(
                    v.span(),
                    k,
                    format!("`{bad}` is not an ISO 639 language code: write two or three lower-case letters, e.g. `en` for English, `zh` for Chinese, `fra` for French"),
                );
                None
            }
            None => Some(languages),
        }
    }

    /// `family.tags`: non-empty strings (the Hub and ModelScope refuse an empty tag).
    fn tags(&mut self, v: &Value<'_>, k: &str) -> Option<Vec<String>> {
        let tags = self.strings(v, k)?;
        if tags.iter().any(|t| t.trim().is_empty()) {
            self.invalid(v.span(), k, "a tag must not be empty");
            return None;
        }
        Some(tags)
    }

    fn size_label(&mut self, value: &Value<'_>, key: &str) -> Option<String> {
        let s = self.non_empty_string(value, key)?;
        let lower = s.to_ascii_lowercase();
        let last = lower.char_indices().last().map_or(0, |(i, _)| i);
        let (number, unit) = lower.split_at(last);
        let ok = matches!(unit, "k" | "m" | "b" | "t")
            && !number.is_empty()
            && number
                .split('x')
                .all(|n| !n.is_empty() && n.parse::<f64>().is_ok_and(|x| x > 0.0));
        if !ok {
            self.invalid(
                value.span(),
                key,
                format!("`{s}` is not a size label such as `0.5b`, `1.1b`, `135m` or `8x7b`"),
            );
            return None;
        }
        Some(lower)
    }

    fn ollama(&mut self, t: TableRef<'_, '_>) -> (Option<String>, Option<String>, TagScheme) {
        self.only_keys(t, &["namespace", "basename", "tag_scheme"]);
        let namespace = self.optional(t, "namespace", |r, v, k| {
            let s = r.non_empty_string(v, k)?;
            r.placeholder(v.span(), k, &s, "your Ollama user or organisation");
            Some(s)
        });
        let basename = self.optional(t, "basename", Self::non_empty_string);
        let tag_scheme = self
            .optional(t, "tag_scheme", |r, v, k| {
                let s = r.string(v, k)?;
                let scheme = TagScheme::from_name(&s);
                if scheme.is_none() {
                    let names = TagScheme::ALL.map(TagScheme::as_str);
                    r.invalid(
                        v.span(),
                        k,
                        format!(
                            "must be one of {}, found `{s}`{}",
                            quoted_list(&names),
                            super::error::did_you_mean(suggest(&s, names))
                        ),
                    );
                }
                scheme
            })
            .unwrap_or_default();
        (namespace, basename, tag_scheme)
    }

    fn modelscope(&mut self, t: TableRef<'_, '_>) -> Option<ModelScopeSettings> {
        self.only_keys(t, &["owner", "visibility"]);
        let owner = self.required_string(
            t,
            "owner",
            "the ModelScope user or organisation",
            "modelscope.owner",
        );
        if let (Some(o), Some(v)) = (&owner, t.table.get("owner")) {
            self.placeholder(
                v.span(),
                "modelscope.owner",
                o,
                "your ModelScope user or organisation",
            );
        }
        let visibility = self
            .optional(t, "visibility", |r, v, k| {
                let s = r.string(v, k)?;
                let visibility = Visibility::from_name(&s);
                if visibility.is_none() {
                    let names = Visibility::ALL.map(Visibility::as_str);
                    r.invalid(
                        v.span(),
                        k,
                        format!(
                            "must be one of {}, found `{s}`{}",
                            quoted_list(&names),
                            super::error::did_you_mean(suggest(&s, names))
                        ),
                    );
                }
                visibility
            })
            .unwrap_or(Visibility::Public);
        Some(ModelScopeSettings {
            owner: owner?,
            visibility,
        })
    }

    fn card(&mut self, t: TableRef<'_, '_>) -> CardSettings {
        self.only_keys(
            t,
            &[
                "title",
                "summary",
                "capabilities",
                "quantized_by",
                "benchmarks",
            ],
        );
        let mut card = CardSettings {
            title: self.optional(t, "title", Self::non_empty_string),
            summary: self.optional(t, "summary", Self::non_empty_string),
            capabilities: self
                .optional(t, "capabilities", Self::strings)
                .unwrap_or_default(),
            quantized_by: self.optional(t, "quantized_by", Self::non_empty_string),
            benchmarks: Vec::new(),
        };
        if let Some(value) = t.table.get("benchmarks") {
            let DeValue::Array(items) = value.get_ref() else {
                self.wrong_type(
                    value.span(),
                    "card.benchmarks",
                    "an array of tables (`[[card.benchmarks]]`)",
                    value.get_ref(),
                );
                return card;
            };
            for item in items.iter() {
                let Some(bt) = self.sub_table(item, "card.benchmarks[]") else {
                    continue;
                };
                self.only_keys(
                    bt,
                    &["model", "variant", "name", "metric", "value", "source"],
                );
                let model = self.required_string(
                    bt,
                    "model",
                    "the model the result is for",
                    "card.benchmarks[].model",
                );
                let name = self.required_string(
                    bt,
                    "name",
                    "the benchmark, e.g. `HumanEval`",
                    "card.benchmarks[].name",
                );
                let metric =
                    self.required_string(bt, "metric", "e.g. `pass@1`", "card.benchmarks[].metric");
                let value = self
                    .required(bt, "value", "the result, a number")
                    .and_then(|v| self.float(v, "card.benchmarks[].value"));
                let variant = self.optional(bt, "variant", Self::non_empty_string);
                let source = self.optional(bt, "source", Self::non_empty_string);
                if let (Some(model), Some(name), Some(metric), Some(value)) =
                    (model, name, metric, value)
                {
                    card.benchmarks.push(Benchmark {
                        model,
                        variant,
                        name,
                        metric,
                        value,
                        source,
                    });
                }
            }
        }
        card
    }

    fn llamacpp(&mut self, t: TableRef<'_, '_>) -> LlamaCppSettings {
        self.only_keys(t, &["hub_preset"]);
        LlamaCppSettings {
            hub_preset: self.optional(t, "hub_preset", Self::bool).unwrap_or(false),
        }
    }

    fn oci(&mut self, t: TableRef<'_, '_>) -> OciSettings {
        self.only_keys(t, &["registry", "formats"]);
        let registry = self.optional(t, "registry", Self::non_empty_string);
        let formats = self
            .optional(t, "formats", |r, v, k| {
                let names = r.strings(v, k)?;
                let known = OciFormat::ALL.map(OciFormat::as_str);
                let mut formats = Vec::new();
                for name in names {
                    match name.parse::<OciFormat>() {
                        Ok(format) => formats.push(format),
                        Err(_) => r.invalid(
                            v.span(),
                            k,
                            format!(
                                "must list formats from {}, found `{name}`{}",
                                quoted_list(&known),
                                super::error::did_you_mean(suggest(&name, known))
                            ),
                        ),
                    }
                }
                Some(formats)
            })
            .unwrap_or_default();
        OciSettings { registry, formats }
    }

    fn resolve_default_model(
        &mut self,
        family: &Family,
        family_value: &Value<'_>,
        models: &[ModelEntry],
    ) -> Option<String> {
        let defined: Vec<String> = models.iter().map(|m| m.key.clone()).collect();
        let family_table = match family_value.get_ref() {
            DeValue::Table(t) => t,
            _ => return None,
        };
        match family_table.get("default_model") {
            Some(v) if !defined.contains(&family.default_model) => {
                self.error(
                    v.span(),
                    ManifestErrorKind::UnknownReference {
                        key: "family.default_model".into(),
                        what: "a model".into(),
                        value: family.default_model.clone(),
                        suggestion: suggest(
                            &family.default_model,
                            defined.iter().map(String::as_str),
                        )
                        .map(str::to_owned),
                        defined,
                    },
                );
                None
            }
            Some(_) => Some(family.default_model.clone()),
            None if models.len() == 1 => Some(models[0].key.clone()),
            None => {
                self.error(family_value.span(), ManifestErrorKind::Missing {
                    key: "default_model".into(),
                    table: "[family]".into(),
                    hint: format!("there are {} models; name the one `:latest` and the Hub repository root describe, e.g. `default_model = \"{}\"`", models.len(), models[0].key),
                });
                None
            }
        }
    }

    /// Checks across tables: unique files and Ollama names, benchmark references.
    fn cross_checks(&mut self, manifest: &Manifest, root: TableRef<'_, '_>) {
        let models_span = root.table.get("models").map(Spanned::span).unwrap_or(0..0);
        let mut files: HashMap<String, String> = HashMap::new();
        let mut names: HashMap<ModelName, String> = HashMap::new();
        for model in &manifest.models {
            let span = self.span_of(model.location);
            for variant in &model.variants {
                let key = format!("models.{}.variants.{}.file", model.key, variant.key);
                if let Some(first) = files.insert(variant.file.to_ascii_lowercase(), key.clone()) {
                    let span = self.span_of(variant.location);
                    self.error(
                        span,
                        ManifestErrorKind::Duplicate {
                            key,
                            value: variant.file.clone(),
                            first,
                        },
                    );
                }
            }
            let key = format!("models.{}.ollama.name", model.key);
            match manifest.ollama_name(model) {
                Ok(name) => {
                    if let Some(first) = names.insert(name.clone(), key.clone()) {
                        self.error(
                            span.clone(),
                            ManifestErrorKind::Duplicate {
                                key,
                                value: name.to_string(),
                                first,
                            },
                        );
                    }
                }
                Err(error) => self.error(span.clone(), ManifestErrorKind::Name { key, error }),
            }
        }
        let defined: Vec<String> = manifest.models.iter().map(|m| m.key.clone()).collect();
        for bench in &manifest.card.benchmarks {
            match manifest.model(&bench.model) {
                None => self.error(
                    models_span.clone(),
                    ManifestErrorKind::UnknownReference {
                        key: "card.benchmarks[].model".into(),
                        what: "a model".into(),
                        value: bench.model.clone(),
                        suggestion: suggest(&bench.model, defined.iter().map(String::as_str))
                            .map(str::to_owned),
                        defined: defined.clone(),
                    },
                ),
                Some(model) => {
                    if let Some(variant) = &bench.variant
                        && model.variant(variant).is_none()
                    {
                        let variants: Vec<String> =
                            model.variants.iter().map(|v| v.key.clone()).collect();
                        self.error(
                            models_span.clone(),
                            ManifestErrorKind::UnknownReference {
                                key: "card.benchmarks[].variant".into(),
                                what: format!("a variant of `{}`", model.key),
                                value: variant.clone(),
                                suggestion: suggest(variant, variants.iter().map(String::as_str))
                                    .map(str::to_owned),
                                defined: variants,
                            },
                        );
                    }
                }
            }
        }
    }
}

fn article(param: Parameter) -> &'static str {
    match param.param_type() {
        crate::ollama::ParamType::Int => "an",
        _ => "a",
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_simple_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}
