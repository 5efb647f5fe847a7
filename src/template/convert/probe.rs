//! Probing: render the Jinja template over conversations whose contents are unique markers,
//! and cut each rendering at the markers. What lies between two markers is the text the
//! template writes between two messages; collected over several conversation shapes, these
//! gaps are the template's turn structure.

use crate::template::chat::{ChatRequest, Message, Think};
use crate::template::jinja::{JinjaError, JinjaTemplate};
use crate::template::verify::{self, VerifyOptions};

/// A role the probes use; tools are not probed (their text is not plain content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Role {
    /// The system prompt (Ollama's `.System`).
    System,
    /// A user turn.
    User,
    /// An assistant turn.
    Assistant,
    /// The reasoning of an assistant turn (Ollama's `.Thinking`), written before its answer;
    /// not a message of its own, but a place in the prompt like one.
    Reasoning,
}

impl Role {
    /// The role name as messages carry it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Reasoning => "reasoning",
        }
    }
}

/// Where in the conversation a gap sits: what came before it, what follows, whether what
/// follows is (or precedes) the last message, and whether the conversation has a system
/// prompt. The generated Go template can test each of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct GapKey {
    /// The role written just before the gap; `None` at the start of the prompt.
    pub prev: Option<Role>,
    /// The role written just after the gap; `None` for the end of the prompt (the
    /// generation prompt).
    pub next: Option<Role>,
    /// Whether the message after the gap is the conversation's last (for the system prompt:
    /// whether the message it is written in front of is the last).
    pub last: bool,
    /// Whether the conversation has a system prompt.
    pub system: bool,
    /// Whether thinking was requested (`"think": true`, `enable_thinking=true`).
    pub think: bool,
    /// Whether the assistant message after the gap carries reasoning (Ollama's `.Thinking`).
    pub reasoning: bool,
}

/// Where the template writes the system prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    /// Before the first turn (its own turn, or inside the first user turn).
    First,
    /// Just before the last message (inside the last user turn, as Mistral does).
    BeforeLast,
    /// Seen only where the two coincide (a single turn), so either holds.
    Either,
}

/// The conversation shapes probed: with and without a system prompt, one to three user
/// turns, so first, middle and last turns are all seen.
pub(super) fn shapes() -> Vec<Vec<Role>> {
    use Role::{Assistant as A, System as S, User as U};
    vec![
        vec![U],
        vec![S, U],
        vec![U, A, U],
        vec![S, U, A, U],
        vec![U, A, U, A, U],
        vec![S, U, A, U, A, U],
    ]
}

/// The shapes probed with reasoning on assistant turns: an answered question before the last
/// user turn, with and without a system prompt (the thinking suite's history).
pub(super) fn reasoning_shapes() -> Vec<Vec<Role>> {
    use Role::{Assistant as A, System as S, User as U};
    vec![vec![U, A, U], vec![S, U, A, U]]
}

/// The marker written as the content of message `index`; `q` ends it so no marker is a
/// prefix of another.
pub(super) fn marker(index: usize) -> String {
    format!("ZqMark{index}qZ")
}

/// The marker written as the reasoning of assistant message `index`.
fn reasoning_marker(index: usize) -> String {
    format!("ZqReason{index}qZ")
}

/// One probe's rendering cut at the markers.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Observation {
    /// Each gap with its position, in output order; the last one is the prompt's end.
    pub gaps: Vec<(GapKey, String)>,
    /// Where the system prompt appeared, when the shape has one.
    pub placement: Option<Placement>,
    /// Whether an assistant turn's reasoning was written.
    pub reasoning_written: bool,
}

/// One probe: a conversation shape, thinking on or off, and whether assistant turns carry
/// reasoning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Probe<'a> {
    /// The roles of the messages, in order.
    pub shape: &'a [Role],
    /// Whether thinking is requested.
    pub think: bool,
    /// Whether assistant messages carry reasoning (`thinking`/`reasoning_content`).
    pub reasoning: bool,
}

/// Why a probe taught nothing.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ProbeFailure {
    /// The template refused or failed to render the shape.
    Render(JinjaError),
    /// The rendering does not contain each marker exactly once, in an order the Go template
    /// can produce.
    Shape(String),
}

/// Padding wrapped around the contents of one role's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Padding {
    /// Whose contents are padded.
    pub role: Role,
    /// Written before the content.
    pub left: &'static str,
    /// Written after the content.
    pub right: &'static str,
}

/// Renders `shape` with marker contents, those of `padding.role` padded, thinking off.
pub(super) fn render(
    jinja: &JinjaTemplate,
    shape: &[Role],
    padding: Option<Padding>,
    options: &VerifyOptions,
) -> Result<String, JinjaError> {
    let probe = Probe {
        shape,
        think: false,
        reasoning: false,
    };
    render_probe(jinja, probe, padding, options)
}

/// Renders a probe with marker contents (and reasoning), those of `padding.role` padded.
fn render_probe(
    jinja: &JinjaTemplate,
    probe: Probe<'_>,
    padding: Option<Padding>,
    options: &VerifyOptions,
) -> Result<String, JinjaError> {
    let messages = probe
        .shape
        .iter()
        .enumerate()
        .map(|(index, &role)| Message {
            role: role.name().to_owned(),
            content: match padding {
                Some(pad) if pad.role == role => {
                    format!("{}{}{}", pad.left, marker(index), pad.right)
                }
                _ => marker(index),
            },
            thinking: if probe.reasoning && role == Role::Assistant {
                reasoning_marker(index)
            } else {
                String::new()
            },
            ..Message::default()
        })
        .collect();
    let request = ChatRequest {
        messages,
        tools: Vec::new(),
        think: Some(Think::Enabled(probe.think)),
    };
    verify::render_jinja(jinja, &request, options)
}

