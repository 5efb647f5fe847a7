//! The legacy-mode tree rewrite: keep everything up to and including the first `.Response`,
//! drop everything after it, so the last turn's prompt ends where the model starts writing.

use super::OllamaTemplateError;
use crate::template::gotmpl::parse::{Arg, List, Node, Pipe};

/// A copy of `root` cut after the first field reference that contains `Response`, walking the
/// tree the way Ollama does: branch conditions, `template` calls and chained fields are not
/// looked into, parenthesised pipelines are; a command left without arguments removes its whole
/// action.
pub(super) fn cut_after_response(root: &List) -> Result<List, OllamaTemplateError> {
    let mut cut = false;
    walk_list(root, &mut cut)
}

fn walk_list(list: &List, cut: &mut bool) -> Result<List, OllamaTemplateError> {
    let mut out = Vec::with_capacity(list.len());
    for n in list {
        if let Some(n) = walk_node(n, cut)? {
            out.push(n);
        }
    }
    Ok(out)
}

fn walk_node(node: &Node, cut: &mut bool) -> Result<Option<Node>, OllamaTemplateError> {
    if *cut {
        return Ok(None);
    }
    Ok(match node {
        Node::Action(p) => walk_pipe(p, cut).map(Node::Action),
        Node::Branch(b) => {
            let mut b = (**b).clone();
            b.list = walk_list(&b.list, cut)?;
            if b.else_list.is_some() && *cut {
                // Ollama's rewrite dereferences the deleted else-list and panics.
                return Err(OllamaTemplateError::ResponseInElseBlock);
            }
            if let Some(e) = &b.else_list {
                b.else_list = Some(walk_list(e, cut)?);
            }
            Some(Node::Branch(Box::new(b)))
        }
        other => Some(other.clone()),
    })
}

fn walk_pipe(p: &Pipe, cut: &mut bool) -> Option<Pipe> {
    let mut out = p.clone();
    out.cmds.clear();
    for c in &p.cmds {
        let mut args = Vec::with_capacity(c.args.len());
        for a in &c.args {
            if let Some(a) = walk_arg(a, cut) {
                args.push(a);
            }
        }
        if args.is_empty() {
            return None;
        }
        let mut c = c.clone();
        c.args = args;
        out.cmds.push(c);
    }
    if out.cmds.is_empty() { None } else { Some(out) }
}

fn walk_arg(a: &Arg, cut: &mut bool) -> Option<Arg> {
    if *cut {
        return None;
    }
    match a {
        Arg::Field { idents, .. } => {
            if idents.iter().any(|i| i == "Response") {
                *cut = true;
            }
            Some(a.clone())
        }
        Arg::Pipe(p) => walk_pipe(p, cut).map(Arg::Pipe),
        other => Some(other.clone()),
    }
}
