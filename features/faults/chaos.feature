# @embedded-only: the faults are the scenario's own cluster's; on a shared cluster they
# would hit every scenario at once. The numbers are smaller than the chaos test's
# (tests/embedded_cluster/chaos.rs: 1,000 accounts, 50 namespaces) to keep the suite quick.
@embedded-only @slow
Feature: Chaos: the controllers reach their end state while accounts come and go under faults
  Service accounts are created and deleted in waves across many namespaces, without
  waiting for the controllers, while a tenth of all writes (anyone's, of every resource)
  fail with 500, 409, 429 or 504 and watches are dropped. The controllers recover through
  their work queues' retries and their informers' re-lists alone.

  @legacy
  Scenario: Every live account ends with exactly one referenced token secret
    Given the API server fails 10% of all writes with 500, 409, 429 and 504
    And watches are dropped after 20 events
    When 200 service accounts are created and deleted in 4 waves across 10 namespaces
    Then within 60 seconds every live service account has exactly one referenced token secret and no token secret is without a live account

  @bound
  Scenario: Every active namespace ends with its default account and root CA, and no token secret
    Given the API server fails 10% of all writes with 500, 409, 429 and 504
    And watches are dropped after 20 events
    When 200 service accounts are created and deleted in 4 waves across 10 namespaces
    Then within 60 seconds every active namespace has the service account "default" and the config map "kube-root-ca.crt", and there is no token secret
