//! Architecture default chat templates, for GGUFs that carry none.
