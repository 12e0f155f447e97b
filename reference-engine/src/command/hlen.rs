//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hlen(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("hlen is not written yet".into()))
}
