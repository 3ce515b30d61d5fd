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

/// Like [`clean`], for a person's or an organisation's name: no format
/// characters either (zero-width spaces, bidi marks, the BOM, soft hyphens…),
/// which would let two names look alike or one look empty, except a
/// zero-width joiner or non-joiner between two letters (Persian and Indic
/// names need them); and at least one character that shows on its own (not
/// only marks, spaces or fillers).
pub fn name(input: &str, max_chars: usize) -> Result<Option<String>, String> {
    let Some(name) = clean(input, max_chars, false)? else { return Ok(None) };
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joins_letters = matches!(c, '\u{200C}' | '\u{200D}')
            && i > 0
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())
            && chars[i - 1].is_alphabetic();
        if is_format(c) && !joins_letters {
            return Err(format!("contains an invisible formatting character (U+{:04X})", c as u32));
        }
    }
    if !chars.iter().any(|&c| shows(c)) {
        return Err("must contain a visible character".into());
    }
    Ok(Some(name))
}

/// Unicode's format characters (general category Cf).
pub fn is_format(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format
}

/// Whether `c` is visible by itself: not a space, control, format
/// character, combining mark, or a letter that renders as nothing (the
/// Hangul fillers, the Braille blank).
fn shows(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    !c.is_whitespace()
        && !c.is_control()
        && !is_format(c)
        && c.general_category_group() != GeneralCategoryGroup::Mark
        && !matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}')
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
    fn names_refuse_invisible_characters_but_keep_joiners_between_letters() {
        assert_eq!(name(" Ann ", 10), Ok(Some("Ann".into())));
        assert_eq!(name("", 10), Ok(None));
        for bad in ["\u{200B}", "A\u{200B}nn", "\u{FEFF}Ann", "An\u{00AD}n", "\u{2060}", "\u{3164}", "\u{0308}", "\u{2800}", "Ann\u{202E}"] {
            assert!(name(bad, 20).is_err(), "{bad:?}");
        }
        assert!(name("\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}", 20).is_ok(), "ZWNJ inside a Persian name");
        assert!(name("O'Brien-Smith", 20).is_ok());
        assert!(name("😀", 20).is_ok(), "an emoji shows");
        assert!(name("Zoe\u{0308}", 20).is_ok(), "a mark on a letter");
        assert!(name("\u{200C}Ann", 20).is_err(), "a joiner at the start joins nothing");
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
