//! Cases: the YAML case format, the runner that plays cases against a target, the reports
//! of a run, and baselines of known differences.
//!
//! - [`format`](mod@format): the case model, its YAML loader and writer.
//! - [`runner`]: runs cases against a target and judges each step.
//! - [`report`]: the outcome of a run as text, JSON, JUnit or Markdown.
//! - [`merge`]: the JSON reports of a split run read back as one run.
//! - [`baseline`]: known differences, so a CI gate fails only on new ones.

pub mod baseline;
pub mod format;
pub mod merge;
pub mod report;
pub mod runner;
