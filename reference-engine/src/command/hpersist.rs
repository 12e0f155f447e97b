//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hpersist(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hpersist is not written yet".into(),
    ))
}
