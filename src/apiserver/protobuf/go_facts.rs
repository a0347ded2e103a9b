//! The Go facts upstream's protos lack: pointer and `omitempty` exceptions, inlined structs,
//! renamed JSON fields, and the fields read and dropped on purpose.

use prost_reflect::FieldDescriptor;

/// Optional collections without `omitempty` (by `Message.field`): upstream prints an empty
/// one as `null` rather than leaving it out, so it is not dropped here.
pub(super) const KEPT_EMPTY_COLLECTIONS: &[&str] = &["ClusterRole.rules", "Role.rules"];

/// Collections upstream does not mark `+optional` whose Go tag still has `omitempty` (by
/// `Message.field`): dropped when empty like the optional ones.
pub(super) const OMITTED_EMPTY_REQUIRED: &[&str] = &[
    "DeploymentStatus.conditions",
    "HostAlias.hostnames",
    "MutatingWebhook.rules",
    "PodSpec.initContainers",
    "PodStatus.initContainerStatuses",
    "Rule.apiGroups",
    "Rule.apiVersions",
    "Rule.resources",
    "RuleWithOperations.operations",
    "ServiceSpec.ports",
    "ValidatingWebhook.rules",
];

/// `resource.Quantity` fields that are Go values, not pointers (by `Message.field`): an unset
/// one prints as `"0"`.
pub(super) const VALUE_QUANTITIES: &[&str] = &["ResourceFieldSelector.divisor"];

/// Optional Go `*string` fields, and optional Go strings without `omitempty` (by
/// `Message.field`): a present `""` is kept.
pub(super) const POINTER_STRINGS: &[&str] = &[
    "AppArmorProfile.localhostProfile",
    "ClusterTrustBundleProjection.name",
    "ClusterTrustBundleProjection.signerName",
    "Container.restartPolicy",
    "CronJobSpec.timeZone",
    "CSIDriverSpec.fsGroupPolicy",
    "CSIVolumeSource.fsType",
    "DeploymentSpec.podReplacementPolicy",
    "Endpoint.hostname",
    "Endpoint.nodeName",
    "Endpoint.zone",
    "EndpointPort.appProtocol",
    "GRPCAction.service",
    "HostPathVolumeSource.type",
    "HPAScalingRules.selectPolicy",
    "IngressClassParametersReference.aPIGroup",
    "IngressClassParametersReference.namespace",
    "IngressClassParametersReference.scope",
    "IngressPortStatus.error",
    "IngressSpec.ingressClassName",
    "JobSpec.completionMode",
    "JobSpec.managedBy",
    "JobSpec.podReplacementPolicy",
    "JobStatus.failedIndexes",
    "LeaseSpec.holderIdentity",
    "LeaseSpec.preferredHolder",
    "LeaseSpec.strategy",
    "Lifecycle.stopSignal",
    "MatchResources.matchPolicy",
    "MutatingWebhook.failurePolicy",
    "MutatingWebhook.matchPolicy",
    "MutatingWebhook.reinvocationPolicy",
    "MutatingWebhook.sideEffects",
    "NetworkPolicyPort.protocol",
    "PersistentVolumeClaimSpec.storageClassName",
    "PersistentVolumeClaimSpec.volumeAttributesClassName",
    "PersistentVolumeClaimSpec.volumeMode",
    "PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy",
    "PodDNSConfigOption.value",
    "PodFailurePolicyOnExitCodesRequirement.containerName",
    "PodFailurePolicyOnPodConditionsPattern.status",
    "PodSecurityContext.fsGroupChangePolicy",
    "PodSecurityContext.seLinuxChangePolicy",
    "PodSecurityContext.supplementalGroupsPolicy",
    "PodSpec.hostnameOverride",
    "PodSpec.preemptionPolicy",
    "PodSpec.runtimeClassName",
    "PriorityClass.preemptionPolicy",
    "Rule.scope",
    "SeccompProfile.localhostProfile",
    "SecurityContext.procMount",
    "ServiceReference.path",
    "StorageClass.reclaimPolicy",
    "StorageClass.volumeBindingMode",
    "SuccessPolicyRule.succeededIndexes",
    "TokenRequest.audience",
    "TopologySpreadConstraint.nodeAffinityPolicy",
    "TopologySpreadConstraint.nodeTaintsPolicy",
    "TypedLocalObjectReference.apiGroup",
    "TypedObjectReference.apiGroup",
    "TypedObjectReference.namespace",
    "ValidatingAdmissionPolicySpec.failurePolicy",
    "ValidatingWebhook.failurePolicy",
    "ValidatingWebhook.matchPolicy",
    "ValidatingWebhook.sideEffects",
    "Validation.reason",
    "VolumeAttachmentSource.persistentVolumeName",
    "VolumeMount.mountPropagation",
    "VolumeMount.recursiveReadOnly",
    "WebhookClientConfig.url",
    "WindowsSecurityContextOptions.gmsaCredentialSpec",
    "WindowsSecurityContextOptions.gmsaCredentialSpecName",
    "WindowsSecurityContextOptions.runAsUserName",
];

