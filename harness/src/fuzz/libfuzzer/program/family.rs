//! Which commands a program step can run: the engine's table, grouped by the shape of each
//! command's grammar. A step holds a family and picks one of its members when decoded, so a
//! new hash command of a known shape joins its family, and the programs, from its table row.

use std::sync::LazyLock;

use arbitrary::{Arbitrary, Result, Unstructured};
use reference_engine::command::grammar::Shape;

use crate::fuzz::gen::table::{Form, Known, KNOWN};

/// A group of commands that take the same arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Pairs,
    Fields,
    /// The key alone: `Shape::KeyOnly`, `Shape::Listing`, and TYPE, EXISTS, DEL.
    WholeKey,
    IntIncrement,
    FloatIncrement,
    RandomCount,
    Scan,
    FieldsBlock,
    Expire,
    GetEx,
    SetEx,
}

const FAMILIES: usize = 11;

impl Family {
    /// The family of a command (`None` for SET, which has a step of its own).
    pub fn of(form: Form) -> Option<Family> {
        let shape = match form {
            Form::Hash { grammar, .. } => grammar.shape,
            Form::Del | Form::Exists | Form::Type | Form::Dump => return Some(Family::WholeKey),
            // SET has a step of its own; a RESTORE payload is built whole by the generator,
            // not from program bytes; the key TTL and two-key commands are left to
            // `hashcheck fuzz`, whose driver holds them around deadlines.
            Form::Set
            | Form::Restore
            | Form::KeyAlone
            | Form::KeyExpire { .. }
            | Form::TwoKeys { .. } => return None,
        };
        Some(match shape {
            Shape::KeyOnly | Shape::Listing => Family::WholeKey,
            Shape::Fields => Family::Fields,
            Shape::Pairs => Family::Pairs,
            Shape::IntIncrement => Family::IntIncrement,
            Shape::FloatIncrement => Family::FloatIncrement,
            Shape::RandomCount => Family::RandomCount,
            Shape::Scan => Family::Scan,
            Shape::Expire(_) => Family::Expire,
            Shape::FieldsBlock => Family::FieldsBlock,
            Shape::GetEx => Family::GetEx,
            Shape::SetEx => Family::SetEx,
        })
    }

    /// The family's commands, in table order.
    pub fn members(self) -> &'static [&'static Known] {
        static MEMBERS: LazyLock<Vec<Vec<&'static Known>>> = LazyLock::new(|| {
            let mut members = vec![Vec::new(); FAMILIES];
            for known in KNOWN.iter() {
                if let Some(family) = Family::of(known.form) {
                    members[family as usize].push(known);
                }
            }
            members
        });
        &MEMBERS[self as usize]
    }
}

/// The command a step runs.
#[derive(Debug, Clone, Copy)]
pub struct Cmd(pub &'static Known);

impl PartialEq for Cmd {
    fn eq(&self, other: &Cmd) -> bool {
        self.0.name == other.0.name
    }
}

impl Cmd {
    /// The command named `name` (any case), for programs written by hand.
    pub fn named(name: &str) -> Cmd {
        let known = crate::fuzz::gen::table::known(name.as_bytes())
            .unwrap_or_else(|| panic!("no command {name}"));
        Cmd(known)
    }

    /// One of `family`'s commands, by one byte of the input.
    pub fn arbitrary(u: &mut Unstructured<'_>, family: Family) -> Result<Cmd> {
        let members = family.members();
        if members.is_empty() {
            return Err(arbitrary::Error::EmptyChoose);
        }
        let b = u8::arbitrary(u)?;
        Ok(Cmd(members[usize::from(b) % members.len()]))
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_the_programs_run_is_in_one_family() {
        let total: usize = [
            Family::Pairs,
            Family::Fields,
            Family::WholeKey,
            Family::IntIncrement,
            Family::FloatIncrement,
            Family::RandomCount,
            Family::Scan,
            Family::FieldsBlock,
            Family::Expire,
            Family::GetEx,
            Family::SetEx,
        ]
        .iter()
        .map(|f| {
            assert!(!f.members().is_empty(), "{f:?} has no command");
            f.members().len()
        })
        .sum();
        // All but SET, RESTORE and the commands left to `hashcheck fuzz` (see `Family::of`).
        let outside = KNOWN
            .iter()
            .filter(|k| Family::of(k.form).is_none())
            .count();
        assert_eq!(total, KNOWN.len() - outside);
        // Every hash command is in one: the programs reach all 28.
        for k in KNOWN.iter() {
            if matches!(k.form, Form::Hash { .. }) {
                assert!(Family::of(k.form).is_some(), "{} is in no family", k.name);
            }
        }
    }
}
