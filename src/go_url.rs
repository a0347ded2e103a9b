//! The failures of Go's `url.Parse` (`net/url/url.go`, Go 1.24, which Kubernetes 1.33 is
//! built with), worded as its `*url.Error`: `parse "<url>": <reason>`. kube-apiserver
//! checks `--service-account-issuer` and `--service-account-jwks-uri` with it, so a URL it
//! refuses is refused here in its words. Only the checks are ported; nothing is decoded.

use crate::apiserver::validation::go_format::go_quote;

/// `Ok` when Go's `url.Parse(raw)` succeeds, else its error text, e.g. `parse "http://a b":
/// invalid character " " in host name` or `parse "https://x/%zz": invalid URL escape
/// "%zz"`. As Go does, a failure before the fragment quotes the URL without it.
pub(crate) fn check(raw: &str) -> Result<(), String> {
    let (main, fragment) = match raw.split_once('#') {
        Some((main, fragment)) => (main, Some(fragment)),
        None => (raw, None),
    };
    check_before_fragment(main).map_err(|reason| format!("parse {}: {reason}", go_quote(main)))?;
    if let Some(fragment) = fragment {
        unescape(fragment, Encoding::Other)
            .map_err(|reason| format!("parse {}: {reason}", go_quote(raw)))?;
    }
    Ok(())
}

/// The parts of a URL Go's `url.Parse` yields, as far as kube-sa's checks need them.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct UrlParts {
    /// `https`, lower-cased; empty when absent.
    pub scheme: String,
    /// `user[:password]` before an `@`, when present.
    pub user: Option<String>,
    /// `host[:port]`; empty for an opaque URL (`https:host`) or one without `//`.
    pub host: String,
    /// The path, possibly empty.
    pub path: String,
    /// After `?`, without it.
    pub query: String,
    /// After `#`, without it.
    pub fragment: String,
}

/// `raw` split as Go's `url.Parse` splits it, once [`check`] has passed it.
///
/// Errors: [`check`]'s text.
pub(crate) fn parse(raw: &str) -> Result<UrlParts, String> {
    check(raw)?;
    let mut parts = UrlParts::default();
    let (mut rest, fragment) = raw.split_once('#').unwrap_or((raw, ""));
    parts.fragment = fragment.to_string();
    if let Ok(Some(after)) = scheme(rest) {
        parts.scheme = rest[..rest.len() - after.len() - 1].to_ascii_lowercase();
        rest = after;
    }
    if let Some((before, query)) = rest.split_once('?') {
        parts.query = query.to_string();
        rest = before;
    }
    if !parts.scheme.is_empty() && !rest.starts_with('/') {
        // Opaque: no host, no path.
        return Ok(parts);
    }
    let Some(after) = rest.strip_prefix("//") else {
        parts.path = rest.to_string();
        return Ok(parts);
    };
    let (authority, path) = after.split_at(after.find('/').unwrap_or(after.len()));
    parts.host = match authority.rsplit_once('@') {
        Some((user, host)) => {
            parts.user = Some(user.to_string());
            host.to_string()
        }
        None => authority.to_string(),
    };
    parts.path = path.to_string();
    Ok(parts)
}

/// A path as Go's `url.Parse` decodes it into `URL.Path`: every `%XX` a byte (the path has
/// passed [`check`], so every escape is whole).
pub(crate) fn unescape_path(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            decoded.push(hex(bytes[i + 1]) << 4 | hex(bytes[i + 2]));
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    decoded
}

/// A path as Go's `URL.EscapedPath` writes a `URL.Path` back (`escape(path, encodePath)`):
/// letters, digits, `-_.~` and `$&+,/:;=@` as they are, every other byte as `%XX`.
pub(crate) fn escape_path(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_'
                    | b'.'
                    | b'~'
                    | b'$'
                    | b'&'
                    | b'+'
                    | b','
                    | b'/'
                    | b':'
                    | b';'
                    | b'='
                    | b'@'
            )
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Which part of a URL is unescaped (Go's `encoding` modes that check differently).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Host,
    Zone,
    Other,
}

