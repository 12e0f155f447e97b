//! A target's address as hashcheck shows it: everywhere a target is printed or written
//! (reports in every format, matrix columns, fuzz case files and their rerun lines, errors,
//! progress lines), it goes through [`redact`]. Case files from `fuzz` are meant to be
//! committed and CI logs are read by many, so neither the password nor the user name of a
//! `redis://user:password@host` URL may appear there.

/// The URL schemes `--target` accepts, as the `redis` crate reads them.
pub const SCHEMES: &[&str] = &[
    "redis",
    "rediss",
    "valkey",
    "valkeys",
    "redis+unix",
    "valkey+unix",
    "unix",
];

/// The query parameters that carry credentials (`redis+unix:///s?user=u&pass=p`).
const SECRET_PARAMS: &[&str] = &["user", "username", "pass", "password"];

/// `spec` (a URL or `host:port`) with its user name and password replaced by `***`:
/// `redis://alice:pw@h:1/2` becomes `redis://***@h:1/2`. Everything else is kept, so the
/// address still says which server it was.
pub fn redact(spec: &str) -> String {
    let (scheme, rest) = match spec.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, spec),
    };
    // The authority ends at the first '/', '?' or '#'; userinfo is what comes before its
    // last '@' (a password may itself hold an '@').
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    let tail = redact_query(tail);
    match scheme {
        Some(scheme) => format!("{scheme}://{authority}{tail}"),
        None => format!("{authority}{tail}"),
    }
}

/// `/path?a=1&pass=x` with the values of credential parameters replaced by `***`.
fn redact_query(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.contains(&name.to_ascii_lowercase().as_str()) => {
                format!("{name}=***")
            }
            _ => param.to_string(),
        })
        .collect();
    format!("{path}?{}", params.join("&"))
}

/// Why `spec` is not an address hashcheck can use, before any URL parser sees it: a scheme
/// it does not speak (`http://`) gets a sentence listing the ones it does.
pub fn check_scheme(spec: &str) -> Result<(), String> {
    let Some((scheme, _)) = spec.split_once("://") else {
        return Ok(());
    };
    if SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
        return Ok(());
    }
    Err(format!(
        "{scheme}:// is not a Redis address; use {}, or host:port",
        SCHEMES
            .iter()
            .map(|s| format!("{s}://"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_password_are_hidden_everywhere() {
        assert_eq!(redact("redis://u:pw@h:1/2"), "redis://***@h:1/2");
        assert_eq!(redact("rediss://:pw@h:1"), "rediss://***@h:1");
        assert_eq!(redact("redis://u:p@w@h:1"), "redis://***@h:1");
        assert_eq!(redact("u:pw@h:1"), "***@h:1");
        assert_eq!(redact("h:1"), "h:1");
        assert_eq!(
            redact("redis://h:1/0?protocol=resp3"),
            "redis://h:1/0?protocol=resp3"
        );
        assert_eq!(
            redact("redis+unix:///tmp/r.sock?db=1&user=al&pass=pw"),
            "redis+unix:///tmp/r.sock?db=1&user=***&pass=***"
        );
        assert_eq!(redact("embedded"), "embedded");
    }

    #[test]
    fn unknown_schemes_list_the_known_ones() {
        let e = check_scheme("http://alice:pw@h:1").unwrap_err();
        assert!(e.contains("http:// is not a Redis address"), "{e}");
        assert!(e.contains("redis://, rediss://"), "{e}");
        assert!(check_scheme("REDIS://h:1").is_ok());
        assert!(check_scheme("h:1").is_ok());
    }
}
