//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hsetex(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hsetex is not written yet".into(),
    ))
}