/// Go's `parse(rawURL, viaRequest=false)`, the URL without its fragment.
fn check_before_fragment(url: &str) -> Result<(), String> {
    if url.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    if url == "*" {
        return Ok(());
    }
    let (has_scheme, rest) = match scheme(url)? {
        Some(rest) => (true, rest),
        None => (false, url),
    };
    // The query is not checked.
    let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
    if !rest.starts_with('/') {
        if has_scheme {
            // A rootless path is opaque, and not checked.
            return Ok(());
        }
        let segment = rest.split('/').next().unwrap_or_default();
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    let mut path = rest;
    if (has_scheme || !rest.starts_with("///")) && rest.starts_with("//") {
        let after = &rest[2..];
        let (authority, after_authority) = after.split_at(after.find('/').unwrap_or(after.len()));
        parse_authority(authority)?;
        path = after_authority;
    }
    unescape(path, Encoding::Other)
}

/// Go's `getScheme`: the rest after `scheme:`, `None` when there is no scheme.
fn scheme(url: &str) -> Result<Option<&str>, String> {
    for (i, c) in url.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i == 0 => return Ok(None),
            b'0'..=b'9' | b'+' | b'-' | b'.' => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok(Some(&url[i + 1..])),
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Go's `parseAuthority`: the host, then the user information before the last `@`.
fn parse_authority(authority: &str) -> Result<(), String> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    parse_host(host)?;
    if let Some(userinfo) = userinfo {
        if !userinfo.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '-' | '.'
                        | '_'
                        | ':'
                        | '~'
                        | '!'
                        | '$'
                        | '&'
                        | '\''
                        | '('
                        | ')'
                        | '*'
                        | '+'
                        | ','
                        | ';'
                        | '='
                        | '%'
                        | '@'
                )
        }) {
            return Err("net/url: invalid userinfo".into());
        }
        for part in userinfo.splitn(2, ':') {
            unescape(part, Encoding::Other)?;
        }
    }
    Ok(())
}

/// Go's `parseHost`: a bracketed IPv6 literal (with an optional `%25` zone) or a name, and
/// an optional numeric port.
fn parse_host(host: &str) -> Result<(), String> {
    if host.starts_with('[') {
        let Some(close) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let colon_port = &host[close + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", go_quote(colon_port)));
        }
        if let Some(zone) = host[..close].find("%25") {
            unescape(&host[..zone], Encoding::Host)?;
            unescape(&host[zone..close], Encoding::Zone)?;
            return unescape(&host[close..], Encoding::Host);
        }
    } else if let Some(colon) = host.rfind(':') {
        let colon_port = &host[colon..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", go_quote(colon_port)));
        }
    }
    unescape(host, Encoding::Host)
}

/// Go's `validOptionalPort`: empty, or `:` and digits.
fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The checks of Go's `unescape`: every `%` starts two hex digits; in a host, an escape
/// stands for a byte of 0x80 or more (or is `%25`), and ASCII outside the host's
/// characters is refused.
fn unescape(s: &str, mode: Encoding) -> Result<(), String> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let escape = |len: usize| {
                let end = (i + len).min(bytes.len());
                format!(
                    "invalid URL escape {}",
                    go_quote(&String::from_utf8_lossy(&bytes[i..end]))
                )
            };
            if i + 2 >= bytes.len()
                || !bytes[i + 1].is_ascii_hexdigit()
                || !bytes[i + 2].is_ascii_hexdigit()
            {
                return Err(escape(3));
            }
            let value = hex(bytes[i + 1]) << 4 | hex(bytes[i + 2]);
            let is_25 = &bytes[i..i + 3] == b"%25";
            match mode {
                Encoding::Host if hex(bytes[i + 1]) < 8 && !is_25 => return Err(escape(3)),
                Encoding::Zone if !is_25 && value != b' ' && host_needs_escape(value) => {
                    return Err(escape(3))
                }
                _ => {}
            }
            i += 3;
        } else {
            let c = bytes[i];
            if matches!(mode, Encoding::Host | Encoding::Zone) && c < 0x80 && host_needs_escape(c) {
                return Err(format!(
                    "invalid character {} in host name",
                    go_quote(&char::from(c).to_string())
                ));
            }
            i += 1;
        }
    }
    Ok(())
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Go's `shouldEscape(c, encodeHost)` for an ASCII byte.
fn host_needs_escape(c: u8) -> bool {
    !(c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'_'
                | b'.'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        ))
}

