//! The artifact formats the oci backend writes, and the repository each one goes to.
//!
//! Each format is its own manifest in its own repository: Ollama's image keeps the Ollama
//! name (`ruv/ruvltra-small:0.5b-q4_k_m`), Docker Model Runner's goes to the same name with
//! `-docker` appended (`ruv/ruvltra-small-docker:0.5b-q4_k_m`), ModelPack's with `-modelpack`.
//! Tags are the same in every repository, so `:latest` and the size tags work for every
//! client, and a later push of only one format never lists another format's tags as stale.
//! The GGUF blobs are shared by digest: uploaded to the first repository that needs them and
//! mounted into the others.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::PushError;

/// One artifact format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OciFormat {
    /// Ollama's image (`ollama pull`).
    Ollama,
    /// Docker Model Runner's model artifact (`docker model pull`).
    Docker,
    /// The CNCF ModelPack v1 artifact (`ramalama pull oci://`, modctl, Docker Model Runner).
    Modelpack,
}

impl OciFormat {
    /// Every format, in the order they are pushed.
    pub const ALL: [OciFormat; 3] = [OciFormat::Ollama, OciFormat::Docker, OciFormat::Modelpack];

    /// The name `--format` and `[oci] formats` use.
    pub fn as_str(self) -> &'static str {
        match self {
            OciFormat::Ollama => "ollama",
            OciFormat::Docker => "docker",
            OciFormat::Modelpack => "modelpack",
        }
    }

    /// The repository this format's manifest goes to, for a model whose Ollama repository is
    /// `base` (see the module documentation).
    pub fn repository(self, base: &str) -> String {
        match self {
            OciFormat::Ollama => base.to_string(),
            OciFormat::Docker => format!("{base}-docker"),
            OciFormat::Modelpack => format!("{base}-modelpack"),
        }
    }

    /// The command a user of this format's client types to pull `host/repository:tag`.
    pub fn pull_command(self, reference: &str) -> String {
        match self {
            // Ollama pulls plain HTTP registries only with `--insecure`; the reference is
            // what the user types either way.
            OciFormat::Ollama => format!("ollama pull {reference}"),
            OciFormat::Docker => format!("docker model pull {reference}"),
            OciFormat::Modelpack => format!("ramalama pull oci://{reference}"),
        }
    }

    /// The formats in `formats`, each once, in [`OciFormat::ALL`] order; `ollama` alone when
    /// empty (the default).
    pub fn normalize(formats: &[OciFormat]) -> Vec<OciFormat> {
        if formats.is_empty() {
            return vec![OciFormat::Ollama];
        }
        OciFormat::ALL
            .into_iter()
            .filter(|f| formats.contains(f))
            .collect()
    }
}

impl fmt::Display for OciFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OciFormat {
    type Err = PushError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OciFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                PushError::input(format!(
                    "unknown OCI format `{s}`: choose `ollama` (ollama pull), `docker` (docker model pull) or `modelpack` (CNCF ModelPack: ramalama, modctl)"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_repositories_differ_per_format() {
        for format in OciFormat::ALL {
            assert_eq!(format.as_str().parse::<OciFormat>().unwrap(), format);
        }
        let err = "gguf".parse::<OciFormat>().unwrap_err().to_string();
        assert!(err.starts_with("unknown OCI format `gguf`"), "{err}");
        let repos: Vec<String> = OciFormat::ALL
            .iter()
            .map(|f| f.repository("ruv/x"))
            .collect();
        assert_eq!(repos, ["ruv/x", "ruv/x-docker", "ruv/x-modelpack"]);
        assert_eq!(
            OciFormat::normalize(&[
                OciFormat::Modelpack,
                OciFormat::Docker,
                OciFormat::Modelpack
            ]),
            [OciFormat::Docker, OciFormat::Modelpack]
        );
        assert_eq!(OciFormat::normalize(&[]), [OciFormat::Ollama]);
    }
}
