//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn httl(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("httl is not written yet".into()))
}

pub fn hpttl(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hpttl is not written yet".into(),
    ))
}

pub fn hexpiretime(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hexpiretime is not written yet".into(),
    ))
}

pub fn hpexpiretime(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hpexpiretime is not written yet".into(),
    ))
}
