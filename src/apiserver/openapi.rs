//! OpenAPI v3 documents for the served group-versions (`/openapi/v3` and
//! `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`).
//!
//! kubectl reads them on every `create -f` / `apply -f`: a PATCH operation that carries the
//! kind's `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter makes it
//! leave validation to the server (`fieldValidation=Strict`), and the component schemas (with
//! `x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy` on merge lists) drive the
//! strategic merge patch of client-side apply. The schemas come from a compact table below,
//! derived from the upstream v1.33 definitions (field descriptions left out). Documents are
//! built once and kept.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use super::discovery::KUBERNETES_VERSION;
use super::kinds::{ResourceInfo, ALL};

/// A malformed line in the compact schema table (a programming error, caught by tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schema table line {line}: {reason}")]
pub struct SchemaTableError {
    pub line: usize,
    pub reason: String,
}

/// Short prefixes used in the table, and the schema-name prefix each stands for.
const NAME_PREFIXES: &[(&str, &str)] = &[
    ("core.", "io.k8s.api.core.v1."),
    ("authn.", "io.k8s.api.authentication.v1."),
    ("meta.", "io.k8s.apimachinery.pkg.apis.meta.v1."),
    ("resource.", "io.k8s.apimachinery.pkg.api.resource."),
    ("intstr.", "io.k8s.apimachinery.pkg.util.intstr."),
    ("runtime.", "io.k8s.apimachinery.pkg.runtime."),
];

/// Component schemas, one per entry: `name: field=type ...`, continued on indented lines, or
/// `name = special` for schemas that are not plain objects.
///
/// Types: `string`, `integer:int32`, `string:byte` (type:format), `boolean`, `object`,
/// `&name` (reference), `[]T` (array), `{}T` (map). A field type followed by `!` is required;
/// `~strategy/key` adds the strategic-merge-patch metadata of upstream's struct tags.
const SCHEMA_TABLE: &str = r#"
authn.SelfSubjectReview: apiVersion=string kind=string metadata=&meta.ObjectMeta
    status=&authn.SelfSubjectReviewStatus
authn.SelfSubjectReviewStatus: userInfo=&authn.UserInfo
authn.UserInfo: extra={}[]string groups=[]string uid=string username=string
core.AWSElasticBlockStoreVolumeSource: fsType=string partition=integer:int32 readOnly=boolean
    volumeID=string!
core.Affinity: nodeAffinity=&core.NodeAffinity podAffinity=&core.PodAffinity
    podAntiAffinity=&core.PodAntiAffinity
core.AppArmorProfile: localhostProfile=string type=string!
core.AzureDiskVolumeSource: cachingMode=string diskName=string! diskURI=string! fsType=string
    kind=string readOnly=boolean
core.AzureFileVolumeSource: readOnly=boolean secretName=string! shareName=string!
core.CSIVolumeSource: driver=string! fsType=string
    nodePublishSecretRef=&core.LocalObjectReference readOnly=boolean volumeAttributes={}string
core.Capabilities: add=[]string drop=[]string
core.CephFSVolumeSource: monitors=[]string! path=string readOnly=boolean secretFile=string
    secretRef=&core.LocalObjectReference user=string
core.CinderVolumeSource: fsType=string readOnly=boolean secretRef=&core.LocalObjectReference
    volumeID=string!
core.ClusterTrustBundleProjection: labelSelector=&meta.LabelSelector name=string
    optional=boolean path=string! signerName=string
core.ConfigMap: apiVersion=string binaryData={}string:byte data={}string immutable=boolean
    kind=string metadata=&meta.ObjectMeta
core.ConfigMapEnvSource: name=string! optional=boolean
core.ConfigMapKeySelector: key=string! name=string! optional=boolean
core.ConfigMapProjection: items=[]&core.KeyToPath name=string! optional=boolean
core.ConfigMapVolumeSource: defaultMode=integer:int32 items=[]&core.KeyToPath name=string!
    optional=boolean
core.Container: args=[]string command=[]string env=[]&core.EnvVar~merge/name
    envFrom=[]&core.EnvFromSource image=string imagePullPolicy=string lifecycle=&core.Lifecycle
    livenessProbe=&core.Probe name=string! ports=[]&core.ContainerPort~merge/containerPort
    readinessProbe=&core.Probe resizePolicy=[]&core.ContainerResizePolicy
    resources=&core.ResourceRequirements restartPolicy=string
    securityContext=&core.SecurityContext startupProbe=&core.Probe stdin=boolean
    stdinOnce=boolean terminationMessagePath=string terminationMessagePolicy=string tty=boolean
    volumeDevices=[]&core.VolumeDevice~merge/devicePath
    volumeMounts=[]&core.VolumeMount~merge/mountPath workingDir=string
core.ContainerPort: containerPort=integer:int32! hostIP=string hostPort=integer:int32
    name=string protocol=string
core.ContainerResizePolicy: resourceName=string! restartPolicy=string!
core.ContainerState: running=&core.ContainerStateRunning
    terminated=&core.ContainerStateTerminated waiting=&core.ContainerStateWaiting
core.ContainerStateRunning: startedAt=&meta.Time
core.ContainerStateTerminated: containerID=string exitCode=integer:int32! finishedAt=&meta.Time
    message=string reason=string signal=integer:int32 startedAt=&meta.Time
core.ContainerStateWaiting: message=string reason=string
core.ContainerStatus: allocatedResources={}&resource.Quantity
    allocatedResourcesStatus=[]&core.ResourceStatus~merge/name containerID=string image=string!
    imageID=string! lastState=&core.ContainerState name=string! ready=boolean!
    resources=&core.ResourceRequirements restartCount=integer:int32! started=boolean
    state=&core.ContainerState stopSignal=string user=&core.ContainerUser
    volumeMounts=[]&core.VolumeMountStatus~merge/mountPath
core.ContainerUser: linux=&core.LinuxContainerUser
core.DownwardAPIProjection: items=[]&core.DownwardAPIVolumeFile
core.DownwardAPIVolumeFile: fieldRef=&core.ObjectFieldSelector mode=integer:int32 path=string!
    resourceFieldRef=&core.ResourceFieldSelector
core.DownwardAPIVolumeSource: defaultMode=integer:int32 items=[]&core.DownwardAPIVolumeFile
core.EmptyDirVolumeSource: medium=string sizeLimit=&resource.Quantity
core.EnvFromSource: configMapRef=&core.ConfigMapEnvSource prefix=string
    secretRef=&core.SecretEnvSource
core.EnvVar: name=string! value=string valueFrom=&core.EnvVarSource
core.EnvVarSource: configMapKeyRef=&core.ConfigMapKeySelector fieldRef=&core.ObjectFieldSelector
    resourceFieldRef=&core.ResourceFieldSelector secretKeyRef=&core.SecretKeySelector
core.EphemeralContainer: args=[]string command=[]string env=[]&core.EnvVar~merge/name
    envFrom=[]&core.EnvFromSource image=string imagePullPolicy=string lifecycle=&core.Lifecycle
    livenessProbe=&core.Probe name=string! ports=[]&core.ContainerPort~merge/containerPort
    readinessProbe=&core.Probe resizePolicy=[]&core.ContainerResizePolicy
    resources=&core.ResourceRequirements restartPolicy=string
    securityContext=&core.SecurityContext startupProbe=&core.Probe stdin=boolean
    stdinOnce=boolean targetContainerName=string terminationMessagePath=string
    terminationMessagePolicy=string tty=boolean
    volumeDevices=[]&core.VolumeDevice~merge/devicePath
    volumeMounts=[]&core.VolumeMount~merge/mountPath workingDir=string
