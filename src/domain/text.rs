//! Rules every free-text field shares.

/// Trims `input` and checks it is printable text of at most `max_chars`
/// characters. Control characters are refused (NUL cannot even be stored in
/// PostgreSQL), except line breaks and tabs where `multiline` allows them.
/// An empty string after trimming means "no value".
pub fn clean(input: &str, max_chars: usize, multiline: bool) -> Result<Option<String>, String> {
    let trimmed = input.trim();
    if let Some(bad) = trimmed.chars().find(|c| is_forbidden(*c, multiline)) {
        return Err(format!("contains a control character (U+{:04X})", bad as u32));
    }
    let count = trimmed.chars().count();
    if count > max_chars {
        return Err(format!("must be at most {max_chars} characters (got {count})"));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
}

/// Like [`clean`], for a field that must have a value.
pub fn required(input: &str, max_chars: usize) -> Result<String, String> {
    clean(input, max_chars, false)?.ok_or_else(|| "must not be empty".to_string())
}

fn is_forbidden(c: char, multiline: bool) -> bool {
    if multiline && matches!(c, '\n' | '\r' | '\t') {
        return false;
    }
    // C0, DEL and C1 controls; also the Unicode line/paragraph separators and
    // bidi overrides, which make logs and UIs lie about what a value says.
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Lower-cased form used for case-insensitive comparison, sorting and search.
pub fn fold(input: &str) -> String {
    input.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_empties_to_none() {
        assert_eq!(clean("  Ann ", 10, false), Ok(Some("Ann".into())));
        assert_eq!(clean("   ", 10, false), Ok(None));
    }

    #[test]
    fn refuses_controls_and_overlong_text() {
        assert!(clean("a\u{0}b", 10, false).is_err());
        assert!(clean("a\nb", 10, false).is_err());
        assert!(clean("a\nb", 10, true).is_ok());
        assert!(clean("a\u{202E}b", 10, true).is_err());
        assert!(clean("ééééé", 4, false).is_err());
        assert!(clean("ééééé", 5, false).is_ok());
    }
}
