//! From probe observations to one turn structure: the text of every gap (with today's date
//! marked where Ollama can produce it), where the system prompt goes, and what the template
//! does to each role's content.

use std::collections::BTreeMap;

use super::error::ConvertError;
use super::probe::{
    self, ArgumentsForm, CallIdPlace, GapKey, Placement, Probe, ProbeFailure, Role, ToolForm,
    ToolPlacement, ToolPlaces,
};
use super::transform::{self, Transform};
use crate::template::jinja::{FixedDateTime, JinjaError, JinjaTemplate};
use crate::template::verify::VerifyOptions;

/// A piece of gap text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    /// Literal text.
    Text(String),
    /// Today's date as `YYYY-MM-DD` (Ollama's `currentDate`).
    CurrentDate,
}

/// A template's turn structure as the probes saw it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Structure {
    /// The text of each gap the probes saw.
    pub gaps: BTreeMap<GapKey, Vec<Piece>>,
    /// Where the system prompt goes; `None` when no probe with a system prompt rendered.
    pub placement: Option<Placement>,
    /// What the template does to each role's content.
    pub transforms: BTreeMap<Role, Transform>,
    /// What the structure cannot express (each makes a mismatch likely).
    pub problems: Vec<String>,
    /// Facts the user should know (frozen dates).
    pub notes: Vec<String>,
    /// Whether earlier assistant turns' reasoning is written, with thinking off and on.
    pub reasoning: [bool; 2],
    /// How and where tool definitions, calls and results are written; `None` when a tool probe
    /// failed (then the template converts without them, see `tool_problem`).
    pub tools: Option<ToolStructure>,
    /// Why tools are not converted, when they are not.
    pub tool_problem: Option<String>,
    /// How tool calls' arguments are written (as JSON unless the tool probes saw otherwise).
    pub arguments: ArgumentsForm,
}

/// How a template writes tools, as the tool probes saw it; the gaps around tool definitions,
/// calls and results are in [`Structure::gaps`] under `tools: true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ToolStructure {
    /// What a tool definition is written as.
    pub form: ToolForm,
    /// Where the tool definitions go.
    pub placement: ToolPlacement,
    /// Whether they are written before the system prompt when both go in the same place.
    pub before_system: bool,
    /// Whether a `tool` message's content is written as a JSON string (Go: `json $m.Content`).
    pub results_as_json: bool,
    /// Whether the probes saw how an assistant turn with content and tool calls is written
    /// (else its content is not written).
    pub content_with_calls: bool,
    /// Where a call's id (`.ID`) is written; `None` when it is not.
    pub call_id: Option<CallIdPlace>,
    /// The places a tool result is written as, in order: its content (`.Content`), and where
    /// written its call id (`.ToolCallID`) and tool name (`.ToolName`).
    pub result_places: [Option<Role>; 3],
    /// Whether a system prompt written before the last message is written only when that is a
    /// user turn (Mistral Nemo drops it after tool results).
    pub system_before_last_user_only: bool,
}

/// Gaps seen by one probe on two dates.
type Seen = Vec<((GapKey, String), (GapKey, String))>;

