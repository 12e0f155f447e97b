//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hrandfield(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hrandfield is not written yet".into(),
    ))
}
