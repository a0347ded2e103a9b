//! Partial matching of an object against expected YAML, with a field-level diff.
//!
//! Maps: every expected key must match; extra actual keys are ignored unless
//! `exact_keys`. Lists: as many items as expected; maps with a `name` are paired by name
//! (order-insensitive), other items by value (order-insensitive; any pairing that matches
//! every expected item is found, not only the first fit), or by position with
//! [`ListOrder::InOrder`]. Expected `null` / `[]` mean absent or empty. Expected strings
//! may contain `{{suffix}}` (5 generated characters) and `{{any}}`; a value that is
//! `{{any}}` alone matches any present value, numbers and maps included.

use serde_json::Value;

/// The characters Kubernetes uses for generated name suffixes.
pub const SUFFIX_ALPHABET: &str = "bcdfghjklmnpqrstvwxz2456789";
/// Length of a generated suffix.
pub const SUFFIX_LENGTH: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    Any,
    InOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchOptions {
    pub order: ListOrder,
    /// Extra keys in actual maps are mismatches too (token headers and claims).
    pub exact_keys: bool,
}

impl MatchOptions {
    pub const PARTIAL: Self = Self {
        order: ListOrder::Any,
        exact_keys: false,
    };
    pub const IN_ORDER: Self = Self {
        order: ListOrder::InOrder,
        exact_keys: false,
    };
    pub const EXACT_KEYS: Self = Self {
        order: ListOrder::Any,
        exact_keys: true,
    };
}

/// One difference between expected and actual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub path: String,
    pub problem: String,
}

/// All differences; empty when `actual` matches.
pub fn compare(expected: &Value, actual: &Value, options: MatchOptions) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    compare_at(expected, Some(actual), "", options, &mut mismatches);
    mismatches
}

/// A readable diff, one line per mismatch.
pub fn render(mismatches: &[Mismatch]) -> String {
    mismatches
        .iter()
        .map(|m| {
            let path = if m.path.is_empty() {
                "(the object)"
            } else {
                &m.path
            };
            format!("  - {path}: {}", m.problem)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compact one-line rendering of a value for diffs.
pub fn show(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| format!("{value:?}"));
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text
    }
}

fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Object(map)) => map.is_empty(),
        _ => false,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn compare_at(
    expected: &Value,
    actual: Option<&Value>,
    path: &str,
    options: MatchOptions,
    out: &mut Vec<Mismatch>,
) {
    let mismatch = |problem: String| Mismatch {
        path: path.to_string(),
        problem,
    };
    match expected {
        Value::Null => {
            if !is_empty(actual) {
                out.push(mismatch(format!(
                    "expected absent or empty, got {}",
                    show(actual.unwrap_or(&Value::Null))
                )));
            }
        }
        Value::Array(items) if items.is_empty() => {
            if !is_empty(actual) {
                out.push(mismatch(format!(
                    "expected no items, got {}",
                    show(actual.unwrap_or(&Value::Null))
                )));
            }
        }
        Value::Object(expected_map) => match actual {
            Some(Value::Object(actual_map)) => {
                for (key, value) in expected_map {
                    compare_at(value, actual_map.get(key), &join(path, key), options, out);
                }
                if options.exact_keys {
                    for (key, value) in actual_map {
                        if !expected_map.contains_key(key) {
                            out.push(Mismatch {
                                path: join(path, key),
                                problem: format!("not expected, but present: {}", show(value)),
                            });
                        }
                    }
                }
            }
            None | Some(Value::Null) => {
                out.push(mismatch(format!("missing; expected {}", show(expected))))
            }
            Some(other) => out.push(mismatch(format!(
                "expected a map {}, got {}",
                show(expected),
                show(other)
            ))),
        },
        Value::Array(expected_items) => {
            let empty = Vec::new();
            let actual_items = match actual {
                None | Some(Value::Null) => &empty,
                Some(Value::Array(items)) => items,
                Some(other) => {
                    out.push(mismatch(format!(
                        "expected a list {}, got {}",
                        show(expected),
                        show(other)
                    )));
                    return;
                }
            };
            compare_lists(expected_items, actual_items, path, options, out);
        }
        // A value that is `{{any}}` alone stands for any present value, a number too (a
        // token's `exp`, which follows the clock).
        Value::String(pattern) if pattern == "{{any}}" => {
            if matches!(actual, None | Some(Value::Null)) {
                out.push(mismatch(format!("missing; expected {}", show(expected))));
            }
        }
        Value::String(pattern) => match actual {
            Some(Value::String(text)) if pattern_matches(pattern, text) => {}
            Some(other) => out.push(mismatch(format!(
                "expected {}, got {}",
                show(expected),
                show(other)
            ))),
            None => out.push(mismatch(format!("missing; expected {}", show(expected)))),
        },
        Value::Number(number) => match actual {
            Some(Value::Number(other)) if number.as_f64() == other.as_f64() => {}
            Some(other) => out.push(mismatch(format!("expected {number}, got {}", show(other)))),
            None => out.push(mismatch(format!("missing; expected {number}"))),
        },
        Value::Bool(flag) => match actual {
            Some(Value::Bool(other)) if flag == other => {}
            Some(other) => out.push(mismatch(format!("expected {flag}, got {}", show(other)))),
            None => out.push(mismatch(format!("missing; expected {flag}"))),
        },
    }
}

fn item_name(item: &Value) -> Option<&str> {
    item.as_object()?.get("name")?.as_str()
}

