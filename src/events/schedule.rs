//! EventBridge schedule expressions: `rate(...)` and AWS's six-field `cron(...)`, in UTC.
//!
//! A scheduled rule (`PutRule` with `ScheduleExpression`) is parsed once into a [`Schedule`];
//! the rule's timer then asks [`Schedule::next_after`] for the next fire time, which is a walk
//! over small bit sets, not a re-parse. The dialect is the one in AWS's user guide
//! ("Creating an Amazon EventBridge rule that runs on a schedule", `eb-create-rule-schedule`):
//!
//! - `rate(value unit)`: a positive whole number and `minute`/`minutes`, `hour`/`hours`,
//!   `day`/`days`. "If the value is equal to 1, then the unit must be singular. If the value is
//!   greater than 1, the unit must be plural": `rate(1 hours)` and `rate(5 hour)` are refused.
//!   "A rate expression starts when you create the scheduled event rule": the fire times are
//!   `created + k × period`, `k ≥ 1` ([`Schedule::anchored_at`]).
//! - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: `,` lists, `-` ranges
//!   (wrapping past the end, as in AWS's own `20-2` hours example), `*`, `/` increments, `?`
//!   in exactly one of day-of-month and day-of-week, `L`, `W` and `LW` in day-of-month, `L`
//!   and `#` in day-of-week (`#` alone in its field), `JAN`-`DEC` and `SUN`-`SAT` (1 = Sunday),
//!   any case. The grammar is Quartz's, which AWS's dialect follows, so Quartz's `L-n`
//!   (n days before the last) is accepted too. Times are UTC; the finest grain is a minute.
//!
//! What AWS refuses, it refuses with `ValidationException` and one fixed message,
//! `Parameter ScheduleExpression is not valid.` ([`ScheduleError`]; its `reason` says why, for
//! our logs). Measurements against `PutRule` (us-east-1, 2026-09-07, recorded in the
//! cdk-preflight project's `pf-events-rule-cron-fields` rule) show what that validation is:
//! out-of-range values (`cron(75 20 * * ? *)`) and a `#` outside day-of-week are refused, while
//! `cron(0 20 * * ? 2500)` is accepted although the guide documents years 1970-2199. The
//! `*/60` minutes increment is refused (aws-sdk-js issue 4212). So AWS checks syntax and
//! ranges, not the calendar: there is no AWS source for refusing an expression that can never
//! fire (`cron(0 0 30 2 ? *)`, or a year already past), and this module accepts it, as the
//! measured validator does; [`Schedule::next_after`] then answers `None`. Years are accepted
//! from 1970 to 9999 (the measured 2500 is inside; the upper bound is where calendar dates
//! end here).
//!
//! # Example
//!
//! ```
//! use aslx::events::schedule::Schedule;
//!
//! // 2024-02-28T12:00:00Z
//! let t = 1_709_121_600_000;
//! let last_day = Schedule::parse("cron(0 10 L * ? *)").unwrap();
//! // 2024 is a leap year: the last day of February is the 29th, at 10:00 UTC.
//! assert_eq!(last_day.next_after(t), Some(1_709_200_800_000));
//!
//! let every_5 = Schedule::parse("rate(5 minutes)").unwrap().anchored_at(t);
//! assert_eq!(every_5.next_after(t), Some(t + 300_000));
//!
//! let err = Schedule::parse("rate(5 minute)").unwrap_err();
//! assert_eq!(err.message(), "Parameter ScheduleExpression is not valid.");
//! ```

use std::fmt;
use time::{Date, Month};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
const MIN_YEAR: u32 = 1970;
const MAX_YEAR: u32 = 9999;

/// A parsed `ScheduleExpression`: when a scheduled rule fires.
///
/// Cheap to query: [`Schedule::next_after`] walks precomputed bit sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    text: Box<str>,
    kind: Kind,
}

// Rules are shared between the API handlers and the delivery tasks.
const _: () = {
    const fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Schedule>();
};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// Fires at `anchor + k × period`, `k ≥ 1`.
    Rate {
        period_ms: i64,
        anchor_ms: i64,
    },
    Cron(Box<Cron>),
}

