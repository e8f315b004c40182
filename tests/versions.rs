//! The engine's machine record through its public API: versions, aliases and their routing,
//! revision ids, tags, DELETING, and the refusals AWS answers (API.md §4, §5.1, §5.5).

use aslx::engine::{
    Engine, ErrorKind, MachineSpec, MachineStatus, MachineUpdate, Route, StartRequest,
};
use aslx::value::Str;
use aslx::{MachineType, Status};
use std::time::Duration;

const ARN: &str = "arn:aws:states:us-east-1:111111111111:stateMachine:m";

fn engine() -> Engine {
    Engine::builder().worker_threads(1).build().unwrap()
}

/// A machine whose output says which definition ran.
fn says(word: &str) -> String {
    format!(
        r#"{{"StartAt": "P", "States": {{"P": {{"Type": "Pass", "Result": "{word}", "End": true}}}}}}"#
    )
}

const WAIT: &str =
    r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}}"#;

fn route(n: u32, weight: u8) -> Route {
    Route {
        version_arn: Str::from(format!("{ARN}:{n}")),
        weight,
    }
}

/// The output of a sync start of `machine` (an EXPRESS machine's ARN, qualified or not).
fn run(e: &Engine, machine: &str) -> String {
    let done = e.start_sync_blocking(StartRequest::new(machine)).unwrap();
    assert_eq!(done.outcome.status, Status::Succeeded);
    done.outcome.output.unwrap().to_json()
}

/// `m` (EXPRESS) published as version 1 ("one") and version 2 ("two"); current is "two".
fn two_versions(e: &Engine) {
    let v1 = e
        .create_machine_with(MachineSpec {
            publish: true,
            version_description: Some("first"),
            ..MachineSpec::new("m", &says("one"), MachineType::Express)
        })
        .unwrap();
    assert_eq!(v1.version_arn.as_deref(), Some(&*format!("{ARN}:1")));
    let v2 = e
        .update_machine_with(
            ARN,
            MachineUpdate {
                definition: Some(&says("two")),
                publish: true,
                ..MachineUpdate::default()
            },
        )
        .unwrap();
    assert_eq!(v2.version_arn.as_deref(), Some(&*format!("{ARN}:2")));
}

