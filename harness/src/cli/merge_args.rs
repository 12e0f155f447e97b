//! The flags of `merge`.

use std::path::PathBuf;

use clap::Args;

use super::args::FormatChoice;
use crate::cmd::merge::MergeRequest;
use crate::cmd::run::{Format, Outputs};

/// Flags of `hashcheck merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The JSON reports of the jobs of one split run (`run --partition I/N --format json`),
    /// or the `--out` directories of `hashcheck fuzz` runs (one per machine).
    #[arg(required = true, value_name = "REPORT.json|DIR")]
    pub inputs: Vec<PathBuf>,
    /// What the merged report on stdout looks like.
    #[arg(long, value_enum, default_value = "human")]
    pub format: FormatChoice,
    /// Also write the merged results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a Markdown command matrix to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Known differences (YAML or JSON), applied to the merged run as `run` applies them.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the merged run's failures as a baseline to FILE.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Fuzz directories: where to copy one case per kind of divergence.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl MergeArgs {
    /// What the flags ask of `hashcheck merge`.
    pub fn request(self) -> MergeRequest {
        MergeRequest {
            inputs: self.inputs,
            baseline: self.baseline,
            outputs: Outputs {
                format: match self.format {
                    FormatChoice::Human => Format::Human,
                    FormatChoice::Json => Format::Json,
                },
                junit: self.junit,
                markdown: self.markdown,
                write_baseline: self.write_baseline,
            },
            out: self.out,
        }
    }
}