core.EphemeralVolumeSource: volumeClaimTemplate=&core.PersistentVolumeClaimTemplate
core.ExecAction: command=[]string
core.FCVolumeSource: fsType=string lun=integer:int32 readOnly=boolean targetWWNs=[]string
    wwids=[]string
core.FlexVolumeSource: driver=string! fsType=string options={}string readOnly=boolean
    secretRef=&core.LocalObjectReference
core.FlockerVolumeSource: datasetName=string datasetUUID=string
core.GCEPersistentDiskVolumeSource: fsType=string partition=integer:int32 pdName=string!
    readOnly=boolean
core.GRPCAction: port=integer:int32! service=string
core.GitRepoVolumeSource: directory=string repository=string! revision=string
core.GlusterfsVolumeSource: endpoints=string! path=string! readOnly=boolean
core.HTTPGetAction: host=string httpHeaders=[]&core.HTTPHeader path=string
    port=&intstr.IntOrString! scheme=string
core.HTTPHeader: name=string! value=string!
core.HostAlias: hostnames=[]string ip=string!
core.HostIP: ip=string!
core.HostPathVolumeSource: path=string! type=string
core.ISCSIVolumeSource: chapAuthDiscovery=boolean chapAuthSession=boolean fsType=string
    initiatorName=string iqn=string! iscsiInterface=string lun=integer:int32! portals=[]string
    readOnly=boolean secretRef=&core.LocalObjectReference targetPortal=string!
core.ImageVolumeSource: pullPolicy=string reference=string
core.KeyToPath: key=string! mode=integer:int32 path=string!
core.Lifecycle: postStart=&core.LifecycleHandler preStop=&core.LifecycleHandler
    stopSignal=string
core.LifecycleHandler: exec=&core.ExecAction httpGet=&core.HTTPGetAction sleep=&core.SleepAction
    tcpSocket=&core.TCPSocketAction
core.LinuxContainerUser: gid=integer:int64! supplementalGroups=[]integer:int64
    uid=integer:int64!
core.LocalObjectReference: name=string!
core.NFSVolumeSource: path=string! readOnly=boolean server=string!
core.Namespace: apiVersion=string kind=string metadata=&meta.ObjectMeta spec=&core.NamespaceSpec
    status=&core.NamespaceStatus
core.NamespaceCondition: lastTransitionTime=&meta.Time message=string reason=string
    status=string! type=string!
core.NamespaceSpec: finalizers=[]string
core.NamespaceStatus: conditions=[]&core.NamespaceCondition~merge/type phase=string
core.NodeAffinity:
    preferredDuringSchedulingIgnoredDuringExecution=[]&core.PreferredSchedulingTerm
    requiredDuringSchedulingIgnoredDuringExecution=&core.NodeSelector
core.NodeSelector: nodeSelectorTerms=[]&core.NodeSelectorTerm!
core.NodeSelectorRequirement: key=string! operator=string! values=[]string
core.NodeSelectorTerm: matchExpressions=[]&core.NodeSelectorRequirement
    matchFields=[]&core.NodeSelectorRequirement
core.ObjectFieldSelector: apiVersion=string fieldPath=string!
core.ObjectReference: apiVersion=string fieldPath=string kind=string name=string
    namespace=string resourceVersion=string uid=string
core.PersistentVolumeClaimSpec: accessModes=[]string dataSource=&core.TypedLocalObjectReference
    dataSourceRef=&core.TypedObjectReference resources=&core.VolumeResourceRequirements
    selector=&meta.LabelSelector storageClassName=string volumeAttributesClassName=string
    volumeMode=string volumeName=string
core.PersistentVolumeClaimTemplate: metadata=&meta.ObjectMeta
    spec=&core.PersistentVolumeClaimSpec!
core.PersistentVolumeClaimVolumeSource: claimName=string! readOnly=boolean
core.PhotonPersistentDiskVolumeSource: fsType=string pdID=string!
core.Pod: apiVersion=string kind=string metadata=&meta.ObjectMeta spec=&core.PodSpec
    status=&core.PodStatus
core.PodAffinity:
    preferredDuringSchedulingIgnoredDuringExecution=[]&core.WeightedPodAffinityTerm
    requiredDuringSchedulingIgnoredDuringExecution=[]&core.PodAffinityTerm
core.PodAffinityTerm: labelSelector=&meta.LabelSelector matchLabelKeys=[]string
    mismatchLabelKeys=[]string namespaceSelector=&meta.LabelSelector namespaces=[]string
    topologyKey=string!
core.PodAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution=[]&core.WeightedPodAffinityTerm
    requiredDuringSchedulingIgnoredDuringExecution=[]&core.PodAffinityTerm
core.PodCondition: lastProbeTime=&meta.Time lastTransitionTime=&meta.Time message=string
    observedGeneration=integer:int64 reason=string status=string! type=string!
core.PodDNSConfig: nameservers=[]string options=[]&core.PodDNSConfigOption searches=[]string
core.PodDNSConfigOption: name=string value=string
core.PodIP: ip=string!
core.PodOS: name=string!
core.PodReadinessGate: conditionType=string!
core.PodResourceClaim: name=string! resourceClaimName=string resourceClaimTemplateName=string
core.PodResourceClaimStatus: name=string! resourceClaimName=string
core.PodSchedulingGate: name=string!
core.PodSecurityContext: appArmorProfile=&core.AppArmorProfile fsGroup=integer:int64
    fsGroupChangePolicy=string runAsGroup=integer:int64 runAsNonRoot=boolean
    runAsUser=integer:int64 seLinuxChangePolicy=string seLinuxOptions=&core.SELinuxOptions
    seccompProfile=&core.SeccompProfile supplementalGroups=[]integer:int64
    supplementalGroupsPolicy=string sysctls=[]&core.Sysctl
    windowsOptions=&core.WindowsSecurityContextOptions
core.PodSpec: activeDeadlineSeconds=integer:int64 affinity=&core.Affinity
    automountServiceAccountToken=boolean containers=[]&core.Container!~merge/name
    dnsConfig=&core.PodDNSConfig dnsPolicy=string enableServiceLinks=boolean
    ephemeralContainers=[]&core.EphemeralContainer~merge/name
    hostAliases=[]&core.HostAlias~merge/ip hostIPC=boolean hostNetwork=boolean hostPID=boolean
    hostUsers=boolean hostname=string imagePullSecrets=[]&core.LocalObjectReference~merge/name
    initContainers=[]&core.Container~merge/name nodeName=string nodeSelector={}string
    os=&core.PodOS overhead={}&resource.Quantity preemptionPolicy=string priority=integer:int32
    priorityClassName=string readinessGates=[]&core.PodReadinessGate
    resourceClaims=[]&core.PodResourceClaim~merge,retainKeys/name
    resources=&core.ResourceRequirements restartPolicy=string runtimeClassName=string
    schedulerName=string schedulingGates=[]&core.PodSchedulingGate~merge/name
    securityContext=&core.PodSecurityContext serviceAccount=string serviceAccountName=string
    setHostnameAsFQDN=boolean shareProcessNamespace=boolean subdomain=string
    terminationGracePeriodSeconds=integer:int64 tolerations=[]&core.Toleration
    topologySpreadConstraints=[]&core.TopologySpreadConstraint~merge/topologyKey
    volumes=[]&core.Volume~merge,retainKeys/name
