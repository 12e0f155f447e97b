//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hsetnx(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hsetnx is not written yet".into(),
    ))
}
