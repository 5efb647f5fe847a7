//! Backends: one per registry, behind one trait.