core.PodStatus: conditions=[]&core.PodCondition~merge/type
    containerStatuses=[]&core.ContainerStatus ephemeralContainerStatuses=[]&core.ContainerStatus
    hostIP=string hostIPs=[]&core.HostIP~merge/ip initContainerStatuses=[]&core.ContainerStatus
    message=string nominatedNodeName=string observedGeneration=integer:int64 phase=string
    podIP=string podIPs=[]&core.PodIP~merge/ip qosClass=string reason=string resize=string
    resourceClaimStatuses=[]&core.PodResourceClaimStatus~merge,retainKeys/name
    startTime=&meta.Time
core.PortworxVolumeSource: fsType=string readOnly=boolean volumeID=string!
core.PreferredSchedulingTerm: preference=&core.NodeSelectorTerm! weight=integer:int32!
core.Probe: exec=&core.ExecAction failureThreshold=integer:int32 grpc=&core.GRPCAction
    httpGet=&core.HTTPGetAction initialDelaySeconds=integer:int32 periodSeconds=integer:int32
    successThreshold=integer:int32 tcpSocket=&core.TCPSocketAction
    terminationGracePeriodSeconds=integer:int64 timeoutSeconds=integer:int32
core.ProjectedVolumeSource: defaultMode=integer:int32 sources=[]&core.VolumeProjection
core.QuobyteVolumeSource: group=string readOnly=boolean registry=string! tenant=string
    user=string volume=string!
core.RBDVolumeSource: fsType=string image=string! keyring=string monitors=[]string! pool=string
    readOnly=boolean secretRef=&core.LocalObjectReference user=string
core.ResourceClaim: name=string! request=string
core.ResourceFieldSelector: containerName=string divisor=&resource.Quantity resource=string!
core.ResourceHealth: health=string resourceID=string!
core.ResourceRequirements: claims=[]&core.ResourceClaim limits={}&resource.Quantity
    requests={}&resource.Quantity
core.ResourceStatus: name=string! resources=[]&core.ResourceHealth
core.SELinuxOptions: level=string role=string type=string user=string
core.ScaleIOVolumeSource: fsType=string gateway=string! protectionDomain=string readOnly=boolean
    secretRef=&core.LocalObjectReference! sslEnabled=boolean storageMode=string
    storagePool=string system=string! volumeName=string
core.SeccompProfile: localhostProfile=string type=string!
core.Secret: apiVersion=string data={}string:byte immutable=boolean kind=string
    metadata=&meta.ObjectMeta stringData={}string type=string
core.SecretEnvSource: name=string! optional=boolean
core.SecretKeySelector: key=string! name=string! optional=boolean
core.SecretProjection: items=[]&core.KeyToPath name=string! optional=boolean
core.SecretVolumeSource: defaultMode=integer:int32 items=[]&core.KeyToPath optional=boolean
    secretName=string
core.SecurityContext: allowPrivilegeEscalation=boolean appArmorProfile=&core.AppArmorProfile
    capabilities=&core.Capabilities privileged=boolean procMount=string
    readOnlyRootFilesystem=boolean runAsGroup=integer:int64 runAsNonRoot=boolean
    runAsUser=integer:int64 seLinuxOptions=&core.SELinuxOptions
    seccompProfile=&core.SeccompProfile windowsOptions=&core.WindowsSecurityContextOptions
core.ServiceAccount: apiVersion=string automountServiceAccountToken=boolean
    imagePullSecrets=[]&core.LocalObjectReference kind=string metadata=&meta.ObjectMeta
    secrets=[]&core.ObjectReference~merge/name
core.ServiceAccountTokenProjection: audience=string expirationSeconds=integer:int64 path=string!
core.SleepAction: seconds=integer:int64!
core.StorageOSVolumeSource: fsType=string readOnly=boolean secretRef=&core.LocalObjectReference
    volumeName=string volumeNamespace=string
core.Sysctl: name=string! value=string!
core.TCPSocketAction: host=string port=&intstr.IntOrString!
core.Toleration: effect=string key=string operator=string tolerationSeconds=integer:int64
    value=string
core.TopologySpreadConstraint: labelSelector=&meta.LabelSelector matchLabelKeys=[]string
    maxSkew=integer:int32! minDomains=integer:int32 nodeAffinityPolicy=string
    nodeTaintsPolicy=string topologyKey=string! whenUnsatisfiable=string!
core.TypedLocalObjectReference: apiGroup=string kind=string! name=string!
core.TypedObjectReference: apiGroup=string kind=string! name=string! namespace=string
core.Volume: awsElasticBlockStore=&core.AWSElasticBlockStoreVolumeSource
    azureDisk=&core.AzureDiskVolumeSource azureFile=&core.AzureFileVolumeSource
    cephfs=&core.CephFSVolumeSource cinder=&core.CinderVolumeSource
    configMap=&core.ConfigMapVolumeSource csi=&core.CSIVolumeSource
    downwardAPI=&core.DownwardAPIVolumeSource emptyDir=&core.EmptyDirVolumeSource
    ephemeral=&core.EphemeralVolumeSource fc=&core.FCVolumeSource
    flexVolume=&core.FlexVolumeSource flocker=&core.FlockerVolumeSource
    gcePersistentDisk=&core.GCEPersistentDiskVolumeSource gitRepo=&core.GitRepoVolumeSource
    glusterfs=&core.GlusterfsVolumeSource hostPath=&core.HostPathVolumeSource
    image=&core.ImageVolumeSource iscsi=&core.ISCSIVolumeSource name=string!
    nfs=&core.NFSVolumeSource persistentVolumeClaim=&core.PersistentVolumeClaimVolumeSource
    photonPersistentDisk=&core.PhotonPersistentDiskVolumeSource
    portworxVolume=&core.PortworxVolumeSource projected=&core.ProjectedVolumeSource
    quobyte=&core.QuobyteVolumeSource rbd=&core.RBDVolumeSource
    scaleIO=&core.ScaleIOVolumeSource secret=&core.SecretVolumeSource
    storageos=&core.StorageOSVolumeSource vsphereVolume=&core.VsphereVirtualDiskVolumeSource
core.VolumeDevice: devicePath=string! name=string!
core.VolumeMount: mountPath=string! mountPropagation=string name=string! readOnly=boolean
    recursiveReadOnly=string subPath=string subPathExpr=string
core.VolumeMountStatus: mountPath=string! name=string! readOnly=boolean recursiveReadOnly=string
core.VolumeProjection: clusterTrustBundle=&core.ClusterTrustBundleProjection
    configMap=&core.ConfigMapProjection downwardAPI=&core.DownwardAPIProjection
    secret=&core.SecretProjection serviceAccountToken=&core.ServiceAccountTokenProjection
core.VolumeResourceRequirements: limits={}&resource.Quantity requests={}&resource.Quantity
core.VsphereVirtualDiskVolumeSource: fsType=string storagePolicyID=string
    storagePolicyName=string volumePath=string!
core.WeightedPodAffinityTerm: podAffinityTerm=&core.PodAffinityTerm! weight=integer:int32!
core.WindowsSecurityContextOptions: gmsaCredentialSpec=string gmsaCredentialSpecName=string
    hostProcess=boolean runAsUserName=string
