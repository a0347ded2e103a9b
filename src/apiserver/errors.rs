//! Kubernetes `Status` errors: the codes, reasons and message texts a real API server gives.
//! Follows `metav1.Status` and the constructors of `k8s.io/apimachinery/pkg/api/errors`;
//! field errors follow `k8s.io/apimachinery/pkg/util/validation/field`.

use serde_json::{json, Value};

use super::authz::{Attributes, Request};
use super::kinds::ResourceInfo;

/// One field-level cause inside a `Status` (`details.causes[]`, metav1.StatusCause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCause {
    /// `FieldValueRequired`, `FieldValueInvalid`, `NamespaceTerminating`, ...
    pub reason: String,
    /// Human-readable text, e.g. `Required value`.
    pub message: String,
    /// The field path, e.g. `metadata.name` or `spec.containers[0].image`; may be empty.
    pub field: String,
}

/// A field validation error, rendered the way apimachinery's `field.Error` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field path, e.g. `spec.containers[0].name`.
    pub field: String,
    /// What is wrong with it.
    pub kind: FieldErrorKind,
}

/// The type of a [`FieldError`]; upstream's `field.ErrorType`, with its message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// `Required value` (optionally with detail).
    Required(Option<String>),
    /// `Invalid value: <value>: <detail>`; the value is already rendered (quoted for strings).
    Invalid {
        /// The offending value, already rendered.
        value: String,
        /// Why it is invalid; may be empty.
        detail: String,
    },
    /// `Forbidden: <detail>`
    Forbidden(String),
    /// `Unsupported value: <value>: supported values: ...`
    NotSupported {
        /// The offending value, already rendered.
        value: String,
        /// The accepted values, shown quoted.
        supported: Vec<String>,
    },
    /// `Duplicate value: <value>`
    Duplicate(String),
    /// `Too long: may not be more than N bytes` style, detail given whole.
    TooLong(String),
}

