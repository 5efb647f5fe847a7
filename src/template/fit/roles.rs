//! The per-role verdict: does what a user writes in each role reach the prompt?
//!
//! Separate from "verified" (two engines agree) and from fit (markers are tokens): a template
//! can pass both and still drop every system message, as Phi-3's does. Each suite message's
//! content (trimmed: templates often trim) is looked for in the prompt of its conversation:
//! system, user and assistant content over the plain suite, tool results over the tool part.

use std::fmt;

use super::prompts::Rendering;
use crate::template::suite::SuiteKind;

/// A message role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// System prompts.
    System,
    /// User turns.
    User,
    /// Assistant turns (earlier answers in the history).
    Assistant,
    /// Tool results.
    Tool,
}

impl Role {
    /// Every role, in the order reports list them.
    pub const ALL: [Role; 4] = [Role::System, Role::User, Role::Assistant, Role::Tool];

    /// The role's name in chat messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    /// The role for a message's `role` field.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the template does with one role's content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum RoleVerdict {
    /// The content appears in every prompt that has it.
    Reaches,
    /// The prompt of `conversation` lacks the content.
    Dropped {
        /// The first suite conversation that shows it.
        conversation: String,
    },
    /// The template refuses every conversation that has the role.
    Refused {
        /// The first such conversation.
        conversation: String,
        /// The template's reason.
        reason: String,
    },
    /// No suite conversation could show it.
    Untested,
}

impl RoleVerdict {
    /// Whether the role's content never reaches the model (dropped or refused).
    pub fn is_lost(&self) -> bool {
        matches!(
            self,
            RoleVerdict::Dropped { .. } | RoleVerdict::Refused { .. }
        )
    }
}

impl fmt::Display for RoleVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleVerdict::Reaches => f.write_str("reaches the prompt"),
            RoleVerdict::Dropped { conversation } => {
                write!(f, "dropped (not in the prompt of `{conversation}`)")
            }
            RoleVerdict::Refused {
                conversation,
                reason,
            } => write!(f, "refused (`{conversation}`: {reason})"),
            RoleVerdict::Untested => f.write_str("not tested"),
        }
    }
}

/// The verdict for each role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Roles(pub Vec<(Role, RoleVerdict)>);

impl Roles {
    /// Judges each role from the suite's renderings.
    pub fn from_renderings(renderings: &[Rendering]) -> Roles {
        Roles(
            Role::ALL
                .into_iter()
                .map(|role| (role, verdict(role, renderings)))
                .collect(),
        )
    }

    /// The verdict for `role`.
    pub fn get(&self, role: Role) -> &RoleVerdict {
        self.0
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, v)| v)
            .unwrap_or(&RoleVerdict::Untested)
    }

    /// The roles whose content never reaches the model, with why.
    pub fn lost(&self) -> Vec<LostRole> {
        self.0
            .iter()
            .filter(|(_, v)| v.is_lost())
            .map(|(role, verdict)| LostRole {
                role: *role,
                verdict: verdict.clone(),
            })
            .collect()
    }
}

/// A role whose content the template never lets reach the model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LostRole {
    /// The role.
    pub role: Role,
    /// Dropped or refused, and where the suite shows it.
    pub verdict: RoleVerdict,
}

impl fmt::Display for LostRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} messages: {}", self.role, self.verdict)
    }
}

/// The verdict for `role`: tool results are judged on the tool conversations, the other
/// roles on the plain ones (a template without tool support may drop everything around a
/// tool call, which says nothing about plain chats).
fn verdict(role: Role, renderings: &[Rendering]) -> RoleVerdict {
    let part = match role {
        Role::Tool => SuiteKind::Tools,
        _ => SuiteKind::Plain,
    };
    let mut reached = false;
    let mut refused = None;
    for rendering in renderings.iter().filter(|r| r.kind == part) {
        let contents: Vec<&str> = rendering
            .request
            .messages
            .iter()
            .filter(|m| m.role == role.as_str())
            .map(|m| m.content.trim())
            .filter(|c| !c.is_empty())
            .collect();
        if contents.is_empty() {
            continue;
        }
        match &rendering.prompt {
            Ok(prompt) => {
                if contents.iter().any(|c| !prompt.contains(c)) {
                    return RoleVerdict::Dropped {
                        conversation: rendering.conversation.to_owned(),
                    };
                }
                reached = true;
            }
            Err(reason) => {
                refused.get_or_insert_with(|| RoleVerdict::Refused {
                    conversation: rendering.conversation.to_owned(),
                    reason: reason.clone(),
                });
            }
        }
    }
    match (reached, refused) {
        (true, _) => RoleVerdict::Reaches,
        (false, Some(refused)) => refused,
        (false, None) => RoleVerdict::Untested,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::fit::jinja_prompts;
    use crate::template::jinja::{FixedDateTime, JinjaTemplate};

    fn roles(source: &str) -> Roles {
        let jinja = JinjaTemplate::new(source).unwrap();
        Roles::from_renderings(&jinja_prompts(&jinja, "", "", FixedDateTime::default()))
    }

    #[test]
    fn a_template_that_skips_system_messages_drops_them() {
        let roles = roles(
            "{% for m in messages %}{% if m.role != 'system' %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endif %}{% endfor %}",
        );
        assert!(matches!(
            roles.get(Role::System),
            RoleVerdict::Dropped { .. }
        ));
        assert_eq!(roles.get(Role::User), &RoleVerdict::Reaches);
        assert_eq!(roles.get(Role::Assistant), &RoleVerdict::Reaches);
    }

    #[test]
    fn a_template_that_raises_on_system_refuses_it() {
        let roles = roles(
            "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system') }}{% endif %}{{ m.content }}{% endfor %}",
        );
        assert!(matches!(
            roles.get(Role::System),
            RoleVerdict::Refused { .. }
        ));
        assert_eq!(roles.get(Role::User), &RoleVerdict::Reaches);
    }
}
