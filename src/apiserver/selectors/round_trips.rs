//! Round trips (parse → display → parse) over generated selectors.

use super::*;
use crate::apiserver::kinds::PODS;
use proptest::prelude::*;

/// A label key: an optional DNS prefix and a name.
fn key() -> impl Strategy<Value = String> {
    (
        proptest::option::of("[a-z]{1,5}(\\.[a-z]{1,3})?"),
        "[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,6}[a-zA-Z0-9])?",
    )
        .prop_map(|(prefix, name)| match prefix {
            Some(prefix) => format!("{prefix}/{name}"),
            None => name,
        })
}

fn value() -> impl Strategy<Value = String> {
    "([a-zA-Z0-9]([-a-zA-Z0-9_.]{0,6}[a-zA-Z0-9])?)?"
}

/// One requirement's text, in any of the parser's spellings.
fn requirement() -> impl Strategy<Value = String> {
    (
        key(),
        0..9usize,
        proptest::collection::vec(value(), 1..4),
        -50i64..50,
    )
        .prop_map(|(key, operator, values, number)| match operator {
            0 => format!("{key}={}", values[0]),
            1 => format!("{key}=={}", values[0]),
            2 => format!("{key}!={}", values[0]),
            3 => format!("{key} in ({})", values.join(",")),
            4 => format!("{key} notin ( {} )", values.join(" , ")),
            5 => format!("{key}>{number}"),
            6 => format!("{key}<{number}"),
            7 => key,
            _ => format!("!{key}"),
        })
}

proptest! {
    #[test]
    fn label_selectors(requirements in proptest::collection::vec(requirement(), 0..5)) {
        let text = requirements.join(",");
        let parsed = LabelSelector::parse(&text);
        prop_assume!(parsed.is_ok(), "{:?} does not parse", text);
        let parsed = parsed.unwrap();
        let shown = parsed.to_string();
        let again = LabelSelector::parse(&shown)
            .unwrap_or_else(|e| panic!("{shown:?} (from {text:?}) does not parse: {e:?}"));
        prop_assert_eq!(&again, &parsed, "{} (from {})", shown, text);
        prop_assert_eq!(again.to_string(), shown);
    }

    #[test]
    fn field_selectors(
        terms in proptest::collection::vec(
            (
                prop_oneof![Just("metadata.name"), Just("metadata.namespace"), Just("spec.nodeName"), Just("status.phase")],
                0..3usize,
                "[a-z=,!\\\\ .-]{0,6}",
            ),
            0..4,
        )
    ) {
        let text = terms
            .iter()
            .map(|(field, operator, value)| {
                let escaped: String = value
                    .chars()
                    .flat_map(|c| {
                        let escape = matches!(c, '\\' | ',' | '=').then_some('\\');
                        escape.into_iter().chain([c])
                    })
                    .collect();
                let operator = ["=", "==", "!="][*operator];
                format!("{field}{operator}{escaped}")
            })
            .collect::<Vec<_>>()
            .join(",");
        let parsed = FieldSelector::parse(&PODS, &text)
            .unwrap_or_else(|e| panic!("{text:?} does not parse: {e:?}"));
        let shown = parsed.to_string();
        let again = FieldSelector::parse(&PODS, &shown)
            .unwrap_or_else(|e| panic!("{shown:?} (from {text:?}) does not parse: {e:?}"));
        // The parser orders terms by their text, which `==` written as `=` may change.
        let sorted = |selector: &FieldSelector| {
            let mut terms = selector.terms.clone();
            terms.sort();
            terms
        };
        prop_assert_eq!(sorted(&again), sorted(&parsed), "{} (from {})", shown, text);
    }
}

/// Found by the round trip: nothing yet. A selector the parser accepts with every
/// spelling shows in the canonical one.
#[test]
fn canonical_spellings() {
    let parsed = LabelSelector::parse("  b notin ( y , x ),a==1,!c,d>3").unwrap();
    assert_eq!(parsed.to_string(), "a==1,b notin (x,y),!c,d>3");
    let parsed = FieldSelector::parse(&PODS, "metadata.name==a\\,b\\=c").unwrap();
    assert_eq!(parsed.to_string(), "metadata.name=a\\,b\\=c");
}
