//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hgetall(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hgetall is not written yet".into(),
    ))
}

pub fn hkeys(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hkeys is not written yet".into(),
    ))
}

pub fn hvals(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hvals is not written yet".into(),
    ))
}
