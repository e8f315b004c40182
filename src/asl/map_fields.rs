//! The Map state's fields (ASL §17): processor, items, concurrency, tolerance, batching.

use super::model::{Dynamic, MapState, QueryLanguage};
use super::parse::{is_jsonata_expr, Parser};
use crate::value::{Map, Value};

pub(crate) fn parse_map(p: &mut Parser, m: &Map, loc: &str, ql: QueryLanguage) -> Option<MapState> {
    let (proc_field, proc) = match (m.get("ItemProcessor"), m.get("Iterator")) {
        (Some(_), Some(_)) => {
            p.err_at(
                "The fields 'ItemProcessor' and 'Iterator' are mutually exclusive",
                loc,
            );
            return None;
        }
        (Some(v), None) => ("ItemProcessor", v),
        (None, Some(v)) => ("Iterator", v),
        (None, None) => {
            p.err_at("These fields are required: [ItemProcessor]", loc);
            return None;
        }
    };
    let ploc = format!("{loc}/{proc_field}");
    let _ = &ploc;
    let Some(po) = proc.as_object() else {
        p.err_at(
            format!("The field '{proc_field}' must be a JSON object"),
            &ploc,
        );
        return None;
    };
    let mut distributed = false;
    if let Some(cfg) = po.get("ProcessorConfig") {
        let cloc = format!("{ploc}/ProcessorConfig");
        // AWS accepts a ProcessorConfig in the legacy Iterator too (recorded:
        // scenarios/base_scenarios.map_state_legacy_config_*).
        match cfg.as_object() {
            None => p.err_at("The field 'ProcessorConfig' must be a JSON object", &cloc),
            Some(c) => {
                for k in c.keys() {
                    if !matches!(&**k, "Mode" | "ExecutionType") {
                        p.err_at(format!("Field '{k}' is not supported"), &cloc);
                    }
                }
                match c.get("Mode").map(|v| v.as_str()) {
                    None | Some(Some("INLINE")) => {}
                    Some(Some("DISTRIBUTED")) => distributed = true,
                    Some(_) => p.err_at(
                        "The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]",
                        &format!("{cloc}/Mode"),
                    ),
                }
                match c.get("ExecutionType").map(|v| v.as_str()) {
                    None if distributed => p.err_at("These fields are required: [ExecutionType]", &cloc),
                    None | Some(Some("STANDARD" | "EXPRESS")) => {}
                    Some(_) => p.err_at(
                        "The field 'ExecutionType' should have one of these values: [STANDARD, EXPRESS]",
                        &format!("{cloc}/ExecutionType"),
                    ),
                }
            }
        }
    }
    let processor = p.scope_of(po, &ploc)?;

    let items_path = match m.get("ItemsPath") {
        Some(v) => p.reference_path_of(v, "ItemsPath", &format!("{loc}/ItemsPath")),
        None => None,
    };
    let items = m.get("Items").cloned();
    if let Some(v) = &items {
        let ok = matches!(v, Value::Array(_)) || v.as_str().is_some_and(is_jsonata_expr);
        if !ok {
            p.err_at(
                "The field 'Items' must be an array or a JSONata expression",
                &format!("{loc}/Items"),
            );
        }
    }
    let item_selector = match (m.get("ItemSelector"), m.get("Parameters")) {
        (Some(_), Some(_)) => {
            p.err_at(
                "The fields 'ItemSelector' and 'Parameters' are mutually exclusive",
                loc,
            );
            None
        }
        (Some(v), None) => {
            if ql == QueryLanguage::JsonPath {
                p.template(v, &format!("{loc}/ItemSelector"));
            }
            Some(v.clone())
        }
        // The legacy `Parameters` of a Map is its ItemSelector (MAP-3); parse_io checked it.
        (None, Some(v)) => Some(v.clone()),
        (None, None) => None,
    };
    let max_concurrency = dynamic_u64(p, m, "MaxConcurrency", loc, ql);
    let tolerated_failure_count = dynamic_u64(p, m, "ToleratedFailureCount", loc, ql);
    let tolerated_failure_percentage = {
        let lit = m.get("ToleratedFailurePercentage");
        let path = m.get("ToleratedFailurePercentagePath");
        match (lit, path) {
            (Some(_), Some(_)) => {
                p.err_at("The fields 'ToleratedFailurePercentage' and 'ToleratedFailurePercentagePath' are mutually exclusive", loc);
                None
            }
            (Some(Value::String(s)), None)
                if ql == QueryLanguage::Jsonata && is_jsonata_expr(s) =>
            {
                Some(Dynamic::Jsonata(s.to_string()))
            }
            (Some(v), None) => match v.as_f64() {
                Some(f) if (0.0..=100.0).contains(&f) => Some(Dynamic::Value(f)),
                _ => {
                    p.err_at(
                        "The field 'ToleratedFailurePercentage' must be a number between 0 and 100",
                        &format!("{loc}/ToleratedFailurePercentage"),
                    );
                    None
                }
            },
            (None, Some(v)) => p
                .reference_path_of(
                    v,
                    "ToleratedFailurePercentagePath",
                    &format!("{loc}/ToleratedFailurePercentagePath"),
                )
                .map(Dynamic::Path),
            (None, None) => None,
        }
    };
    let item_batcher = m.get("ItemBatcher").cloned();
    if let Some(b) = &item_batcher {
        let bloc = format!("{loc}/ItemBatcher");
        match b.as_object() {
            None => p.err_at("The field 'ItemBatcher' must be a JSON object", &bloc),
            Some(o) => {
                let limits = [
                    "MaxItemsPerBatch",
                    "MaxItemsPerBatchPath",
                    "MaxInputBytesPerBatch",
                    "MaxInputBytesPerBatchPath",
                ];
                if !limits.iter().any(|f| o.contains_key(f)) {
                    p.err_at(
                        "ItemBatcher must have at least one of [MaxItemsPerBatch, MaxItemsPerBatchPath, MaxInputBytesPerBatch, MaxInputBytesPerBatchPath]",
                        &bloc,
                    );
                }
                for k in o.keys() {
                    if !limits.contains(&&**k) && &**k != "BatchInput" {
                        p.err_at(format!("Field '{k}' is not supported"), &bloc);
                    }
                }
            }
        }
    }
    let label = match m.get("Label") {
        None => None,
        Some(Value::String(s)) if s.chars().count() <= 40 => Some(s.clone()),
        Some(_) => {
            p.err_at(
                "The field 'Label' must be a string of at most 40 characters",
                &format!("{loc}/Label"),
            );
            None
        }
    };
    Some(MapState {
        processor,
        distributed,
        items_path,
        items,
        item_selector,
        max_concurrency,
        tolerated_failure_count,
        tolerated_failure_percentage,
        item_batcher,
        item_reader: m.get("ItemReader").cloned(),
        result_writer: m.get("ResultWriter").cloned(),
        label,
    })
}

fn dynamic_u64(
    p: &mut Parser,
    m: &Map,
    field: &str,
    loc: &str,
    ql: QueryLanguage,
) -> Option<Dynamic<u64>> {
    let path_field = format!("{field}Path");
    match (m.get(field), m.get(path_field.as_str())) {
        (Some(_), Some(_)) => {
            p.err_at(
                format!("The fields '{field}' and '{path_field}' are mutually exclusive"),
                loc,
            );
            None
        }
        (Some(Value::String(s)), None) if ql == QueryLanguage::Jsonata && is_jsonata_expr(s) => {
            Some(Dynamic::Jsonata(s.to_string()))
        }
        (Some(v), None) => p
            .seconds(v, &format!("{loc}/{field}"), 0)
            .map(Dynamic::Value),
        (None, Some(v)) => p
            .reference_path_of(v, &path_field, &format!("{loc}/{path_field}"))
            .map(Dynamic::Path),
        (None, None) => None,
    }
}