#[test]
fn a_version_is_the_revision_it_was_published_from() {
    let e = engine();
    two_versions(&e);
    e.update_machine(ARN, &says("three")).unwrap();
    assert_eq!(run(&e, ARN), r#""three""#);
    assert_eq!(run(&e, &format!("{ARN}:1")), r#""one""#);
    assert_eq!(run(&e, &format!("{ARN}:2")), r#""two""#);
    let v1 = e.describe_machine(&format!("{ARN}:1")).unwrap();
    assert_eq!(&*v1.definition, says("one"));
    assert_eq!(v1.description.as_deref(), Some("first"));
    let listed: Vec<String> = e
        .list_versions(ARN)
        .unwrap()
        .iter()
        .map(|v| v.version_arn.as_deref().unwrap().to_string())
        .collect();
    assert_eq!(
        listed,
        [format!("{ARN}:2"), format!("{ARN}:1")],
        "newest first"
    );
    let missing = e.describe_machine(&format!("{ARN}:9")).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::StateMachineDoesNotExist);
}

#[test]
fn revision_ids_are_absent_until_an_update_and_publishing_checks_them() {
    let e = engine();
    let created = e
        .create_machine("m", &says("one"), MachineType::Express)
        .unwrap();
    assert_eq!(created.revision_id, None);
    // AWS's name for the revision before any update.
    let v1 = e.publish_version(ARN, None, Some("INITIAL")).unwrap();
    assert_eq!(v1.version_arn.as_deref(), Some(&*format!("{ARN}:1")));
    // Idempotent per revision: publishing it again returns the same version.
    let again = e.publish_version(ARN, Some("x"), None).unwrap();
    assert_eq!(again.version_arn, v1.version_arn);
    let updated = e.update_machine(ARN, &says("two")).unwrap();
    let id = updated
        .revision_id
        .clone()
        .expect("a revision id after an update");
    let stale = e.publish_version(ARN, None, Some("INITIAL")).unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::Conflict);
    assert_eq!(stale.http_status(), 409);
    let v2 = e.publish_version(ARN, None, Some(&id)).unwrap();
    assert_eq!(v2.version_arn.as_deref(), Some(&*format!("{ARN}:2")));
    let next = e.update_machine(ARN, &says("three")).unwrap();
    assert_ne!(next.revision_id, Some(id), "a new UUID per update");
}

#[test]
fn version_numbers_are_never_reused() {
    let e = engine();
    two_versions(&e);
    e.delete_version(&format!("{ARN}:2")).unwrap();
    e.update_machine(ARN, &says("three")).unwrap();
    let v = e.publish_version(ARN, None, None).unwrap();
    assert_eq!(v.version_arn.as_deref(), Some(&*format!("{ARN}:3")));
    // Deleting a version that does not exist succeeds, as on AWS.
    e.delete_version(&format!("{ARN}:2")).unwrap();
}

#[test]
fn an_alias_routes_by_weight_and_executions_record_it() {
    let e = engine();
    two_versions(&e);
    let alias = e
        .create_alias("prod", Some("live"), &[route(1, 100)])
        .unwrap();
    assert_eq!(&*alias.arn, format!("{ARN}:prod"));
    for _ in 0..20 {
        assert_eq!(run(&e, &alias.arn), r#""one""#);
    }
    e.update_alias(&alias.arn, None, Some(&[route(1, 50), route(2, 50)]))
        .unwrap();
    let outputs: Vec<String> = (0..200).map(|_| run(&e, &alias.arn)).collect();
    let ones = outputs.iter().filter(|o| *o == r#""one""#).count();
    // 50/50 over 200 starts: both versions get starts (a miss has odds of 2^-200).
    assert!(ones > 0 && ones < 200, "{ones} of 200 went to version 1");
    let d = e.describe_alias(&alias.arn).unwrap();
    assert_eq!(d.description.as_deref(), Some("live"));
    assert_eq!(d.routing, [route(1, 50), route(2, 50)]);
    assert_eq!(e.list_aliases(ARN).unwrap().len(), 1);
}

#[test]
fn standard_executions_started_by_version_or_alias_record_both_arns() {
    let e = engine();
    e.create_machine_with(MachineSpec {
        publish: true,
        ..MachineSpec::new("m", &says("one"), MachineType::Standard)
    })
    .unwrap();
    let alias = e.create_alias("prod", None, &[route(1, 100)]).unwrap();
    let by_alias = e
        .start_with_handle(StartRequest::new(&alias.arn).name("a"))
        .unwrap();
    let by_version = e
        .start_with_handle(StartRequest::new(&format!("{ARN}:1")).name("v"))
        .unwrap();
    let plain = e
        .start_with_handle(StartRequest::new(ARN).name("p"))
        .unwrap();
    for h in [&by_alias, &by_version, &plain] {
        e.handle().block_on(h.wait());
    }
    assert_eq!(by_alias.machine().alias_arn.as_deref(), Some(&*alias.arn));
    assert_eq!(
        by_alias.machine().version_arn.as_deref(),
        Some(&*format!("{ARN}:1"))
    );
    assert_eq!(by_version.machine().alias_arn, None);
    assert_eq!(plain.machine().version_arn, None);
    let started = &by_alias.history()[0];
    assert_eq!(started.event_type, "ExecutionStarted");
    let d = started.details.to_json();
    assert!(
        d.contains(&format!(r#""stateMachineAliasArn":"{ARN}:prod""#)),
        "{d}"
    );
    assert!(
        d.contains(&format!(r#""stateMachineVersionArn":"{ARN}:1""#)),
        "{d}"
    );
    let names = |m: &str| -> Vec<String> {
        let mut v: Vec<String> = e
            .list_executions(m)
            .unwrap()
            .iter()
            .map(|h| h.name().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(ARN), ["a", "p", "v"]);
    assert_eq!(
        names(&format!("{ARN}:1")),
        ["a", "v"],
        "executions that ran version 1"
    );
    assert_eq!(
        names(&alias.arn),
        ["a"],
        "executions started through the alias"
    );
}

#[test]
fn bad_routing_configurations_are_refused_with_aws_reason() {
    let e = engine();
    two_versions(&e);
    for bad in [
        vec![route(1, 60), route(2, 30)],
        vec![route(1, 50), route(1, 50)],
        vec![route(1, 40), route(2, 30), route(2, 30)],
        vec![],
    ] {
        let err = e.create_alias("a", None, &bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{bad:?}");
        assert_eq!(
            err.extra_member(),
            Some(("reason", "INVALID_ROUTING_CONFIGURATION")),
            "{bad:?}"
        );
    }
    e.create_machine_with(MachineSpec {
        publish: true,
        ..MachineSpec::new("other", &says("x"), MachineType::Express)
    })
    .unwrap();
    let mixed = [
        route(1, 50),
        Route {
            version_arn: Str::from(ARN.replace(":m", ":other") + ":1"),
            weight: 50,
        },
    ];
    let err = e.create_alias("a", None, &mixed).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let err = e.create_alias("a", None, &[route(7, 100)]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    assert_eq!(
        err.extra_member(),
        Some(("resourceName", &*format!("{ARN}:7")))
    );
    for name in ["123", "", "bad name", &"x".repeat(81)] {
        let err = e.create_alias(name, None, &[route(1, 100)]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidName, "{name:?}");
    }
}

#[test]
fn an_alias_is_created_once_and_protects_its_versions() {
    let e = engine();
    two_versions(&e);
    let a = e.create_alias("prod", None, &[route(1, 100)]).unwrap();
    let same = e.create_alias("prod", None, &[route(1, 100)]).unwrap();
    assert_eq!(a, same, "the same settings return the alias");
    let other = e.create_alias("prod", None, &[route(2, 100)]).unwrap_err();
    assert_eq!(other.kind(), ErrorKind::Conflict);
    let busy = e.delete_version(&format!("{ARN}:1")).unwrap_err();
    assert_eq!(busy.kind(), ErrorKind::Conflict);
    assert!(busy.message().contains(&*a.arn), "{}", busy.message());
    e.delete_alias(&a.arn).unwrap();
    e.delete_version(&format!("{ARN}:1")).unwrap();
    let gone = e.describe_alias(&a.arn).unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::ResourceNotFound);
    let start = e
        .start_sync_blocking(StartRequest::new(&a.arn))
        .unwrap_err();
    assert_eq!(start.kind(), ErrorKind::StateMachineDoesNotExist);
}

#[test]
fn create_is_idempotent_with_publish_and_refuses_other_settings() {
    let e = engine();
    let one = says("one");
    let spec = || MachineSpec {
        publish: true,
        tracing: Some(true),
        ..MachineSpec::new("m", &one, MachineType::Express)
    };
    let first = e.create_machine_with(spec()).unwrap();
    let again = e.create_machine_with(spec()).unwrap();
    assert_eq!(again.version_arn, first.version_arn);
    assert_eq!(again.created_ms, first.created_ms);
    assert_eq!(e.list_versions(ARN).unwrap().len(), 1);
    let untraced = e
        .create_machine_with(MachineSpec {
            tracing: None,
            ..spec()
        })
        .unwrap_err();
    assert_eq!(untraced.kind(), ErrorKind::StateMachineAlreadyExists);
    // Qualified ARNs are not machines to update.
    let q = e
        .update_machine(&format!("{ARN}:1"), &says("x"))
        .unwrap_err();
    assert_eq!(q.kind(), ErrorKind::Validation);
}

#[test]
fn deleting_a_machine_with_running_standard_executions_leaves_it_deleting_until_they_end() {
    let e = engine();
    e.create_machine("m", WAIT, MachineType::Standard).unwrap();
    let a = e
        .start_with_handle(StartRequest::new(ARN).name("a"))
        .unwrap();
    let b = e
        .start_with_handle(StartRequest::new(ARN).name("b"))
        .unwrap();
    e.delete_machine(ARN).unwrap();
    let d = e.describe_machine(ARN).unwrap();
    assert_eq!(d.status, MachineStatus::Deleting);
    let start = e.start(StartRequest::new(ARN)).unwrap_err();
    assert_eq!(start.kind(), ErrorKind::StateMachineDeleting);
    let create = e
        .create_machine("m", WAIT, MachineType::Standard)
        .unwrap_err();
    assert_eq!(create.kind(), ErrorKind::StateMachineDeleting);
    let update = e.update_machine(ARN, WAIT).unwrap_err();
    assert_eq!(update.kind(), ErrorKind::StateMachineDeleting);
    a.stop(None, None);
    assert_eq!(
        e.describe_machine(ARN).unwrap().status,
        MachineStatus::Deleting
    );
    b.stop(Some("E"), Some("bye"));
    // The runner of a stopped execution retires it on its own task.
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while e.describe_machine(ARN).is_ok() && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    let gone = e.describe_machine(ARN).unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::StateMachineDoesNotExist);
    e.create_machine("m", WAIT, MachineType::Standard).unwrap();
}

#[test]
fn deleting_a_machine_with_nothing_running_removes_it_with_its_versions_and_tags() {
    let e = engine();
    two_versions(&e);
    e.tag_resource(ARN, &[(Str::from("k"), Str::from("v"))])
        .unwrap();
    e.delete_machine(ARN).unwrap();
    assert_eq!(
        e.describe_machine(ARN).unwrap_err().kind(),
        ErrorKind::StateMachineDoesNotExist
    );
    two_versions(&e);
    assert_eq!(
        e.list_versions(ARN).unwrap().len(),
        2,
        "numbering starts again"
    );
    assert!(
        e.list_tags(ARN).unwrap().is_empty(),
        "tags went with the machine"
    );
}

#[test]
fn tags_keep_their_order_are_bounded_and_only_fit_machines_and_activities() {
    let e = engine();
    two_versions(&e);
    let t = |k: &str, v: &str| (Str::from(k), Str::from(v));
    e.tag_resource(ARN, &[t("a", "1"), t("b", "2")]).unwrap();
    e.tag_resource(ARN, &[t("a", "3"), t("c", "4")]).unwrap();
    assert_eq!(
        e.list_tags(ARN).unwrap(),
        [t("a", "3"), t("b", "2"), t("c", "4")]
    );
    e.untag_resource(ARN, &["b", "nope"]).unwrap();
    assert_eq!(e.list_tags(ARN).unwrap(), [t("a", "3"), t("c", "4")]);
    let many: Vec<(Str, Str)> = (0..49).map(|i| t(&format!("k{i}"), "v")).collect();
    let err = e.tag_resource(ARN, &many).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyTags);
    assert_eq!(err.extra_member(), Some(("resourceName", ARN)));
    assert_eq!(e.list_tags(ARN).unwrap().len(), 2, "nothing changed");
    for not_taggable in [format!("{ARN}:1"), format!("{ARN}x")] {
        let err = e.list_tags(&not_taggable).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceNotFound, "{not_taggable}");
    }
    assert_eq!(
        e.list_tags("arn:aws:lambda:us-east-1:1:function:f")
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArn
    );
    let act = e
        .create_activity_with("worker", None, &[t("team", "x")])
        .unwrap();
    assert_eq!(e.list_tags(&act.arn).unwrap(), [t("team", "x")]);
    e.delete_activity(&act.arn).unwrap();
    assert_eq!(
        e.list_tags(&act.arn).unwrap_err().kind(),
        ErrorKind::ResourceNotFound
    );
}

#[test]
fn an_activity_of_the_same_name_with_other_encryption_already_exists() {
    use aslx::engine::{Encryption, KeyType};
    let e = engine();
    let kms = Encryption {
        key_type: KeyType::CustomerManaged,
        kms_key_id: Some(Str::from("alias/k")),
        reuse_period_seconds: Some(300),
    };
    let a = e
        .create_activity_with("act", Some(kms.clone()), &[])
        .unwrap();
    assert_eq!(a.encryption.as_ref(), Some(&kms));
    assert_eq!(
        e.create_activity_with("act", Some(kms), &[]).unwrap(),
        a,
        "idempotent"
    );
    let err = e.create_activity_with("act", None, &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ActivityAlreadyExists);
}

#[test]
fn a_machine_has_at_most_a_thousand_versions() {
    let e = engine();
    e.create_machine("m", &says("0"), MachineType::Express)
        .unwrap();
    for i in 1..=aslx::engine::MAX_VERSIONS {
        e.update_machine_with(
            ARN,
            MachineUpdate {
                definition: Some(&says(&i.to_string())),
                publish: true,
                ..MachineUpdate::default()
            },
        )
        .unwrap();
    }
    e.update_machine(ARN, &says("past")).unwrap();
    let err = e.publish_version(ARN, None, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceQuotaExceeded);
    assert_eq!(err.http_status(), 402);
}

/// Issue 18 item 9: a published version keeps its definition when the machine is updated,
/// and those bytes count against the definition-bytes quota (publishing itself shares the
/// current definition and adds none).
#[test]
fn published_versions_hold_their_definitions_against_the_byte_quota() {
    let engine = aslx::engine::Engine::builder()
        .worker_threads(1)
        .quotas(aslx::engine::Quotas {
            max_definition_bytes: 1_000,
            ..aslx::engine::Quotas::default()
        })
        .build()
        .unwrap();
    // Three definitions of 400 bytes each (a Pass with a padded comment).
    let def = |tag: char| {
        let head = r#"{"Comment":""#;
        let tail = r#"","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
        let pad: String = std::iter::repeat_n(tag, 400 - head.len() - tail.len()).collect();
        format!("{head}{pad}{tail}")
    };
    let (a, b, c) = (def('a'), def('b'), def('c'));
    assert_eq!(a.len(), 400);
    engine
        .create_machine("q", &a, aslx::MachineType::Standard)
        .unwrap();
    engine.publish_version("q", None, None).unwrap();
    engine.publish_version("q", None, None).unwrap();
    // Version 1 keeps `a` (400) beside the new current `b` (400): 800 held.
    engine.update_machine("q", &b).unwrap();
    engine.publish_version("q", None, None).unwrap();
    // `c` would make 1,200: versions 1 (`a`) and 2 (`b`) hold theirs.
    let err = engine.update_machine("q", &c).unwrap_err();
    assert_eq!(err.code(), "StateMachineLimitExceeded");
    assert!(err.message().contains("800 bytes"), "{}", err.message());
}