fn compare_lists(
    expected: &[Value],
    actual: &[Value],
    path: &str,
    options: MatchOptions,
    out: &mut Vec<Mismatch>,
) {
    if options.order == ListOrder::InOrder {
        if expected.len() != actual.len() {
            out.push(Mismatch {
                path: path.to_string(),
                problem: format!(
                    "expected {} item(s), got {}: {}",
                    expected.len(),
                    actual.len(),
                    show(&Value::Array(actual.to_vec()))
                ),
            });
        }
        for (index, (e, a)) in expected.iter().zip(actual).enumerate() {
            compare_at(e, Some(a), &format!("{path}[{index}]"), options, out);
        }
        return;
    }
    let by_name = expected.iter().all(|item| item_name(item).is_some());
    // Candidates of an expected item: same name (by pattern) when pairing by name, else
    // every item.
    let candidate = |e: &Value, a: &Value| match (by_name, item_name(e), item_name(a)) {
        (true, Some(pattern), Some(name)) => pattern_matches(pattern, name),
        (true, _, _) => false,
        (false, _, _) => true,
    };
    // Items that match in full are paired by a maximum matching, not greedily: an
    // expected item that several actual ones satisfy must not take the only one another
    // expected item matches.
    let fits: Vec<Vec<usize>> = expected
        .iter()
        .map(|e| {
            (0..actual.len())
                .filter(|&i| candidate(e, &actual[i]))
                .filter(|&i| {
                    let mut found = Vec::new();
                    compare_at(e, Some(&actual[i]), path, options, &mut found);
                    found.is_empty()
                })
                .collect()
        })
        .collect();
    let paired = maximum_matching(&fits, actual.len());
    let mut used = vec![false; actual.len()];
    for i in paired.iter().flatten() {
        used[*i] = true;
    }
    for (index, e) in expected.iter().enumerate() {
        if paired[index].is_some() {
            continue;
        }
        let label = match item_name(e).filter(|_| by_name) {
            Some(name) => format!("{path}[name={name}]"),
            None => format!("{path}[{index}]"),
        };
        // No full match left: the closest unused candidate shows what differs.
        let candidates: Vec<usize> = (0..actual.len())
            .filter(|&i| !used[i] && candidate(e, &actual[i]))
            .collect();
        let mut best: Option<(usize, Vec<Mismatch>)> = None;
        for i in candidates {
            let mut found = Vec::new();
            compare_at(e, Some(&actual[i]), &label, options, &mut found);
            if best
                .as_ref()
                .is_none_or(|(_, fewest)| found.len() < fewest.len())
            {
                best = Some((i, found));
            }
        }
        match best {
            Some((i, found)) if by_name => {
                used[i] = true;
                out.extend(found);
            }
            _ => out.push(Mismatch {
                path: label,
                problem: format!("no item matches {}", show(e)),
            }),
        }
    }
    for (i, item) in actual.iter().enumerate() {
        if !used[i] {
            let label = match item_name(item).filter(|_| by_name) {
                Some(name) => format!("{path}[name={name}]"),
                None => format!("{path}[{i}]"),
            };
            out.push(Mismatch {
                path: label,
                problem: format!("not expected, but present: {}", show(item)),
            });
        }
    }
}

/// For each left vertex, the right vertex it is paired with in a maximum matching of the
/// bipartite graph `edges` (left vertex → right vertices it may pair with), by augmenting
/// paths (Kuhn's algorithm; lists in scenarios are short).
fn maximum_matching(edges: &[Vec<usize>], right: usize) -> Vec<Option<usize>> {
    fn augment(
        left: usize,
        edges: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &r in &edges[left] {
            if seen[r] {
                continue;
            }
            seen[r] = true;
            if owner[r].is_none_or(|other| augment(other, edges, seen, owner)) {
                owner[r] = Some(left);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; right];
    for left in 0..edges.len() {
        augment(left, edges, &mut vec![false; right], &mut owner);
    }
    let mut paired = vec![None; edges.len()];
    for (r, left) in owner.iter().enumerate() {
        if let Some(left) = left {
            paired[*left] = Some(r);
        }
    }
    paired
}

#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Literal(&'a str),
    Suffix,
    Any,
}

fn pieces(pattern: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        let next = [("{{suffix}}", Piece::Suffix), ("{{any}}", Piece::Any)]
            .into_iter()
            .filter_map(|(token, piece)| rest.find(token).map(|at| (at, token.len(), piece)))
            .min_by_key(|(at, _, _)| *at);
        match next {
            Some((at, len, piece)) => {
                if at > 0 {
                    pieces.push(Piece::Literal(&rest[..at]));
                }
                pieces.push(piece);
                rest = &rest[at + len..];
            }
            None => {
                pieces.push(Piece::Literal(rest));
                rest = "";
            }
        }
    }
    pieces
}

fn match_pieces(pieces: &[Piece<'_>], text: &str) -> bool {
    match pieces.split_first() {
        None => text.is_empty(),
        Some((Piece::Literal(literal), rest)) => text
            .strip_prefix(literal)
            .is_some_and(|tail| match_pieces(rest, tail)),
        Some((Piece::Suffix, rest)) => {
            let suffix: String = text.chars().take(SUFFIX_LENGTH).collect();
            suffix.chars().count() == SUFFIX_LENGTH
                && suffix.chars().all(|c| SUFFIX_ALPHABET.contains(c))
                && match_pieces(rest, &text[suffix.len()..])
        }
        Some((Piece::Any, rest)) => (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .any(|i| match_pieces(rest, &text[i..])),
    }
}

/// Whether `text` matches an expected string that may contain `{{suffix}}` and `{{any}}`.
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    if !pattern.contains("{{") {
        return pattern == text;
    }
    match_pieces(&pieces(pattern), text)
}
