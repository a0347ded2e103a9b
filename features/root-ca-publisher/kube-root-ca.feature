@bound
Feature: Every namespace has the ConfigMap "kube-root-ca.crt"
  In bound mode the root CA publisher (modern spec §5) keeps a ConfigMap
  `kube-root-ca.crt` in every namespace, holding exactly one key, `ca.crt`, the CA bundle
  that verifies the API server (`--root-ca-file`, else the cluster CA), and the
  `kubernetes.io/description` annotation with upstream's text. A deleted ConfigMap is
  created again; an edited one is reset, extra keys removed; a description that someone
  changed to another non-empty text is left alone, so that the publisher and an editor
  never fight.

  # upstream case "create new namespace"
  @upstream:TestConfigMapCreation @upstream:TestServiceAccountAutoCreate @upstream:e2e/ServiceAccounts/should_guarantee_kube-root-ca.crt_exist_in_any_namespace
  Scenario: A new namespace gets "default", "kube-root-ca.crt" and no token Secret
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Namespace
      metadata: {name: demo}
      """
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "demo" matches:
      """
      metadata:
        annotations:
          kubernetes.io/description: "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."
      data:
        ca.crt: "-----BEGIN CERTIFICATE-----{{any}}"
      """
    And within 5 seconds the service account "default" in namespace "demo" exists
    And for 2 seconds there are 0 token secrets for service account "default" in namespace "demo"

  # @embedded-only: a shared cluster gives each scenario namespaces of its own and refuses
  # its system namespaces. kube-node-lease exists from the start in 1.33, not in v1.8.
  @embedded-only
  Scenario: The namespaces a cluster starts with, kube-node-lease among them, get "default" and "kube-root-ca.crt"
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "kube-node-lease" exists
    And within 5 seconds the service account "default" in namespace "kube-node-lease" exists
    And within 5 seconds the config map "kube-root-ca.crt" in namespace "kube-public" exists

  # Upstream's system namespaces controller (pkg/controlplane/controller/systemnamespaces)
  # creates a missing one every minute; kube-node-lease is the one the API lets go.
  @embedded-only @fake-clock @serial
  Scenario: A deleted kube-node-lease is created again within a minute, and gets "kube-root-ca.crt"
    When I delete the namespace "kube-node-lease"
    Then within 5 seconds the namespace "kube-node-lease" does not exist
    When 59 seconds pass
    Then for 1 second the namespace "kube-node-lease" does not exist
    When 1 second passes
    Then within 5 seconds the namespace "kube-node-lease" exists
    And within 5 seconds the config map "kube-root-ca.crt" in namespace "kube-node-lease" exists
    And within 5 seconds the service account "default" in namespace "kube-node-lease" exists

  # upstream case "delete ca configmap"
  @upstream:TestConfigMapCreation @upstream:e2e/ServiceAccounts/should_guarantee_kube-root-ca.crt_exist_in_any_namespace
  Scenario: A deleted "kube-root-ca.crt" is created again
    Given a namespace "demo"
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "demo" exists
    When I remember the metadata.uid of the config map "kube-root-ca.crt" in namespace "demo" as "old-uid"
    And I delete the config map "kube-root-ca.crt" in namespace "demo"
    Then within 5 seconds the metadata.uid of the config map "kube-root-ca.crt" in namespace "demo" is not "${old-uid}"
    And the config map "kube-root-ca.crt" in namespace "demo" matches:
      """
      data:
        ca.crt: "-----BEGIN CERTIFICATE-----{{any}}"
      """

  # upstream case "update ca configmap with modifying field"; the e2e test sets ca.crt to ""
  @upstream:TestConfigMapCreation @upstream:e2e/ServiceAccounts/should_guarantee_kube-root-ca.crt_exist_in_any_namespace
  Scenario: An emptied ca.crt is put back
    Given a namespace "demo"
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "demo" exists
    When I patch the config map "kube-root-ca.crt" in namespace "demo" with:
      """
      data: {ca.crt: ""}
      """
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "demo" matches:
      """
      data:
        ca.crt: "-----BEGIN CERTIFICATE-----{{any}}"
      """

  # upstream case "update ca configmap with adding field"
  @upstream:TestConfigMapCreation
  Scenario: An added key is removed again
    Given a namespace "demo"
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "demo" exists
    When I patch the config map "kube-root-ca.crt" in namespace "demo" with:
      """
      data: {extra: value}
      """
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "demo" matches:
      """
      data:
        extra: null
        ca.crt: "-----BEGIN CERTIFICATE-----{{any}}"
      """

  # upstream case "update-configmap-annotation"
  @upstream:TestConfigMapUpdateNoHotLoop
  Scenario: A removed description is put back, and other annotations are kept
    Given a namespace "demo"
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "demo" exists
    When I patch the config map "kube-root-ca.crt" in namespace "demo" with:
      """
      metadata:
        annotations:
          kubernetes.io/description: null
          team: platform
      """
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "demo" matches:
      """
      metadata:
        annotations:
          team: platform
          kubernetes.io/description: "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."
      """

  # upstream case "no-update-configmap-if-annotation-present-and-different"
  @upstream:TestConfigMapUpdateNoHotLoop
  Scenario: Another non-empty description is left alone
    Given a namespace "demo"
    Then within 5 seconds the config map "kube-root-ca.crt" in namespace "demo" exists
    When I patch the config map "kube-root-ca.crt" in namespace "demo" with:
      """
      metadata:
        annotations: {kubernetes.io/description: "Our own words."}
      """
    Then for 2 seconds the config map "kube-root-ca.crt" in namespace "demo" matches:
      """
      metadata:
        annotations: {kubernetes.io/description: "Our own words."}
      """
