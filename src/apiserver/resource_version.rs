//! A request's `resourceVersion` parameter as kube-apiserver's storage parses it
//! (`APIObjectVersioner.ParseResourceVersion`: Go's `strconv.ParseUint`, base 10), with
//! the error each reader makes of a value that is not a number.

use super::errors::ApiError;
use super::validation::go_format::go_quote;

/// The revision `version` names.
///
/// Errors: the versioner's field error, `resourceVersion: Invalid value: "abc":
/// strconv.ParseUint: parsing "abc": invalid syntax` (or `value out of range`); a leading
/// `+`, which Rust's parse takes and Go's does not, is invalid syntax.
pub(crate) fn parse(version: &str) -> Result<u64, String> {
    let refuse = |why: &str| {
        let quoted = go_quote(version);
        format!(
            "resourceVersion: Invalid value: {quoted}: strconv.ParseUint: parsing {quoted}: {why}"
        )
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse("invalid syntax"));
    }
    version
        .parse::<u64>()
        .map_err(|_| refuse("value out of range"))
}

/// A list's `resourceVersion`, as etcd3's `ValidateListOptions` refuses it.
///
/// Errors: 400 `invalid resource version: ` and [`parse`]'s text.
pub(crate) fn parse_for_list(version: &str) -> Result<u64, ApiError> {
    parse(version).map_err(|why| ApiError::bad_request(format!("invalid resource version: {why}")))
}

/// A get's or watch's `resourceVersion`, as the cacher parses it. Its parse error is not a
/// Status, so the answer is a 500 without a reason.
///
/// Errors: 500 with [`parse`]'s text.
pub(crate) fn parse_in_cacher(version: &str) -> Result<u64, ApiError> {
    parse(version).map_err(|why| ApiError::new(500, "", why))
}
