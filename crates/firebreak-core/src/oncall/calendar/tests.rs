use crate::oncall::calendar::*;
use crate::oncall::test_support::*;

#[test]
fn ics_export() {
    let s = Schedule {
        name: "Storage, networking; and the long-named platform on-call rotation (EMEA)".into(),
        ..schedule(
            vec![layer(
                "primary",
                rotation(BERLIN, "2024-03-29T09:00:00", Days(1), &["ann", "bob"]),
            )],
            vec![over("ann", "2024-03-30T12:00:00Z", "2024-03-30T13:00:00Z")],
        )
    };
    let now = utc("2024-03-28T16:20:05Z");
    let ics = ics_for_user(
        &s,
        "ann",
        utc("2024-03-29T00:00:00Z"),
        utc("2024-04-01T00:00:00Z"),
        now,
    );
    assert!(ics.ends_with("\r\n"));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is over 75 octets");
        assert!(!line.contains('\n') && !line.contains('\r'));
    }
    expect_test::expect![[r#"
        BEGIN:VCALENDAR
        VERSION:2.0
        PRODID:-//Firebreak//On-call//EN
        CALSCALE:GREGORIAN
        METHOD:PUBLISH
        BEGIN:VEVENT
        UID:20240329T080000Z-51ecc7ad2c0cb2cc@firebreak
        DTSTAMP:20240328T162005Z
        DTSTART:20240329T080000Z
        DTEND:20240330T080000Z
        SUMMARY:On call: Storage\, networking\; and the long-named platform on-call
          rotation (EMEA)
        DESCRIPTION:Layer: primary
        END:VEVENT
        BEGIN:VEVENT
        UID:20240330T120000Z-5c5ad664e70831bc@firebreak
        DTSTAMP:20240328T162005Z
        DTSTART:20240330T120000Z
        DTEND:20240330T130000Z
        SUMMARY:On call: Storage\, networking\; and the long-named platform on-call
          rotation (EMEA)
        DESCRIPTION:Override
        END:VEVENT
        BEGIN:VEVENT
        UID:20240331T070000Z-168616f1de618143@firebreak
        DTSTAMP:20240328T162005Z
        DTSTART:20240331T070000Z
        DTEND:20240401T000000Z
        SUMMARY:On call: Storage\, networking\; and the long-named platform on-call
          rotation (EMEA)
        DESCRIPTION:Layer: primary
        END:VEVENT
        END:VCALENDAR
    "#]]
    .assert_eq(&ics.replace("\r\n", "\n"));
    let again = ics_for_user(
        &s,
        "ann",
        utc("2024-03-29T00:00:00Z"),
        utc("2024-04-01T00:00:00Z"),
        utc("2024-03-29T00:00:00Z"),
    );
    let uids = |ics: &str| -> Vec<String> {
        ics.lines()
            .filter(|l| l.starts_with("UID:"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(uids(&ics), uids(&again), "UIDs do not depend on `now`");
}

#[test]
fn ics_text_is_escaped_and_folded_on_character_boundaries() {
    assert_eq!(ics_text("a,b;c\\d\ne\u{7}"), "a\\,b\\;c\\\\d\\ne");
    let mut out = String::new();
    push_line(&mut out, &format!("SUMMARY:{}", "é".repeat(40)));
    let lines: Vec<&str> = out.split("\r\n").collect();
    assert_eq!(lines.len(), 3, "two lines and the final CRLF");
    assert_eq!(lines[0].len(), 74, "74 octets: a 2-octet é would make 76");
    assert_eq!(lines[1].len(), 1 + 2 * 7, "a space and the remaining 7 é");
    assert_eq!(lines[2], "");
    assert_ne!(
        uid_hash("ab", "c", utc("2024-01-01T00:00:00Z")),
        uid_hash("a", "bc", utc("2024-01-01T00:00:00Z"))
    );
}