impl Schedule {
    /// Parses a `rate(...)` or `cron(...)` expression.
    ///
    /// A rate schedule parsed here is anchored at the Unix epoch; anchor it at the rule's
    /// creation time with [`Schedule::anchored_at`].
    ///
    /// # Errors
    ///
    /// [`ScheduleError`] (AWS's `ValidationException`, "Parameter ScheduleExpression is not
    /// valid.") for anything AWS refuses: an unknown form, a rate of 0 or with the wrong
    /// singular/plural unit, a cron expression without six fields, a value out of its field's
    /// range, `?` in neither or both day fields, `L`/`W`/`#` where AWS does not allow them.
    pub fn parse(expression: &str) -> Result<Schedule, ScheduleError> {
        let kind = if let Some(body) = inner(expression, "rate(") {
            parse_rate(body)?
        } else if let Some(body) = inner(expression, "cron(") {
            Kind::Cron(Box::new(Cron::parse(body)?))
        } else {
            return Err(ScheduleError::new(
                "expected rate(value unit) or cron(fields)".into(),
            ));
        };
        Ok(Schedule {
            text: expression.into(),
            kind,
        })
    }

    /// The same schedule with a rate anchored at `created_ms` (the rule's creation time, in
    /// milliseconds since the Unix epoch): it fires at `created_ms + k × period`, `k ≥ 1`.
    /// Cron schedules are not anchored and come back unchanged.
    pub fn anchored_at(mut self, created_ms: i64) -> Schedule {
        if let Kind::Rate { anchor_ms, .. } = &mut self.kind {
            *anchor_ms = created_ms;
        }
        self
    }

    /// The first fire time strictly after `after_ms`, in milliseconds since the Unix epoch
    /// (UTC). Cron fire times fall on whole minutes.
    ///
    /// `None` when the schedule never fires again: a cron expression whose years are past or
    /// whose days never occur (`cron(0 0 30 2 ? *)`), or a time beyond the year 9999.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        match &self.kind {
            Kind::Rate {
                period_ms,
                anchor_ms,
            } => {
                let k = if after_ms < *anchor_ms {
                    1
                } else {
                    (after_ms - anchor_ms) / period_ms + 1
                };
                k.checked_mul(*period_ms)?.checked_add(*anchor_ms)
            }
            Kind::Cron(cron) => cron.next_after(after_ms),
        }
    }

    /// The expression text, as given.
    pub fn expression(&self) -> &str {
        &self.text
    }

    /// `true` for a `rate(...)` schedule.
    pub fn is_rate(&self) -> bool {
        matches!(self.kind, Kind::Rate { .. })
    }
}

/// The text between `prefix` and a final `)`, if `expression` has that shape.
fn inner<'a>(expression: &'a str, prefix: &str) -> Option<&'a str> {
    expression.strip_prefix(prefix)?.strip_suffix(')')
}

fn parse_rate(body: &str) -> Result<Kind, ScheduleError> {
    let mut words = body.split_whitespace();
    let (Some(value), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Err(ScheduleError::new(format!(
            "rate expects two fields, value and unit, found {body:?}"
        )));
    };
    // AWS reads the value as a Java int: digits only, at most 2147483647.
    let n: i64 = match value.parse::<u32>() {
        Ok(n) if n > 0 && n <= i32::MAX as u32 => i64::from(n),
        _ => {
            return Err(ScheduleError::new(format!(
                "rate value {value:?} is not a positive whole number"
            )))
        }
    };
    let (singular, unit_ms) = match unit {
        "minute" => (true, MINUTE_MS),
        "minutes" => (false, MINUTE_MS),
        "hour" => (true, HOUR_MS),
        "hours" => (false, HOUR_MS),
        "day" => (true, DAY_MS),
        "days" => (false, DAY_MS),
        _ => {
            return Err(ScheduleError::new(format!(
                "rate unit {unit:?} is not one of minute, minutes, hour, hours, day, days"
            )))
        }
    };
    if singular != (n == 1) {
        return Err(ScheduleError::new(format!(
            "rate({n} {unit}): a value of 1 takes a singular unit, any other value a plural one"
        )));
    }
    Ok(Kind::Rate {
        period_ms: n * unit_ms,
        anchor_ms: 0,
    })
}

/// A compiled `cron(...)`: one bit set per field, and the day rule.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cron {
    minutes: Bits,
    hours: Bits,
    days: DayRule,
    months: Bits,
    years: Bits,
}

/// Which days of a month fire: the day-of-month field or the day-of-week field, whichever is
/// not `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DayRule {
    /// Day-of-month values, bits 1..=31.
    MonthDays(Bits),
    /// `L` (offset 0) or `L-n`: the last day of the month, less `offset` days.
    Last { offset: u32 },
    /// `LW`: the last weekday (Monday to Friday) of the month.
    LastWeekday,
    /// `nW`: the weekday nearest day `n`, without leaving the month.
    NearestWeekday(u32),
    /// Day-of-week values, bits 1..=7, 1 = Sunday.
    WeekDays(Bits),
    /// `nL`: the last weekday `n` of the month.
    LastOfWeekday(u32),
    /// `n#k`: the `k`-th weekday `n` of the month.
    NthWeekday { weekday: u32, nth: u32 },
}

