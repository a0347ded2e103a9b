//! Strategic merge patch: the server side of apimachinery's `strategicpatch` package
//! (`StrategicMergeMapPatch`), directives (`$patch`, `$retainKeys`,
//! `$deleteFromPrimitiveList`, `$setElementOrder`) and list ordering rules included.

use serde_json::{Map, Value};

use super::super::field_rules::{rule_at, SmpList};
use super::{go_format, go_type_name, PatchError, GO_MAP_TYPE, GO_SLICE_TYPE};
use crate::go_json_syntax::go_json_kind;

const DIRECTIVE_MARKER: &str = "$patch";
const DELETE_DIRECTIVE: &str = "delete";
const REPLACE_DIRECTIVE: &str = "replace";
const MERGE_DIRECTIVE: &str = "merge";
const RETAIN_KEYS_DIRECTIVE: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST_PREFIX: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER_PREFIX: &str = "$setElementOrder";

fn child_path(path: &[String], field: &str) -> Vec<String> {
    let mut child = path.to_vec();
    child.push(field.to_string());
    child
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch
// ---------------------------------------------------------------------------------------------

pub(super) fn apply_strategic_merge_patch(
    kind: &str,
    original: &Value,
    patch: &Value,
) -> Result<Value, PatchError> {
    let patch = match patch {
        Value::Object(fields) => fields.clone(),
        // Decoding `null` into a map leaves it empty.
        Value::Null => Map::new(),
        other => return Err(PatchError::StrategicPatchNotAnObject(go_json_kind(other))),
    };
    let original = original
        .as_object()
        .cloned()
        .ok_or(PatchError::OriginalNotAnObject)?;
    let mut merged = Value::Object(StrategicMerge { kind }.merge_map(original, patch, &[])?);
    // Directives left in replaced values are unknown fields to the typed object: dropped.
    strip_directive_keys(&mut merged);
    Ok(merged)
}

fn strip_directive_keys(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|key, _| !key.starts_with('$'));
            fields.values_mut().for_each(strip_directive_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_directive_keys),
        _ => {}
    }
}

fn take_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

/// The element type of a merging list, as far as merging cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElementKind {
    Object,
    Scalar(&'static str),
}

/// All elements of both lists must share one type, and lists of lists are refused.
fn slice_element_kind(
    original: &[Value],
    patch: &[Value],
) -> Result<Option<ElementKind>, PatchError> {
    let mut seen: Option<ElementKind> = None;
    for item in original.iter().chain(patch) {
        let kind = match item {
            Value::Array(_) => return Err(PatchError::ListOfLists),
            Value::Object(_) => ElementKind::Object,
            other => ElementKind::Scalar(go_type_name(other)),
        };
        match seen {
            None => seen = Some(kind),
            Some(previous) if previous != kind => {
                return Err(PatchError::MixedListElements(format!(
                    "[{} {}]",
                    go_format(&Value::Array(original.to_vec())),
                    go_format(&Value::Array(patch.to_vec()))
                )))
            }
            Some(_) => {}
        }
    }
    Ok(seen)
}

/// `$deleteFromPrimitiveList/finalizers` → `finalizers`.
fn extract_directive_key<'k>(key: &'k str, prefix: &str) -> Result<&'k str, PatchError> {
    match key.split_once('/') {
        Some((head, field)) if head == prefix => Ok(field),
        _ if prefix == DELETE_FROM_PRIMITIVE_LIST_PREFIX => {
            Err(PatchError::BadDeleteFromPrimitiveList)
        }
        _ => Err(PatchError::BadSetElementOrder),
    }
}

fn is_delete_directive(item: &Value) -> bool {
    item.get(DIRECTIVE_MARKER).and_then(Value::as_str) == Some(DELETE_DIRECTIVE)
}

fn missing_merge_key(item: &Value, key: &str) -> PatchError {
    PatchError::MissingMergeKey {
        map: go_format(item),
        key: key.to_string(),
    }
}

fn expect_map(item: &Value) -> Result<&Map<String, Value>, PatchError> {
    item.as_object().ok_or(PatchError::UnexpectedType {
        expected: GO_MAP_TYPE,
        actual: go_type_name(item),
    })
}

/// Every item must be an object carrying the merge key.
fn validate_merge_key(key: &str, items: &[Value]) -> Result<(), PatchError> {
    for item in items {
        if !expect_map(item)?.contains_key(key) {
            return Err(missing_merge_key(item, key));
        }
    }
    Ok(())
}

