@bound
Feature: Bound mode: an admitted pod reads back as upstream stores it
  What the API server answers for a pod is what upstream's storage round trip leaves:
  resource quantities as `resource.Quantity` prints them (`0.5` → `500m`, `2048Ki` → `2Mi`,
  text already canonical kept), an unset `resourceFieldRef.divisor` as "0", and empty
  optional maps, lists and strings left out. The snapshot records the whole pod. A pod
  whose quantities are malformed, or break upstream's resource rules, is not stored.

  Background:
    Given a namespace "demo"

  Scenario: Quantities take upstream's form and empty optional fields are left out
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web, labels: {}}
      spec:
        initContainers: []
        containers:
        - name: app
          image: nginx
          args: []
          resources:
            requests: {cpu: 0.5, memory: 1.5Ki}
            limits: {cpu: "1.500k", memory: 2048Ki}
          env:
          - name: LIMIT
            valueFrom: {resourceFieldRef: {resource: limits.memory}}
          - {name: EMPTY, value: ""}
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        containers:
        - name: app
          resources:
            requests: {cpu: 500m, memory: "1536"}
            limits: {cpu: "1.500k", memory: 2Mi}
          env:
          - name: LIMIT
            valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: "0"}}
          - name: EMPTY
      """

  Scenario: A malformed quantity is refused and nothing is stored
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers:
        - name: app
          image: nginx
          resources:
            requests: {cpu: 2 cores}
      """
    Then the request is rejected with HTTP 400 "BadRequest" and the message:
      """
      Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'
      """
    And the pod "web" in namespace "demo" does not exist

  Scenario: A request above its limit is refused and nothing is stored
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers:
        - name: app
          image: nginx
          resources:
            requests: {cpu: "2"}
            limits: {cpu: "1"}
      """
    Then the request is rejected with HTTP 422 "Invalid" and the message:
      """
      Pod "web" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1
      """
    And the pod "web" in namespace "demo" does not exist