/// Go value fields with `omitempty` that the default rule would keep (by `Message.field`):
/// non-pointer bools and integers, and fields whose proto comment lacks `+optional`.
/// The `Event.*` entries are events.k8s.io/v1's; core/v1 Event's fields of those names are
/// optional strings, omitted when empty by the default rule anyway.
pub(super) const OMITTED_ZEROS: &[&str] = &[
    "Container.stdin",
    "Container.stdinOnce",
    "Container.tty",
    "ContainerPort.hostPort",
    "DaemonSetSpec.minReadySeconds",
    "DaemonSetStatus.numberAvailable",
    "DaemonSetStatus.numberUnavailable",
    "DaemonSetStatus.observedGeneration",
    "DaemonSetStatus.updatedNumberScheduled",
    "DeploymentCondition.message",
    "DeploymentCondition.reason",
    "DeploymentSpec.minReadySeconds",
    "DeploymentSpec.paused",
    "DeploymentStatus.availableReplicas",
    "DeploymentStatus.observedGeneration",
    "DeploymentStatus.readyReplicas",
    "DeploymentStatus.replicas",
    "DeploymentStatus.unavailableReplicas",
    "DeploymentStatus.updatedReplicas",
    "EphemeralContainerCommon.stdin",
    "EphemeralContainerCommon.stdinOnce",
    "EphemeralContainerCommon.tty",
    "Event.action",
    "Event.deprecatedCount",
    "Event.reason",
    "Event.reportingController",
    "Event.reportingInstance",
    "Event.type",
    "FlowSchemaCondition.message",
    "FlowSchemaCondition.reason",
    "FlowSchemaCondition.status",
    "FlowSchemaCondition.type",
    "HorizontalPodAutoscalerStatus.currentReplicas",
    "IngressClassSpec.controller",
    "JobStatus.active",
    "JobStatus.failed",
    "JobStatus.succeeded",
    "ManagedFieldsEntry.apiVersion",
    "ManagedFieldsEntry.fieldsType",
    "ManagedFieldsEntry.manager",
    "ManagedFieldsEntry.operation",
    "ManagedFieldsEntry.subresource",
    "NFSVolumeSource.readOnly",
    "ObjectMeta.generation",
    "ParamKind.apiVersion",
    "ParamKind.kind",
    "ParamRef.name",
    "ParentReference.name",
    "ParentReference.resource",
    "PersistentVolumeClaimVolumeSource.readOnly",
    "PodDisruptionBudgetStatus.observedGeneration",
    "PodDNSConfigOption.name",
    "PodSpec.hostIPC",
    "PodSpec.hostNetwork",
    "PodSpec.hostPID",
    "PriorityClass.globalDefault",
    "PriorityLevelConfigurationCondition.message",
    "PriorityLevelConfigurationCondition.reason",
    "PriorityLevelConfigurationCondition.status",
    "PriorityLevelConfigurationCondition.type",
    "Probe.failureThreshold",
    "Probe.initialDelaySeconds",
    "Probe.periodSeconds",
    "Probe.successThreshold",
    "Probe.timeoutSeconds",
    "ReplicaSetSpec.minReadySeconds",
    "ReplicaSetStatus.availableReplicas",
    "ReplicaSetStatus.fullyLabeledReplicas",
    "ReplicaSetStatus.observedGeneration",
    "ReplicaSetStatus.readyReplicas",
    "ResourcePolicyRule.clusterScope",
    "SelfSubjectRulesReviewSpec.namespace",
    "ServiceBackendPort.number",
    "StatefulSetPersistentVolumeClaimRetentionPolicy.whenDeleted",
    "StatefulSetPersistentVolumeClaimRetentionPolicy.whenScaled",
    "StatefulSetSpec.minReadySeconds",
    "StatefulSetStatus.currentReplicas",
    "StatefulSetStatus.currentRevision",
    "StatefulSetStatus.observedGeneration",
    "StatefulSetStatus.readyReplicas",
    "StatefulSetStatus.updatedReplicas",
    "StatefulSetStatus.updateRevision",
    "TokenReviewStatus.authenticated",
    "ValidatingAdmissionPolicyBindingSpec.policyName",
    "ValidatingAdmissionPolicyStatus.observedGeneration",
    "VolumeMount.readOnly",
];

/// Go structs embedded with `json:",inline"`: their fields print in the parent object.
/// go-to-protobuf names such a field after the embedded type.
pub(super) const INLINE_FIELDS: &[&str] = &[
    "*.localObjectReference",
    "EphemeralContainer.ephemeralContainerCommon",
    "IngressRule.ingressRuleValue",
    "NamedRuleWithOperations.ruleWithOperations",
    "PersistentVolumeSpec.persistentVolumeSource",
    "Probe.handler",
    "RuleWithOperations.rule",
    "Volume.volumeSource",
];

/// Fields whose Go JSON name differs from the proto name go-to-protobuf gave them.
pub(super) const JSON_NAMES: &[(&str, &str)] = &[
    ("BoundObjectReference.uID", "uid"),
    ("IngressClassParametersReference.aPIGroup", "apiGroup"),
    ("MutatingWebhookConfiguration.Webhooks", "webhooks"),
    ("ValidatingWebhookConfiguration.Webhooks", "webhooks"),
    ("Validation.Expression", "expression"),
    ("Variable.Expression", "expression"),
    ("Variable.Name", "name"),
];

/// Top-level fields read and dropped on purpose: a Pod's status, which create resets.
pub(super) const SKIPPED_TOP_LEVEL: &[&str] = &["Pod.status"];

/// `Message.field`, as the Go-fact lists name a field.
pub(super) fn field_key(field: &FieldDescriptor) -> String {
    format!("{}.{}", field.parent_message().name(), field.name())
}

/// The field's name in the JSON encoding.
pub(super) fn json_name(field: &FieldDescriptor) -> &str {
    let key = field_key(field);
    JSON_NAMES
        .iter()
        .find(|(proto, _)| *proto == key)
        .map_or(field.name(), |(_, json)| json)
}

pub(super) fn is_inline(field: &FieldDescriptor) -> bool {
    let key = field_key(field);
    let any = format!("*.{}", field.name());
    INLINE_FIELDS.contains(&key.as_str()) || INLINE_FIELDS.contains(&any.as_str())
}