#[cfg(test)]
mod tests {
    use super::{check, parse};

    #[test]
    fn urls_split_as_go_splits_them() {
        let parts = parse("HTTPS://u@h.example.com:8443/a/b?q=1#f").expect("parses");
        assert_eq!(
            (
                parts.scheme.as_str(),
                parts.user.as_deref(),
                parts.host.as_str(),
                parts.path.as_str(),
                parts.query.as_str(),
                parts.fragment.as_str()
            ),
            ("https", Some("u"), "h.example.com:8443", "/a/b", "q=1", "f")
        );
        assert_eq!(
            parse(":x").expect_err("no scheme"),
            "parse \":x\": missing protocol scheme"
        );
        assert_eq!(parse("https://[::1]:443/").expect("v6").host, "[::1]:443");
        assert_eq!(parse("https:opaque").expect("opaque").host, "");
        // client-go sends the decoded path, escaped again.
        for (written, sent) in [
            ("/a%2Fb", "/a/b"),
            ("/x/%41", "/x/A"),
            ("/q%20r", "/q%20r"),
            ("/e%C3%A9", "/e%C3%A9"),
            ("/%FF", "/%FF"),
            ("/a?b", "/a%3Fb"),
        ] {
            assert_eq!(
                super::escape_path(&super::unescape_path(written)),
                sent,
                "{written}"
            );
        }
        assert_eq!(
            parse("https://a b/").expect_err("space in host"),
            "parse \"https://a b/\": invalid character \" \" in host name"
        );
    }

    /// Each answer is what Go 1.24's `url.Parse` says of the input.
    #[test]
    fn urls_are_refused_as_go_refuses_them() {
        let cases: &[(&str, Option<&str>)] = &[
            ("https://kubernetes.default.svc", None),
            ("https://a.example:6443/path?q=%zz#frag", None),
            ("https://user:p%40ss@a.example/", None),
            ("https://[::1]:443/x", None),
            ("https://[fe80::1%25eth0]/", None),
            ("https:opaque%zz", None),
            ("kubernetes/serviceaccount", None),
            ("https://é.example/", None),
            (":nope", Some(r#"parse ":nope": missing protocol scheme"#)),
            ("a:b/c", None),
            (
                "1a:b",
                Some(r#"parse "1a:b": first path segment in URL cannot contain colon"#),
            ),
            (
                "http://a b",
                Some(r#"parse "http://a b": invalid character " " in host name"#),
            ),
            (
                "https://x/%zz",
                Some(r#"parse "https://x/%zz": invalid URL escape "%zz""#),
            ),
            (
                "https://x/%4",
                Some(r#"parse "https://x/%4": invalid URL escape "%4""#),
            ),
            (
                "https://x/a%",
                Some(r#"parse "https://x/a%": invalid URL escape "%""#),
            ),
            (
                "https://%41.example/",
                Some(r#"parse "https://%41.example/": invalid URL escape "%41""#),
            ),
            (
                "https://x/#%zz",
                Some(r#"parse "https://x/#%zz": invalid URL escape "%zz""#),
            ),
            (
                "https://a b/#frag",
                Some(r#"parse "https://a b/": invalid character " " in host name"#),
            ),
            (
                "https://a.example:port",
                Some(r#"parse "https://a.example:port": invalid port ":port" after host"#),
            ),
            (
                "http://[::1",
                Some(r#"parse "http://[::1": missing ']' in host"#),
            ),
            (
                "http://[::1]:namedport",
                Some(r#"parse "http://[::1]:namedport": invalid port ":namedport" after host"#),
            ),
            (
                "https://us{er@a.example/",
                Some(r#"parse "https://us{er@a.example/": net/url: invalid userinfo"#),
            ),
            (
                "https://a.example/\u{7f}",
                Some(
                    "parse \"https://a.example/\\x7f\": net/url: invalid control character in URL",
                ),
            ),
        ];
        for (url, want) in cases {
            assert_eq!(check(url).err().as_deref(), *want, "{url}");
        }
    }
}
