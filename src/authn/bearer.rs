//! The bearer token of a request's `Authorization` header, read as upstream's bearer-token
//! request authenticator reads it
//! (k8s.io/apiserver/pkg/authentication/request/bearertoken/bearertoken.go).

/// The warning for `Bearer  <token>` (two spaces): the token is ignored, upstream's
/// `invalidTokenWithSpaceWarning`.
pub const SPACE_BEFORE_TOKEN_WARNING: &str =
    "the provided Authorization header contains extra space before the bearer token, and is ignored";

/// What an `Authorization` header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerHeader<'a> {
    /// A bearer token, to be authenticated; if it fails the request is a 401.
    Token(&'a str),
    /// No bearer token: no header, a blank one, another scheme (`Basic ...`), or `Bearer`
    /// with nothing after it. The request has no credentials.
    Absent,
    /// `Bearer` followed by two spaces: no credentials either, and the client is warned
    /// ([`SPACE_BEFORE_TOKEN_WARNING`]).
    SpaceBeforeToken,
}

/// Reads an `Authorization` header: trimmed, split on single spaces (at most three
/// parts); the scheme is compared without case and the token is the second part (a
/// third part is ignored).
pub fn bearer_token(header: Option<&str>) -> BearerHeader<'_> {
    let Some(header) = header else {
        return BearerHeader::Absent;
    };
    let parts: Vec<&str> = header.trim().splitn(3, ' ').collect();
    match parts.as_slice() {
        [scheme, token, ..] if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
            BearerHeader::Token(token)
        }
        [scheme, _, _] if scheme.eq_ignore_ascii_case("bearer") => BearerHeader::SpaceBeforeToken,
        _ => BearerHeader::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BearerHeader::{Absent, SpaceBeforeToken, Token};

    #[test]
    fn tokens_are_read_as_upstream_reads_them() {
        let cases: &[(Option<&str>, BearerHeader)] = &[
            (None, Absent),
            (Some(""), Absent),
            (Some("   "), Absent),
            (Some("Bearer abc"), Token("abc")),
            (Some("bearer abc"), Token("abc")),
            (Some("BEARER abc"), Token("abc")),
            (Some("  Bearer abc  "), Token("abc")),
            // Only the second part counts.
            (Some("Bearer abc def"), Token("abc")),
            // An empty second part is no token, even with a token after it.
            (Some("Bearer  abc"), SpaceBeforeToken),
            (Some("Bearer   abc"), SpaceBeforeToken),
            (Some("Bearer"), Absent),
            (Some("Bearer "), Absent),
            (Some("Basic dXNlcjpwYXNz"), Absent),
            (Some("Basic  x"), Absent),
            (Some("Bearer\tabc"), Absent),
            (Some("Bearerabc"), Absent),
        ];
        for (header, expected) in cases {
            assert_eq!(bearer_token(*header), *expected, "header {header:?}");
        }
    }
}
