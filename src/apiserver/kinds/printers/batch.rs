//! Printers of Jobs and CronJobs (`printJob`, `printCronJob` in
//! `pkg/printers/internalversion/printers.go`).

use jiff::Timestamp;
use serde_json::{json, Value};

use super::{
    bool_ptr, container_cells, format_label_selector, int_at, wide, CONTAINERS_COLUMN,
    IMAGES_COLUMN,
};
use crate::apiserver::kinds::generic::Printer;
use crate::apiserver::table::{
    age, column, human_duration, since, str_at, timestamp_at, value_at, AGE_COLUMN, NAME_COLUMN,
};

const JOB_SELECTOR_DESCRIPTION: &str = "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";

/// Jobs: STATUS, COMPLETIONS, DURATION; wide CONTAINERS, IMAGES, SELECTOR.
pub const JOB: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column("Status", "string", "Status of the job."),
        column(
            "Completions",
            "string",
            "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.",
        ),
        column("Duration", "string", "Time required to complete the job."),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        wide(column("Selector", "string", JOB_SELECTOR_DESCRIPTION)),
    ],
    row: job_row,
};

fn job_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(value_at(
        object,
        &["spec", "template", "spec", "containers"],
    ));
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(job_status(object)),
        json!(completions(object)),
        json!(job_duration(object, now)),
        json!(age(object, now)),
        json!(names),
        json!(images),
        json!(format_label_selector(value_at(
            object,
            &["spec", "selector"]
        ))),
    ]
}

/// `succeeded/completions`; without completions, `succeeded/1`, or `succeeded/1 of N` for a
/// parallelism above one.
fn completions(job: &Value) -> String {
    let succeeded = int_at(job, &["status", "succeeded"]);
    match value_at(job, &["spec", "completions"]).and_then(Value::as_i64) {
        Some(completions) => format!("{succeeded}/{completions}"),
        None => match int_at(job, &["spec", "parallelism"]) {
            parallelism if parallelism > 1 => format!("{succeeded}/1 of {parallelism}"),
            _ => format!("{succeeded}/1"),
        },
    }
}

/// From the start to the completion, or to now while running; empty before the start.
fn job_duration(job: &Value, now: Timestamp) -> String {
    let Some(start) = timestamp_at(job, &["status", "startTime"]) else {
        return String::new();
    };
    match timestamp_at(job, &["status", "completionTime"]) {
        Some(end) => human_duration(end.duration_since(start).as_secs()),
        None => since(Some(start), now),
    }
}

/// The first condition of a type decides whether it holds (`hasJobCondition`).
fn has_condition(job: &Value, kind: &str) -> bool {
    value_at(job, &["status", "conditions"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
        .is_some_and(|c| c.get("status").and_then(Value::as_str) == Some("True"))
}

/// Complete, Failed, Terminating, Suspended, FailureTarget or Running, in that precedence.
fn job_status(job: &Value) -> &'static str {
    if has_condition(job, "Complete") {
        "Complete"
    } else if has_condition(job, "Failed") {
        "Failed"
    } else if value_at(job, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null()) {
        "Terminating"
    } else if has_condition(job, "Suspended") {
        "Suspended"
    } else if has_condition(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    }
}

/// CronJobs: SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE; wide CONTAINERS, IMAGES,
/// SELECTOR of the Job template.
pub const CRON_JOB: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Schedule",
            "string",
            "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.",
        ),
        column(
            "Timezone",
            "string",
            "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones",
        ),
        column(
            "Suspend",
            "boolean",
            "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.",
        ),
        column(
            "Active",
            "integer",
            "A list of pointers to currently running jobs.",
        ),
        column(
            "Last Schedule",
            "string",
            "Information when was the last time the job was successfully scheduled.",
        ),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        wide(column("Selector", "string", JOB_SELECTOR_DESCRIPTION)),
    ],
    row: cron_job_row,
};

