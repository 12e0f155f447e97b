//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hget(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("hget is not written yet".into()))
}
