//! Ollama's scan of the identifiers a template mentions, which decides the rendering mode.

use std::collections::BTreeSet;

use super::OllamaTemplateError;
use crate::template::gotmpl::parse::{Arg, Command, List, Node, Pipe, Tree};

/// Every field and variable name in every template of the tree, lowercased — Ollama's `Vars`:
/// fields (`.A.B` gives `a`, `b`), variables (`$x.A` gives `$x`, `a`), including those in
/// parenthesised pipelines, but not fields applied to other terms (`(x).A`).
pub(super) fn identifiers(tree: &Tree) -> Result<BTreeSet<String>, OllamaTemplateError> {
    let mut out = BTreeSet::new();
    list(&tree.root, &mut out)?;
    for body in tree.defines.values() {
        list(body, &mut out)?;
    }
    Ok(out)
}

fn list(nodes: &List, out: &mut BTreeSet<String>) -> Result<(), OllamaTemplateError> {
    for n in nodes {
        match n {
            Node::Action(p) => pipe(p, out),
            Node::Branch(b) => {
                pipe(&b.pipe, out);
                list(&b.list, out)?;
                if let Some(e) = &b.else_list {
                    list(e, out)?;
                }
            }
            Node::Template { pipe: Some(p), .. } => pipe(p, out),
            Node::Template { pipe: None, .. } => {
                return Err(OllamaTemplateError::Rejected {
                    reason: "undefined template specified".to_owned(),
                });
            }
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
    Ok(())
}

fn pipe(p: &Pipe, out: &mut BTreeSet<String>) {
    for Command { args, .. } in &p.cmds {
        for a in args {
            match a {
                Arg::Field { idents, .. } | Arg::Variable { idents, .. } => {
                    out.extend(idents.iter().map(|i| i.to_lowercase()));
                }
                Arg::Pipe(inner) => pipe(inner, out),
                _ => {}
            }
        }
    }
}

/// The `{{ .Response }}` action Ollama appends to templates that use neither mode's fields.
pub(super) fn response_action() -> Node {
    Node::Action(Pipe {
        offset: 0,
        is_assign: false,
        decl: Vec::new(),
        cmds: vec![Command {
            offset: 0,
            args: vec![Arg::Field {
                offset: 0,
                idents: vec!["Response".to_owned()],
            }],
        }],
    })
}