/// Probes `jinja` and assembles its structure; dates are told apart by rendering once with
/// `options.now` and once with another date.
pub(super) fn infer(
    jinja: &JinjaTemplate,
    options: &VerifyOptions,
) -> Result<Structure, ConvertError> {
    let other = VerifyOptions {
        now: other_date(options.now),
        ..options.clone()
    };
    let mut structure = Structure::default();
    let mut today: BTreeMap<GapKey, String> = BTreeMap::new();
    let mut later: BTreeMap<GapKey, String> = BTreeMap::new();
    let shapes = probe::shapes();
    let with_reasoning = probe::reasoning_shapes();
    // Thinking off first: it decides renderability and the structure the plain suite needs;
    // thinking on adds the gaps that change when the client asks for thinking; last, assistant
    // turns that carry reasoning show whether and how the template writes it.
    let mut runs = Vec::new();
    for (think, reasoning) in [(false, false), (true, false), (false, true), (true, true)] {
        let list = if reasoning { &with_reasoning } else { &shapes };
        runs.extend(list.iter().map(|shape| Probe {
            shape,
            think,
            reasoning,
            tools: false,
            calls: 0,
        }));
    }
    for (number, probe) in runs.into_iter().enumerate() {
        let observed = probe::observe(jinja, probe, options)
            .and_then(|seen| Ok((seen, probe::observe(jinja, probe, &other)?)));
        let (seen, seen_later) = match observed {
            Ok(pair) => pair,
            Err(failure) if number == 0 => return Err(first_failure(failure)),
            // Thinking and reasoning are extras: a template that fails with them teaches
            // nothing more about the plain prompt.
            Err(_) if probe.think || probe.reasoning => continue,
            // A template may refuse a shape (no system role, say); the verifier lists the
            // conversations it refuses, so there is nothing to learn or report here.
            Err(ProbeFailure::Render(_)) => continue,
            Err(ProbeFailure::Shape(reason)) => {
                push_unique(&mut structure.problems, reason);
                continue;
            }
        };
        if seen.reasoning_written {
            structure.reasoning[usize::from(probe.think)] = true;
        }
        if let Some(placement) = seen.placement {
            match structure.placement {
                _ if placement == Placement::Either => {
                    structure.placement.get_or_insert(placement);
                }
                Some(known) if known != placement && known != Placement::Either => push_unique(
                    &mut structure.problems,
                    "the system prompt moves between conversations of different lengths".to_owned(),
                ),
                _ => structure.placement = Some(placement),
            }
        }
        let seen: Seen = seen.gaps.into_iter().zip(seen_later.gaps).collect();
        let problems = merge_gaps(seen, &mut today, &mut later);
        for problem in problems {
            push_unique(&mut structure.problems, problem);
        }
    }
    // Parallel calls first; templates that refuse them (Llama 3.1) are probed with one call.
    let probed = probe_tools(jinja, options, &other, probe::TOOL_COUNT)
        .or_else(|first| probe_tools(jinja, options, &other, 1).map_err(|_| first));
    match probed {
        Ok((tools, arguments, seen)) => {
            let mut problems = Vec::new();
            for gaps in seen {
                problems.extend(merge_gaps(gaps, &mut today, &mut later));
            }
            structure.tools = Some(tools);
            structure.arguments = arguments;
            structure.tool_problem = problems.into_iter().next();
        }
        Err(reason) => structure.tool_problem = Some(reason),
    }
    if structure.placement == Some(Placement::Either) {
        structure.placement = Some(Placement::First);
    }
    for (key, text) in today {
        let text_later = later.remove(&key).unwrap_or_default();
        let (pieces, note) = resolve_dates(&text, &text_later, options.now, other.now);
        if let Some(note) = note {
            push_unique(&mut structure.notes, note);
        }
        structure.gaps.insert(key, pieces);
    }
    split_arguments(&mut structure);
    let with_system = [Role::System, Role::User, Role::Assistant, Role::User];
    let without = [Role::User, Role::Assistant, Role::User];
    structure.transforms = transform::transforms(jinja, &with_system, options)
        .or_else(|_| transform::transforms(jinja, &without, options))
        .unwrap_or_default();
    for (role, transform) in &structure.transforms {
        if *transform == Transform::Other {
            push_unique(
                &mut structure.problems,
                format!(
                    "the template changes {} content in a way other than trimming whitespace",
                    role.name()
                ),
            );
        }
    }
    Ok(structure)
}

/// For arguments written key by key, splits the separator into the text that ends an
/// argument (which every gap after the arguments starts with) and the text that starts one
/// (which every gap before them ends with), and moves both out of those gaps, so the Go
/// template writes each argument whole and a call without arguments writes neither, as the
/// Jinja loop does. Left unsplit when no split fits.
fn split_arguments(structure: &mut Structure) {
    let ArgumentsForm::KeyByKey {
        separator, split, ..
    } = &mut structure.arguments
    else {
        return;
    };
    let text = |pieces: &Vec<Piece>| match pieces.as_slice() {
        [Piece::Text(text)] => Some(text.clone()),
        _ => None,
    };
    let before: Option<Vec<String>> = structure
        .gaps
        .iter()
        .filter(|(key, _)| key.next == Some(Role::CallArgs))
        .map(|(_, pieces)| text(pieces))
        .collect();
    let after: Option<Vec<String>> = structure
        .gaps
        .iter()
        .filter(|(key, _)| key.prev == Some(Role::CallArgs))
        .map(|(_, pieces)| text(pieces))
        .collect();
    let (Some(before), Some(after)) = (before, after) else {
        return;
    };
    // Every split that fits writes the same prompt (for no arguments too); the shortest end
    // that closes a tag or a line reads best (`</arg_value>` + `<arg_key>`).
    let fits = |i: usize| {
        separator.is_char_boundary(i)
            && after.iter().all(|t| t.starts_with(&separator[..i]))
            && before.iter().all(|t| t.ends_with(&separator[i..]))
    };
    let fitting: Vec<usize> = (0..=separator.len()).filter(|&i| fits(i)).collect();
    let readable = fitting
        .iter()
        .find(|&&i| separator[..i].ends_with(['>', '\n']))
        .or(fitting.first());
    let Some(&i) = readable else {
        return;
    };
    let (end, start) = (separator[..i].to_owned(), separator[i..].to_owned());
    for (key, pieces) in structure.gaps.iter_mut() {
        if let [Piece::Text(text)] = pieces.as_mut_slice() {
            if key.next == Some(Role::CallArgs) {
                text.truncate(text.len() - start.len());
            } else if key.prev == Some(Role::CallArgs) {
                text.drain(..end.len());
            }
        }
    }
    *split = Some((end, start));
}