resource.Quantity = quantity
meta.DeleteOptions: apiVersion=string dryRun=[]string gracePeriodSeconds=integer:int64
    ignoreStoreReadErrorWithClusterBreakingPotential=boolean kind=string
    orphanDependents=boolean preconditions=&meta.Preconditions propagationPolicy=string
meta.FieldsV1 = object
meta.LabelSelector: matchExpressions=[]&meta.LabelSelectorRequirement matchLabels={}string
meta.LabelSelectorRequirement: key=string! operator=string! values=[]string
meta.ListMeta: continue=string remainingItemCount=integer:int64 resourceVersion=string
    selfLink=string
meta.ManagedFieldsEntry: apiVersion=string fieldsType=string fieldsV1=&meta.FieldsV1
    manager=string operation=string subresource=string time=&meta.Time
meta.ObjectMeta: annotations={}string creationTimestamp=&meta.Time
    deletionGracePeriodSeconds=integer:int64 deletionTimestamp=&meta.Time
    finalizers=[]string~merge generateName=string generation=integer:int64 labels={}string
    managedFields=[]&meta.ManagedFieldsEntry name=string namespace=string
    ownerReferences=[]&meta.OwnerReference~merge/uid resourceVersion=string selfLink=string
    uid=string
meta.OwnerReference: apiVersion=string! blockOwnerDeletion=boolean controller=boolean
    kind=string! name=string! uid=string!
meta.Patch = object
meta.Preconditions: resourceVersion=string uid=string
meta.Status: apiVersion=string code=integer:int32 details=&meta.StatusDetails kind=string
    message=string metadata=&meta.ListMeta reason=string status=string
meta.StatusCause: field=string message=string reason=string
meta.StatusDetails: causes=[]&meta.StatusCause group=string kind=string name=string
    retryAfterSeconds=integer:int32 uid=string
meta.Time = string:date-time
meta.WatchEvent: object=&runtime.RawExtension! type=string!
runtime.RawExtension = object
intstr.IntOrString = intorstring
"#;

/// Type-level descriptions for the served kinds (what `kubectl explain <kind>` shows first).
const KIND_DESCRIPTIONS: &[(&str, &str)] = &[
    ("Pod", "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts."),
    ("Secret", "Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes."),
    ("ServiceAccount", "ServiceAccount binds together: * a name, understood by users, and perhaps by peripheral systems, for an identity * a principal that can be authenticated and authorized * a set of secrets"),
    ("Namespace", "Namespace provides a scope for Names. Use of multiple namespaces is optional."),
    ("ConfigMap", "ConfigMap holds configuration data for pods to consume."),
    ("SelfSubjectReview", "SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request. When using impersonation, users will receive the user info of the user being impersonated.  If impersonation or request header authentication is used, any extra keys will have their case ignored and returned as lowercase."),
];

const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";
const STATUS_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
const DELETE_OPTIONS_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
const PATCH_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
const LIST_META_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
const WATCH_EVENT_SCHEMA: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";

fn expand_name(short: &str) -> Option<String> {
    NAME_PREFIXES.iter().find_map(|(prefix, long)| {
        short
            .strip_prefix(prefix)
            .filter(|rest| !rest.is_empty())
            .map(|rest| format!("{long}{rest}"))
    })
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("{SCHEMA_REF_PREFIX}{name}")})
}

/// Parses one table type (`[]&core.EnvVar`, `{}string`, `integer:int64`, ...).
fn parse_type(spec: &str) -> Result<Value, String> {
    if let Some(item) = spec.strip_prefix("[]") {
        return Ok(json!({"type": "array", "items": parse_type(item)?}));
    }
    if let Some(value) = spec.strip_prefix("{}") {
        return Ok(json!({"type": "object", "additionalProperties": parse_type(value)?}));
    }
    if let Some(target) = spec.strip_prefix('&') {
        let name =
            expand_name(target).ok_or_else(|| format!("unknown schema prefix in {target:?}"))?;
        return Ok(schema_ref(&name));
    }
    let (kind, format) = match spec.split_once(':') {
        Some((kind, format)) => (kind, Some(format)),
        None => (spec, None),
    };
    if !matches!(kind, "string" | "integer" | "number" | "boolean" | "object") {
        return Err(format!("unknown type {spec:?}"));
    }
    let mut schema = json!({"type": kind});
    if let Some(format) = format {
        schema["format"] = json!(format);
    }
    Ok(schema)
}

/// Schemas that are not plain objects.
fn special_schema(spec: &str) -> Result<Value, String> {
    match spec {
        "quantity" => Ok(json!({"oneOf": [{"type": "string"}, {"type": "number"}]})),
        "intorstring" => Ok(json!({
            "format": "int-or-string",
            "oneOf": [{"type": "integer"}, {"type": "string"}],
        })),
        other => parse_type(other),
    }
}

/// One `field=type[!][~strategy[/key]]` token.
fn parse_field(token: &str) -> Result<(String, Value, bool), String> {
    let (field, rest) = token
        .split_once('=')
        .ok_or_else(|| format!("field without type: {token:?}"))?;
    let (type_part, patch) = match rest.split_once('~') {
        Some((type_part, patch)) => (type_part, Some(patch)),
        None => (rest, None),
    };
    let (type_spec, required) = match type_part.strip_suffix('!') {
        Some(type_spec) => (type_spec, true),
        None => (type_part, false),
    };
    let mut schema = parse_type(type_spec)?;
    if let Some(patch) = patch {
        let (strategy, key) = match patch.split_once('/') {
            Some((strategy, key)) => (strategy, Some(key)),
            None => (patch, None),
        };
        schema["x-kubernetes-patch-strategy"] = json!(strategy);
        if let Some(key) = key {
            schema["x-kubernetes-patch-merge-key"] = json!(key);
        }
    }
    Ok((field.to_string(), schema, required))
}

/// Parses the compact table into component schemas keyed by full schema name.
pub fn parse_schema_table(text: &str) -> Result<BTreeMap<String, Value>, SchemaTableError> {
    let mut schemas = BTreeMap::new();
    let mut current: Option<(String, Map<String, Value>, Vec<String>)> = None;
    let finish = |entry: Option<(String, Map<String, Value>, Vec<String>)>,
                  schemas: &mut BTreeMap<String, Value>| {
        if let Some((name, properties, required)) = entry {
            let mut schema = json!({"type": "object", "properties": properties});
            if !required.is_empty() {
                schema["required"] = json!(required);
            }
            schemas.insert(name, schema);
        }
    };
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let error = |reason: String| SchemaTableError {
            line: line_no,
            reason,
        };
        if line.trim().is_empty() {
            continue;
        }
        let continuation = line.starts_with(' ');
        let fields = if continuation {
            if current.is_none() {
                return Err(error("continuation without a schema".into()));
            }
            line.trim()
        } else if let Some((short, special)) = line.split_once(" = ") {
            finish(current.take(), &mut schemas);
            let name =
                expand_name(short.trim()).ok_or_else(|| error(format!("bad name {short:?}")))?;
            schemas.insert(name, special_schema(special.trim()).map_err(error)?);
            continue;
        } else {
            finish(current.take(), &mut schemas);
            let (short, fields) = line
                .split_once(':')
                .ok_or_else(|| error("expected `name: fields`".into()))?;
            let name =
                expand_name(short.trim()).ok_or_else(|| error(format!("bad name {short:?}")))?;
            current = Some((name, Map::new(), Vec::new()));
            fields.trim()
        };
        if let Some((_, properties, required)) = current.as_mut() {
            for token in fields.split_whitespace() {
                let (field, schema, is_required) = parse_field(token).map_err(error)?;
                if is_required {
                    required.push(field.clone());
                }
                properties.insert(field, schema);
            }
        }
    }
    finish(current.take(), &mut schemas);
    Ok(schemas)
}

