//! Argument pieces shared by the hash-field-expiration commands: the
//! `FIELDS numfields field...` block and the expire-time argument.
//!
//! ```text
//! HEXPIRE key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
//! HTTL key FIELDS numfields field [field ...]
//! HSETEX key [FNX | FXX] [EX seconds | ... | KEEPTTL] FIELDS numfields field value [...]
//! ```
//!
//! In Redis 8.2 the block is not found by scanning: each command knows the one index where
//! the `FIELDS` word must be, and anything else there is `Mandatory argument FIELDS is
//! missing or not at the right position`. Everything after numfields must be exactly the
//! fields (or field/value pairs for HSETEX); nothing may follow the block.
//!
//! # API (for the command files)
//!
//! - [`fields_block`]`(argv, at, family)` with `at` = index of the `FIELDS` word: the field
//!   names, or the error the family sends. HEXPIRE* use [`NumFields::Hexpire`]; HTTL*,
//!   HPERSIST, HGETDEL and HGETEX use [`NumFields::Positive`].
//! - [`field_value_pairs`]`(argv, at)`: HSETEX's variant (pairs; a count mismatch is an arity
//!   error, numfields limited to INT_MAX). `at` is the index just after the `FIELDS` word.
//! - [`parse_expire_time`]`(argv, i, unit, base_ms)`: Redis's `parseExpireTime`, giving an
//!   absolute unix-ms deadline.
//!
//! Callers check WRONGTYPE (or not) themselves: the order differs per command.

use super::args::{is_c_word, lower_name, parse_i64};
use crate::error::CommandError;

/// The largest absolute deadline Redis accepts: 2^46 - 1 ms (`HFE_MAX_ABS_TIME_MSEC`).
pub(crate) const MAX_EXPIRE_AT_MS: i64 = (1 << 46) - 1;

/// Which numfields error a command family sends. The texts differ for historical reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumFields {
    /// HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT.
    Hexpire,
    /// HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST, HGETDEL, HGETEX.
    Positive,
}

impl NumFields {
    fn error(self) -> CommandError {
        match self {
            NumFields::Hexpire => CommandError::NumFieldsNotPositive,
            NumFields::Positive => CommandError::NumberOfFieldsNotPositive,
        }
    }
}

/// Parses `FIELDS numfields field...` whose `FIELDS` word must be at `argv[at]`, and returns
/// the field names (duplicates kept, in order).
///
/// Errors, in the order Redis checks them:
/// 1. `argv[at]` is not `FIELDS` (any case, up to a NUL) → `FieldsMissing`;
/// 2. numfields not an integer in 1..=i64::MAX (so `01`, `x`, `0`, `-1`) → the family's text;
/// 3. numfields != the number of arguments after it → `NumFieldsMismatch`.
pub(crate) fn fields_block(
    argv: &[Vec<u8>],
    at: usize,
    family: NumFields,
) -> Result<&[Vec<u8>], CommandError> {
    // A C-string compare, as Redis's strcasecmp: `FIELDS\0junk` is accepted (8.2.3).
    if !argv.get(at).is_some_and(|w| is_c_word(w, "FIELDS")) {
        return Err(CommandError::FieldsMissing);
    }
    // WHY one error for "not an integer" and "< 1": Redis passes its own message to
    // getRangeLongFromObjectOrReply, which uses it for both failures.
    let numfields = argv
        .get(at + 1)
        .and_then(|n| parse_i64(n))
        .filter(|n| *n >= 1)
        .ok_or_else(|| family.error())?;
    let fields = &argv[at + 2..];
    if numfields as u64 != fields.len() as u64 {
        return Err(CommandError::NumFieldsMismatch);
    }
    Ok(fields)
}

/// HSETEX's block: `argv[at]` is numfields (the `FIELDS` word is at `at - 1` and already
/// matched by the caller's option loop), followed by exactly numfields field/value pairs.
/// Returns the flat `field value field value ...` slice.
///
/// Errors: fewer than 3 arguments from `FIELDS` on → arity; numfields not in 1..=INT_MAX →
/// `invalid number of fields`; the rest not exactly 2·numfields → arity (HSETEX has no
/// mismatch text of its own).
pub(crate) fn field_value_pairs<'a>(
    argv: &'a [Vec<u8>],
    at: usize,
    cmd: &[u8],
) -> Result<&'a [Vec<u8>], CommandError> {
    let arity = || CommandError::WrongArity(lower_name(cmd));
    // `FIELDS` needs numfields plus at least one pair after it.
    if argv.len() < at + 3 {
        return Err(arity());
    }
    let numfields = parse_i64(&argv[at])
        .filter(|n| (1..=i64::from(i32::MAX)).contains(n))
        .ok_or(CommandError::InvalidNumberOfFields)?;
    let rest = &argv[at + 1..];
    if rest.len() as u64 != 2 * numfields as u64 {
        return Err(arity());
    }
    Ok(rest)
}

/// The unit of a time argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    Seconds,
    Millis,
}

