//! Cases: the YAML case format, the runner that plays cases against a target, the reports
//! of a run, and baselines of known differences.
//!
//! - [`format`](mod@format): the case model, its YAML loader and writer.
//! - [`runner`]: runs cases against a target and judges each step.
//! - [`report`]: the outcome of a run as text, JSON, JUnit or Markdown.
//! - [`baseline`]: known differences, so a CI gate fails only on new ones.

pub mod baseline;
pub mod format;
pub mod report;
pub mod runner;
