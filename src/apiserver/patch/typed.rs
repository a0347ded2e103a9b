//! The typed view server-side apply and field management take of an object, after
//! structured-merge-diff's `typed` package: its members (the leaves, atomic values and list
//! items a manager can own), the merge of a configuration into it by the kind's list keys,
//! and the fields nobody owns.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{Map, Value};

use super::super::field_rules::{key_default, rule_at, ApplyShape};
use super::fieldpath::{canonical_json, display_path, FieldPath, FieldSet, PathElement};
use crate::go_json_syntax::go_json_kind;

/// Metadata fields nobody owns (structured-merge-diff's strip set).
pub(super) const UNOWNED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "clusterName",
    "generation",
    "managedFields",
    "resourceVersion",
];

/// Kinds whose main resource resets `status` (it is written through the status subresource).
pub(super) fn resets_status(kind: &str) -> bool {
    matches!(kind, "Pod" | "Namespace")
}

/// Fields no manager owns: `apiVersion`, `kind`, `metadata` itself and the metadata the
/// server sets ([`UNOWNED_METADATA`]).
pub(super) fn is_unowned(path: &[PathElement]) -> bool {
    match path {
        [PathElement::Field(field)] => matches!(field.as_str(), "apiVersion" | "kind" | "metadata"),
        [PathElement::Field(meta), PathElement::Field(field)] if meta == "metadata" => {
            UNOWNED_METADATA.contains(&field.as_str())
        }
        _ => false,
    }
}

/// `/v1, Kind=Pod`, as Go prints a GroupVersionKind.
pub(super) fn gvk_string(kind: &str, api_version: &str) -> String {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    format!("{group}/{version}, Kind={kind}")
}

/// The member paths of a value, each with its value for leaves (`None` for keyed list items,
/// which are members and have children).
pub(super) type Members = BTreeMap<FieldPath, Option<Value>>;

/// Field rules for server-side apply of one kind.
pub(super) struct ApplySchema<'k> {
    pub(super) kind: &'k str,
}

