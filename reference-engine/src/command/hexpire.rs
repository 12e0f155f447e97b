//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn hexpire(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hexpire is not written yet".into(),
    ))
}

pub fn hexpireat(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hexpireat is not written yet".into(),
    ))
}

pub fn hpexpire(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hpexpire is not written yet".into(),
    ))
}

pub fn hpexpireat(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hpexpireat is not written yet".into(),
    ))
}
