//! An `expect:` value: a plain reply, or one of the forms (`error`, `map`, `set`, `resp2`/`resp3`,
//! `unix_ms`/`unix_s`, ...).

use super::*;

impl Loader<'_> {
    pub(super) fn expect(&self, value: &Value, line: usize) -> Result<Expect> {
        let expect = |v: &Value| self.expect(v, line);
        match value {
            Value::Null => Ok(Expect::Null),
            Value::String(s) => Ok(Expect::Bulk(s.as_bytes().to_vec())),
            Value::Number(n) => n.as_i64().map(Expect::Int).ok_or_else(|| {
                self.error(line, format!("{n} is not an integer reply: quote it for a bulk string (\"{n}\") or write {{double: {n}}}"))
            }),
            Value::Bool(b) => Err(self.error(line, format!("quote {b} for a bulk string, or write {{boolean: {b}}}"))),
            Value::Sequence(items) => Ok(Expect::Array(items.iter().map(expect).collect::<Result<_>>()?)),
            Value::Mapping(map) => self.expect_form(map, line),
            Value::Tagged(_) => Err(self.error(line, "YAML tags are not part of the case format")),
        }
    }

    /// The `{kind: ..}` forms of an expected reply.
    ///
    /// Keys are looked up by what `as_str` reads, never by indexing: a tagged key
    /// (`{!t error: x}`) reads as a string but is not one, and `map["error"]` panicked on it
    /// (found by the codec fuzz target).
    pub(super) fn expect_form(&self, map: &Mapping, line: usize) -> Result<Expect> {
        let keys: Vec<&str> = map.keys().filter_map(Value::as_str).collect();
        if keys.len() == 2 && keys.contains(&"resp2") && keys.contains(&"resp3") {
            let (Some(resp2), Some(resp3)) = (entry(map, "resp2"), entry(map, "resp3")) else {
                return Err(self.error(line, "a tagged key is not part of the case format"));
            };
            return Ok(Expect::PerProtocol {
                resp2: Box::new(self.expect(resp2, line)?),
                resp3: Box::new(self.expect(resp3, line)?),
            });
        }
        let bad = || {
            self.error(
                line,
                "expected one of {status: ..}, {error: ..}, {error_code: ..}, {map: [[k, v], ..]}, {set: [..]}, {double: ..}, {bulk: ..}, {int: ..}, {boolean: ..}, {nil_array: true}, {unix_s: n}, {unix_ms: n}, {unix_ms_in_s: n}, {ms_in_s: n} or {resp2: .., resp3: ..}",
            )
        };
        if map.len() != 1 || keys.len() != 1 {
            return Err(bad());
        }
        let Some(value) = entry(map, keys[0]) else {
            return Err(bad());
        };
        let text = |what: &str| {
            value
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| self.error(line, format!("expected a string after {what}:")))
        };
        let list = |what: &str| match value {
            Value::Sequence(items) => Ok(items),
            _ => Err(self.error(line, format!("expected a list after {what}:"))),
        };
        match keys[0] {
            "status" => Ok(Expect::Status(text("status")?)),
            "error" => Ok(Expect::Error(text("error")?)),
            "error_code" => {
                let code = text("error_code")?;
                if code.is_empty() || code.contains(' ') {
                    return Err(
                        self.error(line, "expected one word (like WRONGTYPE) after error_code:")
                    );
                }
                Ok(Expect::ErrorCode(code))
            }
            "int" => Ok(Expect::Int(self.int(value, line, "int")?)),
            "unix_s" => Ok(Expect::UnixS(self.int(value, line, "unix_s")?)),
            "unix_ms" => Ok(Expect::UnixMs(self.int(value, line, "unix_ms")?)),
            "unix_ms_in_s" => Ok(Expect::UnixMsInS(self.int(value, line, "unix_ms_in_s")?)),
            "ms_in_s" => Ok(Expect::MsInS(self.int(value, line, "ms_in_s")?)),
            "boolean" => match value {
                Value::Bool(b) => Ok(Expect::Boolean(*b)),
                _ => Err(self.error(line, "expected true or false after boolean:")),
            },
            "nil_array" => match value {
                Value::Bool(true) => Ok(Expect::NilArray),
                _ => Err(self.error(line, "write {nil_array: true}")),
            },
            "hex" => Ok(Expect::Bulk(self.hex(value, line)?)),
            "bulk" => match value {
                Value::String(s) => Ok(Expect::Bulk(s.as_bytes().to_vec())),
                Value::Number(n) if n.as_i64().is_some() => {
                    Ok(Expect::Bulk(n.to_string().into_bytes()))
                }
                Value::Mapping(m) if m.len() == 1 && m.get("hex").is_some() => {
                    Ok(Expect::Bulk(self.hex(&m["hex"], line)?))
                }
                _ => Err(self.error(line, "expected a string or {hex: ..} after bulk:")),
            },
            "double" => {
                let d = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => match s.as_str() {
                        "inf" => Some(f64::INFINITY),
                        "-inf" => Some(f64::NEG_INFINITY),
                        "nan" => Some(f64::NAN),
                        other => other.parse().ok(),
                    },
                    _ => None,
                };
                d.map(Expect::Double).ok_or_else(|| {
                    self.error(line, "expected a number, inf, -inf or nan after double:")
                })
            }
            "map" => {
                let mut pairs = Vec::new();
                for pair in list("map")? {
                    match pair {
                        Value::Sequence(kv) if kv.len() == 2 => {
                            pairs.push((self.expect(&kv[0], line)?, self.expect(&kv[1], line)?))
                        }
                        _ => return Err(self.error(line, "expected [key, value] pairs after map:")),
                    }
                }
                Ok(Expect::Map(pairs))
            }
            "set" => Ok(Expect::Set(
                list("set")?
                    .iter()
                    .map(|v| self.expect(v, line))
                    .collect::<Result<_>>()?,
            )),
            _ => Err(bad()),
        }
    }
}