/// Where a group-version's document lives: `api/v1` or `apis/<group>/<version>`.
fn group_version_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The Go package of a group's types: `core` for the legacy group, else the group's first label.
fn api_package(group: &str) -> &str {
    if group.is_empty() {
        "core"
    } else {
        group.split('.').next().unwrap_or(group)
    }
}

fn kind_schema_name(resource: &ResourceInfo) -> String {
    format!(
        "io.k8s.api.{}.{}.{}",
        api_package(resource.group),
        resource.version,
        resource.kind
    )
}

fn list_schema_name(resource: &ResourceInfo) -> String {
    format!(
        "io.k8s.api.{}.{}.{}",
        api_package(resource.group),
        resource.version,
        resource.list_kind
    )
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `CoreV1`, `AuthenticationV1`: the group-version part of operation ids.
fn operation_group_version(resource: &ResourceInfo) -> String {
    format!(
        "{}{}",
        capitalize(api_package(resource.group)),
        capitalize(resource.version)
    )
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "kind": kind, "version": version})
}

fn query_param(name: &str, description: &str, kind: &str) -> Value {
    json!({
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": kind, "uniqueItems": true},
    })
}

fn path_param(name: &str, description: String) -> Value {
    json!({
        "name": name,
        "in": "path",
        "description": description,
        "required": true,
        "schema": {"type": "string", "uniqueItems": true},
    })
}

fn pretty_param() -> Value {
    query_param(
        "pretty",
        "If 'true', then the output is pretty printed.",
        "string",
    )
}

fn dry_run_param() -> Value {
    query_param(
        "dryRun",
        "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed",
        "string",
    )
}

fn field_manager_param() -> Value {
    query_param(
        "fieldManager",
        "fieldManager is a name associated with the actor or entity that is making these changes.",
        "string",
    )
}

/// The parameter whose presence tells kubectl the server validates fields itself.
fn field_validation_param() -> Value {
    query_param(
        "fieldValidation",
        "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: unknown fields are silently dropped and all but the last duplicate field are ignored. - Warn: a warning is sent for each unknown field that is dropped and each duplicate field encountered. - Strict: the request fails with a BadRequest error if any unknown or duplicate fields are present.",
        "string",
    )
}

fn list_params() -> Vec<Value> {
    vec![
        query_param("allowWatchBookmarks", "allowWatchBookmarks requests watch events with type \"BOOKMARK\".", "boolean"),
        query_param("continue", "The continue option should be set when retrieving more results from the server.", "string"),
        query_param("fieldSelector", "A selector to restrict the list of returned objects by their fields. Defaults to everything.", "string"),
        query_param("labelSelector", "A selector to restrict the list of returned objects by their labels. Defaults to everything.", "string"),
        query_param("limit", "limit is a maximum number of responses to return for a list call.", "integer"),
        query_param("resourceVersion", "resourceVersion sets a constraint on what resource versions a request may be served from.", "string"),
        query_param("resourceVersionMatch", "resourceVersionMatch determines how resourceVersion is applied to list calls.", "string"),
        query_param("sendInitialEvents", "`sendInitialEvents=true` may be set together with `watch=true`.", "boolean"),
        query_param("timeoutSeconds", "Timeout for the list/watch call.", "integer"),
        query_param("watch", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.", "boolean"),
    ]
}

fn delete_params() -> Vec<Value> {
    vec![
        dry_run_param(),
        query_param("gracePeriodSeconds", "The duration in seconds before the object should be deleted.", "integer"),
        query_param(
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error.",
            "boolean",
        ),
        query_param("orphanDependents", "Deprecated: please use the PropagationPolicy.", "boolean"),
        query_param(
            "propagationPolicy",
            "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
            "string",
        ),
    ]
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn responses(codes: &[&str], schema: &str) -> Value {
    let mut map = Map::new();
    for code in codes {
        let description = match *code {
            "201" => "Created",
            "202" => "Accepted",
            _ => "OK",
        };
        map.insert(
            (*code).to_string(),
            json!({"description": description, "content": json_content(schema_ref(schema))}),
        );
    }
    map.insert("401".into(), json!({"description": "Unauthorized"}));
    Value::Object(map)
}

struct Operation {
    action: &'static str,
    id: String,
    description: String,
    parameters: Vec<Value>,
    request_body: Option<Value>,
    responses: Value,
}

impl Operation {
    fn render(self, resource: &ResourceInfo) -> Value {
        let mut op = json!({
            "tags": [format!("{}_{}", api_package(resource.group), resource.version)],
            "description": self.description,
            "operationId": self.id,
            "parameters": self.parameters,
            "responses": self.responses,
            "x-kubernetes-action": self.action,
            "x-kubernetes-group-version-kind": gvk(resource.group, resource.version, resource.kind),
        });
        if let Some(body) = self.request_body {
            op["requestBody"] = body;
        }
        op
    }
}

/// Adds the operations of one resource to `paths`, for the verbs it supports.
fn add_resource_paths(resource: &ResourceInfo, paths: &mut Map<String, Value>) {
    let prefix = format!("/{}", group_version_path(resource.group, resource.version));
    let kind_schema = kind_schema_name(resource);
    let list_schema = list_schema_name(resource);
    let gv = operation_group_version(resource);
    let scope = if resource.namespaced {
        "Namespaced"
    } else {
        ""
    };
    let kind = resource.kind;
    let supports = |verb: &str| resource.verbs.contains(&verb);

    let collection = if resource.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}", resource.plural)
    } else {
        format!("{prefix}/{}", resource.plural)
    };
    let item = format!("{collection}/{{name}}");
    let mut scope_params = Vec::new();
    if resource.namespaced {
        scope_params.push(path_param(
            "namespace",
            "object name and auth scope, such as for teams and projects".into(),
        ));
    }
    let with_scope = |mut extra: Vec<Value>| {
        let mut params = scope_params.clone();
        params.append(&mut extra);
        params
    };
    let name_param = || path_param("name", format!("name of the {kind}"));
    let body =
        |schema: &str| json!({"required": true, "content": json_content(schema_ref(schema))});

    let mut collection_ops = Map::new();
    if supports("list") {
        let mut params = vec![pretty_param()];
        params.extend(list_params());
        collection_ops.insert(
            "get".into(),
            Operation {
                action: "list",
                id: format!("list{gv}{scope}{kind}"),
                description: format!("list or watch objects of kind {kind}"),
                parameters: with_scope(params),
                request_body: None,
                responses: responses(&["200"], &list_schema),
            }
            .render(resource),
        );
    }
    if supports("create") {
        collection_ops.insert(
            "post".into(),
            Operation {
                action: "post",
                id: format!("create{gv}{scope}{kind}"),
                description: format!("create a {kind}"),
                parameters: with_scope(vec![
                    pretty_param(),
                    dry_run_param(),
                    field_manager_param(),
                    field_validation_param(),
                ]),
                request_body: Some(body(&kind_schema)),
                responses: responses(&["200", "201", "202"], &kind_schema),
            }
            .render(resource),
        );
    }
    if supports("deletecollection") {
        let mut params = vec![pretty_param()];
        params.extend(delete_params());
        params.extend(list_params());
        collection_ops.insert(
            "delete".into(),
            Operation {
                action: "deletecollection",
                id: format!("delete{gv}Collection{scope}{kind}"),
                description: format!("delete collection of {kind}"),
                parameters: with_scope(params),
                request_body: Some(
                    json!({"content": json_content(schema_ref(DELETE_OPTIONS_SCHEMA))}),
                ),
                responses: responses(&["200"], STATUS_SCHEMA),
            }
            .render(resource),
        );
    }
    if !collection_ops.is_empty() {
        paths.insert(collection, Value::Object(collection_ops));
    }

    let mut item_ops = Map::new();
    if supports("get") {
        item_ops.insert(
            "get".into(),
            Operation {
                action: "get",
                id: format!("read{gv}{scope}{kind}"),
                description: format!("read the specified {kind}"),
                parameters: with_scope(vec![name_param(), pretty_param()]),
                request_body: None,
                responses: responses(&["200"], &kind_schema),
            }
            .render(resource),
        );
    }
    if supports("update") {
        item_ops.insert(
            "put".into(),
            Operation {
                action: "put",
                id: format!("replace{gv}{scope}{kind}"),
                description: format!("replace the specified {kind}"),
                parameters: with_scope(vec![
                    name_param(),
                    pretty_param(),
                    dry_run_param(),
                    field_manager_param(),
                    field_validation_param(),
                ]),
                request_body: Some(body(&kind_schema)),
                responses: responses(&["200", "201"], &kind_schema),
            }
            .render(resource),
        );
    }
    if supports("patch") {
        let patch_content: Map<String, Value> = [
            "application/apply-patch+yaml",
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
        ]
        .iter()
        .map(|media| {
            (
                (*media).to_string(),
                json!({"schema": schema_ref(PATCH_SCHEMA)}),
            )
        })
        .collect();
        item_ops.insert(
            "patch".into(),
            Operation {
                action: "patch",
                id: format!("patch{gv}{scope}{kind}"),
                description: format!("partially update the specified {kind}"),
                parameters: with_scope(vec![
                    name_param(),
                    pretty_param(),
                    dry_run_param(),
                    field_manager_param(),
                    field_validation_param(),
                    query_param(
                        "force",
                        "Force is going to \"force\" Apply requests. It must be unset for non-apply patch requests.",
                        "boolean",
                    ),
                ]),
                request_body: Some(json!({"required": true, "content": patch_content})),
                responses: responses(&["200", "201"], &kind_schema),
            }
            .render(resource),
        );
    }
    if supports("delete") {
        let mut params = vec![name_param(), pretty_param()];
        params.extend(delete_params());
        item_ops.insert(
            "delete".into(),
            Operation {
                action: "delete",
                id: format!("delete{gv}{scope}{kind}"),
                description: format!("delete a {kind}"),
                parameters: with_scope(params),
                request_body: Some(
                    json!({"content": json_content(schema_ref(DELETE_OPTIONS_SCHEMA))}),
                ),
                responses: responses(&["200", "202"], &kind_schema),
            }
            .render(resource),
        );
    }
    if !item_ops.is_empty() {
        paths.insert(item, Value::Object(item_ops));
    }

    if resource.namespaced && supports("list") {
        let mut params = vec![pretty_param()];
        params.extend(list_params());
        let op = Operation {
            action: "list",
            id: format!("list{gv}{kind}ForAllNamespaces"),
            description: format!("list or watch objects of kind {kind}"),
            parameters: params,
            request_body: None,
            responses: responses(&["200"], &list_schema),
        };
        paths.insert(
            format!("{prefix}/{}", resource.plural),
            json!({"get": op.render(resource)}),
        );
    }
}

