//! Warnings for the client (`Warning: 299 - "text"` response headers), recorded while a
//! request is handled, as upstream's warning recorder does
//! (`k8s.io/apiserver/pkg/endpoints/filters/warning.go`, `k8s.io/apimachinery/pkg/util/net`
//! `NewWarningHeader`): each text once, in the order added, written to whatever response
//! the request ends with (an error included).

use http::{header, HeaderMap, HeaderValue};
use std::sync::{Arc, Mutex};

/// The warnings of one request; clones share them.
#[derive(Debug, Clone, Default)]
pub struct WarningRecorder(Arc<Mutex<Vec<String>>>);

impl WarningRecorder {
    /// Records `text` unless it is empty or already recorded.
    pub fn add(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut texts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !texts.iter().any(|t| t == text) {
            texts.push(text.to_string());
        }
    }

    /// The recorded texts, oldest first.
    pub fn texts(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Appends every recorded text to `headers` as a `Warning` header.
    pub fn write_to(&self, headers: &mut HeaderMap) {
        append_warnings(headers, &self.texts());
    }
}

/// Appends one `Warning: 299 - "<text>"` header per text (`\` and `"` escaped); texts that
/// cannot be a header value (control characters) are skipped, as upstream skips them.
pub fn append_warnings(headers: &mut HeaderMap, texts: &[String]) {
    for text in texts {
        if let Ok(value) = HeaderValue::from_bytes(warning_header(text).as_bytes()) {
            headers.append(header::WARNING, value);
        }
    }
}

/// `299 - "<text>"` with upstream's quoting.
fn warning_header(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 8);
    quoted.push_str("299 - \"");
    for c in text.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_deduplicated_quoted_and_kept_in_order() {
        let recorder = WarningRecorder::default();
        for text in [
            "b \"quoted\" \\ x",
            "a",
            "b \"quoted\" \\ x",
            "",
            "line\nbreak",
        ] {
            recorder.add(text);
        }
        let mut headers = HeaderMap::new();
        recorder.write_to(&mut headers);
        let values: Vec<&str> = headers
            .get_all(header::WARNING)
            .iter()
            .map(|v| v.to_str().expect("ascii"))
            .collect();
        // The text with a line break cannot be a header value and is dropped.
        assert_eq!(values, vec![r#"299 - "b \"quoted\" \\ x""#, r#"299 - "a""#]);
    }
}