/// One cron field's bounds and names.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// Largest `/` increment Quartz (and AWS: `*/60` minutes is refused) accepts.
    max_step: u32,
    names: &'static [&'static str],
    /// Whether a range may wrap past `max` (`20-2` hours); years cannot.
    wraps: bool,
}

const MINUTES: Field = Field::plain("minutes", 0, 59);
const HOURS: Field = Field::plain("hours", 0, 23);
const DAY_OF_MONTH: Field = Field::plain("day-of-month", 1, 31);
const MONTH: Field = Field {
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
    ..Field::plain("month", 1, 12)
};
const DAY_OF_WEEK: Field = Field {
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    max_step: 7,
    ..Field::plain("day-of-week", 1, 7)
};
const YEAR: Field = Field {
    max_step: MAX_YEAR - MIN_YEAR,
    wraps: false,
    ..Field::plain("year", MIN_YEAR, MAX_YEAR)
};

impl Field {
    const fn plain(name: &'static str, min: u32, max: u32) -> Field {
        Field {
            name,
            min,
            max,
            max_step: max,
            names: &[],
            wraps: true,
        }
    }

    /// A number or (for months and weekdays) a name, checked against the field's range.
    fn value(&self, text: &str) -> Result<u32, ScheduleError> {
        let upper = text.to_ascii_uppercase();
        let v = match self.names.iter().position(|n| *n == upper) {
            Some(i) => self.min + i as u32,
            None => text.parse::<u32>().map_err(|_| {
                ScheduleError::new(format!("{} value {text:?} is not a number", self.name))
            })?,
        };
        if v < self.min || v > self.max {
            return Err(ScheduleError::new(format!(
                "{} value {v} is outside {}-{}",
                self.name, self.min, self.max
            )));
        }
        Ok(v)
    }

    /// A `,` list of `*`, `a`, `a-b`, each optionally `/step`. Empty items are skipped, as
    /// Quartz's tokenizer (and so `PutRule`, per aws-sdk issue 161) skips them.
    fn set(&self, text: &str) -> Result<Bits, ScheduleError> {
        let mut bits = Bits::empty(self.max);
        for item in text.split(',').filter(|i| !i.is_empty()) {
            self.add_item(item, &mut bits)?;
        }
        if bits.is_empty() {
            return Err(ScheduleError::new(format!(
                "{} field {text:?} is empty",
                self.name
            )));
        }
        Ok(bits)
    }

    fn add_item(&self, item: &str, bits: &mut Bits) -> Result<(), ScheduleError> {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step = s
                    .parse::<u32>()
                    .ok()
                    .filter(|s| (1..=self.max_step).contains(s));
                let step = step.ok_or_else(|| {
                    ScheduleError::new(format!(
                        "{} increment {s:?} is not a number from 1 to {}",
                        self.name, self.max_step
                    ))
                })?;
                (r, Some(step))
            }
            None => (item, None),
        };
        let (from, to) = match range.split_once('-') {
            _ if range == "*" => (self.min, self.max),
            Some((a, b)) => (self.value(a)?, self.value(b)?),
            // `a/step` runs from a to the end of the field; a bare `a` is just a.
            None => {
                let a = self.value(range)?;
                (a, if step.is_some() { self.max } else { a })
            }
        };
        let span = self.max - self.min + 1;
        let end = if to >= from {
            to
        } else if self.wraps {
            to + span
        } else {
            return Err(ScheduleError::new(format!(
                "{} range {range:?} runs backwards",
                self.name
            )));
        };
        let mut i = from;
        while i <= end {
            bits.set(if i > self.max { i - span } else { i });
            i += step.unwrap_or(1);
        }
        Ok(())
    }
}