impl ApplySchema<'_> {
    pub(super) fn shape(&self, names: &[String]) -> ApplyShape {
        rule_at(self.kind, names).apply
    }

    /// The path element of a list item; errors name the rule that the item breaks.
    pub(super) fn item_element(
        &self,
        shape: ApplyShape,
        item: &Value,
        index: usize,
    ) -> Result<PathElement, String> {
        match shape {
            ApplyShape::Keyed(keys) => {
                let Value::Object(fields) = item else {
                    return Err(format!(
                        "element {index}: expected map, got {}",
                        go_json_kind(item)
                    ));
                };
                let mut sorted_keys = keys.to_vec();
                sorted_keys.sort_unstable();
                let mut key = Map::new();
                for name in sorted_keys {
                    let value = fields
                        .get(name)
                        .filter(|v| !v.is_null())
                        .cloned()
                        .or_else(|| key_default(name))
                        .ok_or_else(|| {
                            format!("element {index}: associative list with keys has an element that omits key field {name:?} (and doesn't have default value)")
                        })?;
                    key.insert(name.to_string(), value);
                }
                Ok(PathElement::Key(canonical_json(&Value::Object(key))))
            }
            ApplyShape::Set => Ok(PathElement::Value(canonical_json(item))),
            ApplyShape::Default | ApplyShape::Atomic => Ok(PathElement::Index(index)),
        }
    }

    /// Collects the members of `value` the way structured-merge-diff's `ToFieldSet` does:
    /// scalars, atomic values, empty objects and list items. `strict` refuses duplicate keys.
    pub(super) fn members(&self, value: &Value, strict: bool) -> Result<Members, String> {
        let mut members = Members::new();
        self.collect(
            value,
            &mut Vec::new(),
            &mut Vec::new(),
            &mut members,
            strict,
        )?;
        Ok(members)
    }

    fn collect(
        &self,
        value: &Value,
        names: &mut Vec<String>,
        path: &mut FieldPath,
        members: &mut Members,
        strict: bool,
    ) -> Result<(), String> {
        let shape = self.shape(names);
        match value {
            Value::Object(fields) if shape != ApplyShape::Atomic => {
                for (name, child) in fields {
                    names.push(name.clone());
                    path.push(PathElement::Field(name.clone()));
                    self.collect(child, names, path, members, strict)?;
                    if matches!(child, Value::Object(m) if m.is_empty()) {
                        members.insert(path.clone(), Some(child.clone()));
                    }
                    path.pop();
                    names.pop();
                }
            }
            Value::Array(items) if matches!(shape, ApplyShape::Keyed(_) | ApplyShape::Set) => {
                for (index, item) in items.iter().enumerate() {
                    let element = self
                        .item_element(shape, item, index)
                        .map_err(|e| format!("{}: {e}", display_path(path)))?;
                    path.push(element);
                    if members.contains_key(path.as_slice()) {
                        if strict {
                            let (last, list) = path
                                .split_last()
                                .map(|(l, p)| (l.display(), display_path(p)))
                                .unwrap_or_default();
                            return Err(format!("{list}: duplicate entries for key {last}"));
                        }
                    } else if shape == ApplyShape::Set {
                        members.insert(path.clone(), Some(item.clone()));
                    } else {
                        if item.is_object() {
                            self.collect(item, names, path, members, strict)?;
                        }
                        members.insert(path.clone(), None);
                    }
                    path.pop();
                }
            }
            _ if path.is_empty() => {}
            _ => {
                members.insert(path.clone(), Some(value.clone()));
            }
        }
        Ok(())
    }

    /// Merges the applied configuration into the live object (configuration wins).
    pub(super) fn merge(
        &self,
        live: &Value,
        config: &Value,
        names: &mut Vec<String>,
    ) -> Result<Value, String> {
        let shape = self.shape(names);
        match (live, config) {
            (Value::Object(current), Value::Object(applied)) if shape != ApplyShape::Atomic => {
                let mut merged = current.clone();
                for (name, value) in applied {
                    if value.is_null() {
                        merged.remove(name);
                        continue;
                    }
                    names.push(name.clone());
                    let child = match current.get(name) {
                        Some(existing) => self.merge(existing, value, names),
                        None => Ok(without_nulls(value)),
                    };
                    names.pop();
                    merged.insert(name.clone(), child?);
                }
                Ok(Value::Object(merged))
            }
            (Value::Array(current), Value::Array(applied))
                if matches!(shape, ApplyShape::Keyed(_) | ApplyShape::Set) =>
            {
                Ok(Value::Array(
                    self.merge_list(current, applied, shape, names)?,
                ))
            }
            _ => Ok(without_nulls(config)),
        }
    }

    /// Merges an associative list the way structured-merge-diff orders it: live-only items
    /// keep their place, items in both follow the configuration's order, new items are
    /// inserted where the configuration has them.
    fn merge_list(
        &self,
        live: &[Value],
        config: &[Value],
        shape: ApplyShape,
        names: &mut Vec<String>,
    ) -> Result<Vec<Value>, String> {
        let elements = |items: &[Value]| -> Result<Vec<PathElement>, String> {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| self.item_element(shape, item, i))
                .collect()
        };
        let lhs = elements(live)?;
        let rhs = elements(config)?;
        let mut observed_lhs: BTreeMap<&PathElement, usize> = BTreeMap::new();
        for (index, element) in lhs.iter().enumerate() {
            observed_lhs.entry(element).or_insert(index);
        }
        let observed_rhs: BTreeSet<&PathElement> = rhs.iter().collect();
        let mut shared_order: VecDeque<&PathElement> = rhs
            .iter()
            .filter(|e| observed_lhs.contains_key(e))
            .collect();
        let mut next_shared = shared_order.pop_front();
        let mut merged_rhs: BTreeSet<&PathElement> = BTreeSet::new();
        let mut out = Vec::with_capacity(live.len().max(config.len()));
        let (mut li, mut ri) = (0, 0);
        while li < lhs.len() || ri < rhs.len() {
            if li < lhs.len() && ri < rhs.len() {
                if lhs[li] == rhs[ri] {
                    merged_rhs.insert(&lhs[li]);
                    out.push(self.merge(&live[li], &config[ri], names)?);
                    li += 1;
                    ri += 1;
                    next_shared = shared_order.pop_front();
                    continue;
                }
                // A shared item, but not the next one the configuration wants here.
                if observed_rhs.contains(&lhs[li]) && next_shared.is_some_and(|n| *n != lhs[li]) {
                    li += 1;
                    continue;
                }
            }
            if li < lhs.len() {
                if !observed_rhs.contains(&lhs[li]) {
                    out.push(live[li].clone());
                    li += 1;
                    continue;
                }
                if merged_rhs.contains(&lhs[li]) || ri >= rhs.len() {
                    li += 1;
                    continue;
                }
            }
            if ri < rhs.len() {
                let element = &rhs[ri];
                merged_rhs.insert(element);
                let item = match observed_lhs.get(element) {
                    Some(&index) => self.merge(&live[index], &config[ri], names)?,
                    None => without_nulls(&config[ri]),
                };
                out.push(item);
                ri += 1;
                if next_shared == Some(element) {
                    next_shared = shared_order.pop_front();
                }
            }
        }
        Ok(out)
    }

    /// Removes the member at `path`; containers it leaves empty go too.
    pub(super) fn remove_member(
        &self,
        value: &mut Value,
        path: &[PathElement],
        names: &mut Vec<String>,
    ) -> bool {
        let Some((first, rest)) = path.split_first() else {
            return false;
        };
        match (value, first) {
            (Value::Object(fields), PathElement::Field(name)) => {
                if rest.is_empty() {
                    return fields.remove(name).is_some();
                }
                let Some(child) = fields.get_mut(name) else {
                    return false;
                };
                names.push(name.clone());
                let removed = self.remove_member(child, rest, names);
                names.pop();
                if removed && is_empty_container(child) {
                    fields.remove(name);
                }
                removed
            }
            (Value::Array(items), element) => {
                let shape = self.shape(names);
                let position = items.iter().enumerate().position(|(i, item)| {
                    self.item_element(shape, item, i).ok().as_ref() == Some(element)
                });
                let Some(position) = position else {
                    return false;
                };
                if rest.is_empty() {
                    items.remove(position);
                    return true;
                }
                self.remove_member(&mut items[position], rest, names)
            }
            _ => false,
        }
    }
}

