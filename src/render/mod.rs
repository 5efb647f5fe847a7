//! Renderers: one per target ecosystem, all fed by one resolved model.
pub mod llamacpp;