/// The position of `item` in `list`, by merge key for objects and by value for scalars.
fn index_in(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    match key {
        Some(key) => {
            let wanted = item.get(key);
            list.iter()
                .position(|candidate| candidate.get(key) == wanted)
        }
        None => list.iter().position(|candidate| candidate == item),
    }
}

/// Splits `merged` into the items that `by` mentions and the server-only ones.
fn partition_by_presence(
    merged: Vec<Value>,
    by: &[Value],
    key: Option<&str>,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut present = Vec::new();
    let mut server_only = Vec::new();
    for item in merged {
        let found = match key {
            None => by.contains(&item),
            Some(key) => {
                let Some(value) = expect_map(&item)?.get(key) else {
                    return Err(missing_merge_key(&item, key));
                };
                let mut found = false;
                for candidate in by {
                    if expect_map(candidate)?.get(key) == Some(value) {
                        found = true;
                        break;
                    }
                }
                found
            }
        };
        if found {
            present.push(item);
        } else {
            server_only.push(item);
        }
    }
    Ok((present, server_only))
}

/// Sorts `to_sort` by the order of `order` (stable); `$patch: delete` items go last.
fn normalize_slice_order(
    to_sort: Vec<Value>,
    order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, PatchError> {
    let (mut kept, deletions): (Vec<Value>, Vec<Value>) = match key {
        Some(key) => {
            validate_merge_key(key, &to_sort)?;
            validate_merge_key(key, order)?;
            to_sort
                .into_iter()
                .partition(|item| !is_delete_directive(item))
        }
        None => (to_sort, Vec::new()),
    };
    kept.sort_by_key(|item| index_in(order, item, key).unwrap_or(usize::MAX));
    kept.extend(deletions);
    Ok(kept)
}

/// Merges the sorted server-only items into the sorted patch items, keeping both relative
/// orders; a server-only item goes first only when the live list had it before the patch item.
fn merge_sorted_slice(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                matches!((index_in(server_order, l, key), index_in(server_order, r, key)), (Some(li), Some(ri)) if li < ri)
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        merged.extend(next);
    }
    merged
}

fn normalize_element_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, PatchError> {
    let patch_items = normalize_slice_order(patch_items, patch_order, key)?;
    let server_only = normalize_slice_order(server_only, server_order, key)?;
    Ok(merge_sorted_slice(
        server_only,
        patch_items,
        server_order,
        key,
    ))
}

/// The patch list must list its (non-deleted) items in the `$setElementOrder` order.
fn validate_patch_with_set_order_list(
    patch: &[Value],
    order: &[Value],
    key: Option<&str>,
) -> Result<(), PatchError> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let non_deleted: Vec<&Value> = match key {
        Some(_) => {
            for item in patch {
                expect_map(item)?;
            }
            patch
                .iter()
                .filter(|item| !is_delete_directive(item))
                .collect()
        }
        None => patch.iter().collect(),
    };
    let (mut patch_index, mut order_index) = (0, 0);
    while patch_index < non_deleted.len() && order_index < order.len() {
        let item = non_deleted[patch_index];
        if item.get(DIRECTIVE_MARKER).is_some() {
            patch_index += 1;
            continue;
        }
        let equal = match key {
            None => item == &order[order_index],
            Some(key) => {
                let ordered = expect_map(&order[order_index])?;
                let Some(left) = expect_map(item)?.get(key) else {
                    return Err(missing_merge_key(item, key));
                };
                let Some(right) = ordered.get(key) else {
                    return Err(missing_merge_key(&order[order_index], key));
                };
                left == right
            }
        };
        if equal {
            patch_index += 1;
        }
        order_index += 1;
    }
    if patch_index < non_deleted.len() && order_index >= order.len() {
        return Err(PatchError::SetElementOrderMismatch {
            patch: go_format(&Value::Array(patch.to_vec())),
            order: go_format(&Value::Array(order.to_vec())),
        });
    }
    Ok(())
}

fn delete_from_slice(current: Vec<Value>, to_delete: &[Value]) -> Vec<Value> {
    current
        .into_iter()
        .filter(|item| !to_delete.contains(item))
        .collect()
}

/// The strategic merge of apimachinery, for one kind.
struct StrategicMerge<'k> {
    kind: &'k str,
}

