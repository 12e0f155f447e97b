//! The small fields of files and cases (`since`, `resp`, `requires`, strings and lists), and
//! the check that a mapping holds only the keys it may.

use super::*;

impl Loader<'_> {
    pub(super) fn known_keys(
        &self,
        map: &Mapping,
        known: &[&str],
        place: &str,
        line_of: impl Fn(&str) -> usize,
    ) -> Result<()> {
        for key in map.keys() {
            match key.as_str() {
                Some(k) if known.contains(&k) => {}
                Some(k) => {
                    return Err(self.error(
                        line_of(k),
                        format!(
                            "unknown key `{k}` {place}; expected one of {}",
                            known.join(", ")
                        ),
                    ))
                }
                None => return Err(self.error(line_of(""), format!("keys {place} must be names"))),
            }
        }
        Ok(())
    }

    pub(super) fn required_string(
        &self,
        map: &Mapping,
        key: &str,
        line: usize,
        missing_line: usize,
    ) -> Result<String> {
        match map.get(key) {
            None => Err(self.error(missing_line, format!("missing `{key}:`"))),
            Some(_) => Ok(self.optional_string(map, key, line)?.unwrap_or_default()),
        }
    }

    pub(super) fn optional_string(
        &self,
        map: &Mapping,
        key: &str,
        line: usize,
    ) -> Result<Option<String>> {
        match map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(self.error(line, format!("expected some text after {key}:"))),
        }
    }

    pub(super) fn since(&self, value: Option<&Value>, line: usize) -> Result<Option<Version>> {
        match value {
            None => Ok(None),
            Some(Value::String(s)) => Version::parse(s).map(Some).ok_or_else(|| {
                self.error(
                    line,
                    format!("expected a version like \"7.4.0\" after since:, found {s:?}"),
                )
            }),
            Some(_) => Err(self.error(
                line,
                "expected a quoted version after since:, e.g. since: \"7.4.0\"",
            )),
        }
    }

    pub(super) fn string_list(
        &self,
        value: &Value,
        line: usize,
        what: &str,
    ) -> Result<Vec<String>> {
        let Value::Sequence(items) = value else {
            return Err(self.error(line, format!("expected a list after {what}:")));
        };
        items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_string).ok_or_else(|| {
                    self.error(line, format!("expected words in the list after {what}:"))
                })
            })
            .collect()
    }

    pub(super) fn protocols(&self, value: &Value, line: usize) -> Result<Vec<Protocol>> {
        let bad = || self.error(line, "expected resp: [2], [3] or [2, 3]");
        let Value::Sequence(items) = value else {
            return Err(bad());
        };
        let mut out = Vec::new();
        for item in items {
            let p = match item.as_i64() {
                Some(2) => Protocol::Resp2,
                Some(3) => Protocol::Resp3,
                _ => return Err(bad()),
            };
            if out.contains(&p) {
                return Err(bad());
            }
            out.push(p);
        }
        if out.is_empty() {
            return Err(bad());
        }
        out.sort_by_key(|p| p.version());
        Ok(out)
    }

    pub(super) fn capabilities(&self, value: &Value, line: usize) -> Result<Vec<Capability>> {
        let names = self.string_list(value, line, "requires")?;
        names
            .iter()
            .map(|n| {
                Capability::ALL
                    .into_iter()
                    .find(|c| c.name() == n)
                    .ok_or_else(|| {
                        let known: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
                        self.error(
                            line,
                            format!(
                                "unknown capability {n:?}; expected one of {}",
                                known.join(", ")
                            ),
                        )
                    })
            })
            .collect()
    }
}
