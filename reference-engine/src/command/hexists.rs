//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hexists(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hexists is not written yet".into(),
    ))
}
