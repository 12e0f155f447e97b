//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hscan(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hscan is not written yet".into(),
    ))
}