fn list_schema(resource: &ResourceInfo) -> Value {
    json!({
        "description": format!("{} is a list of {} objects.", resource.list_kind, resource.kind),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "items": {"type": "array", "items": schema_ref(&kind_schema_name(resource))},
            "kind": {"type": "string"},
            "metadata": schema_ref(LIST_META_SCHEMA),
        },
        "x-kubernetes-group-version-kind": [gvk(resource.group, resource.version, resource.list_kind)],
    })
}

fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
            {
                out.insert(name.to_string());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Builds the document of one group-version from the parsed table.
fn build_document(group: &str, version: &str, table: &BTreeMap<String, Value>) -> Value {
    let resources: Vec<&ResourceInfo> = ALL
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();

    let mut paths = Map::new();
    for resource in &resources {
        add_resource_paths(resource, &mut paths);
    }

    // Kinds and lists first; everything they reference is pulled in below.
    let mut schemas: BTreeMap<String, Value> = BTreeMap::new();
    for resource in &resources {
        let name = kind_schema_name(resource);
        if let Some(mut schema) = table.get(&name).cloned() {
            schema["x-kubernetes-group-version-kind"] =
                json!([gvk(resource.group, resource.version, resource.kind)]);
            if let Some((_, description)) =
                KIND_DESCRIPTIONS.iter().find(|(k, _)| *k == resource.kind)
            {
                schema["description"] = json!(description);
            }
            schemas.insert(name, schema);
        }
        if !resource.create_only {
            schemas.insert(list_schema_name(resource), list_schema(resource));
        }
    }
    // Request and response types every group-version publishes, tagged with this group.
    let meta_gvks = [
        (STATUS_SCHEMA, json!([gvk("", "v1", "Status")])),
        (
            DELETE_OPTIONS_SCHEMA,
            json!([gvk(group, version, "DeleteOptions")]),
        ),
        (
            WATCH_EVENT_SCHEMA,
            json!([gvk(group, version, "WatchEvent")]),
        ),
    ];
    for (name, kinds) in meta_gvks {
        if let Some(mut schema) = table.get(name).cloned() {
            schema["x-kubernetes-group-version-kind"] = kinds;
            schemas.insert(name.to_string(), schema);
        }
    }

    let mut pending = BTreeSet::new();
    collect_refs(&Value::Object(paths.clone()), &mut pending);
    schemas.values().for_each(|s| collect_refs(s, &mut pending));
    while let Some(name) = pending.pop_first() {
        if schemas.contains_key(&name) {
            continue;
        }
        if let Some(schema) = table.get(&name) {
            collect_refs(schema, &mut pending);
            schemas.insert(name, schema.clone());
        }
    }

    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header",
                }
            },
        },
        "security": [{"BearerToken": []}],
    })
}

/// One published document with its serialized form and content hash.
struct PublishedDocument {
    path: String,
    document: Value,
    body: Vec<u8>,
    hash: String,
}

fn sha512_hex_upper(data: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, data);
    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect()
}

fn build_all() -> Result<Vec<PublishedDocument>, SchemaTableError> {
    let table = parse_schema_table(SCHEMA_TABLE)?;
    let mut group_versions: Vec<(&str, &str)> = Vec::new();
    // Documents for the GA versions only: the older review versions exist for
    // `kubectl auth whoami` of kubectl 1.27, which reads no OpenAPI.
    for resource in ALL.iter().filter(|r| r.version == "v1") {
        if !group_versions.contains(&(resource.group, resource.version)) {
            group_versions.push((resource.group, resource.version));
        }
    }
    Ok(group_versions
        .into_iter()
        .map(|(group, version)| {
            let document = build_document(group, version, &table);
            let body = serde_json::to_vec(&document).unwrap_or_default();
            let hash = sha512_hex_upper(&body);
            PublishedDocument {
                path: group_version_path(group, version),
                document,
                body,
                hash,
            }
        })
        .collect())
}

