//! RFC 3339 timestamps as AWS accepts them: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, an
//! uppercase `T`, a zone that is `Z` or a numeric offset, and a real calendar date (WAIT-3,
//! CH-6). Anything else (a space for `T`, no zone, month 13, hour 25) is refused.

use std::fmt::Write as _;

/// An instant as nanoseconds since the Unix epoch (UTC).
pub type Nanos = i128;

/// Parses a timestamp; `None` when it is not one AWS would accept.
pub fn parse_timestamp(s: &str) -> Option<Nanos> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let year = num(0, 4)?;
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    let hour = num(11, 2)?;
    let minute = num(14, 2)?;
    let second = num(17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &b[start..i];
        if digits.is_empty() {
            return None;
        }
        for (k, d) in digits.iter().take(9).enumerate() {
            nanos += i64::from(d - b'0') * 10i64.pow(8 - k as u32);
        }
    }
    let offset_seconds = match b.get(i) {
        Some(b'Z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let h = num(i + 1, 2)?;
            let m = num(i + 4, 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(Nanos::from(secs) * 1_000_000_000 + Nanos::from(nanos))
}

/// Milliseconds since the epoch, rendered as AWS renders `EnteredTime` / `StartTime`:
/// `2024-01-01T00:00:00.000Z`.
pub fn format_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(24);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    );
    out
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_3_accepts_rfc3339_forms() {
        let base = parse_timestamp("2016-03-14T01:59:00Z").unwrap();
        assert_eq!(base, 1_457_920_740 * 1_000_000_000);
        assert_eq!(parse_timestamp("2016-03-14T01:59:00.00Z"), Some(base));
        assert_eq!(
            parse_timestamp("2016-03-14T01:59:00.000000000Z"),
            Some(base)
        );
        assert_eq!(parse_timestamp("2016-03-14T02:59:00+01:00"), Some(base));
        assert_eq!(
            parse_timestamp("2016-03-14T01:59:00.5Z"),
            Some(base + 500_000_000)
        );
    }

    #[test]
    fn wait_3_refuses_what_aws_refuses() {
        for bad in [
            "2016-12-05T21:29:29",   // no zone
            "2016-12-05 21:29:29Z",  // space for T
            "2016-13-05T21:29:29Z",  // month 13
            "2016-12-05T25:29:29Z",  // hour 25
            "05-12-2016T21:29:29Z",  // not ISO order
            "2016-02-30T00:00:00Z",  // no such day
            "2016-12-05t21:29:29z",  // lowercase
            "2016-12-05T21:29:29.Z", // empty fraction
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
        assert!(parse_timestamp("2016-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn formats_millis_like_aws() {
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_millis(1_457_920_740_123), "2016-03-14T01:59:00.123Z");
    }
}
