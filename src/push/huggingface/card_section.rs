//! The part of a model card this tool owns: the text between
//! `<!-- ruvltra-export:begin -->` and `<!-- ruvltra-export:end -->`.
//!
//! A card that has the markers was written by this tool; on the next release only the marked
//! section is replaced and everything the publisher wrote around it (front matter included)
//! stays. A card without them belongs to someone else, and the huggingface backend proposes
//! changes to it as a pull request instead. The card renderer uses the same functions.

/// The line that opens the generated section.
pub const BEGIN_MARKER: &str = "<!-- ruvltra-export:begin -->";
/// The line that closes the generated section.
pub const END_MARKER: &str = "<!-- ruvltra-export:end -->";

/// Why a card's markers cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardSectionError {
    /// A marker appears more than once.
    #[error(
        "{which} `{marker}` appears {count} times in {card} (lines {lines}); keep exactly one begin and one end marker"
    )]
    Repeated {
        /// `the begin marker` or `the end marker`.
        which: &'static str,
        /// The marker text.
        marker: &'static str,
        /// How often.
        count: usize,
        /// The 1-based lines, comma-separated.
        lines: String,
        /// Which card (`the existing README.md`, `the generated card`).
        card: &'static str,
    },
    /// Only one of the two markers is there, or they are in the wrong order.
    #[error("{card} has {problem}; expected `{BEGIN_MARKER}` on a line before `{END_MARKER}`")]
    Unbalanced {
        /// What is wrong (`a begin marker at line 3 but no end marker`).
        problem: String,
        /// Which card.
        card: &'static str,
    },
}

/// Byte offsets of the marked section: from the start of the begin marker to the end of the
/// end marker. `Ok(None)` when the card has neither marker.
fn find_section(
    card: &str,
    which_card: &'static str,
) -> Result<Option<(usize, usize)>, CardSectionError> {
    let begins: Vec<usize> = card.match_indices(BEGIN_MARKER).map(|(i, _)| i).collect();
    let ends: Vec<usize> = card.match_indices(END_MARKER).map(|(i, _)| i).collect();
    let line_of = |offset: usize| card[..offset].matches('\n').count() + 1;
    for (which, marker, found) in [
        ("the begin marker", BEGIN_MARKER, &begins),
        ("the end marker", END_MARKER, &ends),
    ] {
        if found.len() > 1 {
            return Err(CardSectionError::Repeated {
                which,
                marker,
                count: found.len(),
                lines: found
                    .iter()
                    .map(|o| line_of(*o).to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                card: which_card,
            });
        }
    }
    match (begins.first(), ends.first()) {
        (None, None) => Ok(None),
        (Some(b), Some(e)) if b < e => Ok(Some((*b, *e + END_MARKER.len()))),
        (Some(b), Some(e)) => Err(CardSectionError::Unbalanced {
            problem: format!(
                "the end marker at line {} before the begin marker at line {}",
                line_of(*e),
                line_of(*b)
            ),
            card: which_card,
        }),
        (Some(b), None) => Err(CardSectionError::Unbalanced {
            problem: format!("a begin marker at line {} but no end marker", line_of(*b)),
            card: which_card,
        }),
        (None, Some(e)) => Err(CardSectionError::Unbalanced {
            problem: format!("an end marker at line {} but no begin marker", line_of(*e)),
            card: which_card,
        }),
    }
}

/// Whether `card` carries a (well-formed) generated section, i.e. this tool wrote it.
pub fn has_generated_section(card: &str) -> bool {
    matches!(find_section(card, "the card"), Ok(Some(_)))
}

/// The generated section of `card`, markers included.
pub fn generated_section(card: &str) -> Result<Option<&str>, CardSectionError> {
    Ok(find_section(card, "the card")?.map(|(start, end)| &card[start..end]))
}

/// The card body after a YAML front matter block (`---` ... `---`), if any.
fn body_after_front_matter(card: &str) -> &str {
    let Some(rest) = card
        .strip_prefix("---\n")
        .or_else(|| card.strip_prefix("---\r\n"))
    else {
        return card;
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == "---" {
            return &rest[offset..];
        }
    }
    card
}

/// `generated`'s section: its marked part, or (when it has no markers) its body after the
/// front matter wrapped in markers.
fn section_of_generated(generated: &str) -> Result<String, CardSectionError> {
    match find_section(generated, "the generated card")? {
        Some((start, end)) => Ok(generated[start..end].to_string()),
        None => {
            let body = body_after_front_matter(generated).trim_matches('\n');
            Ok(format!("{BEGIN_MARKER}\n{body}\n{END_MARKER}"))
        }
    }
}

/// `existing` with its generated section replaced by `generated`'s; everything outside the
/// markers is kept byte for byte. `Ok(None)` when `existing` has no markers (not this tool's
/// card: the caller proposes a pull request instead of overwriting).
pub fn splice_generated_section(
    existing: &str,
    generated: &str,
) -> Result<Option<String>, CardSectionError> {
    let Some((start, end)) = find_section(existing, "the existing README.md")? else {
        return Ok(None);
    };
    let section = section_of_generated(generated)?;
    let mut spliced = String::with_capacity(existing.len() + section.len());
    spliced.push_str(&existing[..start]);
    spliced.push_str(&section);
    spliced.push_str(&existing[end..]);
    Ok(Some(spliced))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(front: &str, body: &str) -> String {
        format!(
            "---\n{front}\n---\n# Intro by the publisher\n\n{BEGIN_MARKER}\n{body}\n{END_MARKER}\n\nFooter\n"
        )
    }

    #[test]
    fn only_the_marked_section_changes() {
        let existing = card("license: mit\ntags: [mine]", "old table");
        let generated = card("license: apache-2.0", "new table");
        let spliced = splice_generated_section(&existing, &generated)
            .unwrap()
            .unwrap();
        assert_eq!(spliced, card("license: mit\ntags: [mine]", "new table"));
        assert!(has_generated_section(&spliced));
    }

    #[test]
    fn a_generated_card_without_markers_becomes_the_section() {
        let existing = card("license: mit", "old");
        let spliced = splice_generated_section(&existing, "---\nlicense: mit\n---\n\nBody\n")
            .unwrap()
            .unwrap();
        assert!(
            spliced.contains(&format!("{BEGIN_MARKER}\nBody\n{END_MARKER}")),
            "{spliced}"
        );
    }

    #[test]
    fn foreign_and_broken_cards() {
        assert_eq!(
            splice_generated_section("# Someone's card\n", "x").unwrap(),
            None
        );
        assert!(!has_generated_section("# Someone's card\n"));
        let err = splice_generated_section(&format!("a\n{END_MARKER}\n{BEGIN_MARKER}\n"), "x")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the existing README.md has the end marker at line 2 before the begin marker at line 3; expected `{BEGIN_MARKER}` on a line before `{END_MARKER}`"
            )
        );
        let twice = format!("{BEGIN_MARKER}\n{BEGIN_MARKER}\n{END_MARKER}");
        assert!(matches!(
            splice_generated_section(&twice, "x").unwrap_err(),
            CardSectionError::Repeated { count: 2, .. }
        ));
    }
}