/// Records each gap's text on both dates under its key, unless a text is known for it already;
/// a different text under the same key is a problem.
fn merge_gaps(
    seen: Seen,
    today: &mut BTreeMap<GapKey, String>,
    later: &mut BTreeMap<GapKey, String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for ((key, text), (_, text_later)) in seen {
        match today.get(&key) {
            Some(known) if *known != text => push_unique(
                &mut problems,
                "the text between turns depends on more than the roles around it, the first and last turn and the system prompt (e.g. a turn counter)"
                    .to_owned(),
            ),
            Some(_) => {}
            None => {
                today.insert(key, text);
                later.insert(key, text_later);
            }
        }
    }
    problems
}

/// Renders the tool probes on both dates; all must succeed and agree on how tool definitions
/// are written and where, or tools are not converted (the reason is returned).
fn probe_tools(
    jinja: &JinjaTemplate,
    options: &VerifyOptions,
    other: &VerifyOptions,
    calls: usize,
) -> Result<(ToolStructure, ArgumentsForm, Vec<Seen>), String> {
    let mut form = None;
    let mut arguments: Option<ArgumentsForm> = None;
    let mut placement: Option<ToolPlaces> = None;
    let mut before_system: Option<bool> = None;
    let mut call_id: Option<Option<CallIdPlace>> = None;
    let mut result_places: Option<Option<Vec<Role>>> = None;
    let mut system_dropped = false;
    let mut all: Vec<Seen> = Vec::new();
    let required = probe::tool_shapes();
    let optional = probe::content_call_shapes();
    let mut content_with_calls = true;
    for (n, shape) in required.iter().chain(&optional).enumerate() {
        let is_optional = n >= required.len();
        let probe = Probe {
            shape,
            think: false,
            reasoning: false,
            tools: true,
            calls,
        };
        let describe = |failure: ProbeFailure| match failure {
            ProbeFailure::Render(err) => {
                format!("the template fails on a tool conversation: {err}")
            }
            ProbeFailure::Shape(reason) => reason,
        };
        let observed = probe::observe(jinja, probe, options)
            .and_then(|seen| Ok((seen, probe::observe(jinja, probe, other)?)));
        let (seen, seen_later) = match observed {
            Ok(pair) => pair,
            Err(_) if is_optional => {
                content_with_calls = false;
                continue;
            }
            Err(failure) => return Err(describe(failure)),
        };
        if form.is_some_and(|known| Some(known) != seen.tool_form) {
            return Err("the tool definitions are written in two forms".to_owned());
        }
        form = seen.tool_form;
        placement = match (placement, seen.tool_placement) {
            (Some(known), Some(now)) => Some(known.and(now)),
            (known, now) => known.or(now),
        };
        if placement.is_some_and(|places| places.choose().is_none()) {
            return Err(
                "the tool definitions move between conversations of different lengths".to_owned(),
            );
        }
        before_system = match (before_system, seen.tools_before_system) {
            (known, None) => known,
            (None, now) => now,
            (known, now) if known == now => known,
            _ => {
                return Err(
                    "the tool definitions are written on both sides of the system prompt"
                        .to_owned(),
                );
            }
        };
        // Ids are seen only where the probe has calls or results; all such probes must agree.
        if shape
            .iter()
            .any(|r| matches!(r, Role::Call | Role::CallContent))
        {
            if call_id.is_some_and(|known| known != seen.call_id) {
                return Err(
                    "the ids of tool calls are written in some conversations only".to_owned(),
                );
            }
            call_id = Some(seen.call_id);
            if seen.arguments_form.is_some() {
                if arguments.is_some() && arguments != seen.arguments_form {
                    return Err("the arguments of tool calls are written in two forms".to_owned());
                }
                arguments.clone_from(&seen.arguments_form);
            }
        }
        if shape.contains(&Role::ToolResult) {
            if result_places
                .as_ref()
                .is_some_and(|known| *known != seen.result_places)
            {
                return Err("tool results are written in different forms".to_owned());
            }
            result_places = Some(seen.result_places.clone());
        }
        system_dropped |= seen.system_dropped;
        all.push(seen.gaps.into_iter().zip(seen_later.gaps).collect());
    }
    let Some(form) = form else {
        return Err("the tool definitions do not appear in the prompt".to_owned());
    };
    // Templates that never write tool definitions have no place for them.
    let placement = placement
        .and_then(ToolPlaces::choose)
        .unwrap_or(ToolPlacement::First);
    let before_system = before_system.unwrap_or(false);
    let results_as_json = probe::results_as_json_string(jinja, options, calls)?;
    if results_as_json {
        for seen in &mut all {
            for ((key, text), (_, text_later)) in seen.iter_mut() {
                for text in [text, text_later] {
                    unquote_result(*key, text)?;
                }
            }
        }
    }
    Ok((
        ToolStructure {
            form,
            placement,
            before_system,
            results_as_json,
            content_with_calls,
            call_id: call_id.flatten(),
            result_places: fixed_places(result_places.flatten())?,
            system_before_last_user_only: system_dropped,
        },
        arguments.unwrap_or_default(),
        all,
    ))
}