impl StrategicMerge<'_> {
    fn merge_map(
        &self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
        path: &[String],
    ) -> Result<Map<String, Value>, PatchError> {
        if let Some(directive) = patch.get(DIRECTIVE_MARKER) {
            return match directive.as_str() {
                Some(REPLACE_DIRECTIVE) => {
                    patch.remove(DIRECTIVE_MARKER);
                    Ok(patch)
                }
                Some(DELETE_DIRECTIVE) => Ok(Map::new()),
                _ => Err(PatchError::UnknownPatchDirective {
                    directive: go_format(directive),
                    map: go_format(&Value::Object(patch.clone())),
                }),
            };
        }
        apply_retain_keys(&mut original, &mut patch)?;
        self.merge_set_element_order(&mut original, &mut patch, path)?;

        for (key, patch_value) in patch {
            let (field, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX) {
                (
                    extract_directive_key(&key, DELETE_FROM_PRIMITIVE_LIST_PREFIX)?.to_string(),
                    true,
                )
            } else {
                (key, false)
            };
            if patch_value.is_null() {
                original.remove(&field);
                continue;
            }
            let path = child_path(path, &field);
            let merged = match (original.remove(&field), patch_value) {
                (Some(Value::Object(current)), Value::Object(patch_fields)) => {
                    Value::Object(self.merge_map(current, patch_fields, &path)?)
                }
                (Some(Value::Array(current)), Value::Array(patch_items)) => {
                    Value::Array(self.merge_list(current, patch_items, &path, is_delete_list)?)
                }
                // Nothing to delete from: the deletion list is not a value.
                (None, _) if is_delete_list => continue,
                (Some(current), _) if is_delete_list => current,
                // Absent or of another type: the patch value, its directives resolved.
                (_, patch_value) => self.resolve_new_value(patch_value, &path)?,
            };
            original.insert(field, merged);
        }
        Ok(original)
    }

    /// A patch value that lands where nothing mergeable was.
    fn resolve_new_value(&self, value: Value, path: &[String]) -> Result<Value, PatchError> {
        match value {
            Value::Object(fields) => Ok(Value::Object(self.merge_map(Map::new(), fields, path)?)),
            Value::Array(items) if rule_at(self.kind, path).smp != SmpList::Replace => Ok(
                Value::Array(self.merge_list(Vec::new(), items, path, false)?),
            ),
            other => Ok(other),
        }
    }

    fn merge_list(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        path: &[String],
        is_delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        match rule_at(self.kind, path).smp {
            SmpList::Replace if is_delete_list => Ok(delete_from_slice(original, &patch)),
            SmpList::Replace => Ok(patch),
            SmpList::MergeByKey(key) => {
                self.merge_slice(original, patch, Some(key), path, is_delete_list)
            }
            SmpList::MergeSet => self.merge_slice(original, patch, None, path, is_delete_list),
        }
    }

    fn merge_slice(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        merge_key: Option<&'static str>,
        path: &[String],
        is_delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        let element_kind = slice_element_kind(&original, &patch)?;
        if element_kind != Some(ElementKind::Object) {
            if is_delete_list {
                return Ok(delete_from_slice(original, &patch));
            }
            let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
            for item in original.iter().chain(&patch) {
                if !merged.contains(item) {
                    merged.push(item.clone());
                }
            }
            let (patch_items, server_only) = partition_by_presence(merged, &patch, None)?;
            return normalize_element_order(patch_items, server_only, &patch, &original, None);
        }
        let Some(key) = merge_key else {
            return Err(PatchError::ListWithoutMergeKey);
        };
        let (original, patch) = self.apply_list_directives(original, patch, key, path)?;
        let merged = self.merge_keyed_items(original.clone(), &patch, key, path)?;
        let (patch_items, server_only) = partition_by_presence(merged, &patch, Some(key))?;
        normalize_element_order(patch_items, server_only, &patch, &original, Some(key))
    }

    /// Handles `$patch` list elements: `delete` drops items by key, `replace` makes the rest
    /// of the patch list the whole list. Returns the original and the plain patch items.
    fn apply_list_directives(
        &self,
        mut original: Vec<Value>,
        patch: Vec<Value>,
        key: &str,
        path: &[String],
    ) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
        let mut plain = Vec::with_capacity(patch.len());
        let mut replace = false;
        for item in patch {
            let Some(directive) = expect_map(&item)?.get(DIRECTIVE_MARKER) else {
                plain.push(item);
                continue;
            };
            match directive.as_str() {
                Some(DELETE_DIRECTIVE) => {
                    let Some(value) = item.get(key) else {
                        return Err(missing_merge_key(&item, key));
                    };
                    original.retain(|candidate| candidate.get(key) != Some(value));
                }
                Some(REPLACE_DIRECTIVE) => replace = true,
                Some(MERGE_DIRECTIVE) => return Err(PatchError::MergeDirectiveInList),
                _ => {
                    return Err(PatchError::UnknownPatchDirective {
                        directive: go_format(directive),
                        map: go_format(&item),
                    })
                }
            }
        }
        if !replace {
            return Ok((original, plain));
        }
        let mut replacement = Vec::with_capacity(plain.len());
        for item in plain {
            replacement.push(Value::Object(self.merge_map(
                Map::new(),
                take_object(item),
                path,
            )?));
        }
        Ok((replacement, Vec::new()))
    }

    /// Merges each patch item into the original item with the same key, or appends it.
    fn merge_keyed_items(
        &self,
        mut merged: Vec<Value>,
        patch: &[Value],
        key: &str,
        path: &[String],
    ) -> Result<Vec<Value>, PatchError> {
        for item in patch {
            let fields = expect_map(item)?;
            let Some(wanted) = fields.get(key) else {
                return Err(missing_merge_key(item, key));
            };
            let mut position = None;
            for (index, candidate) in merged.iter().enumerate() {
                if expect_map(candidate)?.get(key) == Some(wanted) {
                    position = Some(index);
                    break;
                }
            }
            match position {
                Some(index) => {
                    let current = take_object(std::mem::take(&mut merged[index]));
                    merged[index] = Value::Object(self.merge_map(current, fields.clone(), path)?);
                }
                None => merged.push(Value::Object(self.merge_map(
                    Map::new(),
                    fields.clone(),
                    path,
                )?)),
            }
        }
        Ok(merged)
    }

    /// `$setElementOrder/<field>`: merges the field's patch list and then orders the result:
    /// the order list first, then the live order for server-only items.
    fn merge_set_element_order(
        &self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
        path: &[String],
    ) -> Result<(), PatchError> {
        let order_keys: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER_PREFIX))
            .cloned()
            .collect();
        for order_key in order_keys {
            let Some(order_value) = patch.remove(&order_key) else {
                continue;
            };
            let Value::Array(order) = order_value else {
                return Err(PatchError::UnexpectedType {
                    expected: GO_SLICE_TYPE,
                    actual: go_type_name(&order_value),
                });
            };
            let field = extract_directive_key(&order_key, SET_ELEMENT_ORDER_PREFIX)?.to_string();
            let list_at = |value: Option<&Value>| match value {
                None => Ok(None),
                Some(Value::Array(items)) => Ok(Some(items.clone())),
                Some(other) => Err(PatchError::UnexpectedType {
                    expected: GO_SLICE_TYPE,
                    actual: go_type_name(other),
                }),
            };
            let original_list = list_at(original.get(&field))?;
            let patch_list = list_at(patch.get(&field))?;
            let field_path = child_path(path, &field);
            let merge_key = match rule_at(self.kind, &field_path).smp {
                SmpList::MergeByKey(key) => Some(key),
                SmpList::MergeSet | SmpList::Replace => None,
            };
            validate_patch_with_set_order_list(
                patch_list.as_deref().unwrap_or_default(),
                &order,
                merge_key,
            )?;
            let server_order = original_list.clone().unwrap_or_default();
            let merged = match (original_list, patch_list) {
                (Some(current), None) => current,
                (None, Some(items)) => self.merge_list(Vec::new(), items, &field_path, false)?,
                (Some(current), Some(items)) => {
                    self.merge_list(current, items, &field_path, false)?
                }
                (None, None) => continue,
            };
            let key = merge_key.filter(|_| merged.iter().all(Value::is_object));
            let (ordered, server_only) = partition_by_presence(merged, &order, key)?;
            let both = normalize_element_order(ordered, server_only, &order, &server_order, key)?;
            original.insert(field.clone(), Value::Array(both));
            patch.remove(&field);
        }
        Ok(())
    }
}

/// `$retainKeys`: drops the original's fields that the list leaves out; every field the patch
/// sets must be listed.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.remove(RETAIN_KEYS_DIRECTIVE) else {
        return Ok(());
    };
    let Value::Array(retained) = retain else {
        return Err(PatchError::BadRetainKeys);
    };
    let is_retained = |key: &str| retained.iter().any(|k| k.as_str() == Some(key));
    for (key, value) in patch.iter() {
        let is_directive = key.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
            || key.starts_with(SET_ELEMENT_ORDER_PREFIX);
        if !value.is_null() && !is_directive && !is_retained(key) {
            return Err(PatchError::BadRetainKeys);
        }
    }
    original.retain(|key, _| is_retained(key));
    Ok(())
}

#[cfg(test)]
mod tests;
