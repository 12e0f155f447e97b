//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hmget(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hmget is not written yet".into(),
    ))
}
