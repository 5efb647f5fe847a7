//! A calendar date for `currentDate`/`yesterdayDate`, without a time-zone dependency.

use std::fmt;

/// A proleptic Gregorian date, printed as `YYYY-MM-DD` like Go's `2006-01-02` layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date `{input}`: expected YYYY-MM-DD")]
pub struct DateError {
    input: String,
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl Date {
    /// A date from its parts; `None` when the day does not exist.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && (0..=9999).contains(&year))
        .then_some(Date { year, month, day })
    }

    /// The year (0-9999).
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month (1-12).
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month (1-31), for other renderings of the same date (Jinja's
    /// `strftime_now`).
    pub fn day(self) -> u8 {
        self.day
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let err = || DateError {
            input: s.to_owned(),
        };
        let mut parts = s.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(err());
        }
        let y = y.parse().map_err(|_| err())?;
        let m = m.parse().map_err(|_| err())?;
        let d = d.parse().map_err(|_| err())?;
        Date::new(y, m, d).ok_or_else(err)
    }

    /// Today in UTC, from the system clock.
    pub fn today_utc() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    fn from_days_since_epoch(days: i64) -> Date {
        // Howard Hinnant's civil-from-days algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The day before.
    pub fn yesterday(self) -> Date {
        if self.day > 1 {
            return Date {
                day: self.day - 1,
                ..self
            };
        }
        if self.month > 1 {
            let month = self.month - 1;
            return Date {
                month,
                day: days_in_month(self.year, month),
                ..self
            };
        }
        Date {
            year: self.year - 1,
            month: 12,
            day: 31,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yesterday_crosses_months_and_years() {
        assert_eq!(
            Date::parse("2024-03-01").unwrap().yesterday().to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Date::parse("2025-01-01").unwrap().yesterday().to_string(),
            "2024-12-31"
        );
        assert_eq!(
            Date::parse("2025-06-15").unwrap().yesterday().to_string(),
            "2025-06-14"
        );
    }

    #[test]
    fn parse_refuses_bad_dates() {
        assert!(Date::parse("2025-02-29").is_err());
        assert!(Date::parse("2025-1-01").is_err());
        assert!(Date::parse("yesterday").is_err());
    }

    #[test]
    fn epoch_days_convert() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(19_723).to_string(),
            "2024-01-01"
        );
    }
}
