//! A fixed moment and `strftime` over it, so `strftime_now` renders reproducibly: the
//! verifier, the tests and the converter all render "now" as the same instant.

use std::fmt::Write;

/// A calendar date and wall-clock time (no time zone, like Python's naive `datetime.now()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FixedDateTime {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1-12.
    pub month: u32,
    /// Day of the month, 1-31.
    pub day: u32,
    /// Hour, 0-23.
    pub hour: u32,
    /// Minute, 0-59.
    pub minute: u32,
    /// Second, 0-59.
    pub second: u32,
}

impl Default for FixedDateTime {
    /// 26 July 2024, 12:00:00: a date chat templates commonly carry as their own default, so
    /// renderings in tests and docs look ordinary.
    fn default() -> Self {
        FixedDateTime {
            year: 2024,
            month: 7,
            day: 26,
            hour: 12,
            minute: 0,
            second: 0,
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl FixedDateTime {
    /// The UTC moment `seconds` after the Unix epoch (e.g. from `SOURCE_DATE_EPOCH`).
    pub fn from_unix_seconds(seconds: i64) -> Self {
        let days = seconds.div_euclid(86_400);
        let secs = seconds.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        FixedDateTime {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
        }
    }

    /// The date as `YYYY-MM-DD` (Ollama's `currentDate`).
    pub fn iso_date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Days since 1970-01-01.
    fn days(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// 0 = Monday .. 6 = Sunday.
    fn weekday(&self) -> usize {
        // 1970-01-01 was a Thursday (index 3).
        (self.days() + 3).rem_euclid(7) as usize
    }

    /// ISO 8601 week-numbering year and week.
    fn iso_week(&self) -> (i32, u32) {
        let week = (self.day_of_year() - (self.weekday() as i64 + 1) + 10) / 7;
        if week < 1 {
            (self.year - 1, weeks_in_iso_year(self.year - 1))
        } else if week > i64::from(weeks_in_iso_year(self.year)) {
            (self.year + 1, 1)
        } else {
            (self.year, week as u32)
        }
    }

    fn day_of_year(&self) -> i64 {
        self.days() - days_from_civil(self.year, 1, 1) + 1
    }

    /// Formats like C's `strftime` in the C locale (what Python's `datetime.strftime` calls on
    /// Linux), including glibc's `-` flag for unpadded numbers (`%-d`). An unknown directive
    /// is copied through unchanged, as glibc does.
    pub fn strftime(&self, format: &str) -> String {
        let mut out = String::new();
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let unpadded = chars.peek() == Some(&'-');
            if unpadded {
                chars.next();
            }
            let Some(directive) = chars.next() else {
                out.push('%');
                if unpadded {
                    out.push('-');
                }
                break;
            };
            let num = |out: &mut String, value: i64, width: usize| {
                let _ = if unpadded {
                    write!(out, "{value}")
                } else {
                    write!(out, "{value:0width$}")
                };
            };
            let month = MONTHS[(self.month.clamp(1, 12) - 1) as usize];
            let weekday = WEEKDAYS[self.weekday()];
            let hour12 = match self.hour % 12 {
                0 => 12,
                h => h,
            };
            match directive {
                'Y' => num(&mut out, i64::from(self.year), 4),
                'y' => num(&mut out, i64::from(self.year.rem_euclid(100)), 2),
                'C' => num(&mut out, i64::from(self.year.div_euclid(100)), 2),
                'm' => num(&mut out, i64::from(self.month), 2),
                'd' => num(&mut out, i64::from(self.day), 2),
                'e' => {
                    let _ = if unpadded {
                        write!(out, "{}", self.day)
                    } else {
                        write!(out, "{:2}", self.day)
                    };
                }
                'H' => num(&mut out, i64::from(self.hour), 2),
                'I' => num(&mut out, i64::from(hour12), 2),
                'M' => num(&mut out, i64::from(self.minute), 2),
                'S' => num(&mut out, i64::from(self.second), 2),
                'j' => num(&mut out, self.day_of_year(), 3),
                'p' => out.push_str(if self.hour < 12 { "AM" } else { "PM" }),
                'B' => out.push_str(month),
                'b' | 'h' => out.push_str(&month[..3]),
                'A' => out.push_str(weekday),
                'a' => out.push_str(&weekday[..3]),
                'u' => num(&mut out, self.weekday() as i64 + 1, 1),
                // Python's own directive: microseconds, always zero for this moment.
                'f' => out.push_str("000000"),
                'U' => num(
                    &mut out,
                    (self.day_of_year() - 1 + 7 - (self.weekday() as i64 + 1) % 7) / 7,
                    2,
                ),
                'W' => num(
                    &mut out,
                    (self.day_of_year() - 1 + 7 - self.weekday() as i64) / 7,
                    2,
                ),
                'G' => num(&mut out, i64::from(self.iso_week().0), 4),
                'g' => num(&mut out, i64::from(self.iso_week().0.rem_euclid(100)), 2),
                'V' => num(&mut out, i64::from(self.iso_week().1), 2),
                'w' => num(&mut out, (self.weekday() as i64 + 1) % 7, 1),
                'F' => out.push_str(&self.strftime("%Y-%m-%d")),
                'D' | 'x' => out.push_str(&self.strftime("%m/%d/%y")),
                'T' | 'X' => out.push_str(&self.strftime("%H:%M:%S")),
                'R' => out.push_str(&self.strftime("%H:%M")),
                'c' => out.push_str(&self.strftime("%a %b %e %H:%M:%S %Y")),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '%' => out.push('%'),
                // A naive datetime has no zone: Python prints nothing for both.
                'z' | 'Z' => {}
                other => {
                    out.push('%');
                    if unpadded {
                        out.push('-');
                    }
                    out.push(other);
                }
            }
        }
        out
    }
}

/// 53 when the year starts on a Thursday, or on a Wednesday in a leap year; else 52.
fn weeks_in_iso_year(year: i32) -> u32 {
    let jan1 = (days_from_civil(year, 1, 1) + 3).rem_euclid(7);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if jan1 == 3 || (leap && jan1 == 2) {
        53
    } else {
        52
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_common_directives() {
        let date = FixedDateTime {
            year: 2026,
            month: 11,
            day: 7,
            hour: 9,
            minute: 5,
            second: 3,
        };
        assert_eq!(date.strftime("%d %b %Y"), "07 Nov 2026");
        assert_eq!(
            date.strftime("%A, %B %-d, %Y %I:%M %p"),
            "Saturday, November 7, 2026 09:05 AM"
        );
        assert_eq!(date.strftime("%j %c %Q"), "311 Sat Nov  7 09:05:03 2026 %Q");
    }

    #[test]
    fn week_numbers_at_year_boundaries() {
        // Expected values from Python's `datetime.strftime` on Linux.
        let cases = [
            ((2021, 1, 1), "2020 20 53 00 00 5 5 001"),
            ((2024, 12, 30), "2025 25 01 52 53 1 1 365"),
            ((2027, 1, 3), "2026 26 53 01 00 7 0 003"),
            ((2026, 12, 31), "2026 26 53 52 52 4 4 365"),
        ];
        for ((year, month, day), expected) in cases {
            let date = FixedDateTime {
                year,
                month,
                day,
                ..FixedDateTime::default()
            };
            assert_eq!(
                date.strftime("%G %g %V %U %W %u %w %j"),
                expected,
                "{year}-{month}-{day}"
            );
        }
    }

    #[test]
    fn unix_seconds_round_trip() {
        let date = FixedDateTime::from_unix_seconds(1_721_995_200);
        assert_eq!(date, FixedDateTime::default());
        assert_eq!(date.iso_date(), "2024-07-26");
    }
}
