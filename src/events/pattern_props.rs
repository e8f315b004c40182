//! Properties: compiled patterns agree with a naive evaluation written from the documented
//! rules (brute force over every choice of values, array consistency checked pairwise), and
//! the [`RuleIndex`] returns exactly the rules whose patterns match one by one.

use super::{Pattern, RuleIndex};
use crate::value::{parse_json, Value};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Field paths; none is a prefix of another, so any subset renders as one JSON object.
const PATHS: [&str; 7] = [
    "source",
    "detail-type",
    "detail.x",
    "detail.y",
    "detail.items.x",
    "detail.items.y",
    "tags",
];

const STRINGS: [&str; 7] = ["s1", "s2", "S1", "s10", "t1", "", "10.0.0.7"];
const NUMBERS: [f64; 5] = [0.0, 1.0, 2.5, 10.0, -3.0];

/// A condition of the generated patterns, with its own (naive) meaning.
#[derive(Clone, Debug)]
enum C {
    Str(&'static str),
    Num(f64),
    Bool(bool),
    Null,
    Prefix(&'static str),
    Suffix(&'static str),
    NoCase(&'static str),
    ButStrs(Vec<&'static str>),
    ButNums(Vec<f64>),
    ButPrefix(&'static str),
    Gt(f64),
    Between(f64, f64),
    Exists(bool),
    Wild(&'static str),
    Cidr,
}

fn cond() -> impl Strategy<Value = C> {
    let s = prop::sample::select(&STRINGS[..]);
    let n = prop::sample::select(&NUMBERS[..]);
    prop_oneof![
        s.clone().prop_map(C::Str),
        n.clone().prop_map(C::Num),
        any::<bool>().prop_map(C::Bool),
        Just(C::Null),
        prop::sample::select(&["s", "S", "t", ""][..]).prop_map(C::Prefix),
        prop::sample::select(&["1", "0", "7"][..]).prop_map(C::Suffix),
        prop::sample::select(&["s1", "S10", "T1"][..]).prop_map(C::NoCase),
        prop::collection::vec(s.clone(), 1..3).prop_map(C::ButStrs),
        prop::collection::vec(n.clone(), 1..3).prop_map(C::ButNums),
        prop::sample::select(&["s", "t"][..]).prop_map(C::ButPrefix),
        n.clone().prop_map(C::Gt),
        (n.clone(), n).prop_filter_map("lo < hi", |(a, b)| (a < b).then_some(C::Between(a, b))),
        any::<bool>().prop_map(C::Exists),
        prop::sample::select(&["s*", "*1", "*", "s*0"][..]).prop_map(C::Wild),
        Just(C::Cidr),
    ]
}

/// A field of a generated pattern: its path and conditions.
type F = (&'static str, Vec<C>);

#[derive(Clone, Debug)]
struct Model {
    fields: Vec<F>,
    or: Option<[Vec<F>; 2]>,
}

fn fields(paths: Vec<&'static str>) -> impl Strategy<Value = Vec<(&'static str, Vec<C>)>> {
    let n = paths.len();
    prop::collection::vec(prop::collection::vec(cond(), 1..3), n)
        .prop_map(move |conds| paths.iter().copied().zip(conds).collect())
}

fn model() -> impl Strategy<Value = Model> {
    // Paths drawn without replacement: some for the fields, the rest split between two
    // `$or` alternatives (when there are any).
    (
        Just(PATHS.to_vec()).prop_shuffle(),
        1..4usize,
        0..3usize,
        any::<bool>(),
    )
        .prop_flat_map(|(paths, n_main, n_or, with_or)| {
            let main = paths[..n_main].to_vec();
            let left = paths[n_main..n_main + n_or.max(1)].to_vec();
            let right = paths[n_main + n_or.max(1)..n_main + n_or.max(1) + 1].to_vec();
            (fields(main), fields(left), fields(right)).prop_map(move |(f, l, r)| Model {
                fields: f,
                or: with_or.then_some([l, r]),
            })
        })
}

fn cond_json(c: &C) -> String {
    let q = |s: &str| format!("{s:?}");
    let list = |v: &[&str]| format!("[{}]", v.iter().map(|s| q(s)).collect::<Vec<_>>().join(","));
    match c {
        C::Str(s) => q(s),
        C::Num(n) => n.to_string(),
        C::Bool(b) => b.to_string(),
        C::Null => "null".into(),
        C::Prefix(p) => format!(r#"{{"prefix":{}}}"#, q(p)),
        C::Suffix(p) => format!(r#"{{"suffix":{}}}"#, q(p)),
        C::NoCase(p) => format!(r#"{{"equals-ignore-case":{}}}"#, q(p)),
        C::ButStrs(v) => format!(r#"{{"anything-but":{}}}"#, list(v)),
        C::ButNums(v) => {
            let nums: Vec<String> = v.iter().map(f64::to_string).collect();
            format!(r#"{{"anything-but":[{}]}}"#, nums.join(","))
        }
        C::ButPrefix(p) => format!(r#"{{"anything-but":{{"prefix":{}}}}}"#, q(p)),
        C::Gt(n) => format!(r#"{{"numeric":[">",{n}]}}"#),
        C::Between(a, b) => format!(r#"{{"numeric":[">=",{a},"<",{b}]}}"#),
        C::Exists(b) => format!(r#"{{"exists":{b}}}"#),
        C::Wild(w) => format!(r#"{{"wildcard":{}}}"#, q(w)),
        C::Cidr => r#"{"cidr":"10.0.0.0/24"}"#.into(),
    }
}

/// Nested JSON object text for a set of dotted fields.
fn object_json(fields: &[(&str, Vec<C>)], extra: Option<String>) -> String {
    #[derive(Default)]
    struct Node(BTreeMap<String, Node>, Option<String>);
    let mut root = Node::default();
    for (path, conds) in fields {
        let mut node = &mut root;
        for part in path.split('.') {
            node = node.0.entry(part.to_string()).or_default();
        }
        node.1 = Some(format!(
            "[{}]",
            conds.iter().map(cond_json).collect::<Vec<_>>().join(",")
        ));
    }
    fn render(n: &Node, extra: Option<String>) -> String {
        let mut parts: Vec<String> =
            n.0.iter()
                .map(|(k, child)| match &child.1 {
                    Some(leaf) => format!("{k:?}:{leaf}"),
                    None => format!("{k:?}:{}", render(child, None)),
                })
                .collect();
        parts.extend(extra);
        format!("{{{}}}", parts.join(","))
    }
    render(&root, extra)
}

fn model_json(m: &Model) -> String {
    let or = m.or.as_ref().map(|[l, r]| {
        format!(
            r#""$or":[{},{}]"#,
            object_json(l, None),
            object_json(r, None)
        )
    });
    object_json(&m.fields, or)
}

/// A leaf of the event: path, value, and the (array, index) steps above it.
type NaiveLeaf = (String, Value, Vec<(usize, usize)>);

fn naive_leaves(
    v: &Value,
    path: &str,
    trail: &mut Vec<(usize, usize)>,
    next: &mut usize,
    out: &mut Vec<NaiveLeaf>,
) {
    match v {
        Value::Object(m) => {
            for (k, c) in m.iter() {
                let p = if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}.{k}")
                };
                naive_leaves(c, &p, trail, next, out);
            }
        }
        Value::Array(items) => {
            let id = *next;
            *next += 1;
            for (i, c) in items.iter().enumerate() {
                trail.push((id, i));
                naive_leaves(c, path, trail, next, out);
                trail.pop();
            }
        }
        scalar => out.push((path.to_string(), scalar.clone(), trail.clone())),
    }
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

fn naive_cond(c: &C, v: &Value) -> bool {
    let s = v.as_str();
    let n = v.as_f64();
    match c {
        C::Str(x) => s == Some(*x),
        C::Num(x) => n == Some(*x),
        C::Bool(b) => v.as_bool() == Some(*b),
        C::Null => v.is_null(),
        C::Prefix(p) => s.is_some_and(|s| s.starts_with(p)),
        C::Suffix(p) => s.is_some_and(|s| s.ends_with(p)),
        C::NoCase(p) => s.is_some_and(|s| s.to_lowercase() == p.to_lowercase()),
        C::ButStrs(list) => !s.is_some_and(|s| list.contains(&s)),
        C::ButNums(list) => !n.is_some_and(|n| list.contains(&n)),
        C::ButPrefix(p) => !s.is_some_and(|s| s.starts_with(p)),
        C::Gt(x) => n.is_some_and(|n| n > *x),
        C::Between(a, b) => n.is_some_and(|n| n >= *a && n < *b),
        C::Exists(_) => unreachable!(),
        C::Wild(w) => s.is_some_and(|s| glob(w.as_bytes(), s.as_bytes())),
        C::Cidr => s.is_some_and(|s| {
            s.parse::<std::net::Ipv4Addr>()
                .is_ok_and(|a| a.octets()[..3] == [10, 0, 0])
        }),
    }
}

fn naive_matches(m: &Model, event: &Value) -> bool {
    let mut leaves = Vec::new();
    if let Value::Object(_) = event {
        naive_leaves(event, "", &mut Vec::new(), &mut 0, &mut leaves);
    }
    let alternatives: Vec<Vec<&(&str, Vec<C>)>> = match &m.or {
        None => vec![m.fields.iter().collect()],
        Some([l, r]) => vec![
            m.fields.iter().chain(l).collect(),
            m.fields.iter().chain(r).collect(),
        ],
    };
    alternatives.iter().any(|alt| {
        // For each field: the leaves that satisfy it, or `None` when absence satisfies it.
        let mut choices: Vec<Vec<Option<usize>>> = Vec::new();
        for (path, conds) in alt {
            let here: Vec<usize> = (0..leaves.len())
                .filter(|&i| leaves[i].0 == *path)
                .collect();
            let mut options: Vec<Option<usize>> = here
                .iter()
                .copied()
                .filter(|&i| {
                    conds.iter().any(|c| match c {
                        C::Exists(e) => *e,
                        c => naive_cond(c, &leaves[i].1),
                    })
                })
                .map(Some)
                .collect();
            if here.is_empty() && conds.iter().any(|c| matches!(c, C::Exists(false))) {
                options.push(None);
            }
            choices.push(options);
        }
        any_consistent(&choices, &leaves, &mut Vec::new())
    })
}

fn any_consistent(
    choices: &[Vec<Option<usize>>],
    leaves: &[NaiveLeaf],
    picked: &mut Vec<usize>,
) -> bool {
    let Some((first, rest)) = choices.split_first() else {
        return true;
    };
    first.iter().any(|&option| match option {
        None => any_consistent(rest, leaves, picked),
        Some(i) => {
            let ok = picked.iter().all(|&j| {
                leaves[i].2.iter().all(|&(arr, idx)| {
                    leaves[j]
                        .2
                        .iter()
                        .all(|&(arr2, idx2)| arr != arr2 || idx == idx2)
                })
            });
            ok && {
                picked.push(i);
                let r = any_consistent(rest, leaves, picked);
                picked.pop();
                r
            }
        }
    })
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&STRINGS[..]).prop_map(|s| format!("{s:?}")),
        prop::sample::select(&NUMBERS[..]).prop_map(|n| n.to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(|v| format!("[{}]", v.join(","))),
    ]
}

fn event() -> impl Strategy<Value = String> {
    let item = (prop::option::of(value()), prop::option::of(value())).prop_map(|(x, y)| {
        let mut parts = Vec::new();
        if let Some(x) = x {
            parts.push(format!(r#""x":{x}"#));
        }
        if let Some(y) = y {
            parts.push(format!(r#""y":{y}"#));
        }
        format!("{{{}}}", parts.join(","))
    });
    (
        prop::option::of(value()),
        prop::option::of(value()),
        prop::option::of(value()),
        prop::option::of(value()),
        prop::collection::vec(item, 0..4),
        prop::option::of(value()),
    )
        .prop_map(|(source, dt, x, y, items, tags)| {
            let mut top = Vec::new();
            let mut detail = Vec::new();
            if let Some(v) = source {
                top.push(format!(r#""source":{v}"#));
            }
            if let Some(v) = dt {
                top.push(format!(r#""detail-type":{v}"#));
            }
            if let Some(v) = x {
                detail.push(format!(r#""x":{v}"#));
            }
            if let Some(v) = y {
                detail.push(format!(r#""y":{v}"#));
            }
            if !items.is_empty() {
                detail.push(format!(r#""items":[{}]"#, items.join(",")));
            }
            top.push(format!(r#""detail":{{{}}}"#, detail.join(",")));
            if let Some(v) = tags {
                top.push(format!(r#""tags":{v}"#));
            }
            format!("{{{}}}", top.join(","))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiled_patterns_agree_with_a_naive_evaluation(m in model(), events in prop::collection::vec(event(), 1..6)) {
        let text = model_json(&m);
        let p = Pattern::new(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        for e in &events {
            let event = parse_json(e).unwrap();
            prop_assert_eq!(p.matches(&event), naive_matches(&m, &event), "pattern {} event {}", text, e);
        }
    }

    #[test]
    fn the_index_returns_the_rules_that_match_one_by_one(
        models in prop::collection::vec(model(), 1..40),
        events in prop::collection::vec(event(), 1..10),
        removed in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let patterns: Vec<Pattern> = models.iter().map(|m| Pattern::new(&model_json(m)).unwrap()).collect();
        let mut index = RuleIndex::new();
        for (i, p) in patterns.iter().enumerate() {
            index.insert(i, p.clone());
        }
        let mut live: Vec<usize> = (0..patterns.len()).collect();
        for r in &removed {
            let id = r.index(patterns.len());
            index.remove(&id);
            live.retain(|&i| i != id);
        }
        for e in &events {
            let event = parse_json(e).unwrap();
            let mut got = index.matches(&event);
            got.sort_unstable();
            let want: Vec<usize> = live.iter().copied().filter(|&i| patterns[i].matches(&event)).collect();
            prop_assert_eq!(got, want, "event {}", e);
        }
    }
}

#[test]
fn the_index_checks_only_the_rules_an_event_selects() {
    let mut index = RuleIndex::new();
    for i in 0..1000 {
        let p = Pattern::new(&format!(
            r#"{{"source": ["svc{}"], "detail-type": ["type{i}"]}}"#,
            i % 10
        ))
        .unwrap();
        index.insert(i, p);
    }
    index.insert(
        1000,
        Pattern::new(r#"{"detail": {"n": [{"numeric": [">", 5]}]}}"#).unwrap(),
    );
    // Filed under its prefix's first byte: no candidate for "type13".
    index.insert(
        1001,
        Pattern::new(r#"{"detail-type": [{"prefix": "Audit"}]}"#).unwrap(),
    );
    let event =
        parse_json(r#"{"source": "svc3", "detail-type": "type13", "detail": {"n": 9}}"#).unwrap();
    assert_eq!(index.matches(&event), vec![13, 1000]);
    // Keyed on detail-type once the source buckets fill up: the rule keyed by type13, the
    // unkeyed rule, and at most the first rule of source svc3 (keyed before its source bucket
    // had company) are checked, out of 1002.
    let checked = index.candidates(&event);
    assert!((2..=3).contains(&checked), "{checked} candidates");
}

#[test]
fn replacing_and_removing_rules_updates_the_index() {
    let mut index = RuleIndex::new();
    let event = parse_json(r#"{"source": "a"}"#).unwrap();
    assert!(index.matches(&event).is_empty());
    index.insert("r", Pattern::new(r#"{"source": ["a"]}"#).unwrap());
    assert_eq!(index.matches(&event), vec!["r"]);
    let old = index.insert("r", Pattern::new(r#"{"source": ["b"]}"#).unwrap());
    assert_eq!(old.unwrap().as_str(), r#"{"source": ["a"]}"#);
    assert!(index.matches(&event).is_empty());
    assert_eq!(index.len(), 1);
    assert!(index.remove(&"r").is_some());
    assert!(index.remove(&"r").is_none());
    assert!(index.is_empty());
    index.insert(
        "s",
        Pattern::new(r#"{"source": [{"prefix": ""}]}"#).unwrap(),
    );
    assert_eq!(index.matches(&event), vec!["s"]);
    assert_eq!(
        index.get(&"s").unwrap().as_str(),
        r#"{"source": [{"prefix": ""}]}"#
    );
}
