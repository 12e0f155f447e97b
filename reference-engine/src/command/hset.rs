//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hset(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("hset is not written yet".into()))
}

pub fn hmset(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hmset is not written yet".into(),
    ))
}
