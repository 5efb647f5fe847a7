//! The publisher's shared metadata file (`ruvltra.toml`) and the resolved model it yields.