fn documents() -> &'static [PublishedDocument] {
    static DOCUMENTS: OnceLock<Vec<PublishedDocument>> = OnceLock::new();
    DOCUMENTS.get_or_init(|| {
        build_all().unwrap_or_else(|err| {
            tracing::error!(%err, "OpenAPI schema table is malformed; serving no OpenAPI documents");
            Vec::new()
        })
    })
}

/// Accepts `api/v1`, `/api/v1` or `/openapi/v3/api/v1`.
fn find(path: &str) -> Option<&'static PublishedDocument> {
    let path = path.trim_start_matches('/');
    let path = path.strip_prefix("openapi/v3/").unwrap_or(path);
    documents().iter().find(|d| d.path == path)
}

/// The body of `GET /openapi/v3`: where each group-version's document lives.
pub fn openapi_v3_root() -> Value {
    let paths: Map<String, Value> = documents()
        .iter()
        .map(|d| {
            (
                d.path.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{}?hash={}", d.path, d.hash)}),
            )
        })
        .collect();
    json!({"paths": paths})
}

/// The document for `api/v1` or `apis/<group>/<version>`, or `None` if that is not served.
pub fn openapi_v3_document(path: &str) -> Option<Value> {
    find(path).map(|d| d.document.clone())
}

/// The same document already serialized, to answer without re-encoding it on every request.
pub fn openapi_v3_document_bytes(path: &str) -> Option<&'static [u8]> {
    find(path).map(|d| d.body.as_slice())
}

/// The content hash in the document's `serverRelativeURL` (usable as an ETag; a request whose
/// `hash` query matches may be cached as immutable).
pub fn openapi_v3_hash(path: &str) -> Option<&'static str> {
    find(path).map(|d| d.hash.as_str())
}

/// `Content-Type` for [`openapi_v2_protobuf`]. (The `@` of the media type kubectl asks for is
/// not valid in a response header: client-go fails to parse it.)
pub const OPENAPI_V2_CONTENT_TYPE: &str = "application/octet-stream";

