//! Instants and calendar dates as the domain sees them.
//!
//! Instants are whole milliseconds since the Unix epoch, the precision the API
//! promises (RFC 3339 with milliseconds). Both stores keep them as 64-bit integers,
//! so ordering and range filters behave identically on SQLite and PostgreSQL.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        Self((OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64)
    }

    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Parses an RFC 3339 timestamp (any offset), or a bare `YYYY-MM-DD` meaning
    /// midnight UTC, which is what people type into a filter.
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
            return Some(Self::from_datetime(t));
        }
        let date = Date::parse(text, format_description!("[year]-[month]-[day]")).ok()?;
        Some(Self::from_datetime(date.midnight().assume_utc()))
    }

    fn from_datetime(t: OffsetDateTime) -> Self {
        Self((t.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(UtcOffset::UTC)
    }
}

impl fmt::Display for Timestamp {
    /// `2024-03-07T14:00:00.000Z`: UTC, always three fractional digits.
    ///
    /// Written digit by digit into a stack buffer: every client in a list shows
    /// two of these, and the `time` crate's formatter (which interprets a
    /// format description and allocates) was 5% of a list request's CPU.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.to_datetime();
        let year = t.year();
        if !(0..=9999).contains(&year) {
            // Out of RFC 3339's range; only reachable from a corrupt store value.
            let wide = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
            return f.write_str(&t.format(&wide).map_err(|_| fmt::Error)?);
        }
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let fields = [
            (0, 4, year as u32),
            (5, 2, u32::from(u8::from(t.month()))),
            (8, 2, u32::from(t.day())),
            (11, 2, u32::from(t.hour())),
            (14, 2, u32::from(t.minute())),
            (17, 2, u32::from(t.second())),
            (20, 3, u32::from(t.millisecond())),
        ];
        for (at, width, mut value) in fields {
            for digit in out[at..at + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        // Only ASCII digits and punctuation were written.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp"))
    }
}

/// A calendar date (`YYYY-MM-DD`), e.g. a date of birth.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct CalendarDate(Date);

impl CalendarDate {
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 10 {
            return None;
        }
        Date::parse(text, format_description!("[year]-[month]-[day]")).ok().map(Self)
    }

    pub fn is_after_today(&self) -> bool {
        self.0 > OffsetDateTime::now_utc().date()
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fmt = format_description!("[year]-[month]-[day]");
        match self.0.format(&fmt) {
            Ok(s) => f.write_str(&s),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl serde::Serialize for CalendarDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for CalendarDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom("expected a date as YYYY-MM-DD"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(Timestamp::from_millis(1_709_820_000_123).to_string(), "2024-03-07T14:00:00.123Z");
    }

    #[test]
    fn formats_like_rfc_3339_across_the_calendar() {
        let reference = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
        // Epoch, leap days, year ends, the last millisecond of 9999, and a
        // stride through the years in between.
        let mut instants = vec![0, 951_782_400_000, 4_107_542_399_999, 253_402_300_799_999, -62_167_219_200_000];
        instants.extend((0..2000).map(|i: i64| -62_000_000_000_000 + i * 157_766_400_123 + i % 1000));
        for ms in instants {
            let t = Timestamp::from_millis(ms);
            assert_eq!(t.to_string(), t.to_datetime().format(&reference).unwrap(), "{ms}");
        }
    }

    #[test]
    fn parses_offsets_and_bare_dates() {
        let t = Timestamp::parse("2024-03-07T15:00:00+01:00").unwrap();
        assert_eq!(t.to_string(), "2024-03-07T14:00:00.000Z");
        assert_eq!(Timestamp::parse("2024-03-07").unwrap().to_string(), "2024-03-07T00:00:00.000Z");
        assert!(Timestamp::parse("yesterday").is_none());
    }

    #[test]
    fn dates_are_strict() {
        assert!(CalendarDate::parse("1985-06-15").is_some());
        assert!(CalendarDate::parse("1985-02-30").is_none());
        assert!(CalendarDate::parse("1985-6-15").is_none());
    }
}
