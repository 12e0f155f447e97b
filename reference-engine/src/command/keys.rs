//! (being written)

use super::{CommandResult, Ctx};
use crate::error::CommandError;

pub fn del(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("del is not written yet".into()))
}

pub fn exists(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "exists is not written yet".into(),
    ))
}

pub fn type_(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "type_ is not written yet".into(),
    ))
}

pub fn set(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("set is not written yet".into()))
}

pub fn get(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported("get is not written yet".into()))
}

pub fn dbsize(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "dbsize is not written yet".into(),
    ))
}

pub fn flushdb(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "flushdb is not written yet".into(),
    ))
}

pub fn flushall(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "flushall is not written yet".into(),
    ))
}

pub fn object(_ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    Err(CommandError::NotSupported(
        "object is not written yet".into(),
    ))
}
