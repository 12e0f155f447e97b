//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn ping(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("ping is not written yet".into()))
}

pub fn echo(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("echo is not written yet".into()))
}

pub fn select(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "select is not written yet".into(),
    ))
}

pub fn hello(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "hello is not written yet".into(),
    ))
}

pub fn client(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "client is not written yet".into(),
    ))
}

pub fn time(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("time is not written yet".into()))
}

pub fn command(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "command is not written yet".into(),
    ))
}

pub fn info(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("info is not written yet".into()))
}