/// A result's places as a fixed array (the content alone when no result was probed).
fn fixed_places(places: Option<Vec<Role>>) -> Result<[Option<Role>; 3], String> {
    let places = places.unwrap_or_else(|| vec![Role::ToolResult]);
    let mut fixed = [None; 3];
    if places.len() > fixed.len() {
        return Err(
            "a tool result is written in more places than its content, id and name".to_owned(),
        );
    }
    for (slot, role) in fixed.iter_mut().zip(places) {
        *slot = Some(role);
    }
    Ok(fixed)
}

/// Moves the quotes of a result written as a JSON string out of the gaps around it: the Go
/// template writes them with the string (`json $m.Content`).
fn unquote_result(key: GapKey, text: &mut String) -> Result<(), String> {
    let missing = || "a tool result written as JSON is not quoted".to_owned();
    if key.next == Some(Role::ToolResult) {
        text.pop().filter(|c| *c == '"').ok_or_else(missing)?;
    }
    if key.prev == Some(Role::ToolResult) {
        if !text.starts_with('"') {
            return Err(missing());
        }
        text.remove(0);
    }
    Ok(())
}

fn first_failure(failure: ProbeFailure) -> ConvertError {
    match failure {
        ProbeFailure::Render(JinjaError::Syntax { message, line }) => {
            ConvertError::Syntax(JinjaError::Syntax { message, line })
        }
        ProbeFailure::Render(err) => ConvertError::NotRenderable {
            reason: err.to_string(),
        },
        ProbeFailure::Shape(reason) => ConvertError::NoStructure { reason },
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A moment that differs from `now` in year, month, day and weekday, so any date the
/// template prints changes.
fn other_date(now: FixedDateTime) -> FixedDateTime {
    FixedDateTime {
        year: now.year + 1,
        month: now.month % 12 + 1,
        day: if now.day == 13 { 14 } else { 13 },
        ..now
    }
}

/// Splits gap text into literal text and `currentDate` where the two renderings differ
/// exactly by the ISO date; any other difference is kept as rendered on `now` (frozen) and
/// reported.
fn resolve_dates(
    text: &str,
    text_later: &str,
    now: FixedDateTime,
    later: FixedDateTime,
) -> (Vec<Piece>, Option<String>) {
    if text == text_later {
        return (vec![Piece::Text(text.to_owned())], None);
    }
    let (iso, iso_later) = (now.iso_date(), later.iso_date());
    if text.contains(&iso) && text.replace(&iso, "\0") == text_later.replace(&iso_later, "\0") {
        let mut pieces = Vec::new();
        for (n, part) in text.split(iso.as_str()).enumerate() {
            if n > 0 {
                pieces.push(Piece::CurrentDate);
            }
            if !part.is_empty() {
                pieces.push(Piece::Text(part.to_owned()));
            }
        }
        return (pieces, None);
    }
    let (a, b) = (text.as_bytes(), text_later.as_bytes());
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut start = prefix;
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = text.len() - suffix;
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let note = format!(
        "the template prints the date in a form Ollama cannot produce (`{}`); it is frozen at the conversion date {}",
        &text[start..end.max(start)],
        now.iso_date()
    );
    (vec![Piece::Text(text.to_owned())], Some(note))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_become_current_date_and_others_are_frozen() {
        let now = FixedDateTime::default();
        let later = other_date(now);
        let (pieces, note) = resolve_dates(
            &format!("Today: {}\n", now.iso_date()),
            &format!("Today: {}\n", later.iso_date()),
            now,
            later,
        );
        assert_eq!(
            pieces,
            [
                Piece::Text("Today: ".into()),
                Piece::CurrentDate,
                Piece::Text("\n".into())
            ]
        );
        assert!(note.is_none());
        let (pieces, note) = resolve_dates("Today: 26 Jul 2024", "Today: 13 Aug 2025", now, later);
        assert_eq!(pieces, [Piece::Text("Today: 26 Jul 2024".into())]);
        assert!(
            note.unwrap().contains("26 Jul 2024"),
            "frozen text is named"
        );
    }
}
