//! The license ids the Hub accepts in a model card's `license:` (its documented list,
//! <https://huggingface.co/docs/hub/repositories-licenses>): a manifest's `license = "..."`
//! must be one of them, or the Hub shows no license and ModelScope and OCI get a guess.

/// Every Hub license id, sorted for binary search.
const HUB_LICENSE_IDS: &[&str] = &[
    "afl-3.0",
    "agpl-3.0",
    "apache-2.0",
    "apple-amlr",
    "apple-ascl",
    "artistic-2.0",
    "bigcode-openrail-m",
    "bigscience-bloom-rail-1.0",
    "bigscience-openrail-m",
    "bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "bsl-1.0",
    "c-uda",
    "cc",
    "cc-by-2.0",
    "cc-by-2.5",
    "cc-by-3.0",
    "cc-by-4.0",
    "cc-by-nc-2.0",
    "cc-by-nc-3.0",
    "cc-by-nc-4.0",
    "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0",
    "cc-by-nd-4.0",
    "cc-by-sa-3.0",
    "cc-by-sa-4.0",
    "cc0-1.0",
    "cdla-permissive-1.0",
    "cdla-permissive-2.0",
    "cdla-sharing-1.0",
    "creativeml-openrail-m",
    "deepfloyd-if-license",
    "ecl-2.0",
    "epl-1.0",
    "epl-2.0",
    "etalab-2.0",
    "eupl-1.1",
    "eupl-1.2",
    "fair-noncommercial-research-license",
    "gemma",
    "gfdl",
    "gpl",
    "gpl-2.0",
    "gpl-3.0",
    "h-research",
    "intel-research",
    "isc",
    "lgpl",
    "lgpl-2.1",
    "lgpl-3.0",
    "lgpl-lr",
    "llama2",
    "llama3",
    "llama3.1",
    "llama3.2",
    "llama3.3",
    "llama4",
    "lppl-1.3c",
    "mit",
    "mpl-2.0",
    "ms-pl",
    "ncsa",
    "odbl",
    "odc-by",
    "ofl-1.1",
    "openmdw-1.0",
    "openrail",
    "openrail++",
    "osl-3.0",
    "other",
    "pddl",
    "postgresql",
    "unknown",
    "unlicense",
    "wtfpl",
    "zlib",
];

/// Whether `id` is a Hub license id exactly as the Hub spells it (lower case).
pub fn is_hub_license(id: &str) -> bool {
    HUB_LICENSE_IDS.binary_search(&id).is_ok()
}

/// The Hub id a near miss means (`Apache 2.0`, `Apache-2.0`, `MIT`), for "did you mean".
pub fn suggest_hub_license(id: &str) -> Option<&'static str> {
    let normal: String = id
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '_' { '-' } else { c })
        .collect();
    let normal = normal.strip_suffix("-only").unwrap_or(&normal);
    let normal = normal.strip_prefix("the-").unwrap_or(normal);
    let normal = normal.replace("-license", "");
    if let Ok(i) = HUB_LICENSE_IDS.binary_search(&normal.as_str()) {
        return Some(HUB_LICENSE_IDS[i]);
    }
    crate::ollama::suggest(&normal, HUB_LICENSE_IDS.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_for_binary_search() {
        assert!(HUB_LICENSE_IDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn near_misses_suggest_the_hub_id() {
        assert!(is_hub_license("apache-2.0"));
        assert!(!is_hub_license("Apache 2.0"));
        assert_eq!(suggest_hub_license("Apache 2.0"), Some("apache-2.0"));
        assert_eq!(suggest_hub_license("MIT"), Some("mit"));
        assert_eq!(suggest_hub_license("GPL-3.0-only"), Some("gpl-3.0"));
    }
}
