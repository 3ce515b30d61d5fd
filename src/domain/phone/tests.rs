use super::*;

fn us(s: &str) -> Phone {
    Phone::parse(s, &Region::default()).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn verified(s: &str) -> String {
    let phone = us(s);
    assert!(phone.is_verified(), "{s} -> {phone:?}");
    phone.text
}

#[test]
fn normalises_numbers_that_can_exist() {
    assert_eq!(verified("+15551234567"), "+15551234567");
    assert_eq!(verified("(661) 555-0142"), "+16615550142");
    assert_eq!(verified("+1 661 555 0123"), "+16615550123");
    assert_eq!(verified("1-661-555-0123"), "+16615550123");
    assert_eq!(verified("(555) 123-4567"), "+15551234567");
    assert_eq!(verified("+15550001111"), "+15550001111");
    assert_eq!(verified("+44 20 7946 0958"), "+442079460958");
    assert_eq!(verified("+44 (0)20 7946 0958"), "+442079460958");
    assert_eq!(verified("011 44 20 7946 0958"), "+442079460958");
    assert_eq!(verified("+33 1 23 45 67 89"), "+33123456789");
    assert_eq!(verified("+353 1 234 5678"), "+35312345678");
}

#[test]
fn keeps_extensions_in_rfc_3966_form() {
    assert_eq!(verified("+1 (212) 555-0187 ext. 12"), "+12125550187;ext=12");
    assert_eq!(verified("(661) 555-0142 x89"), "+16615550142;ext=89");
    assert_eq!(verified("(661) 555-0142 extension 89"), "+16615550142;ext=89");
    assert_eq!(verified("+1 661 555 0142 #7"), "+16615550142;ext=7");
    assert_eq!(verified("+16615550142;ext=89"), "+16615550142;ext=89");
    let phone = us("(661) 555-0142 x89");
    assert_eq!((phone.e164(), phone.extension(), phone.digits().as_str()), (Some("+16615550142"), Some("89"), "16615550142"));
}

#[test]
fn keeps_numbers_that_cannot_exist_exactly_as_written() {
    for written in ["+1 555-1234", "020 7946 0958", "1234567890", "555-1234", "+1 134 567 8901 x5", "+44 0207 946 0958"] {
        let phone = us(written);
        assert!(!phone.is_verified(), "{written}");
        assert_eq!(phone.as_str(), written);
        assert!(Phone::parse_existing(written, &Region::default()).is_err(), "{written}");
    }
    assert_eq!(us(" +1 555-1234 ").as_str(), "+1 555-1234");
    assert_eq!(us("+1 555-1234").digits(), "15551234");
}

#[test]
fn says_why_a_number_cannot_exist() {
    let why = |s: &str| Phone::parse_existing(s, &Region::default()).unwrap_err();
    assert!(why("020 7946 0958").contains("10"), "{}", why("020 7946 0958"));
    assert!(why("+1 123 555 0142").contains("area code 123"), "{}", why("+1 123 555 0142"));
    assert!(why("+1 661 055 0142").contains("exchange 055"), "{}", why("+1 661 055 0142"));
}

#[test]
fn applies_the_default_region() {
    let gb = Region::parse("gb").unwrap();
    assert_eq!(Phone::parse("020 7946 0958", &gb).unwrap().text, "+442079460958");
    assert_eq!(Phone::parse("00 1 661 555 0142", &gb).unwrap().text, "+16615550142");
    let au = Region::parse("AU").unwrap();
    assert_eq!(Phone::parse("02 9374 4000", &au).unwrap().text, "+61293744000");
}

#[test]
fn stored_texts_read_back_as_what_they_are() {
    for text in ["+16615550142", "+12125550187;ext=12", "+442079460958"] {
        assert!(Phone::from_stored(text.into()).is_verified(), "{text}");
    }
    for text in ["+15551234", "+102079460958", "(661) 555-0142 x89", "+1 555-1234"] {
        assert!(!Phone::from_stored(text.into()).is_verified(), "{text}");
    }
}

#[test]
fn rejects_what_is_no_phone_number() {
    for bad in ["", "call me", "12", "555-01", "+999 1234567", "+1 234567890123456789", "'; DROP TABLE clients;--"] {
        assert!(Phone::parse(bad, &Region::default()).is_err(), "{bad}");
    }
}

#[test]
fn free_text_surfaces_show_national_forms_and_extensions() {
    let region = Region::default();
    assert_eq!(us("+1 661 555 0142").shown(Some(&region), " x"), "(661) 555-0142");
    assert_eq!(us("(661) 555-0142 x89").shown(Some(&region), " x"), "(661) 555-0142 x89");
    assert_eq!(us("(661) 555-0142 x89").shown(None, " x"), "+16615550142 x89");
    assert_eq!(us("+44 20 7946 0958").shown(Some(&region), " x"), "+442079460958");
    assert_eq!(us("+1 661 555 0142").shown(Some(&Region::parse("GB").unwrap()), " x"), "+16615550142");
    assert_eq!(us("+1 555-1234").shown(Some(&region), " x"), "+1 555-1234");
}