/// A body for `GET /openapi/v2`: an empty OpenAPI v2 protobuf document. kubectl 1.27 and 1.28
/// abort `create -f` / `apply -f` when `/openapi/v2` answers 404, whereas an empty document
/// parses, and they then use the v3 documents (field validation) and their built-in types
/// (strategic merge) instead. Newer kubectl only consults it after v3 and accepts it too.
pub fn openapi_v2_protobuf() -> &'static [u8] {
    // Every field of the protobuf `openapi.v2.Document` is optional, so zero bytes decode.
    &[]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(path: &str) -> Value {
        openapi_v3_document(path).expect("document")
    }

    #[test]
    fn table_parses_and_every_reference_resolves() {
        let table = parse_schema_table(SCHEMA_TABLE).expect("schema table parses");
        assert!(table.len() > 100);
        let mut refs = BTreeSet::new();
        table.values().for_each(|s| collect_refs(s, &mut refs));
        for name in refs {
            assert!(table.contains_key(&name), "dangling reference {name}");
        }
        for resource in ALL.iter().filter(|r| r.version == "v1") {
            assert!(
                table.contains_key(&kind_schema_name(resource)),
                "{}",
                resource.kind
            );
        }
    }

    #[test]
    fn table_parser_rejects_garbage() {
        let cases = [
            ("core.X: a=strnig", 1),
            ("nope.X: a=string", 1),
            ("core.X: a", 1),
            ("   a=string", 1),
            ("core.X: a=string\ncore.Y a=string", 2),
            ("core.X: a=&bogus.Y", 1),
        ];
        for (text, line) in cases {
            let err = parse_schema_table(text).expect_err(text);
            assert_eq!(err.line, line, "{text}");
        }
    }

    #[test]
    fn table_parser_fields() {
        let table = parse_schema_table(
            "core.X: a=string! b=[]&core.Y~merge/name c={}integer:int64\n    d=[]string~merge\ncore.Y = intorstring",
        )
        .expect("parses");
        let x = &table["io.k8s.api.core.v1.X"];
        assert_eq!(x["required"], json!(["a"]));
        assert_eq!(
            x["properties"]["b"],
            json!({
                "type": "array",
                "items": {"$ref": "#/components/schemas/io.k8s.api.core.v1.Y"},
                "x-kubernetes-patch-strategy": "merge",
                "x-kubernetes-patch-merge-key": "name",
            })
        );
        assert_eq!(
            x["properties"]["c"],
            json!({"type": "object", "additionalProperties": {"type": "integer", "format": "int64"}})
        );
        assert_eq!(x["properties"]["d"]["x-kubernetes-patch-strategy"], "merge");
        assert!(x["properties"]["d"]
            .get("x-kubernetes-patch-merge-key")
            .is_none());
        assert_eq!(table["io.k8s.api.core.v1.Y"]["format"], "int-or-string");
    }

    #[test]
    fn root_lists_each_group_version_with_a_stable_hash() {
        let root = openapi_v3_root();
        let paths = root["paths"].as_object().expect("paths");
        let keys: Vec<&String> = paths.keys().collect();
        assert_eq!(keys, ["api/v1", "apis/authentication.k8s.io/v1"]);
        let url = paths["api/v1"]["serverRelativeURL"].as_str().expect("url");
        let hash = openapi_v3_hash("api/v1").expect("hash");
        assert_eq!(url, format!("/openapi/v3/api/v1?hash={hash}"));
        assert_eq!(hash.len(), 128);
        assert!(hash
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
        assert_eq!(openapi_v3_root(), root);
        let bytes = openapi_v3_document_bytes("/openapi/v3/api/v1").expect("bytes");
        assert_eq!(sha512_hex_upper(bytes), hash);
        assert_ne!(openapi_v3_hash("apis/authentication.k8s.io/v1"), Some(hash));
    }

    #[test]
    fn openapi_v2_placeholder_is_an_empty_protobuf_document() {
        assert!(openapi_v2_protobuf().is_empty());
        assert!(!OPENAPI_V2_CONTENT_TYPE.contains('@'));
    }

    #[test]
    fn unknown_paths_are_absent() {
        for path in [
            "api/v2",
            "apis/apps/v1",
            "apis/authentication.k8s.io",
            "",
            "api",
        ] {
            assert!(openapi_v3_document(path).is_none(), "{path}");
        }
    }

    /// What kubectl's `queryParamVerifierV3` does: find the PATCH operation for the GVK and
    /// look for `fieldValidation` among its query parameters.
    fn supports_field_validation(document: &Value, group: &str, version: &str, kind: &str) -> bool {
        let wanted = gvk(group, version, kind);
        let Some(paths) = document["paths"].as_object() else {
            return false;
        };
        paths.values().any(|path| {
            path.get("patch").is_some_and(|op| {
                op["x-kubernetes-group-version-kind"] == wanted
                    && op["parameters"].as_array().is_some_and(|params| {
                        params
                            .iter()
                            .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
                    })
                    && op["requestBody"]["content"]
                        .get("application/strategic-merge-patch+json")
                        .is_some()
            })
        })
    }

    #[test]
    fn every_core_kind_supports_field_validation_and_strategic_merge() {
        let core = doc("api/v1");
        for kind in ["Pod", "Secret", "ServiceAccount", "Namespace", "ConfigMap"] {
            assert!(supports_field_validation(&core, "", "v1", kind), "{kind}");
        }
        assert!(!supports_field_validation(
            &core,
            "apps",
            "v1",
            "Deployment"
        ));
    }

    #[test]
    fn core_paths_and_actions() {
        let core = doc("/api/v1");
        assert_eq!(core["openapi"], "3.0.0");
        let paths = core["paths"].as_object().expect("paths");
        let pods = &paths["/api/v1/namespaces/{namespace}/pods/{name}"];
        for (method, action) in [
            ("get", "get"),
            ("put", "put"),
            ("patch", "patch"),
            ("delete", "delete"),
        ] {
            assert_eq!(pods[method]["x-kubernetes-action"], action, "{method}");
            assert_eq!(
                pods[method]["x-kubernetes-group-version-kind"],
                gvk("", "v1", "Pod")
            );
        }
        assert_eq!(pods["patch"]["operationId"], "patchCoreV1NamespacedPod");
        let collection = &paths["/api/v1/namespaces/{namespace}/pods"];
        assert_eq!(collection["get"]["x-kubernetes-action"], "list");
        assert_eq!(collection["post"]["x-kubernetes-action"], "post");
        assert_eq!(
            collection["delete"]["x-kubernetes-action"],
            "deletecollection"
        );
        assert_eq!(
            collection["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/io.k8s.api.core.v1.PodList"
        );
        assert!(collection["post"]["parameters"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["name"] == "fieldValidation")));
        assert_eq!(
            paths["/api/v1/pods"]["get"]["operationId"],
            "listCoreV1PodForAllNamespaces"
        );
        // Namespaces are cluster-scoped and have no deletecollection verb.
        let namespaces = &paths["/api/v1/namespaces"];
        assert!(namespaces.get("delete").is_none());
        assert_eq!(namespaces["post"]["operationId"], "createCoreV1Namespace");
        assert!(paths["/api/v1/namespaces/{name}"].get("patch").is_some());
    }

    #[test]
    fn core_schemas_carry_kinds_and_merge_keys() {
        let core = doc("api/v1");
        let schemas = &core["components"]["schemas"];
        let pod = &schemas["io.k8s.api.core.v1.Pod"];
        assert_eq!(
            pod["x-kubernetes-group-version-kind"],
            json!([gvk("", "v1", "Pod")])
        );
        assert_eq!(
            pod["properties"]["spec"]["$ref"],
            "#/components/schemas/io.k8s.api.core.v1.PodSpec"
        );
        let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        let volumes = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["volumes"];
        assert_eq!(volumes["x-kubernetes-patch-strategy"], "merge,retainKeys");
        let env = &schemas["io.k8s.api.core.v1.Container"]["properties"]["env"];
        assert_eq!(env["x-kubernetes-patch-merge-key"], "name");
        let ports = &schemas["io.k8s.api.core.v1.Container"]["properties"]["ports"];
        assert_eq!(ports["x-kubernetes-patch-merge-key"], "containerPort");
        let secrets = &schemas["io.k8s.api.core.v1.ServiceAccount"]["properties"]["secrets"];
        assert_eq!(secrets["x-kubernetes-patch-merge-key"], "name");
        let owners = &schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]
            ["ownerReferences"];
        assert_eq!(owners["x-kubernetes-patch-merge-key"], "uid");
        assert_eq!(
            schemas["io.k8s.api.core.v1.Secret"]["properties"]["data"]["additionalProperties"],
            json!({"type": "string", "format": "byte"})
        );
        assert_eq!(
            schemas["io.k8s.api.core.v1.PodList"]["x-kubernetes-group-version-kind"],
            json!([gvk("", "v1", "PodList")])
        );
        for kind in ["Namespace", "ServiceAccount", "Secret", "ConfigMap"] {
            let schema = &schemas[format!("io.k8s.api.core.v1.{kind}").as_str()];
            assert_eq!(
                schema["x-kubernetes-group-version-kind"],
                json!([gvk("", "v1", kind)]),
                "{kind}"
            );
        }
        // Every reference in the document resolves inside it.
        let mut refs = BTreeSet::new();
        collect_refs(&core, &mut refs);
        for name in refs {
            assert!(schemas.get(&name).is_some(), "dangling {name}");
        }
        // Types of other groups stay out of the core document.
        assert!(schemas
            .get("io.k8s.api.authentication.v1.SelfSubjectReview")
            .is_none());
    }

    #[test]
    fn authentication_document() {
        let authn = doc("apis/authentication.k8s.io/v1");
        let paths = authn["paths"].as_object().expect("paths");
        let keys: Vec<&String> = paths.keys().collect();
        assert_eq!(keys, ["/apis/authentication.k8s.io/v1/selfsubjectreviews"]);
        let post = &paths["/apis/authentication.k8s.io/v1/selfsubjectreviews"]["post"];
        assert_eq!(
            post["operationId"],
            "createAuthenticationV1SelfSubjectReview"
        );
        assert_eq!(
            post["x-kubernetes-group-version-kind"],
            gvk("authentication.k8s.io", "v1", "SelfSubjectReview")
        );
        let schemas = &authn["components"]["schemas"];
        assert_eq!(
            schemas["io.k8s.api.authentication.v1.SelfSubjectReview"]
                ["x-kubernetes-group-version-kind"],
            json!([gvk("authentication.k8s.io", "v1", "SelfSubjectReview")])
        );
        assert!(schemas
            .get("io.k8s.api.authentication.v1.UserInfo")
            .is_some());
        assert!(schemas.get("io.k8s.api.core.v1.PodSpec").is_none());
        // Create-only kinds have no list type.
        assert!(schemas
            .get("io.k8s.api.authentication.v1.SelfSubjectReviewList")
            .is_none());
    }

    /// A miniature of strategic-merge `PatchMetaFromOpenAPIV3`: walk properties by name,
    /// resolving `$ref`, as kubectl does when it computes an apply patch.
    fn lookup<'a>(schemas: &'a Value, kind_schema: &str, path: &[&str]) -> Option<&'a Value> {
        let mut schema = &schemas[kind_schema];
        let mut property = None;
        for key in path {
            let field = schema["properties"].get(*key)?;
            property = Some(field);
            let target = field.get("items").unwrap_or(field);
            if let Some(name) = target["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
            {
                schema = schemas.get(name)?;
            } else {
                schema = target;
            }
        }
        property
    }

    #[test]
    fn apply_patch_lookups_resolve() {
        let core = doc("api/v1");
        let schemas = &core["components"]["schemas"];
        let pod = "io.k8s.api.core.v1.Pod";
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["spec", "containers"], Some("name")),
            (&["spec", "containers", "env"], Some("name")),
            (&["spec", "containers", "volumeMounts"], Some("mountPath")),
            (&["spec", "containers", "resources", "limits"], None),
            (&["spec", "volumes"], Some("name")),
            (&["spec", "volumes", "secret", "items"], None),
            (&["spec", "imagePullSecrets"], Some("name")),
            (&["spec", "tolerations"], None),
            (&["metadata", "labels"], None),
            (&["metadata", "ownerReferences"], Some("uid")),
            (&["status", "conditions"], Some("type")),
        ];
        for (path, merge_key) in cases {
            let property =
                lookup(schemas, pod, path).unwrap_or_else(|| panic!("{path:?} resolves"));
            assert_eq!(
                property["x-kubernetes-patch-merge-key"].as_str(),
                *merge_key,
                "{path:?}"
            );
        }
    }
}
