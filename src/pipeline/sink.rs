//! Where a release reports what it does, so that the library never prints: the command line
//! passes a sink that prints lines or JSON; a library user may pass [`SilentSink`] or its own.
//!
//! Progress of transfers goes to a [`crate::push::Progress`], passed in the same way.

use std::path::Path;

use super::error::PipelineError;
use crate::push::{Plan, PushReport, ReadBackReport};
use crate::source::hub::Downloaded;

/// Receives the steps of a release as they happen. Every method does nothing by default.
pub trait Sink {
    /// A backend's plan, made before anything is sent.
    fn plan(&self, plan: &Plan) {
        let _ = plan;
    }

    /// A backend's push finished.
    fn pushed(&self, report: &PushReport) {
        let _ = report;
    }

    /// A backend read the release back.
    fn verified(&self, report: &ReadBackReport) {
        let _ = report;
    }

    /// One registry failed; the release goes on with the others and the summary says
    /// `failed`.
    fn failed(&self, error: &PipelineError) {
        let _ = error;
    }

    /// A GGUF is in the download cache (`file` is its name in the Hub repository).
    fn downloaded(&self, file: &str, done: &Downloaded) {
        let _ = (file, done);
    }

    /// A dry run would download `files` (each named with its size) into `cache`; the
    /// registries that need them are not planned.
    fn would_download(&self, files: &[String], cache: &Path) {
        let _ = (files, cache);
    }
}

/// A sink that keeps nothing: the summary a push returns says how it went.
#[derive(Debug, Clone, Copy, Default)]
pub struct SilentSink;

impl Sink for SilentSink {}
