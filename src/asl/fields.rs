//! Which fields each state type accepts, per query language (ST-8, ST-9).

use super::model::QueryLanguage;

/// Top-level fields.
pub const FIELDS_TOP: &[&str] = &[
    "Comment",
    "StartAt",
    "States",
    "TimeoutSeconds",
    "Version",
    "QueryLanguage",
];

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn jsonpath_fields(ty: &str) -> &'static [&'static str] {
    match ty {
        "Pass" => &[
            "InputPath",
            "OutputPath",
            "Parameters",
            "Result",
            "ResultPath",
            "Assign",
            "Next",
            "End",
        ],
        "Task" => &[
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
            "Resource",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
        ],
        "Choice" => &["InputPath", "OutputPath", "Assign", "Choices", "Default"],
        "Wait" => &[
            "InputPath",
            "OutputPath",
            "Assign",
            "Next",
            "End",
            "Seconds",
            "SecondsPath",
            "Timestamp",
            "TimestampPath",
        ],
        "Succeed" => &["InputPath", "OutputPath"],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &[
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
            "Branches",
        ],
        "Map" => &[
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
            "ItemsPath",
            "ItemSelector",
            "ItemProcessor",
            "Iterator",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ItemBatcher",
            "ItemReader",
            "ResultWriter",
            "Label",
        ],
        _ => &[],
    }
}

fn jsonata_fields(ty: &str) -> &'static [&'static str] {
    match ty {
        "Pass" => &["Output", "Assign", "Next", "End"],
        "Task" => &[
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
            "Resource",
            "TimeoutSeconds",
            "HeartbeatSeconds",
            "Credentials",
        ],
        "Choice" => &["Output", "Assign", "Choices", "Default"],
        "Wait" => &["Output", "Assign", "Next", "End", "Seconds", "Timestamp"],
        "Succeed" => &["Output"],
        "Fail" => &["Error", "Cause"],
        "Parallel" => &[
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
            "Branches",
        ],
        "Map" => &[
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "Next",
            "End",
            "Items",
            "ItemSelector",
            "ItemProcessor",
            "MaxConcurrency",
            "ToleratedFailureCount",
            "ToleratedFailurePercentage",
            "ItemBatcher",
            "ItemReader",
            "ResultWriter",
            "Label",
        ],
        _ => &[],
    }
}

/// `true` when a state of type `ty` in query language `ql` accepts `field`.
pub fn allowed(ty: &str, ql: QueryLanguage, field: &str) -> bool {
    COMMON.contains(&field)
        || match ql {
            QueryLanguage::JsonPath => jsonpath_fields(ty).contains(&field),
            QueryLanguage::Jsonata => jsonata_fields(ty).contains(&field),
        }
}

/// Fields that exist only in JSONPath states (ST-9).
pub fn is_jsonpath_only(field: &str) -> bool {
    matches!(
        field,
        "InputPath"
            | "OutputPath"
            | "Parameters"
            | "ResultSelector"
            | "ResultPath"
            | "ItemsPath"
            | "Result"
            | "Iterator"
    ) || (field.ends_with("Path") && field != "Path")
}

/// Fields that exist only in JSONata states.
pub fn is_jsonata_only(field: &str) -> bool {
    matches!(field, "Arguments" | "Output" | "Items")
}
