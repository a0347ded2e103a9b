//! The bearer token of a request's `Authorization` header, read as upstream's bearer-token
//! request authenticator reads it
//! (k8s.io/apiserver/pkg/authentication/request/bearertoken/bearertoken.go).

/// The token of an `Authorization` header, or `None` when the header carries no bearer
/// token at all: absent, blank, another scheme (`Basic ...`), or `Bearer` with nothing
/// after one space. The header is trimmed, split on single spaces; the scheme is compared
/// without case and the token is the second part (later parts are ignored).
///
/// `None` means "no credentials" (the request may go on as the anonymous user); a token
/// that is returned and then fails is a 401, whatever the anonymous setting.
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    let mut parts = header?.trim().splitn(3, ' ');
    let scheme = parts.next()?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    parts.next().filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_read_as_upstream_reads_them() {
        let cases: &[(Option<&str>, Option<&str>)] = &[
            (None, None),
            (Some(""), None),
            (Some("   "), None),
            (Some("Bearer abc"), Some("abc")),
            (Some("bearer abc"), Some("abc")),
            (Some("BEARER abc"), Some("abc")),
            (Some("  Bearer abc  "), Some("abc")),
            // Only the second part counts.
            (Some("Bearer abc def"), Some("abc")),
            // An empty second part is no token, even with a token after it.
            (Some("Bearer  abc"), None),
            (Some("Bearer"), None),
            (Some("Bearer "), None),
            (Some("Basic dXNlcjpwYXNz"), None),
            (Some("Bearer\tabc"), None),
            (Some("Bearerabc"), None),
        ];
        for (header, expected) in cases {
            assert_eq!(bearer_token(*header), *expected, "header {header:?}");
        }
    }
}
