//! Ollama's message merge: what the template sees instead of the raw message list.

use crate::template::chat::Message;

/// The conversation after Ollama's merge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collated {
    /// Messages with consecutive same-role messages merged (tool messages never merge).
    pub messages: Vec<Message>,
    /// The content of every system message, joined with "\n\n" (`.System` in messages mode).
    pub system: String,
}

/// Merges consecutive messages of the same role into one, their contents joined with "\n\n"
/// (only the content: the first message's other fields are kept), except `tool` messages,
/// which keep their own call ids and names. Also collects all system messages.
///
/// Roles are lowercased first, as Ollama's JSON decoding of a message does.
///
/// This is the list a Jinja template must be given to compare with Ollama's rendering, since
/// a Go template can never see the unmerged messages.
pub fn collate(messages: &[Message]) -> Collated {
    let mut system: Vec<&str> = Vec::new();
    let mut out: Vec<Message> = Vec::with_capacity(messages.len());
    for m in messages {
        let role = m.role.to_lowercase();
        if role == "system" {
            system.push(&m.content);
        }
        match out.last_mut() {
            Some(last) if last.role == role && role != "tool" => {
                last.content.push_str("\n\n");
                last.content.push_str(&m.content);
            }
            _ => out.push(Message { role, ..m.clone() }),
        }
    }
    Collated {
        messages: out,
        system: system.join("\n\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: &str, content: &str) -> Message {
        Message {
            role: role.to_owned(),
            content: content.to_owned(),
            ..Message::default()
        }
    }

    #[test]
    fn merges_same_role_runs_but_not_tools() {
        let c = collate(&[
            msg("system", "a"),
            msg("system", "b"),
            msg("user", "u1"),
            msg("user", "u2"),
            msg("tool", "t1"),
            msg("tool", "t2"),
        ]);
        let got: Vec<(&str, &str)> = c
            .messages
            .iter()
            .map(|m| (m.role.as_str(), m.content.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("system", "a\n\nb"),
                ("user", "u1\n\nu2"),
                ("tool", "t1"),
                ("tool", "t2")
            ]
        );
        assert_eq!(c.system, "a\n\nb");
    }

    #[test]
    fn system_joins_non_adjacent_system_messages() {
        let c = collate(&[msg("system", "a"), msg("user", "u"), msg("system", "b")]);
        assert_eq!(c.system, "a\n\nb");
        assert_eq!(c.messages.len(), 3);
    }
}
