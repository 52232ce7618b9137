//! Calendar arithmetic and ISO-8601 / HL7 DTM parsing without a date library.
//!
//! Times are kept as the wall-clock time the source recorded (a UTC offset, when present, is
//! dropped): the clinical rules built on them (same-day transfer, 7-day follow-up) count local
//! calendar days, and one source is consistent with itself.

use std::fmt;

/// Seconds since 1970-01-01T00:00:00 of the recorded wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

pub const SECONDS_PER_DAY: i64 = 86_400;

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian; H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

impl Timestamp {
    pub fn from_ymd_hms(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<Self> {
        if !(1..=12).contains(&mo)
            || d == 0
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || s > 60
        {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        Some(Timestamp(
            days * SECONDS_PER_DAY + (h * 3600 + mi * 60 + s.min(59)) as i64,
        ))
    }
    pub fn from_ymd(y: i64, mo: u32, d: u32) -> Option<Self> {
        Self::from_ymd_hms(y, mo, d, 0, 0, 0)
    }
    /// Day number since 1970-01-01 (the calendar day of this wall-clock time).
    pub fn day(self) -> i64 {
        self.0.div_euclid(SECONDS_PER_DAY)
    }
    pub fn from_day(day: i64) -> Self {
        Timestamp(day * SECONDS_PER_DAY)
    }
    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.day())
    }
    pub fn plus_days(self, days: i64) -> Self {
        Timestamp(self.0 + days * SECONDS_PER_DAY)
    }
    /// Whole calendar days from `self` to `later` (by calendar day, not 24-hour periods).
    pub fn days_until(self, later: Timestamp) -> i64 {
        later.day() - self.day()
    }
    /// Age in completed years on `at`.
    pub fn years_until(self, at: Timestamp) -> i64 {
        let (y0, m0, d0) = self.ymd();
        let (y1, m1, d1) = at.ymd();
        let mut age = y1 - y0;
        if (m1, d1) < (m0, d0) {
            age -= 1;
        }
        age
    }
    /// `YYYY-MM-DD`.
    pub fn date_string(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{y:04}-{m:02}-{d:02}")
    }
    /// The current wall-clock time (UTC) of this machine.
    pub fn now() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Timestamp(secs)
    }

    /// Parses ISO-8601 / FHIR `date`, `dateTime` and `instant`: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
    /// `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`, also with a space instead of `T`. Partial dates
    /// take the first day of the period. Returns `None` for anything else.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let s = s.trim();
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = b.get(r)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(part).ok()?.parse().ok()
        };
        let y = num(0..4)? as i64;
        if b.len() == 4 {
            return Self::from_ymd(y, 1, 1);
        }
        if b.get(4) != Some(&b'-') {
            return None;
        }
        let mo = num(5..7)?;
        if b.len() == 7 {
            return Self::from_ymd(y, mo, 1);
        }
        if b.get(7) != Some(&b'-') {
            return None;
        }
        let d = num(8..10)?;
        if b.len() == 10 {
            return Self::from_ymd(y, mo, d);
        }
        if !matches!(b.get(10), Some(b'T') | Some(b' ')) {
            return None;
        }
        let h = num(11..13)?;
        if b.get(13) != Some(&b':') {
            return None;
        }
        let mi = num(14..16)?;
        let mut i = 16;
        let mut sec = 0;
        if b.get(16) == Some(&b':') {
            sec = num(17..19)?;
            i = 19;
            if b.get(i) == Some(&b'.') {
                i += 1;
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                if i == start {
                    return None;
                }
            }
        }
        match &b[i..] {
            [] | [b'Z'] => {}
            [b'+' | b'-', rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
                num(i + 1..i + 3)?;
                num(i + 4..i + 6)?;
            }
            [b'+' | b'-', rest @ ..] if rest.len() == 4 => {
                num(i + 1..i + 5)?;
            }
            _ => return None,
        }
        Self::from_ymd_hms(y, mo, d, h, mi, sec)
    }

    /// Parses HL7 v2 DTM/TS: `YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]`; a component TS may carry
    /// `^precision`, which is ignored.
    pub fn parse_hl7(s: &str) -> Option<Self> {
        Self::parse_hl7_bytes(s.trim().as_bytes())
    }

    /// [`Timestamp::parse_hl7`] on bytes as they sit in a message (already trimmed), so a
    /// field need not be made text first.
    pub fn parse_hl7_bytes(b: &[u8]) -> Option<Self> {
        // One pass over the bytes (every HL7 message carries several of these): the date is
        // the leading run of digits, which must end the text or be followed by the precision
        // (`^`), the fraction (`.`) or the offset (`+`/`-`); whatever follows is ignored.
        let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(4..=14).contains(&n)
            || n % 2 != 0
            || !matches!(b.get(n), None | Some(b'^' | b'.' | b'+' | b'-'))
        {
            return None;
        }
        let num = |at: usize, width: usize, default: u32| -> u32 {
            if at + width > n {
                return default;
            }
            b[at..at + width]
                .iter()
                .fold(0, |v, &c| v * 10 + u32::from(c - b'0'))
        };
        Self::from_ymd_hms(
            i64::from(num(0, 4, 0)),
            num(4, 2, 1),
            num(6, 2, 1),
            num(8, 2, 0),
            num(10, 2, 0),
            num(12, 2, 0),
        )
    }

    /// Parses either format; used where a caller may pass an ISO string or an HL7 DTM.
    pub fn parse_any(s: &str) -> Option<Self> {
        Self::parse_iso(s).or_else(|| Self::parse_hl7(s))
    }
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DDThh:mm:ss`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        let secs = self.0.rem_euclid(SECONDS_PER_DAY);
        if (0..=9999).contains(&y) {
            // Digits written straight into a buffer: alerts and tables print millions of
            // times, where the formatting machinery cost more than the rest of the alert.
            let mut b = *b"0000-00-00T00:00:00";
            let put = |b: &mut [u8; 19], at: usize, v: i64, width: usize| {
                let mut v = v;
                for i in (at..at + width).rev() {
                    b[i] = b'0' + (v % 10) as u8;
                    v /= 10;
                }
            };
            put(&mut b, 0, y, 4);
            put(&mut b, 5, i64::from(m), 2);
            put(&mut b, 8, i64::from(d), 2);
            put(&mut b, 11, secs / 3600, 2);
            put(&mut b, 14, secs / 60 % 60, 2);
            put(&mut b, 17, secs % 60, 2);
            return f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?);
        }
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_pads_every_part() {
        let t = Timestamp::parse_iso("0987-03-04T05:06:07").unwrap();
        assert_eq!(t.to_string(), "0987-03-04T05:06:07");
        let t = Timestamp::parse_iso("2024-12-31T23:59:59").unwrap();
        assert_eq!(t.to_string(), "2024-12-31T23:59:59");
        // Year 0 starts at -62,167,219,200 s; the second before it takes the general path.
        assert_eq!(
            Timestamp(-62_167_219_200).to_string(),
            "0000-01-01T00:00:00"
        );
        assert_eq!(
            Timestamp(-62_167_219_201).to_string(),
            "-001-12-31T23:59:59"
        );
    }

    #[test]
    fn civil_round_trip() {
        for z in [-800_000, -1, 0, 1, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(
            days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28),
            2
        );
    }

    #[test]
    fn iso_forms() {
        let t = Timestamp::parse_iso("2019-02-17T12:30:05-05:00").unwrap();
        assert_eq!(t.to_string(), "2019-02-17T12:30:05");
        assert_eq!(
            Timestamp::parse_iso("2019-02").unwrap().date_string(),
            "2019-02-01"
        );
        assert_eq!(
            Timestamp::parse_iso("2019").unwrap().date_string(),
            "2019-01-01"
        );
        assert!(Timestamp::parse_iso("2019-02-30").is_none());
        assert!(Timestamp::parse_iso("not a date").is_none());
        assert!(Timestamp::parse_iso("2019-02-17T12").is_none());
        assert_eq!(
            Timestamp::parse_iso("2020-01-01T00:00:00.123Z").unwrap().0 % 86_400,
            0
        );
    }

    #[test]
    fn hl7_forms() {
        assert_eq!(
            Timestamp::parse_hl7("20190217123005+0500")
                .unwrap()
                .to_string(),
            "2019-02-17T12:30:05"
        );
        assert_eq!(
            Timestamp::parse_hl7("201902").unwrap().date_string(),
            "2019-02-01"
        );
        assert!(Timestamp::parse_hl7("2019021").is_none());
        assert!(Timestamp::parse_hl7("abcd").is_none());
    }

    /// The split-and-find parser this one replaced, kept to check the one-pass parser
    /// against it.
    fn parse_hl7_reference(s: &str) -> Option<Timestamp> {
        let s = s.trim();
        let s = s.split('^').next().unwrap_or("");
        let s = match s.find(['+', '-']) {
            Some(p) if p >= 4 => &s[..p],
            _ => s,
        };
        let s = match s.find('.') {
            Some(p) => &s[..p],
            None => s,
        };
        if s.len() < 4 || s.len() > 14 || s.len() % 2 != 0 || !s.bytes().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let part = |r: std::ops::Range<usize>, default: u32| -> u32 {
            s.get(r).and_then(|p| p.parse().ok()).unwrap_or(default)
        };
        Timestamp::from_ymd_hms(
            part(0..4, 0) as i64,
            part(4..6, 1),
            part(6..8, 1),
            part(8..10, 0),
            part(10..12, 0),
            part(12..14, 0),
        )
    }

    #[test]
    fn hl7_one_pass_parser_agrees_with_the_reference() {
        let stems = [
            "",
            "2",
            "201",
            "2019",
            "20190",
            "201902",
            "20190217",
            "2019021712",
            "201902171230",
            "20190217123005",
            "201902171230055",
            "2019021312",
            "20191317",
            "20190230",
            "20192",
            "00000101",
            "99991231235959",
            "abcd",
            "2019-02",
            "201-9",
            "2019021A",
        ];
        let tails = [
            "",
            "^S",
            "^",
            ".5",
            ".123+0500",
            "+0500",
            "-0800",
            "+05",
            "-",
            "+",
            ".",
            "Z",
            "T1",
            " ",
            "^M.5",
            "+0500^S",
            "x",
            "..",
            "-0800.5",
        ];
        for stem in stems {
            for tail in tails {
                for pad in ["", " ", "\t"] {
                    let s = format!("{pad}{stem}{tail}{pad}");
                    assert_eq!(Timestamp::parse_hl7(&s), parse_hl7_reference(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn ages_and_days() {
        let b = Timestamp::from_ymd(1950, 6, 15).unwrap();
        assert_eq!(b.years_until(Timestamp::from_ymd(2020, 6, 14).unwrap()), 69);
        assert_eq!(b.years_until(Timestamp::from_ymd(2020, 6, 15).unwrap()), 70);
        let a = Timestamp::parse_iso("2020-01-01T23:59:00").unwrap();
        assert_eq!(
            a.days_until(Timestamp::parse_iso("2020-01-02T00:01:00").unwrap()),
            1
        );
    }
}
