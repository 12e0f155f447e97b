//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hstrlen(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hstrlen is not written yet".into(),
    ))
}