fn cron_job_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let job_spec = value_at(object, &["spec", "jobTemplate", "spec"]);
    let (names, images) =
        container_cells(job_spec.and_then(|s| value_at(s, &["template", "spec", "containers"])));
    let last_schedule = match timestamp_at(object, &["status", "lastScheduleTime"]) {
        Some(at) => since(Some(at), now),
        None => "<none>".to_string(),
    };
    let time_zone = value_at(object, &["spec", "timeZone"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let active = value_at(object, &["status", "active"])
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(str_at(object, &["spec", "schedule"])),
        json!(time_zone),
        json!(bool_ptr(value_at(object, &["spec", "suspend"]))),
        json!(active),
        json!(last_schedule),
        json!(age(object, now)),
        json!(names),
        json!(images),
        json!(format_label_selector(
            job_spec.and_then(|s| s.get("selector"))
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::printers::testing::cells;
    use crate::apiserver::table::Column;

    fn column_of<'a>(printer: &'a Printer, name: &str) -> &'a Column {
        printer
            .columns
            .iter()
            .find(|c| c.name == name)
            .expect("column")
    }

    #[test]
    fn job_columns() {
        let names: Vec<_> = JOB.columns.iter().map(|c| (c.name, c.priority)).collect();
        assert_eq!(
            names,
            [
                ("Name", 0),
                ("Status", 0),
                ("Completions", 0),
                ("Duration", 0),
                ("Age", 0),
                ("Containers", 1),
                ("Images", 1),
                ("Selector", 1)
            ]
        );
    }

    #[test]
    fn job_rows() {
        let job = |spec: Value, status: Value| {
            json!({"metadata": {"name": "j", "creationTimestamp": "2024-05-01T11:00:00Z"},
                "spec": spec, "status": status})
        };
        let cases = [
            (
                job(
                    json!({"completions": 3, "selector": {"matchLabels": {"job-name": "j"}},
                        "template": {"spec": {"containers": [{"name": "w", "image": "busybox"}]}}}),
                    json!({"succeeded": 3, "startTime": "2024-05-01T11:00:00Z",
                        "completionTime": "2024-05-01T11:02:05Z",
                        "conditions": [{"type": "Complete", "status": "True"}]}),
                ),
                json!([
                    "j",
                    "Complete",
                    "3/3",
                    "2m5s",
                    "60m",
                    "w",
                    "busybox",
                    "job-name=j"
                ]),
            ),
            (
                job(
                    json!({"parallelism": 4}),
                    json!({"succeeded": 1, "startTime": "2024-05-01T11:30:00Z"}),
                ),
                json!(["j", "Running", "1/1 of 4", "30m", "60m", "", "", "<none>"]),
            ),
            (
                job(
                    json!({"parallelism": 1}),
                    json!({"conditions": [{"type": "Failed", "status": "True"}]}),
                ),
                json!(["j", "Failed", "0/1", "", "60m", "", "", "<none>"]),
            ),
            (
                job(
                    json!({"completions": 1}),
                    json!({"conditions": [{"type": "Suspended", "status": "True"},
                        {"type": "Complete", "status": "False"}]}),
                ),
                json!(["j", "Suspended", "0/1", "", "60m", "", "", "<none>"]),
            ),
            (
                job(
                    json!({"completions": 1}),
                    json!({"conditions": [{"type": "FailureTarget", "status": "True"}]}),
                ),
                json!(["j", "FailureTarget", "0/1", "", "60m", "", "", "<none>"]),
            ),
        ];
        for (object, expected) in cases {
            assert_eq!(cells(&JOB, object), expected);
        }
        let mut deleting = job(json!({"completions": 1}), json!({}));
        deleting["metadata"]["deletionTimestamp"] = json!("2024-05-01T11:59:00Z");
        assert_eq!(cells(&JOB, deleting)[1], "Terminating");
    }

    #[test]
    fn cron_job_rows() {
        let names: Vec<_> = CRON_JOB.columns.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "Name",
                "Schedule",
                "Timezone",
                "Suspend",
                "Active",
                "Last Schedule",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
        assert_eq!(column_of(&CRON_JOB, "Suspend").kind, "boolean");
        assert_eq!(column_of(&CRON_JOB, "Active").kind, "integer");
        let cases = [
            (
                json!({"metadata": {"name": "nightly", "creationTimestamp": "2024-05-01T11:00:00Z"},
                    "spec": {"schedule": "0 3 * * *", "timeZone": "Etc/UTC", "suspend": false,
                        "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                            {"name": "backup", "image": "tool:1"}]}}}}},
                    "status": {"active": [{"name": "nightly-1"}], "lastScheduleTime": "2024-05-01T11:55:00Z"}}),
                json!([
                    "nightly",
                    "0 3 * * *",
                    "Etc/UTC",
                    "False",
                    1,
                    "5m",
                    "60m",
                    "backup",
                    "tool:1",
                    "<none>"
                ]),
            ),
            (
                json!({"metadata": {"name": "bare"}, "spec": {"schedule": "@hourly"}}),
                json!([
                    "bare",
                    "@hourly",
                    "<none>",
                    "<unset>",
                    0,
                    "<none>",
                    "<unknown>",
                    "",
                    "",
                    "<none>"
                ]),
            ),
        ];
        for (object, expected) in cases {
            assert_eq!(cells(&CRON_JOB, object), expected);
        }
    }
}
