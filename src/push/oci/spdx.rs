//! Hub license ids (the `license:` values the Hub offers) to SPDX license identifiers, for
//! ModelPack's `descriptor.licenses`, which holds SPDX ids.
//!
//! Only ids with one exact SPDX equivalent are mapped. The Hub's unversioned families
//! (`bsd`, `cc`, `gpl`, `lgpl`, `gfdl`), model licenses SPDX does not list (`llama3`,
//! `gemma`, the OpenRAIL family) and `other`/`unknown` have none: pushing a ModelPack
//! artifact for them is refused rather than labelled with a guess. The Hub's `gpl-3.0` and
//! friends mean the license without "or later", SPDX's `-only` ids.

/// `(Hub id, SPDX id)`, sorted by Hub id.
const HUB_TO_SPDX: &[(&str, &str)] = &[
    ("afl-3.0", "AFL-3.0"),
    ("agpl-3.0", "AGPL-3.0-only"),
    ("apache-2.0", "Apache-2.0"),
    ("artistic-2.0", "Artistic-2.0"),
    ("bsd-2-clause", "BSD-2-Clause"),
    ("bsd-3-clause", "BSD-3-Clause"),
    ("bsd-3-clause-clear", "BSD-3-Clause-Clear"),
    ("bsl-1.0", "BSL-1.0"),
    ("cc-by-2.0", "CC-BY-2.0"),
    ("cc-by-2.5", "CC-BY-2.5"),
    ("cc-by-3.0", "CC-BY-3.0"),
    ("cc-by-4.0", "CC-BY-4.0"),
    ("cc-by-nc-2.0", "CC-BY-NC-2.0"),
    ("cc-by-nc-3.0", "CC-BY-NC-3.0"),
    ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
    ("cc-by-nc-nd-3.0", "CC-BY-NC-ND-3.0"),
    ("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"),
    ("cc-by-nc-sa-2.0", "CC-BY-NC-SA-2.0"),
    ("cc-by-nc-sa-3.0", "CC-BY-NC-SA-3.0"),
    ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
    ("cc-by-nd-4.0", "CC-BY-ND-4.0"),
    ("cc-by-sa-3.0", "CC-BY-SA-3.0"),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
    ("cc0-1.0", "CC0-1.0"),
    ("cdla-permissive-1.0", "CDLA-Permissive-1.0"),
    ("cdla-permissive-2.0", "CDLA-Permissive-2.0"),
    ("cdla-sharing-1.0", "CDLA-Sharing-1.0"),
    ("ecl-2.0", "ECL-2.0"),
    ("epl-1.0", "EPL-1.0"),
    ("epl-2.0", "EPL-2.0"),
    ("etalab-2.0", "etalab-2.0"),
    ("eupl-1.1", "EUPL-1.1"),
    ("eupl-1.2", "EUPL-1.2"),
    ("gpl-2.0", "GPL-2.0-only"),
    ("gpl-3.0", "GPL-3.0-only"),
    ("isc", "ISC"),
    ("lgpl-2.1", "LGPL-2.1-only"),
    ("lgpl-3.0", "LGPL-3.0-only"),
    ("lppl-1.3c", "LPPL-1.3c"),
    ("mit", "MIT"),
    ("mpl-2.0", "MPL-2.0"),
    ("ms-pl", "MS-PL"),
    ("ncsa", "NCSA"),
    ("odbl", "ODbL-1.0"),
    ("odc-by", "ODC-By-1.0"),
    ("ofl-1.1", "OFL-1.1"),
    ("osl-3.0", "OSL-3.0"),
    ("pddl", "PDDL-1.0"),
    ("postgresql", "PostgreSQL"),
    ("unlicense", "Unlicense"),
    ("wtfpl", "WTFPL"),
    ("zlib", "Zlib"),
];

/// The SPDX id of a Hub license id (case-insensitive), or `None` when there is no exact one.
pub fn spdx_for_hub_license(hub_id: &str) -> Option<&'static str> {
    let wanted = hub_id.trim().to_ascii_lowercase();
    HUB_TO_SPDX
        .binary_search_by(|(hub, _)| (*hub).cmp(wanted.as_str()))
        .ok()
        .map(|i| HUB_TO_SPDX[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(HUB_TO_SPDX.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn maps_exact_equivalents_only() {
        assert_eq!(spdx_for_hub_license("apache-2.0"), Some("Apache-2.0"));
        assert_eq!(spdx_for_hub_license("MIT"), Some("MIT"));
        assert_eq!(spdx_for_hub_license("gpl-3.0"), Some("GPL-3.0-only"));
        for none in ["other", "unknown", "llama3", "gpl", "cc", "openrail", ""] {
            assert_eq!(spdx_for_hub_license(none), None, "{none}");
        }
    }
}
