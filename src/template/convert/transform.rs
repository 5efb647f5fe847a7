//! What a template does to message contents: seen by padding one role's contents with
//! whitespace on one side at a time and comparing with the plain rendering.

use std::collections::BTreeMap;

use super::probe::{Padding, Role, marker, render};
use crate::template::jinja::{JinjaError, JinjaTemplate};
use crate::template::verify::VerifyOptions;

/// What a template strips from one side of a role's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Strip {
    /// Nothing: written as given.
    Keep,
    /// Newlines only (`lstrip('\n')`).
    Newlines,
    /// All whitespace (`| trim`, `.strip()`, `.lstrip()`).
    Whitespace,
}

impl Strip {
    fn name(self) -> &'static str {
        match self {
            Strip::Keep => "keep",
            Strip::Newlines => "nl",
            Strip::Whitespace => "ws",
        }
    }
}

/// What a template does to a role's content, seen by padding markers with whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Transform {
    /// Stripped as given on each side (both [`Strip::Keep`]: written as given).
    Strip {
        /// The leading side.
        left: Strip,
        /// The trailing side.
        right: Strip,
    },
    /// Something the probes cannot name (stripping that depends on more than whitespace).
    Other,
}

impl Transform {
    /// Content written as given.
    pub(super) const RAW: Transform = Transform::Strip {
        left: Strip::Keep,
        right: Strip::Keep,
    };

    /// The name of the Go sub-template applying it.
    pub(super) fn define_name(self) -> Option<String> {
        match self {
            Transform::Strip { left, right } if self != Transform::RAW => {
                Some(format!("strip_{}_{}", left.name(), right.name()))
            }
            _ => None,
        }
    }
}

/// The content transform of each role in `shape`: each side of each role's contents is
/// padded with newlines, then with spaces and tabs, and the rendering compared with the plain
/// one.
pub(super) fn transforms(
    jinja: &JinjaTemplate,
    shape: &[Role],
    options: &VerifyOptions,
) -> Result<BTreeMap<Role, Transform>, JinjaError> {
    let plain = render(jinja, shape, None, options)?;
    let mut seen = BTreeMap::new();
    for role in [Role::System, Role::User, Role::Assistant] {
        if !shape.contains(&role) {
            continue;
        }
        let side = |left: bool| -> Result<Option<Strip>, JinjaError> {
            let mut stripped = [false; 2];
            for (n, pad) in ["\n\n", " \t "].into_iter().enumerate() {
                let padding = if left {
                    Padding {
                        role,
                        left: pad,
                        right: "",
                    }
                } else {
                    Padding {
                        role,
                        left: "",
                        right: pad,
                    }
                };
                let padded = render(jinja, shape, Some(padding), options)?;
                let mut kept = plain.clone();
                for (index, _) in shape.iter().enumerate().filter(|(_, r)| **r == role) {
                    let marker = marker(index);
                    let wrapped = format!("{}{marker}{}", padding.left, padding.right);
                    kept = kept.replace(&marker, &wrapped);
                }
                stripped[n] = if padded == kept {
                    false
                } else if padded == plain {
                    true
                } else {
                    return Ok(None);
                };
            }
            Ok(match stripped {
                [false, false] => Some(Strip::Keep),
                [true, false] => Some(Strip::Newlines),
                [true, true] => Some(Strip::Whitespace),
                [false, true] => None,
            })
        };
        let transform = match (side(true)?, side(false)?) {
            (Some(left), Some(right)) => Transform::Strip { left, right },
            _ => Transform::Other,
        };
        seen.insert(role, transform);
    }
    Ok(seen)
}
