//! A step of a case: `send:` with its arguments and options, or `wait:`.

use super::*;

impl Loader<'_> {
    pub(super) fn step(&self, item: &Value, line: usize, end: usize) -> Result<Step> {
        let Value::Mapping(map) = item else {
            return Err(self.error(line, "expected a step starting with `send:` or `wait:`"));
        };
        let key_line = |k: &str| self.key_line(line, end, k);
        if let Some(wait) = map.get("wait") {
            self.known_keys(
                map,
                WAIT_KEYS,
                "in a wait step (it has nothing else)",
                key_line,
            )?;
            let ms = wait
                .as_u64()
                .ok_or_else(|| self.error(line, "expected a number of milliseconds after wait:"))?;
            if ms > MAX_WAIT_MS {
                return Err(self.error(
                    line,
                    format!(
                        "wait: {ms} is longer than a case may wait (at most {MAX_WAIT_MS} ms, one hour)"
                    ),
                ));
            }
            return Ok(Step::Wait {
                ms,
                line,
                note: self.optional_string(map, "note", key_line("note"))?,
            });
        }
        let Some(send) = map.get("send") else {
            return Err(self.error(line, "expected a step starting with `send:` or `wait:`"));
        };
        self.known_keys(map, SEND_KEYS, "in a send step", key_line)?;
        self.check_spelling(line, end)?;
        let Value::Sequence(words) = send else {
            return Err(self.error(line, "expected a list of arguments after send:"));
        };
        if words.is_empty() {
            return Err(self.error(line, "expected a list of arguments after send:, not []"));
        }
        let args = words
            .iter()
            .map(|w| self.arg(w, line))
            .collect::<Result<Vec<_>>>()?;
        let expect = match map.get("expect") {
            None => None,
            Some(v) => Some(self.expect(v, key_line("expect"))?),
        };
        let order = match map.get("order") {
            None => None,
            Some(v) => Some(match v.as_str() {
                Some("any") => Order::Any,
                Some("exact") => Order::Exact,
                _ => {
                    return Err(
                        self.error(key_line("order"), "expected `order: any` or `order: exact`")
                    )
                }
            }),
        };
        let random = match map.get("random") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                return Err(self.error(
                    key_line("random"),
                    "expected `random: true` or `random: false`",
                ))
            }
        };
        let scan = match map.get("scan") {
            None => None,
            Some(v) => Some(match v.as_str() {
                Some("walk") => ScanMode::Walk,
                Some("once") => ScanMode::Once,
                _ => {
                    return Err(
                        self.error(key_line("scan"), "expected `scan: walk` or `scan: once`")
                    )
                }
            }),
        };
        let ttl_within = match map.get("ttl_within") {
            None => None,
            Some(v) => Some(v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
                self.error(
                    key_line("ttl_within"),
                    "expected a tolerance (an integer >= 0) after ttl_within:",
                )
            })?),
        };
        let errors = match map.get("errors") {
            None => None,
            Some(v) => Some(match v.as_str() {
                Some("exact") => ErrorMatch::Exact,
                Some("code") => ErrorMatch::Code,
                Some("any") => ErrorMatch::Any,
                _ => {
                    return Err(self.error(
                        key_line("errors"),
                        "expected `errors: exact`, `code` or `any`",
                    ))
                }
            }),
        };
        let command = match args.first() {
            Some(Arg::Bytes(name)) => String::from_utf8_lossy(name).to_ascii_uppercase(),
            _ => String::new(),
        };
        if random.is_some() && command != "HRANDFIELD" {
            return Err(self.error(key_line("random"), "random: applies to HRANDFIELD only"));
        }
        if scan.is_some() && command != "HSCAN" {
            return Err(self.error(key_line("scan"), "scan: applies to HSCAN only"));
        }
        Ok(Step::Send(Send {
            args,
            expect,
            order,
            random,
            scan,
            ttl_within,
            errors,
            note: self.optional_string(map, "note", key_line("note"))?,
            line,
        }))
    }

    /// Rejects plain scalars whose spelling YAML would not keep, in the step's lines.
    pub(super) fn check_spelling(&self, line: usize, end: usize) -> Result<()> {
        for n in line..end.min(self.lines.len() + 1) {
            let text = self.lines[n - 1];
            let body = text.trim_start();
            let body = body.strip_prefix("- ").unwrap_or(body).trim_start();
            if body.starts_with("note:") || body.starts_with('#') {
                continue;
            }
            if let Some(token) = plain_tokens(text).into_iter().find(|t| respelled(t)) {
                return Err(self.error(
                    n,
                    format!("quote this scalar: YAML does not keep the spelling of {token} (write \"{token}\")"),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn arg(&self, word: &Value, line: usize) -> Result<Arg> {
        match word {
            Value::String(s) => Ok(Arg::Bytes(s.as_bytes().to_vec())),
            Value::Number(n) => match n.as_i64().map(|i| i.to_string()).or(n.as_u64().map(|u| u.to_string())) {
                Some(text) => Ok(Arg::Bytes(text.into_bytes())),
                None => Err(self.error(line, format!("quote this argument: YAML reads {n} as a float and may respell it (write \"{n}\")"))),
            },
            Value::Mapping(map) if map.len() == 1 => {
                let (key, value) = map.iter().next().expect("one entry");
                match key.as_str() {
                    Some("hex") => Ok(Arg::Bytes(self.hex(value, line)?)),
                    Some("unix_s") => Ok(Arg::UnixS(self.int(value, line, "unix_s")?)),
                    Some("unix_ms") => Ok(Arg::UnixMs(self.int(value, line, "unix_ms")?)),
                    _ => Err(self.error(line, "expected an argument: a string, an integer, {hex: ..}, {unix_s: n} or {unix_ms: n}")),
                }
            }
            Value::Bool(_) | Value::Null => Err(self.error(
                line,
                format!("quote this argument: YAML reads it as {}", describe(word)),
            )),
            _ => Err(self.error(line, "expected an argument: a string, an integer, {hex: ..}, {unix_s: n} or {unix_ms: n}")),
        }
    }

    pub(super) fn int(&self, value: &Value, line: usize, what: &str) -> Result<i64> {
        value
            .as_i64()
            .ok_or_else(|| self.error(line, format!("expected an integer after {what}:")))
    }

    pub(super) fn hex(&self, value: &Value, line: usize) -> Result<Vec<u8>> {
        let Some(text) = value.as_str() else {
            return Err(self.error(line, "expected a quoted string of hex digits after hex:"));
        };
        decode_hex(text).ok_or_else(|| {
            self.error(
                line,
                format!("expected pairs of hex digits after hex:, found {text:?}"),
            )
        })
    }
}
