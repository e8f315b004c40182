//! Schedule expressions: fire times worked out by hand from a calendar (weekdays and leap
//! years checked against one), and the expressions AWS refuses.

use super::*;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since the epoch of an RFC 3339 UTC time.
fn at(text: &str) -> i64 {
    let t = OffsetDateTime::parse(text, &Rfc3339).unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn show(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
    t.format(&Rfc3339).unwrap()
}

/// The next fire time of `expression` after `from`, as RFC 3339, or `None`.
fn next(expression: &str, from: &str) -> Option<String> {
    let schedule =
        Schedule::parse(expression).unwrap_or_else(|e| panic!("{expression}: {}", e.reason()));
    schedule.next_after(at(from)).map(show)
}

/// The first `n` fire times after `from`.
fn fires(expression: &str, from: &str, n: usize) -> Vec<String> {
    let schedule = Schedule::parse(expression).unwrap();
    let mut t = at(from);
    (0..n)
        .map_while(|_| {
            t = schedule.next_after(t)?;
            Some(show(t))
        })
        .collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn daily_cron_fires_at_its_minute_and_strictly_after_the_given_time() {
    let e = "cron(0 10 * * ? *)";
    assert_eq!(
        next(e, "2024-01-01T09:59:59Z"),
        some("2024-01-01T10:00:00Z")
    );
    assert_eq!(
        next(e, "2024-01-01T10:00:00Z"),
        some("2024-01-02T10:00:00Z")
    );
    assert_eq!(
        next(e, "2024-01-01T10:00:00.001Z"),
        some("2024-01-02T10:00:00Z")
    );
    assert_eq!(
        next("cron(15 12 * * ? *)", "2024-12-31T12:15:00Z"),
        some("2025-01-01T12:15:00Z")
    );
}

#[test]
fn weekday_range_skips_the_weekend() {
    // 2024-03-01 is a Friday.
    let e = "cron(0 18 ? * MON-FRI *)";
    assert_eq!(
        next(e, "2024-03-01T18:00:00Z"),
        some("2024-03-04T18:00:00Z")
    );
    assert_eq!(
        next(e, "2024-03-01T17:59:00Z"),
        some("2024-03-01T18:00:00Z")
    );
}

#[test]
fn first_of_month_crosses_a_month_end() {
    let e = "cron(0 8 1 * ? *)";
    assert_eq!(
        next(e, "2024-01-31T09:00:00Z"),
        some("2024-02-01T08:00:00Z")
    );
    assert_eq!(
        next(e, "2024-12-01T08:00:00Z"),
        some("2025-01-01T08:00:00Z")
    );
}

#[test]
fn minute_increments_start_at_their_base() {
    assert_eq!(
        fires("cron(0/15 * * * ? *)", "2024-05-05T12:07:00Z", 4),
        [
            "2024-05-05T12:15:00Z",
            "2024-05-05T12:30:00Z",
            "2024-05-05T12:45:00Z",
            "2024-05-05T13:00:00Z"
        ]
    );
    // AWS's own example: 1/10 is the 1st, 11th, 21st... minute.
    assert_eq!(
        fires("cron(1/10 * * * ? *)", "2024-05-05T12:45:00Z", 3),
        [
            "2024-05-05T12:51:00Z",
            "2024-05-05T13:01:00Z",
            "2024-05-05T13:11:00Z"
        ]
    );
    assert_eq!(
        next("cron(*/20 * * * ? *)", "2024-05-05T12:41:00Z"),
        some("2024-05-05T13:00:00Z")
    );
}

#[test]
fn hour_range_wraps_past_midnight_as_in_the_aws_example() {
    // "Run every 30 minutes Monday through Friday between 10:00 pm ... to 2:00 am".
    let e = "cron(0/30 20-2 ? * MON-FRI *)";
    // Friday 23:30 → Saturday 00:00 is not a weekday → Monday 00:00.
    assert_eq!(
        next(e, "2024-03-01T23:30:00Z"),
        some("2024-03-04T00:00:00Z")
    );
    assert_eq!(
        fires(e, "2024-03-04T01:30:00Z", 3),
        [
            "2024-03-04T02:00:00Z",
            "2024-03-04T02:30:00Z",
            "2024-03-04T20:00:00Z"
        ]
    );
}

#[test]
fn comma_lists_and_names_in_any_case() {
    assert_eq!(
        fires("cron(5,35 14 * * ? *)", "2024-01-01T14:05:00Z", 2),
        ["2024-01-01T14:35:00Z", "2024-01-02T14:05:00Z"]
    );
    assert_eq!(
        next("cron(0 0 1 jan,Jul ? *)", "2024-02-01T00:00:00Z"),
        some("2024-07-01T00:00:00Z")
    );
    // 1 = Sunday: 2024-01-07 is a Sunday.
    assert_eq!(
        next("cron(0 0 ? * 1 *)", "2024-01-01T00:00:00Z"),
        some("2024-01-07T00:00:00Z")
    );
    assert_eq!(
        next("cron(0 0 ? * sun *)", "2024-01-01T00:00:00Z"),
        some("2024-01-07T00:00:00Z")
    );
}

#[test]
fn weekday_range_wraps_past_saturday() {
    // FRI-MON: Friday, Saturday, Sunday, Monday. 2024-01-02 is a Tuesday.
    assert_eq!(
        fires("cron(0 9 ? * FRI-MON *)", "2024-01-02T00:00:00Z", 4),
        [
            "2024-01-05T09:00:00Z",
            "2024-01-06T09:00:00Z",
            "2024-01-07T09:00:00Z",
            "2024-01-08T09:00:00Z"
        ]
    );
}

#[test]
fn last_day_of_month_follows_leap_years() {
    let e = "cron(0 10 L * ? *)";
    assert_eq!(
        next(e, "2023-02-01T00:00:00Z"),
        some("2023-02-28T10:00:00Z")
    );
    assert_eq!(
        next(e, "2024-02-01T00:00:00Z"),
        some("2024-02-29T10:00:00Z")
    );
    // 2100 is not a leap year, 2000 is.
    assert_eq!(
        next(e, "2100-02-01T00:00:00Z"),
        some("2100-02-28T10:00:00Z")
    );
    assert_eq!(
        next(e, "2000-02-01T00:00:00Z"),
        some("2000-02-29T10:00:00Z")
    );
    assert_eq!(
        fires(e, "2024-04-30T10:00:00Z", 3),
        [
            "2024-05-31T10:00:00Z",
            "2024-06-30T10:00:00Z",
            "2024-07-31T10:00:00Z"
        ]
    );
    assert_eq!(
        next("cron(0 0 L-2 * ? *)", "2024-02-01T00:00:00Z"),
        some("2024-02-27T00:00:00Z")
    );
}

#[test]
fn last_weekday_of_month_steps_back_from_a_weekend() {
    let e = "cron(0 12 LW * ? *)";
    // 2024-03-31 is a Sunday, 2024-08-31 a Saturday, 2024-09-30 a Monday.
    assert_eq!(
        next(e, "2024-03-01T00:00:00Z"),
        some("2024-03-29T12:00:00Z")
    );
    assert_eq!(
        next(e, "2024-08-01T00:00:00Z"),
        some("2024-08-30T12:00:00Z")
    );
    assert_eq!(
        next(e, "2024-09-01T00:00:00Z"),
        some("2024-09-30T12:00:00Z")
    );
}

#[test]
fn nearest_weekday_stays_inside_the_month() {
    // 2024-06-01 is a Saturday: 1W moves forward to Monday the 3rd, not back into May.
    assert_eq!(
        next("cron(0 0 1W * ? *)", "2024-05-15T00:00:00Z"),
        some("2024-06-03T00:00:00Z")
    );
    // 2024-06-15 is a Saturday: Friday the 14th. 2024-09-15 is a Sunday: Monday the 16th.
    assert_eq!(
        next("cron(0 0 15W * ? *)", "2024-06-01T00:00:00Z"),
        some("2024-06-14T00:00:00Z")
    );
    assert_eq!(
        next("cron(0 0 15W * ? *)", "2024-09-01T00:00:00Z"),
        some("2024-09-16T00:00:00Z")
    );
    // 2024-06-30 is a Sunday and the month's last day: Friday the 28th.
    assert_eq!(
        next("cron(0 0 30W * ? *)", "2024-06-01T00:00:00Z"),
        some("2024-06-28T00:00:00Z")
    );
    // 3W on a Wednesday is the day itself.
    assert_eq!(
        next("cron(0 0 3W * ? *)", "2024-07-01T00:00:00Z"),
        some("2024-07-03T00:00:00Z")
    );
    // February has no 31st; 2024-03-31 is a Sunday and the last day: Friday the 29th.
    assert_eq!(
        next("cron(0 0 31W * ? *)", "2024-02-01T00:00:00Z"),
        some("2024-03-29T00:00:00Z")
    );
}

#[test]
fn nth_weekday_of_month() {
    // "3#2 would be the second Tuesday of the month"; 2024-01-01 is a Monday.
    assert_eq!(
        next("cron(0 0 ? * 3#2 *)", "2024-01-01T00:00:00Z"),
        some("2024-01-09T00:00:00Z")
    );
    assert_eq!(
        next("cron(0 0 ? * TUE#1 *)", "2024-01-02T00:00:00Z"),
        some("2024-02-06T00:00:00Z")
    );
    // February 2024 has four Fridays; the next fifth Friday is 2024-03-29.
    assert_eq!(
        next("cron(0 0 ? * 6#5 *)", "2024-02-01T00:00:00Z"),
        some("2024-03-29T00:00:00Z")
    );
}

#[test]
fn last_weekday_of_each_month_as_in_the_aws_example() {
    // "10:15am UTC+0 on the last Friday of each month during the years 2019 to 2022".
    let e = "cron(15 10 ? * 6L 2019-2022)";
    assert_eq!(
        next(e, "2018-06-01T00:00:00Z"),
        some("2019-01-25T10:15:00Z")
    );
    assert_eq!(
        next(e, "2019-12-01T00:00:00Z"),
        some("2019-12-27T10:15:00Z")
    );
    assert_eq!(
        next(e, "2022-12-01T00:00:00Z"),
        some("2022-12-30T10:15:00Z")
    );
    assert_eq!(next(e, "2022-12-30T10:15:00Z"), None);
    // L alone in day-of-week is Saturday.
    assert_eq!(
        next("cron(0 0 ? * L *)", "2024-01-01T00:00:00Z"),
        some("2024-01-06T00:00:00Z")
    );
}

#[test]
fn february_29th_waits_for_the_next_leap_year() {
    assert_eq!(
        next("cron(0 0 29 2 ? *)", "2024-03-01T00:00:00Z"),
        some("2028-02-29T00:00:00Z")
    );
}

#[test]
fn years_lists_and_increments() {
    assert_eq!(
        next("cron(0 0 1 1 ? 2030)", "2024-06-01T00:00:00Z"),
        some("2030-01-01T00:00:00Z")
    );
    assert_eq!(
        fires("cron(0 0 1 1 ? 2024/4)", "2024-06-01T00:00:00Z", 2),
        ["2028-01-01T00:00:00Z", "2032-01-01T00:00:00Z"]
    );
    // Accepted although the guide says 1970-2199: PutRule accepts it (measured).
    assert_eq!(
        next("cron(0 20 * * ? 2500)", "2024-06-01T00:00:00Z"),
        some("2500-01-01T20:00:00Z")
    );
}

#[test]
fn never_firing_expressions_are_accepted_and_answer_none() {
    // AWS's PutRule validates syntax and ranges only (see the module docs).
    assert_eq!(next("cron(0 0 30 2 ? *)", "2024-01-01T00:00:00Z"), None);
    assert_eq!(
        next("cron(0 0 31 4,6,9,11 ? *)", "2024-01-01T00:00:00Z"),
        None
    );
    assert_eq!(next("cron(0 0 1 1 ? 2000)", "2024-01-01T00:00:00Z"), None);
    assert_eq!(
        next("cron(0 0 1 1 ? 2000)", "1999-06-01T00:00:00Z"),
        some("2000-01-01T00:00:00Z")
    );
}

#[test]
fn times_before_1970_and_after_9999() {
    assert_eq!(
        next("cron(0 0 * * ? *)", "1969-12-31T23:59:59.999Z"),
        some("1970-01-01T00:00:00Z")
    );
    assert_eq!(
        next("cron(30 1 * * ? *)", "1938-04-01T00:00:00Z"),
        some("1970-01-01T01:30:00Z")
    );
    assert_eq!(next("cron(0 0 * * ? *)", "9999-12-31T00:00:00Z"), None);
    assert_eq!(
        Schedule::parse("cron(0 0 * * ? *)")
            .unwrap()
            .next_after(i64::MAX),
        None
    );
}

#[test]
fn empty_list_items_are_skipped_as_put_rule_skips_them() {
    // aws-sdk issue 161: PutRule accepts this expression.
    assert_eq!(
        next("cron(0/5, 9-18, ?, *, MON-FRI, *)", "2024-03-01T18:55:00Z"),
        some("2024-03-04T09:00:00Z")
    );
}

#[test]
fn rates_fire_one_period_after_creation_and_every_period_after() {
    let created = at("2024-01-01T12:34:56Z");
    let every = |e: &str| Schedule::parse(e).unwrap().anchored_at(created);
    let five = every("rate(5 minutes)");
    assert_eq!(
        five.next_after(created).map(show),
        some("2024-01-01T12:39:56Z")
    );
    assert_eq!(
        five.next_after(created - 1_000_000).map(show),
        some("2024-01-01T12:39:56Z")
    );
    assert_eq!(
        five.next_after(at("2024-01-01T12:39:56Z")).map(show),
        some("2024-01-01T12:44:56Z")
    );
    assert_eq!(
        five.next_after(at("2024-01-01T12:40:00Z")).map(show),
        some("2024-01-01T12:44:56Z")
    );
    for (e, then) in [
        ("rate(1 minute)", "2024-01-01T12:35:56Z"),
        ("rate(1 hour)", "2024-01-01T13:34:56Z"),
        ("rate(2 hours)", "2024-01-01T14:34:56Z"),
        ("rate(1 day)", "2024-01-02T12:34:56Z"),
        ("rate(7 days)", "2024-01-08T12:34:56Z"),
    ] {
        assert_eq!(every(e).next_after(created).map(show), some(then), "{e}");
        assert!(every(e).is_rate());
    }
    // Unanchored, a rate counts from the epoch.
    assert_eq!(
        next("rate(1 day)", "2024-01-01T12:00:00Z"),
        some("2024-01-02T00:00:00Z")
    );
    // Anchoring leaves a cron schedule alone.
    let cron = Schedule::parse("cron(0 10 * * ? *)").unwrap();
    assert_eq!(cron.clone().anchored_at(created), cron);
    assert!(!cron.is_rate());
    assert_eq!(cron.expression(), "cron(0 10 * * ? *)");
}

#[test]
fn the_largest_rate_does_not_overflow() {
    let s = Schedule::parse("rate(2147483647 days)").unwrap();
    assert_eq!(s.next_after(0), Some(2_147_483_647 * DAY_MS));
    assert_eq!(s.next_after(i64::MAX - 1), None);
}

#[test]
fn invalid_expressions_are_refused_with_aws_message() {
    let bad = [
        // rate: singular for 1, plural otherwise; a positive whole number; known units.
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(1 hours)",
        "rate(5 hour)",
        "rate(1 days)",
        "rate(2 day)",
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(1.5 hours)",
        "rate(2147483648 minutes)",
        "rate(5 seconds)",
        "rate(5)",
        "rate(5 minutes 3)",
        "rate()",
        "Rate(5 minutes)",
        "rate 5 minutes",
        "rate(5 minutes",
        "every 5 minutes",
        "",
        // cron: six fields.
        "cron(0 12 * * ?)",
        "cron(0 12 * * ? * *)",
        "cron()",
        // Values out of range (cron(75 20 * * ? *) measured against PutRule).
        "cron(75 20 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 * 0 ? *)",
        "cron(0 0 * 13 ? *)",
        "cron(0 0 ? * 0 *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 1 * ? 1969)",
        "cron(0 0 1 * ? 10000)",
        "cron(0 0 ? * MON-FOO *)",
        "cron(0 0 1 XYZ ? *)",
        // Increments out of range (cron(*/60 * * * ? *): aws-sdk-js issue 4212).
        "cron(*/60 * * * ? *)",
        "cron(0/0 * * * ? *)",
        "cron(0 */24 * * ? *)",
        "cron(0 0 1 */13 ? *)",
        // ? in exactly one day field.
        "cron(0 0 * * * *)",
        "cron(0 0 1 * 2 *)",
        "cron(0 0 ? * ? *)",
        "cron(? 0 1 * ? *)",
        "cron(0 0 1 * ? ?)",
        // # only in day-of-week, one expression (measured: cron(0 20 3#1 * ? *)).
        "cron(0 20 3#1 * ? *)",
        "cron(0 0 ? * 3#1,6#3 *)",
        "cron(0 0 ? * 3#6 *)",
        "cron(0 0 ? * 3#0 *)",
        // L and W where they belong, standing alone.
        "cron(0 0 L-31 * ? *)",
        "cron(0 0 1W,15 * ? *)",
        "cron(0 0 1-5W * ? *)",
        "cron(0 0 ? * 2W *)",
        "cron(0 0 ? * 2-3L *)",
        "cron(L 0 1 * ? *)",
        // Ranges: years cannot wrap; ends must be values.
        "cron(0 0 1 1 ? 2030-2025)",
        "cron(0 0 1 1 ? 2030-)",
        "cron(0 0-5- 1 * ? *)",
        "cron(, 0 1 * ? *)",
    ];
    for e in bad {
        let err = Schedule::parse(e).expect_err(e);
        assert_eq!(err.code(), "ValidationException", "{e}");
        assert_eq!(
            err.message(),
            "Parameter ScheduleExpression is not valid.",
            "{e}"
        );
        assert_eq!(
            err.to_string(),
            "Parameter ScheduleExpression is not valid.",
            "{e}"
        );
        assert!(!err.reason().is_empty(), "{e}");
    }
}

#[test]
fn refusals_say_what_was_wrong() {
    let reason = |e: &str| Schedule::parse(e).unwrap_err().reason().to_string();
    assert_eq!(
        reason("cron(75 20 * * ? *)"),
        "minutes value 75 is outside 0-59"
    );
    assert_eq!(
        reason("cron(0 0 * * * *)"),
        "one of day-of-month and day-of-week must be ?"
    );
    assert_eq!(
        reason("cron(0 0 ? * ? *)"),
        "day-of-month and day-of-week cannot both be ?"
    );
    assert_eq!(
        reason("rate(5 minute)"),
        "rate(5 minute): a value of 1 takes a singular unit, any other value a plural one"
    );
    assert_eq!(
        reason("cron(*/60 * * * ? *)"),
        "minutes increment \"60\" is not a number from 1 to 59"
    );
    assert!(reason("cron(0 12 * * ?)").contains("six fields"));
}

/// Checks `next_after` against a minute-by-minute scan with a predicate written straight
/// from the calendar, over `days` days from `from`.
fn agrees_with_scan(
    expression: &str,
    from: &str,
    days: i64,
    fires_at: impl Fn(OffsetDateTime) -> bool,
) {
    let schedule = Schedule::parse(expression).unwrap();
    let start = at(from);
    let mut expected = Vec::new();
    for m in 1..=days * 24 * 60 {
        let t = start + m * MINUTE_MS;
        if fires_at(OffsetDateTime::from_unix_timestamp(t / 1000).unwrap()) {
            expected.push(t);
        }
    }
    let mut got = Vec::new();
    let mut t = start;
    while let Some(n) = schedule.next_after(t) {
        if n > start + days * DAY_MS {
            break;
        }
        got.push(n);
        t = n;
    }
    assert!(!expected.is_empty(), "{expression}");
    assert_eq!(got, expected, "{expression}");
}

#[test]
fn fire_times_agree_with_a_minute_by_minute_scan() {
    use time::Weekday::*;
    agrees_with_scan(
        "cron(0/7 9-17 ? * MON-FRI *)",
        "2024-02-20T00:00:00Z",
        20,
        |t| {
            t.minute() % 7 == 0
                && (9..=17).contains(&t.hour())
                && !matches!(t.weekday(), Saturday | Sunday)
        },
    );
    agrees_with_scan("cron(30 22-1 L * ? *)", "2023-12-25T00:00:00Z", 70, |t| {
        let last = t.month().length(t.year());
        t.minute() == 30 && (t.hour() >= 22 || t.hour() <= 1) && t.day() == last
    });
    agrees_with_scan(
        "cron(5 4 ? FEB,MAR 5#2 *)",
        "2024-01-01T00:00:00Z",
        100,
        |t| {
            (t.hour(), t.minute()) == (4, 5)
                && matches!(t.month(), Month::February | Month::March)
                && t.weekday() == Thursday
                && (t.day() - 1) / 7 == 1
        },
    );
    agrees_with_scan("cron(0 12 1,15 * ? *)", "2024-01-10T00:00:00Z", 80, |t| {
        (t.hour(), t.minute()) == (12, 0) && (t.day() == 1 || t.day() == 15)
    });
}