impl FieldError {
    /// `<field>: Required value` (`field.Required`).
    pub fn required(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            kind: FieldErrorKind::Required(None),
        }
    }
    /// `value` is shown as a quoted string.
    pub fn invalid(field: impl Into<String>, value: &str, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            kind: FieldErrorKind::Invalid {
                value: format!("{value:?}"),
                detail: detail.into(),
            },
        }
    }
    /// `<field>: Forbidden: <detail>` (`field.Forbidden`).
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            kind: FieldErrorKind::Forbidden(detail.into()),
        }
    }
    /// `reason` of the matching `StatusCause`.
    pub fn cause_reason(&self) -> &'static str {
        match self.kind {
            FieldErrorKind::Required(_) => "FieldValueRequired",
            FieldErrorKind::Invalid { .. } => "FieldValueInvalid",
            FieldErrorKind::Forbidden(_) => "FieldValueForbidden",
            FieldErrorKind::NotSupported { .. } => "FieldValueNotSupported",
            FieldErrorKind::Duplicate(_) => "FieldValueDuplicate",
            FieldErrorKind::TooLong(_) => "FieldValueTooLong",
        }
    }
    /// The message without the field path, as it appears in a `StatusCause`.
    pub fn body(&self) -> String {
        match &self.kind {
            FieldErrorKind::Required(None) => "Required value".to_string(),
            FieldErrorKind::Required(Some(d)) => format!("Required value: {d}"),
            FieldErrorKind::Invalid { value, detail } if detail.is_empty() => {
                format!("Invalid value: {value}")
            }
            FieldErrorKind::Invalid { value, detail } => {
                format!("Invalid value: {value}: {detail}")
            }
            FieldErrorKind::Forbidden(d) => format!("Forbidden: {d}"),
            FieldErrorKind::NotSupported { value, supported } => {
                let quoted: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
                format!(
                    "Unsupported value: {value}: supported values: {}",
                    quoted.join(", ")
                )
            }
            FieldErrorKind::Duplicate(v) => format!("Duplicate value: {v}"),
            FieldErrorKind::TooLong(d) => format!("Too long: {d}"),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// An API error that renders as a Kubernetes `Status` object (metav1.Status, built the way
/// `k8s.io/apimachinery/pkg/api/errors` builds it). Boxed, so that the many
/// `Result<_, ApiError>` on the request path stay one pointer wide; fields are reached
/// through `Deref` (`err.code`, `err.message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(Box<ApiErrorFields>);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for ApiError {}

impl std::ops::Deref for ApiError {
    type Target = ApiErrorFields;
    fn deref(&self) -> &ApiErrorFields {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorFields {
        &mut self.0
    }
}

/// What an [`ApiError`] carries: the fields of a failure `Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrorFields {
    /// HTTP status code, also the `Status`'s `code` (404, 409, 422, ...).
    pub code: u16,
    /// `StatusReason` (`NotFound`, `Conflict`, `Invalid`); empty omits it.
    pub reason: String,
    /// The `message`, as kubectl prints it after `Error from server (<reason>): `.
    pub message: String,
    /// `details.name`: the object's name (the operation for `ServerTimeout`).
    pub name: Option<String>,
    /// `details.group`; omitted when empty (the core group). `Some`, even empty, also
    /// means the `Status` has `details`, written `{}` when nothing else is in them.
    pub group: Option<String>,
    /// `details.kind`: the resource plural, or the kind for `Invalid`.
    pub kind: Option<String>,
    /// `details.causes`.
    pub causes: Vec<StatusCause>,
    /// `details.retryAfterSeconds`, in seconds.
    pub retry_after_seconds: Option<u32>,
    /// `metadata.continue`: the token a 410 for a too-old `continue` offers for the rest of
    /// the list at the latest revision.
    pub list_continue: Option<String>,
}

impl ApiError {
    /// An error with no details: HTTP `code`, `StatusReason` `reason`, and `message`.
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Self(Box::new(ApiErrorFields {
            code,
            reason: reason.to_string(),
            message: message.into(),
            name: None,
            group: None,
            kind: None,
            causes: Vec::new(),
            retry_after_seconds: None,
            list_continue: None,
        }))
    }

    fn with_resource(mut self, resource: &ResourceInfo, name: &str) -> Self {
        self.name = Some(name.to_string());
        self.group = Some(resource.group.to_string());
        self.kind = Some(resource.plural.to_string());
        self
    }

    /// 404 `pods "x" not found`.
    pub fn not_found(resource: &ResourceInfo, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", resource.group_resource(), name),
        )
        .with_resource(resource, name)
    }

    /// 409 `pods "x" already exists`.
    pub fn already_exists(resource: &ResourceInfo, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", resource.group_resource(), name),
        )
        .with_resource(resource, name)
    }

    /// 409 Conflict with the optimistic-concurrency text.
    pub fn conflict(resource: &ResourceInfo, name: &str) -> Self {
        Self::conflict_because(
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 409 Conflict with a custom reason text (preconditions, apply conflicts).
    pub fn conflict_because(resource: &ResourceInfo, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": {}",
                resource.group_resource(),
                name,
                why
            ),
        )
        .with_resource(resource, name)
    }

    /// 422 Invalid with field causes: `Kind "name" is invalid: <errs>`.
    pub fn invalid(resource: &ResourceInfo, name: &str, errors: Vec<FieldError>) -> Self {
        Self::invalid_kind(resource.group, resource.kind, name, errors)
    }

    /// 422 Invalid for an object of any group and kind (`errors.NewInvalid`), e.g. the
    /// request options: `CreateOptions.meta.k8s.io "" is invalid: dryRun: ...`.
    pub fn invalid_kind(group: &str, kind: &str, name: &str, errors: Vec<FieldError>) -> Self {
        let rendered = match errors.as_slice() {
            [one] => one.to_string(),
            many => format!(
                "[{}]",
                many.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let kind_prefix = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let mut err = Self::new(
            422,
            "Invalid",
            format!("{kind_prefix} \"{name}\" is invalid: {rendered}"),
        );
        err.name = Some(name.to_string());
        err.group = Some(group.to_string());
        err.kind = Some(kind.to_string());
        err.causes = errors
            .iter()
            .map(|e| StatusCause {
                reason: e.cause_reason().to_string(),
                message: e.body(),
                field: e.field.clone(),
            })
            .collect();
        err
    }

    /// 403 `pods "x" is forbidden: <why>`.
    pub fn forbidden(resource: &ResourceInfo, name: &str, why: &str) -> Self {
        Self::new(
            403,
            "Forbidden",
            format!(
                "{} \"{}\" is forbidden: {}",
                resource.group_resource(),
                name,
                why
            ),
        )
        .with_resource(resource, name)
    }

    /// 403 Forbidden for a request no authorizer allowed, with upstream's message
    /// (`responsewriters.Forbidden`): `pods "x" is forbidden: User "u" cannot get resource
    /// "pods" in API group "" in the namespace "ns"`, or `forbidden: User "u" cannot get path
    /// "/apis"`; a non-empty `reason` is appended after `: `.
    pub fn forbidden_request(attributes: &Attributes<'_>, reason: &str) -> Self {
        let user = &attributes.user.username;
        let verb = attributes.verb;
        let (detail, group, plural, name) = match attributes.request {
            Request::NonResource { path } => (
                format!("User \"{user}\" cannot {verb} path \"{path}\""),
                "",
                "",
                "",
            ),
            Request::Resource {
                namespace,
                api_group,
                resource,
                subresource,
                name,
                ..
            } => {
                let shown = if subresource.is_empty() {
                    resource.to_string()
                } else {
                    format!("{resource}/{subresource}")
                };
                let scope = if namespace.is_empty() {
                    " at the cluster scope".to_string()
                } else {
                    format!(" in the namespace \"{namespace}\"")
                };
                (
                    format!(
                        "User \"{user}\" cannot {verb} resource \"{shown}\" in API group \"{api_group}\"{scope}"
                    ),
                    api_group,
                    resource,
                    name,
                )
            }
        };
        let detail = if reason.is_empty() {
            detail
        } else {
            format!("{detail}: {reason}")
        };
        let group_resource = if group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{group}")
        };
        let message = match (group_resource.is_empty(), name.is_empty()) {
            (true, _) => format!("forbidden: {detail}"),
            (false, true) => format!("{group_resource} is forbidden: {detail}"),
            (false, false) => format!("{group_resource} \"{name}\" is forbidden: {detail}"),
        };
        let mut err = Self::new(403, "Forbidden", message);
        err.name = (!name.is_empty()).then(|| name.to_string());
        err.group = Some(group.to_string());
        err.kind = (!plural.is_empty()).then(|| plural.to_string());
        err
    }

    /// 400 BadRequest (malformed body, bad query parameter).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 401 Unauthorized: no or unknown credentials.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// 405 MethodNotAllowed: a verb the resource does not serve. Upstream's router answers
    /// it through `NewGenericServerResponse`, whose empty details print as `"details":{}`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_empty_details()
    }

    /// 404 NotFound for a path under a served group version that names nothing served (an
    /// unknown resource or subresource): upstream's router answers it through
    /// `NewGenericServerResponse`, so the details are there and empty.
    pub fn route_not_found() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_empty_details()
    }

    /// `"details":{}`: present, with nothing in them (see [`ApiErrorFields::group`]).
    fn with_empty_details(mut self) -> Self {
        self.group = Some(String::new());
        self
    }

    /// 415 UnsupportedMediaType for a request body in none of the `accepted` types.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }

    /// 406 NotAcceptable: no response type in the `Accept` header can be produced.
    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message)
    }

    /// 413 RequestEntityTooLarge for a body over `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {limit}"),
        )
    }

    /// 410 Gone for a watch or list continue that is too old.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 500 InternalError: `Internal error occurred: <message>`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {}", message.into()),
        )
    }

    /// 500 ServerTimeout as the ServiceAccount admission plugin returns it.
    pub fn server_timeout(
        kind: &str,
        operation: &str,
        message: impl Into<String>,
        retry_after: u32,
    ) -> Self {
        let mut err = Self::new(500, "ServerTimeout", message);
        err.kind = Some(kind.to_string());
        err.name = Some(operation.to_string());
        err.retry_after_seconds = Some(retry_after);
        err
    }

    /// Adds a `StatusCause` (`reason`, `message`, `field` path) to the details.
    pub fn with_cause(mut self, reason: &str, message: impl Into<String>, field: &str) -> Self {
        self.causes.push(StatusCause {
            reason: reason.to_string(),
            message: message.into(),
            field: field.to_string(),
        });
        self
    }

    /// True when a cause of this reason is attached (e.g. `NamespaceTerminating`).
    pub fn has_cause(&self, reason: &str) -> bool {
        self.causes.iter().any(|c| c.reason == reason)
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": match &self.list_continue {
                Some(token) => json!({"continue": token}),
                None => json!({}),
            },
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        // metav1.Status leaves an empty reason (StatusReasonUnknown) out.
        if self.reason.is_empty() {
            if let Some(map) = status.as_object_mut() {
                map.remove("reason");
            }
        }
        let mut details = serde_json::Map::new();
        // metav1.StatusDetails and StatusCause leave empty strings out (`omitempty`).
        if let Some(name) = self.name.as_ref().filter(|n| !n.is_empty()) {
            details.insert("name".into(), json!(name));
        }
        if let Some(group) = &self.group {
            if !group.is_empty() {
                details.insert("group".into(), json!(group));
            }
        }
        if let Some(kind) = &self.kind {
            details.insert("kind".into(), json!(kind));
        }
        if !self.causes.is_empty() {
            let causes: Vec<Value> = self
                .causes
                .iter()
                .map(|c| {
                    let cause = [
                        ("reason", &c.reason),
                        ("message", &c.message),
                        ("field", &c.field),
                    ]
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect();
                    Value::Object(cause)
                })
                .collect();
            details.insert("causes".into(), Value::Array(causes));
        }
        if let Some(retry) = self.retry_after_seconds {
            details.insert("retryAfterSeconds".into(), json!(retry));
        }
        // Upstream's constructors that set `Details` (NewForbidden of a path, say) give
        // `"details":{}` when every field is empty; `group` present marks them.
        if !details.is_empty() || self.group.is_some() {
            status["details"] = Value::Object(details);
        }
        if self.reason.is_empty() {
            if let Some(obj) = status.as_object_mut() {
                obj.remove("reason");
            }
        }
        status
    }
}
