//! The tracking ConfigMap's life (upstream's
//! pkg/controlplane/controller/legacytokentracking/controller_test.go cases): created once,
//! repaired, re-created after a deletion no sooner than 30 minutes after the last creation.

use std::time::Duration;

use super::*;
use crate::apiserver::kinds::NAMESPACES;
use crate::apiserver::namespaces::initial_namespace;
use crate::apiserver::store::Preconditions;
use crate::clock::FakeClock;

/// 2023-11-14T22:13:20Z
const NOW: i64 = 1_700_000_000;

fn store() -> (Arc<Store>, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::new(Timestamp::from_second(NOW).expect("time")));
    let store = Arc::new(Store::with_clock(100, clock.clone()));
    store
        .create(
            &NAMESPACES,
            initial_namespace(TRACKING_NAMESPACE, "2023-11-14T22:13:20Z"),
        )
        .expect("namespace");
    (store, clock)
}

fn data(store: &Store) -> Option<Value> {
    store
        .get(&CONFIG_MAPS, TRACKING_NAMESPACE, TRACKING_CONFIG_MAP)
        .map(|stored| stored.value()["data"].clone())
}

fn delete(store: &Store) {
    store
        .delete(
            &CONFIG_MAPS,
            TRACKING_NAMESPACE,
            TRACKING_CONFIG_MAP,
            &Preconditions::default(),
        )
        .expect("delete");
}

#[test]
fn the_config_map_is_created_once_and_repaired_keeping_other_keys() {
    let (store, _clock) = store();
    let mut controller = TrackingController::new(store.clone());
    assert_eq!(controller.sync().expect("created"), None);
    assert_eq!(data(&store), Some(json!({"since": "2023-11-14"})));

    let revision = store.revision();
    assert_eq!(controller.sync().expect("kept"), None);
    assert_eq!(store.revision(), revision, "a valid date is left alone");

    for bad in [json!("not a date"), json!("2023-1-02"), json!(null)] {
        let stored = store
            .get(&CONFIG_MAPS, TRACKING_NAMESPACE, TRACKING_CONFIG_MAP)
            .expect("config map");
        let mut object = stored.value();
        object["data"] = json!({"since": bad, "other": "kept"});
        store.update(&CONFIG_MAPS, object, None).expect("update");
        assert_eq!(controller.sync().expect("repaired"), None);
        assert_eq!(
            data(&store),
            Some(json!({"since": "2023-11-14", "other": "kept"})),
            "{bad}"
        );
    }
}

#[test]
fn a_since_in_binary_data_is_left_for_its_writer_to_fix() {
    let (store, _clock) = store();
    let mut controller = TrackingController::new(store.clone());
    controller.sync().expect("created");
    let stored = store
        .get(&CONFIG_MAPS, TRACKING_NAMESPACE, TRACKING_CONFIG_MAP)
        .expect("config map");
    let mut object = stored.value();
    object["data"] = Value::Null;
    object["binaryData"] = json!({"since": "YWJj"});
    store.update(&CONFIG_MAPS, object, None).expect("update");
    let revision = store.revision();
    assert_eq!(controller.sync().expect("left alone"), None);
    assert_eq!(store.revision(), revision, "no invalid object written");
}

#[test]
fn a_deleted_config_map_returns_30_minutes_after_the_last_creation() {
    let (store, clock) = store();
    let mut controller = TrackingController::new(store.clone());
    controller.sync().expect("created");
    clock.advance(Duration::from_secs(10 * 60));
    delete(&store);

    let due = controller.sync().expect("held back");
    assert_eq!(
        due,
        Some(Timestamp::from_second(NOW + 30 * 60).expect("time"))
    );
    assert_eq!(data(&store), None);

    // A day later by the clock: created with that day's date.
    clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(controller.sync().expect("created again"), None);
    assert_eq!(data(&store), Some(json!({"since": "2023-11-15"})));
}

#[tokio::test]
async fn the_running_controller_recreates_and_repairs_on_its_own() {
    let (store, clock) = store();
    let mut controller = TrackingController::new(store.clone());
    controller.sync().expect("created");
    let (stop, stopped) = signal::channel(false);
    let task = tokio::spawn(controller.run(stopped));
    // On this single-threaded runtime a yield runs the controller until it waits again:
    // here it subscribes and syncs (nothing to do).
    tokio::task::yield_now().await;

    // Deleted ten minutes after its creation: the delete is seen and the creation held
    // back, so after the controller's turn there is still nothing.
    clock.advance(Duration::from_secs(10 * 60));
    delete(&store);
    tokio::task::yield_now().await;
    assert_eq!(data(&store), None, "re-created within the limit");
    // The clock reaches the limit: the waiting controller wakes and creates it.
    clock.advance(Duration::from_secs(20 * 60));
    wait_for(&store, json!({"since": "2023-11-14"})).await;

    // A broken date is repaired at once.
    let stored = store
        .get(&CONFIG_MAPS, TRACKING_NAMESPACE, TRACKING_CONFIG_MAP)
        .expect("config map");
    let mut object = stored.value();
    object["data"]["since"] = json!("garbage");
    store.update(&CONFIG_MAPS, object, None).expect("update");
    wait_for(&store, json!({"since": "2023-11-14"})).await;

    stop.send(true).expect("stop");
    task.await.expect("controller task");
}

/// Polls until the ConfigMap holds `expected`, for at most 10 s.
async fn wait_for(store: &Store, expected: Value) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while data(store).as_ref() != Some(&expected) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the config map never became {expected}: {:?}",
            data(store)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
