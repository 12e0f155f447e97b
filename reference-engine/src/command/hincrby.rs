//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hincrby(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hincrby is not written yet".into(),
    ))
}
