//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hgetex(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hgetex is not written yet".into(),
    ))
}
