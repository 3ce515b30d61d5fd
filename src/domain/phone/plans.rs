//! The numbering plans whose rules are checked: a small, explicit table of
//! the plans the vendor documents and the firms use (NANP, the UK, Ireland
//! and a few EU countries). For a country outside it, only the E.164 rules
//! apply (a country code that exists, at most 15 digits).
//!
//! The rules say whether a number *can exist* (its length, and the forms
//! the plan allows), not whether it is allocated: fictional ranges such as
//! the 555 numbers the vendors' examples use must be accepted.

/// E.164: a number has at most 15 digits, country code included.
pub(super) const MAX_DIGITS: usize = 15;

/// One country's (or, for NANP, a group of countries') numbering plan.
pub(super) struct Plan {
    /// The country calling code.
    pub code: u16,
    /// What is dialled before a national number inside the country and
    /// dropped from it in E.164 (`0` in `020 7946 0958`).
    pub trunk_prefix: Option<&'static str>,
    /// What is dialled before a country code from inside it.
    pub international_prefix: &'static str,
    /// Why `nsn` (the digits after the country code) cannot exist, if it cannot.
    pub check: fn(&str) -> Result<(), String>,
}

const PLANS: &[Plan] = &[
    Plan { code: 1, trunk_prefix: Some("1"), international_prefix: "011", check: nanp },
    Plan { code: 44, trunk_prefix: Some("0"), international_prefix: "00", check: uk },
    Plan { code: 353, trunk_prefix: Some("0"), international_prefix: "00", check: |n| length(n, 7, 9).and(first_digit(n, "123456789")) },
    Plan { code: 33, trunk_prefix: Some("0"), international_prefix: "00", check: |n| length(n, 9, 9).and(first_digit(n, "123456789")) },
    Plan { code: 49, trunk_prefix: Some("0"), international_prefix: "00", check: |n| length(n, 6, 13).and(first_digit(n, "123456789")) },
    Plan { code: 31, trunk_prefix: Some("0"), international_prefix: "00", check: |n| length(n, 9, 9).and(first_digit(n, "123456789")) },
    // Spain and Italy have no trunk prefix: an Italian fixed line's 0 is
    // part of the number.
    Plan { code: 34, trunk_prefix: None, international_prefix: "00", check: |n| length(n, 9, 9).and(first_digit(n, "6789")) },
    Plan { code: 39, trunk_prefix: None, international_prefix: "00", check: |n| length(n, 6, 11).and(first_digit(n, "038")) },
];

pub(super) fn plan(code: u16) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.code == code)
}

/// Why `+<code><nsn>` cannot exist, if it cannot.
pub(super) fn check(code: u16, nsn: &str) -> Result<(), String> {
    match plan(code) {
        Some(plan) => (plan.check)(nsn),
        None if code.to_string().len() + nsn.len() > MAX_DIGITS => Err(format!("has more than {MAX_DIGITS} digits")),
        None => Ok(()),
    }
}

/// The North American Numbering Plan: a 3-digit area code (NPA), a 3-digit
/// exchange (NXX), 4 digits. Neither the area code nor the exchange starts
/// with 0 or 1, and neither is an N11 service code (411, 911). Area code 555
/// is not assigned anywhere and is what fiction (and the vendors' examples,
/// `+15551234567`) uses; it is accepted with any seven digits.
fn nanp(nsn: &str) -> Result<(), String> {
    if nsn.len() != 10 {
        return Err(format!("has {} digits after +1; North American numbers have 10", nsn.len()));
    }
    let (npa, rest) = nsn.split_at(3);
    let nxx = &rest[..3];
    if npa == "555" {
        return Ok(());
    }
    for (part, name) in [(npa, "area code"), (nxx, "exchange")] {
        if part.starts_with(['0', '1']) {
            return Err(format!("has {name} {part}; a North American {name} never starts with 0 or 1"));
        }
        if &part[1..] == "11" {
            return Err(format!("has {name} {part}, a service code"));
        }
    }
    Ok(())
}

/// The UK: 10 digits after +44 (some 01 areas and 08 numbers have 9); no
/// number starts with 4 or 6, or with 0 after the trunk prefix.
fn uk(nsn: &str) -> Result<(), String> {
    first_digit(nsn, "1235789")?;
    if nsn.starts_with(['1', '8']) { length(nsn, 9, 10) } else { length(nsn, 10, 10) }
}

fn length(nsn: &str, min: usize, max: usize) -> Result<(), String> {
    let n = nsn.len();
    if (min..=max).contains(&n) {
        return Ok(());
    }
    let wanted = if min == max { format!("{min}") } else { format!("{min} to {max}") };
    Err(format!("has {n} digits after the country code; this country's numbers have {wanted}"))
}

fn first_digit(nsn: &str, allowed: &str) -> Result<(), String> {
    match nsn.chars().next() {
        Some(c) if allowed.contains(c) => Ok(()),
        Some(c) => Err(format!("starts with {c} after the country code, which this country's numbers never do")),
        None => Err("has no digits after the country code".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanp_numbers_have_ten_digits_and_no_leading_0_or_1_in_area_code_or_exchange() {
        for ok in ["6615550142", "2125550187", "5551234567", "5550001111", "5559876543"] {
            assert!(check(1, ok).is_ok(), "{ok}");
        }
        for bad in ["02079460958", "5551234", "2079460958x", "1234567890", "6611550142", "6610550142", "9115550142", "6614110142"] {
            assert!(check(1, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn european_plans_check_length_and_first_digit() {
        assert!(check(44, "2079460958").is_ok());
        assert!(check(44, "169772345").is_ok());
        assert!(check(44, "02079460958").is_err());
        assert!(check(44, "207946095").is_err());
        assert!(check(33, "612345678").is_ok());
        assert!(check(33, "23456789").is_err());
        assert!(check(39, "0612345678").is_ok());
        assert!(check(34, "512345678").is_err());
    }

    #[test]
    fn other_countries_get_the_e164_length_rule() {
        assert!(check(61, "212345678").is_ok());
        assert!(check(61, "2123456789012345").is_err());
    }
}