/// Renders one probe and cuts the output into gaps.
pub(super) fn observe(
    jinja: &JinjaTemplate,
    probe: Probe<'_>,
    options: &VerifyOptions,
) -> Result<Observation, ProbeFailure> {
    let output = render_probe(jinja, probe, None, options).map_err(ProbeFailure::Render)?;
    cut(&output, probe).map_err(ProbeFailure::Shape)
}

/// Where one marker was found: byte offset, the message it belongs to, what it stands for,
/// and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    at: usize,
    index: usize,
    role: Role,
    len: usize,
}

/// Finds `marker` at most once in `output`.
fn find_once(output: &str, marker: &str, what: &str) -> Result<Option<usize>, String> {
    let mut hits = output.match_indices(marker);
    let first = hits.next().map(|(at, _)| at);
    if hits.next().is_some() {
        return Err(format!("the {what} appears more than once"));
    }
    Ok(first)
}

/// Cuts `output` at the markers of the probe's messages.
fn cut(output: &str, probe: Probe<'_>) -> Result<Observation, String> {
    let shape = probe.shape;
    let mut found = Vec::with_capacity(shape.len() * 2);
    let mut reasoning_written = false;
    for (index, &role) in shape.iter().enumerate() {
        let marker = marker(index);
        let what = format!("{} message's content", role.name());
        let Some(at) = find_once(output, &marker, &what)? else {
            return Err(format!("the {what} does not appear in the prompt"));
        };
        found.push(Found {
            at,
            index,
            role,
            len: marker.len(),
        });
        if probe.reasoning && role == Role::Assistant {
            let marker = reasoning_marker(index);
            if let Some(at) = find_once(output, &marker, "reasoning")? {
                reasoning_written = true;
                found.push(Found {
                    at,
                    index,
                    role: Role::Reasoning,
                    len: marker.len(),
                });
            }
        }
    }
    found.sort_unstable();
    let turns: Vec<usize> = found
        .iter()
        .filter(|f| matches!(f.role, Role::User | Role::Assistant))
        .map(|f| f.index)
        .collect();
    if turns.windows(2).any(|pair| pair[0] > pair[1]) {
        return Err("the template writes turns out of order".to_owned());
    }
    let reasoning_misplaced = found.iter().enumerate().any(|(n, f)| {
        f.role == Role::Reasoning
            && found
                .get(n + 1)
                .is_none_or(|next| next.index != f.index || next.role != Role::Assistant)
    });
    if reasoning_misplaced {
        return Err("the reasoning is not written right before its answer".to_owned());
    }
    let has_system = shape.contains(&Role::System);
    let last_index = shape.len() - 1;
    let mut placement = None;
    let mut gaps = Vec::with_capacity(found.len() + 1);
    let mut cursor = 0;
    let mut prev = None;
    for (position, f) in found.iter().enumerate() {
        let last = if f.role == Role::System {
            let before = found.get(position + 1).map(|next| next.index);
            placement = Some(match position {
                0 if before == Some(last_index) => Placement::Either,
                0 => Placement::First,
                _ if before == Some(last_index) => Placement::BeforeLast,
                _ => {
                    return Err(
                        "the system prompt is written in the middle of the conversation".to_owned(),
                    );
                }
            });
            before == Some(last_index)
        } else {
            f.index == last_index
        };
        let key = GapKey {
            prev,
            next: Some(f.role),
            last,
            system: has_system,
            think: probe.think,
            reasoning: probe.reasoning && matches!(f.role, Role::Assistant | Role::Reasoning),
        };
        let Some(gap) = output.get(cursor..f.at) else {
            return Err("the contents of two messages overlap in the prompt".to_owned());
        };
        gaps.push((key, gap.to_owned()));
        cursor = f.at + f.len;
        prev = Some(f.role);
    }
    let end = GapKey {
        prev,
        next: None,
        last: false,
        system: has_system,
        think: probe.think,
        reasoning: false,
    };
    gaps.push((end, output[cursor..].to_owned()));
    Ok(Observation {
        gaps,
        placement,
        reasoning_written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(shape: &[Role]) -> Probe<'_> {
        Probe {
            shape,
            think: false,
            reasoning: false,
        }
    }

    #[test]
    fn cuts_chatml_into_gaps() {
        let shape = [Role::System, Role::User];
        let out = format!("<s>{}\n<u>{}\n<a>", marker(0), marker(1));
        let obs = cut(&out, plain(&shape)).unwrap();
        let texts: Vec<_> = obs.gaps.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["<s>", "\n<u>", "\n<a>"]);
        assert_eq!(obs.placement, Some(Placement::Either));
        assert_eq!(obs.gaps[1].0.prev, Some(Role::System));
        assert!(obs.gaps[1].0.last);
    }

    #[test]
    fn system_before_last_user_is_seen() {
        let shape = [Role::System, Role::User, Role::Assistant, Role::User];
        let out = format!(
            "[I]{}[/I]{}[I]{}\n\n{}[/I]",
            marker(1),
            marker(2),
            marker(0),
            marker(3)
        );
        let obs = cut(&out, plain(&shape)).unwrap();
        assert_eq!(obs.placement, Some(Placement::BeforeLast));
    }

    #[test]
    fn missing_or_doubled_markers_are_refused() {
        let shape = [Role::User];
        assert!(cut("nothing", plain(&shape)).is_err());
        let twice = format!("{0}{0}", marker(0));
        assert!(cut(&twice, plain(&shape)).is_err());
    }
}
