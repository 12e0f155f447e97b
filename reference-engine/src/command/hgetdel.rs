//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hgetdel(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hgetdel is not written yet".into(),
    ))
}
