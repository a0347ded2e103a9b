# @embedded-only: the faults are the scenario's own cluster's; on a shared cluster they
# would hit every scenario at once.
@embedded-only @slow
Feature: The controllers converge while the API server fails writes and drops watches
  Injected failures are the Statuses kube-apiserver sends and store nothing; a dropped
  watch just ends. The controllers' work queues retry with back-off and their informers
  re-list and re-watch, so the end state is the one a healthy server gives.

  @legacy
  Scenario: Every account still gets exactly one referenced token secret
    Given the API server fails 30% of secret creations with 500
    And watches are dropped after 50 events
    And a namespace "chaos"
    When I create in namespace "chaos":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot-1}
      ---
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot-2}
      ---
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot-3}
      ---
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot-4}
      ---
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot-5}
      """
    Then within 30 seconds there is 1 token secret for service account "robot-1" in namespace "chaos"
    And within 30 seconds there is 1 token secret for service account "robot-2" in namespace "chaos"
    And within 30 seconds there is 1 token secret for service account "robot-3" in namespace "chaos"
    And within 30 seconds there is 1 token secret for service account "robot-4" in namespace "chaos"
    And within 30 seconds there is 1 token secret for service account "robot-5" in namespace "chaos"
    And within 30 seconds there is 1 token secret for service account "default" in namespace "chaos"
    When the service account "robot-1" in namespace "chaos" has a token
    And the service account "robot-5" in namespace "chaos" has a token
    And the service account "default" in namespace "chaos" has a token
    Then for 2 seconds there is 1 token secret for service account "robot-1" in namespace "chaos"
    And there is 1 token secret for service account "robot-3" in namespace "chaos"
    And there is 1 token secret for service account "robot-5" in namespace "chaos"

  @bound
  Scenario: Every namespace still gets kube-root-ca.crt and its default account
    Given the API server fails 30% of config map creations with 500
    And the API server fails 30% of service account creations with 500
    And watches are dropped after 50 events
    And a namespace "chaos-a"
    And a namespace "chaos-b"
    And a namespace "chaos-c"
    Then within 30 seconds the config map "kube-root-ca.crt" in namespace "chaos-a" exists
    And within 30 seconds the config map "kube-root-ca.crt" in namespace "chaos-b" exists
    And within 30 seconds the config map "kube-root-ca.crt" in namespace "chaos-c" exists
    And within 30 seconds the service account "default" in namespace "chaos-a" exists
    And within 30 seconds the service account "default" in namespace "chaos-b" exists
    And within 30 seconds the service account "default" in namespace "chaos-c" exists
    And for 2 seconds there are 0 token secrets for service account "default" in namespace "chaos-a"