/// What changed between two versions of an object, as structured-merge-diff's
/// `TypedValue.Compare` reports it: leaves, atomic values and set items by value; a map or
/// keyed list item that appears is itself added (the `".": {}` of `fieldsV1`), as are its fields.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Comparison {
    /// In the new object only.
    pub(super) added: FieldSet,
    /// In both, with different values.
    pub(super) modified: FieldSet,
    /// In the old object only.
    pub(super) removed: FieldSet,
}

impl ApplySchema<'_> {
    /// Compares `old` with `new` (both without `managedFields`); list items are matched by the
    /// kind's list keys. Items that break the list rules are compared by position.
    pub(super) fn compare(&self, old: &Value, new: &Value) -> Comparison {
        let mut comparison = Comparison::default();
        self.compare_at(
            Some(old),
            Some(new),
            &mut Vec::new(),
            &mut Vec::new(),
            &mut comparison,
        );
        comparison
    }

    fn compare_at(
        &self,
        old: Option<&Value>,
        new: Option<&Value>,
        names: &mut Vec<String>,
        path: &mut FieldPath,
        out: &mut Comparison,
    ) {
        let old = old.filter(|v| !v.is_null());
        let new = new.filter(|v| !v.is_null());
        // Equal values hold no difference at any depth (most of an update's object).
        if let (Some(a), Some(b)) = (old, new) {
            if a == b {
                return;
            }
        }
        let shape = self.shape(names);
        match (old, new) {
            (None, None) => {}
            (old, new) if shape != ApplyShape::Atomic && is_map(old, new) => {
                if !path.is_empty() {
                    match (old, new) {
                        (None, Some(_)) => {
                            out.added.insert(path.clone());
                        }
                        (Some(_), None) => {
                            out.removed.insert(path.clone());
                        }
                        _ => {}
                    }
                }
                let empty = Map::new();
                let old_fields = old.and_then(Value::as_object).unwrap_or(&empty);
                let new_fields = new.and_then(Value::as_object).unwrap_or(&empty);
                let mut names_in_either: Vec<&String> =
                    old_fields.keys().chain(new_fields.keys()).collect();
                names_in_either.sort_unstable();
                names_in_either.dedup();
                for name in names_in_either {
                    names.push(name.clone());
                    path.push(PathElement::Field(name.clone()));
                    self.compare_at(old_fields.get(name), new_fields.get(name), names, path, out);
                    path.pop();
                    names.pop();
                }
            }
            (old, new)
                if matches!(shape, ApplyShape::Keyed(_) | ApplyShape::Set) && is_list(old, new) =>
            {
                let items = |list: Option<&Value>| -> Option<BTreeMap<PathElement, Value>> {
                    let mut items = BTreeMap::new();
                    for (index, item) in list
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        items.insert(self.item_element(shape, item, index).ok()?, item.clone());
                    }
                    Some(items)
                };
                let (Some(old_items), Some(new_items)) = (items(old), items(new)) else {
                    self.compare_leaf(old, new, path, out);
                    return;
                };
                let elements: BTreeSet<&PathElement> =
                    old_items.keys().chain(new_items.keys()).collect();
                for element in elements {
                    path.push(element.clone());
                    let (before, after) = (old_items.get(element), new_items.get(element));
                    if shape == ApplyShape::Set {
                        self.compare_leaf(before, after, path, out);
                    } else {
                        match (before, after) {
                            (None, Some(_)) => {
                                out.added.insert(path.clone());
                            }
                            (Some(_), None) => {
                                out.removed.insert(path.clone());
                            }
                            _ => {}
                        }
                        if before.is_some_and(Value::is_object)
                            || after.is_some_and(Value::is_object)
                        {
                            self.compare_at(before, after, names, path, out);
                        }
                    }
                    path.pop();
                }
            }
            _ => self.compare_leaf(old, new, path, out),
        }
    }

    fn compare_leaf(
        &self,
        old: Option<&Value>,
        new: Option<&Value>,
        path: &FieldPath,
        out: &mut Comparison,
    ) {
        if path.is_empty() {
            return;
        }
        match (old, new) {
            (None, None) => {}
            (None, Some(_)) => {
                out.added.insert(path.clone());
            }
            (Some(_), None) => {
                out.removed.insert(path.clone());
            }
            (Some(a), Some(b)) if a != b => {
                out.modified.insert(path.clone());
            }
            _ => {}
        }
    }
}

/// Both sides are maps, or absent.
fn is_map(old: Option<&Value>, new: Option<&Value>) -> bool {
    old.is_none_or(Value::is_object) && new.is_none_or(Value::is_object)
}

/// Both sides are lists, or absent.
fn is_list(old: Option<&Value>, new: Option<&Value>) -> bool {
    old.is_none_or(Value::is_array) && new.is_none_or(Value::is_array)
}

pub(super) fn is_empty_container(value: &Value) -> bool {
    match value {
        Value::Object(fields) => fields.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Explicit nulls in a configuration mean "absent" once the object is typed.
pub(super) fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}
