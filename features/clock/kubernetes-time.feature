@fake-clock @serial
Feature: Kubernetes time moves only when a scenario moves it
  The cluster runs on a fake clock (`kube-sa serve --clock=fake`; the embedded backend
  always): timestamps, lifetimes and ages are read from it, and it moves only when a step
  says that time passes. An Event lives one hour on the API server's clock, as etcd's lease
  does with kube-apiserver's default `--event-ttl=1h`.

  Background:
    Given a namespace "demo"
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: Event
      metadata: {name: web.started}
      involvedObject: {apiVersion: v1, kind: Pod, name: web, namespace: demo}
      reason: Started
      message: Started container web
      type: Normal
      """

  Scenario: An event outlives real time until an hour of Kubernetes time has passed
    When 59 minutes pass
    Then for 1 second the event "web.started" in namespace "demo" exists
    When 60 seconds pass
    Then within 5 seconds the event "web.started" in namespace "demo" does not exist

  Scenario: Days pass in one step
    When 2 days pass
    Then within 5 seconds the event "web.started" in namespace "demo" does not exist