impl Cron {
    fn parse(body: &str) -> Result<Cron, ScheduleError> {
        let fields: Vec<&str> = body.split_whitespace().collect();
        let [minutes, hours, dom, month, dow, year] = fields[..] else {
            return Err(ScheduleError::new(format!(
                "cron expects six fields (minutes hours day-of-month month day-of-week year), \
                 found {}",
                fields.len()
            )));
        };
        for (text, field) in [
            (minutes, &MINUTES),
            (hours, &HOURS),
            (month, &MONTH),
            (year, &YEAR),
        ] {
            // L and W fail as values anyway; `?` and `#` get their own words.
            if let Some(c) = text.chars().find(|c| matches!(c, '?' | '#')) {
                return Err(ScheduleError::new(format!(
                    "{c:?} is not allowed in the {} field",
                    field.name
                )));
            }
        }
        // Empty list items are skipped (see `Field::set`), so `?,` is `?`.
        let tidy = |f: &str| {
            f.split(',')
                .filter(|i| !i.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        };
        let days = match (tidy(dom).as_str(), tidy(dow).as_str()) {
            ("?", "?") => {
                return Err(ScheduleError::new(
                    "day-of-month and day-of-week cannot both be ?".into(),
                ))
            }
            ("?", dow) => parse_day_of_week(dow)?,
            (dom, "?") => parse_day_of_month(dom)?,
            _ => {
                return Err(ScheduleError::new(
                    "one of day-of-month and day-of-week must be ?".into(),
                ))
            }
        };
        Ok(Cron {
            minutes: MINUTES.set(minutes)?,
            hours: HOURS.set(hours)?,
            days,
            months: MONTH.set(month)?,
            years: YEAR.set(year)?,
        })
    }

    fn next_after(&self, after_ms: i64) -> Option<i64> {
        // The first whole minute strictly after `after_ms`.
        let start = after_ms.div_euclid(MINUTE_MS) + 1;
        let day_number = start.div_euclid(24 * 60);
        let minute_of_day = start.rem_euclid(24 * 60) as u32;
        let date =
            Date::from_julian_day(i32::try_from(day_number + UNIX_EPOCH_JULIAN_DAY).ok()?).ok()?;
        // Before 1970 nothing fires: start from the first minute of 1970.
        let (mut year, mut month, mut day, mut minute) = if date.year() < MIN_YEAR as i32 {
            (MIN_YEAR, 1, 1, 0)
        } else {
            let (y, m, d) = date.to_calendar_date();
            (y as u32, m as u32, u32::from(d), minute_of_day)
        };
        while year <= MAX_YEAR {
            if !self.years.get(year) {
                year = self.years.next_from(year + 1)?;
                (month, day, minute) = (1, 1, 0);
                continue;
            }
            if !self.months.get(month) {
                match self.months.next_from(month + 1) {
                    Some(m) => month = m,
                    None => (year, month) = (year + 1, 1),
                }
                (day, minute) = (1, 0);
                continue;
            }
            let m = Month::try_from(month as u8).ok()?;
            let first = Date::from_calendar_date(year as i32, m, 1).ok()?;
            let last_day = u32::from(m.length(year as i32));
            let first_weekday = u32::from(first.weekday().number_from_sunday());
            for d in day..=last_day {
                if !self.days.matches(d, last_day, first_weekday) {
                    continue;
                }
                let from = if d == day { minute } else { 0 };
                if let Some(at) = self.first_minute_from(from) {
                    let julian = i64::from(first.to_julian_day()) + i64::from(d - 1);
                    return Some(
                        (julian - UNIX_EPOCH_JULIAN_DAY) * DAY_MS + i64::from(at) * MINUTE_MS,
                    );
                }
            }
            if month == 12 {
                (year, month) = (year + 1, 1);
            } else {
                month += 1;
            }
            (day, minute) = (1, 0);
        }
        None
    }

    /// The first firing minute of a day at or after `from` (minutes since midnight).
    fn first_minute_from(&self, from: u32) -> Option<u32> {
        let mut hour = self.hours.next_from(from / 60)?;
        loop {
            let start = if hour == from / 60 { from % 60 } else { 0 };
            if let Some(minute) = self.minutes.next_from(start) {
                return Some(hour * 60 + minute);
            }
            hour = self.hours.next_from(hour + 1)?;
        }
    }
}

fn parse_day_of_month(text: &str) -> Result<DayRule, ScheduleError> {
    let upper = text.to_ascii_uppercase();
    if upper == "L" {
        return Ok(DayRule::Last { offset: 0 });
    }
    if upper == "LW" {
        return Ok(DayRule::LastWeekday);
    }
    if let Some(offset) = upper.strip_prefix("L-") {
        return match offset.parse::<u32>() {
            Ok(n) if (1..=30).contains(&n) => Ok(DayRule::Last { offset: n }),
            _ => Err(ScheduleError::new(format!(
                "day-of-month offset {text:?} is not L-1 to L-30"
            ))),
        };
    }
    if let Some(day) = upper.strip_suffix('W') {
        return Ok(DayRule::NearestWeekday(DAY_OF_MONTH.value(day)?));
    }
    if let Some(c) = upper.chars().find(|c| matches!(c, 'L' | 'W' | '#')) {
        return Err(ScheduleError::new(format!(
            "{c:?} in day-of-month {text:?}: L, L-n, LW and nW stand alone"
        )));
    }
    DAY_OF_MONTH.set(text).map(DayRule::MonthDays)
}

fn parse_day_of_week(text: &str) -> Result<DayRule, ScheduleError> {
    let upper = text.to_ascii_uppercase();
    if let Some((day, nth)) = upper.split_once('#') {
        return match nth.parse::<u32>() {
            Ok(nth) if (1..=5).contains(&nth) => Ok(DayRule::NthWeekday {
                weekday: DAY_OF_WEEK.value(day)?,
                nth,
            }),
            _ => Err(ScheduleError::new(format!(
                "day-of-week {text:?}: # takes one weekday and an occurrence from 1 to 5, \
                 and only one such expression"
            ))),
        };
    }
    // `L` alone is the last day of the week, Saturday (7).
    if upper == "L" {
        return DAY_OF_WEEK.set("7").map(DayRule::WeekDays);
    }
    if let Some(day) = upper.strip_suffix('L') {
        return Ok(DayRule::LastOfWeekday(DAY_OF_WEEK.value(day)?));
    }
    DAY_OF_WEEK.set(text).map(DayRule::WeekDays)
}

impl DayRule {
    /// Whether day `d` of a month with `last` days, whose first day is weekday `first`
    /// (1 = Sunday), fires.
    fn matches(&self, d: u32, last: u32, first: u32) -> bool {
        let weekday = |d: u32| (first - 1 + d - 1) % 7 + 1;
        match *self {
            DayRule::MonthDays(ref bits) => bits.get(d),
            DayRule::Last { offset } => last > offset && d == last - offset,
            DayRule::LastWeekday => {
                d == match weekday(last) {
                    7 => last - 1,
                    1 => last - 2,
                    _ => last,
                }
            }
            // A day the month does not have fires nothing (Quartz would roll into the next
            // month; AWS documents no such thing).
            DayRule::NearestWeekday(n) if n > last => false,
            DayRule::NearestWeekday(n) => {
                d == match weekday(n) {
                    7 if n == 1 => 3,
                    7 => n - 1,
                    1 if n == last => n - 2,
                    1 => n + 1,
                    _ => n,
                }
            }
            DayRule::WeekDays(ref bits) => bits.get(weekday(d)),
            DayRule::LastOfWeekday(w) => weekday(d) == w && d + 7 > last,
            DayRule::NthWeekday { weekday: w, nth } => weekday(d) == w && (d - 1) / 7 + 1 == nth,
        }
    }
}

/// A set of small numbers (up to [`MAX_YEAR`]).
#[derive(Clone, PartialEq, Eq)]
struct Bits(Box<[u64]>);

impl Bits {
    fn empty(max: u32) -> Bits {
        Bits(vec![0; max as usize / 64 + 1].into_boxed_slice())
    }
    fn set(&mut self, i: u32) {
        self.0[i as usize / 64] |= 1 << (i % 64);
    }
    fn get(&self, i: u32) -> bool {
        self.0
            .get(i as usize / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    /// The smallest member `>= i`.
    fn next_from(&self, i: u32) -> Option<u32> {
        let mut word = i as usize / 64;
        let mut w = *self.0.get(word)? & (u64::MAX << (i % 64));
        loop {
            if w != 0 {
                return Some(word as u32 * 64 + w.trailing_zeros());
            }
            word += 1;
            w = *self.0.get(word)?;
        }
    }
}

impl fmt::Debug for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let members = (0..self.0.len() as u32 * 64).filter(|i| self.get(*i));
        f.debug_set().entries(members).finish()
    }
}

/// A `ScheduleExpression` AWS would refuse.
///
/// AWS answers every such expression with `ValidationException` and the fixed message
/// [`ScheduleError::message`]; [`ScheduleError::reason`] says what was wrong, for logs.
/// `Display` prints AWS's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleError {
    reason: String,
}

impl ScheduleError {
    #[cold]
    fn new(reason: String) -> ScheduleError {
        ScheduleError { reason }
    }

    /// The AWS error code: `ValidationException`.
    pub fn code(&self) -> &'static str {
        "ValidationException"
    }

    /// AWS's message: `Parameter ScheduleExpression is not valid.`
    pub fn message(&self) -> &'static str {
        "Parameter ScheduleExpression is not valid."
    }

    /// What was wrong with the expression, in our words (AWS does not say).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ScheduleError {}

#[cfg(test)]
mod tests;
