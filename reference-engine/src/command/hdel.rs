//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hdel(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("hdel is not written yet".into()))
}