/// Redis's `parseExpireTime` on `argv[i]`: the absolute deadline in unix ms.
///
/// `base_ms` is `now` for relative forms (EX, PX, HEXPIRE, HPEXPIRE) and 0 for absolute ones
/// (EXAT, PXAT, HEXPIREAT, HPEXPIREAT). Checks, in Redis's order:
/// 1. not an integer → `NotInteger`;
/// 2. negative → `NegativeExpireTime`;
/// 3. seconds above `MAX / 1000` → `InvalidExpireTime(cmd)` (so the `* 1000` cannot overflow);
/// 4. the value in ms above `MAX - base_ms` → the same error.
///
/// `cmd` is `argv[0]`; the error names it in lower case.
pub(crate) fn parse_expire_time(
    argv: &[Vec<u8>],
    i: usize,
    unit: TimeUnit,
    base_ms: i64,
) -> Result<i64, CommandError> {
    let too_big = || CommandError::InvalidExpireTime(lower_name(&argv[0]));
    let mut value = parse_i64(&argv[i]).ok_or(CommandError::NotInteger)?;
    if value < 0 {
        return Err(CommandError::NegativeExpireTime);
    }
    if unit == TimeUnit::Seconds {
        if value > MAX_EXPIRE_AT_MS / 1000 {
            return Err(too_big());
        }
        value *= 1000;
    }
    if value > MAX_EXPIRE_AT_MS - base_ms {
        return Err(too_big());
    }
    Ok(value + base_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::argv;

    #[test]
    fn fields_block_returns_the_fields() {
        let a = argv("HTTL h fields 3 a b a");
        let f = fields_block(&a, 2, NumFields::Positive).unwrap();
        assert_eq!(f, &argv("a b a")[..]);
    }

    #[test]
    fn fields_block_errors_in_order() {
        let e = |line: &str, at, fam| fields_block(&argv(line), at, fam).unwrap_err();
        use CommandError::*;
        // FIELDS word checked before numfields.
        assert_eq!(e("HTTL h FOO 0 a", 2, NumFields::Positive), FieldsMissing);
        for bad in ["0", "-1", "x", "01", "9223372036854775808", "+1"] {
            let line = format!("HTTL h FIELDS {bad} a");
            assert_eq!(
                e(&line, 2, NumFields::Positive),
                NumberOfFieldsNotPositive,
                "{bad}"
            );
            let line = format!("HEXPIRE h 1 FIELDS {bad} a");
            assert_eq!(
                e(&line, 3, NumFields::Hexpire),
                NumFieldsNotPositive,
                "{bad}"
            );
        }
        assert_eq!(
            e("HTTL h FIELDS 2 a", 2, NumFields::Positive),
            NumFieldsMismatch
        );
        assert_eq!(
            e("HTTL h FIELDS 1 a b", 2, NumFields::Positive),
            NumFieldsMismatch
        );
        assert_eq!(
            e(
                "HTTL h FIELDS 9223372036854775807 a",
                2,
                NumFields::Positive
            ),
            NumFieldsMismatch
        );
    }

    #[test]
    fn hsetex_pairs() {
        let a = argv("HSETEX h FIELDS 2 a 1 b 2");
        assert_eq!(
            field_value_pairs(&a, 3, b"HSETEX").unwrap(),
            &argv("a 1 b 2")[..]
        );
        let e = |line: &str| field_value_pairs(&argv(line), 3, b"HSETEX").unwrap_err();
        let arity = CommandError::WrongArity("hsetex".into());
        assert_eq!(e("HSETEX h FIELDS 1 a"), arity);
        assert_eq!(
            e("HSETEX h FIELDS 0 a b"),
            CommandError::InvalidNumberOfFields
        );
        assert_eq!(
            e("HSETEX h FIELDS x a b"),
            CommandError::InvalidNumberOfFields
        );
        assert_eq!(
            e("HSETEX h FIELDS 01 a b"),
            CommandError::InvalidNumberOfFields
        );
        assert_eq!(
            e("HSETEX h FIELDS 2147483648 a b"),
            CommandError::InvalidNumberOfFields
        );
        assert_eq!(e("HSETEX h FIELDS 2147483647 a b"), arity);
        assert_eq!(e("HSETEX h FIELDS 2 a b"), arity);
        assert_eq!(e("HSETEX h FIELDS 1 a b c"), arity);
    }

    #[test]
    fn expire_time_limits_and_order() {
        let p = |t: &str, unit, base| {
            parse_expire_time(&argv(&format!("HPEXPIREAT {t}")), 1, unit, base)
        };
        let too_big = Err(CommandError::InvalidExpireTime("hpexpireat".into()));
        assert_eq!(
            p("70368744177663", TimeUnit::Millis, 0),
            Ok(MAX_EXPIRE_AT_MS)
        );
        assert_eq!(p("70368744177664", TimeUnit::Millis, 0), too_big);
        assert_eq!(
            p("70368744177", TimeUnit::Seconds, 0),
            Ok(70_368_744_177_000)
        );
        assert_eq!(p("70368744178", TimeUnit::Seconds, 0), too_big);
        // Relative: the limit shrinks by the base.
        assert_eq!(
            p("70368744177", TimeUnit::Seconds, 663),
            Ok(MAX_EXPIRE_AT_MS)
        );
        assert_eq!(p("70368744177", TimeUnit::Seconds, 664), too_big);
        assert_eq!(
            p("70368744177662", TimeUnit::Millis, 1),
            Ok(MAX_EXPIRE_AT_MS)
        );
        assert_eq!(p("70368744177663", TimeUnit::Millis, 1), too_big);
        assert_eq!(p("0", TimeUnit::Seconds, 5), Ok(5));
        // Order: integer, then sign, then size.
        assert_eq!(p("x", TimeUnit::Seconds, 0), Err(CommandError::NotInteger));
        assert_eq!(
            p("1.5", TimeUnit::Seconds, 0),
            Err(CommandError::NotInteger)
        );
        assert_eq!(
            p("-1", TimeUnit::Seconds, 0),
            Err(CommandError::NegativeExpireTime)
        );
        assert_eq!(
            p("-9223372036854775808", TimeUnit::Seconds, 0),
            Err(CommandError::NegativeExpireTime)
        );
        assert_eq!(p("9223372036854775807", TimeUnit::Seconds, 0), too_big);
        assert_eq!(p("9223372036854775807", TimeUnit::Millis, 5), too_big);
    }
}
