//! The model's vocabulary as the fit check needs it: the tokens, their types, and the special
//! tokens' ids, borrowed from a GGUF header.

use std::collections::{BTreeMap, BTreeSet};

use crate::gguf::{Array, GgufHeader, StringArray};

/// A token's type from `tokenizer.ggml.token_type` (llama.cpp's `llama_token_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An ordinary piece of text (1).
    Normal,
    /// The unknown token (2).
    Unknown,
    /// A control token such as `<|im_start|>` (3): never produced from plain text.
    Control,
    /// A token added by the model's authors (4), matched whole in the text.
    UserDefined,
    /// A reserved, unused slot (5).
    Unused,
    /// A raw byte (6).
    Byte,
    /// A value llama.cpp does not define.
    Other(i32),
}

impl TokenKind {
    fn from_i32(value: i32) -> TokenKind {
        match value {
            1 => TokenKind::Normal,
            2 => TokenKind::Unknown,
            3 => TokenKind::Control,
            4 => TokenKind::UserDefined,
            5 => TokenKind::Unused,
            6 => TokenKind::Byte,
            other => TokenKind::Other(other),
        }
    }

    /// Whether the tokenizer keeps a marker of this kind whole: control and user-defined
    /// tokens are matched before the text is split; normal ones only by chance of the merges.
    pub fn is_special(self) -> bool {
        matches!(self, TokenKind::Control | TokenKind::UserDefined)
    }

    /// The name llama.cpp uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Normal => "normal",
            TokenKind::Unknown => "unknown",
            TokenKind::Control => "control",
            TokenKind::UserDefined => "user-defined",
            TokenKind::Unused => "unused",
            TokenKind::Byte => "byte",
            TokenKind::Other(_) => "of an unknown type",
        }
    }
}

/// One vocabulary entry whose text matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenHit {
    /// The token id.
    pub id: usize,
    /// Its type, when the header has `tokenizer.ggml.token_type`.
    pub kind: Option<TokenKind>,
}

impl TokenHit {
    /// Whether this token keeps a marker whole (control or user-defined, or any token when
    /// the header gives no types).
    pub fn is_marker_token(&self) -> bool {
        self.kind.is_none_or(TokenKind::is_special)
    }
}

/// A special token the header names by id (`tokenizer.ggml.<role>_token_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialId {
    /// `BOS`, `EOS`, `EOT` or `EOM`.
    pub role: &'static str,
    /// The id from the header.
    pub id: u64,
    /// Its text, or `None` when the id is outside the vocabulary.
    pub text: Option<String>,
}

/// The vocabulary of one GGUF header.
#[derive(Debug, Clone, Copy)]
pub struct Vocabulary<'h> {
    tokens: &'h StringArray,
    types: Option<&'h [i32]>,
    header: &'h GgufHeader,
}

impl<'h> Vocabulary<'h> {
    /// The header's vocabulary, or `None` when it has no `tokenizer.ggml.tokens`.
    pub fn from_header(header: &'h GgufHeader) -> Option<Vocabulary<'h>> {
        let tokens = header.tokens()?;
        let types = header
            .get("tokenizer.ggml.token_type")
            .and_then(|v| v.as_array())
            .and_then(|a| match a {
                Array::I32(v) if v.len() == tokens.len() => Some(v.as_slice()),
                _ => None,
            });
        Some(Vocabulary {
            tokens,
            types,
            header,
        })
    }

    /// The number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// `tokenizer.ggml.model` (`llama` is SentencePiece, `gpt2` byte-level BPE).
    pub fn tokenizer_model(&self) -> Option<&'h str> {
        self.header.tokenizer_model()
    }

    /// The BOS, EOS, EOT and EOM tokens the header names.
    pub fn special_ids(&self) -> Vec<SpecialId> {
        let specials = self.header.special_tokens();
        [
            ("BOS", specials.bos),
            ("EOS", specials.eos),
            ("EOT", specials.eot),
            ("EOM", specials.eom),
        ]
        .into_iter()
        .filter_map(|(role, token)| {
            token.map(|t| SpecialId {
                role,
                id: t.id,
                text: t.text,
            })
        })
        .collect()
    }

    /// Every token whose text is one of `texts`, in one pass over the vocabulary.
    pub fn find(&self, texts: &BTreeSet<String>) -> BTreeMap<String, Vec<TokenHit>> {
        let mut found: BTreeMap<String, Vec<TokenHit>> = BTreeMap::new();
        if texts.is_empty() {
            return found;
        }
        for (id, token) in self.tokens.iter().enumerate() {
            if let Some(text) = texts.get(token) {
                found.entry(text.clone()).or_default().push(TokenHit {
                    id,
                    kind: self
                        .types
                        .and_then(|t| t.get(id))
                        .map(|v| TokenKind::from_i32(*v)),
                });
            }
        }
        found
    }

    /// The best token for `text` among `hits`: one that keeps it whole if any.
    pub fn best(hits: &[TokenHit]) -> Option<TokenHit> {
        hits.iter()
            .find(|h| h.is_marker_token())
            .or_else(|| hits.first())
            .copied()
    }
}
