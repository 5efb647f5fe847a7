//! Media types of the layers in an Ollama model manifest, and their order.

/// One kind of layer in an Ollama manifest (`application/vnd.ollama.image.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LayerMediaType {
    /// The GGUF weights.
    Model,
    /// A multimodal projector (mmproj GGUF).
    Projector,
    /// A LoRA adapter.
    Adapter,
    /// The Go chat template text.
    Template,
    /// The system prompt text.
    System,
    /// One license text (one layer per license).
    License,
    /// Parameters as a JSON object plus `\n` (`stop` always an array).
    Params,
    /// Messages as a JSON array plus `\n`.
    Messages,
}

impl LayerMediaType {
    /// Every layer type in the order Ollama writes them into a manifest.
    pub const ORDER: [LayerMediaType; 8] = [
        LayerMediaType::Model,
        LayerMediaType::Projector,
        LayerMediaType::Adapter,
        LayerMediaType::Template,
        LayerMediaType::System,
        LayerMediaType::License,
        LayerMediaType::Params,
        LayerMediaType::Messages,
    ];

    /// The full media type string.
    pub fn as_str(self) -> &'static str {
        match self {
            LayerMediaType::Model => "application/vnd.ollama.image.model",
            LayerMediaType::Projector => "application/vnd.ollama.image.projector",
            LayerMediaType::Adapter => "application/vnd.ollama.image.adapter",
            LayerMediaType::Template => "application/vnd.ollama.image.template",
            LayerMediaType::System => "application/vnd.ollama.image.system",
            LayerMediaType::License => "application/vnd.ollama.image.license",
            LayerMediaType::Params => "application/vnd.ollama.image.params",
            LayerMediaType::Messages => "application/vnd.ollama.image.messages",
        }
    }

    /// Looks a media type string up.
    pub fn from_media_type(s: &str) -> Option<LayerMediaType> {
        Self::ORDER.into_iter().find(|m| m.as_str() == s)
    }
}

/// Media type of an Ollama (Docker v2) manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Media type of the config blob an Ollama manifest points at.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.docker.container.image.v1+json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_order() {
        for m in LayerMediaType::ORDER {
            assert_eq!(LayerMediaType::from_media_type(m.as_str()), Some(m));
        }
        let mut sorted = LayerMediaType::ORDER;
        sorted.sort();
        assert_eq!(sorted, LayerMediaType::ORDER);
        assert_eq!(LayerMediaType::from_media_type("application/json"), None);
    }
}
