//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hincrbyfloat(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hincrbyfloat is not written yet".into(),
    ))
}
