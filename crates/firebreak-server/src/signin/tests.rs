use super::*;
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

#[test]
fn an_account_is_locked_after_its_free_failures_with_growing_waits() {
    let th = Throttle::default();
    let addr: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
    let mut now = t0();
    for _ in 0..ACCOUNT_FREE_FAILURES - 1 {
        assert!(th.check(addr, "ada", now).is_ok());
        th.failed(addr, "ada", now);
    }
    assert!(th.check(addr, "ada", now).is_ok());
    th.failed(addr, "ada", now);
    assert_eq!(th.check(addr, "ada", now), Err(StdDuration::from_secs(30)));
    // Another address is locked out of the account too.
    assert!(th.check(None, "ADA", now).is_err());
    now += Duration::seconds(31);
    assert!(th.check(addr, "ada", now).is_ok());
    th.failed(addr, "ada", now);
    assert_eq!(th.check(addr, "ada", now), Err(StdDuration::from_secs(60)));
    for _ in 0..10 {
        th.failed(addr, "ada", now);
    }
    assert_eq!(th.check(addr, "ada", now), Err(StdDuration::from_secs(900)));
    // Other accounts from another address are unaffected.
    assert!(th.check(None, "bob", now).is_ok());
    th.succeeded("ada");
    assert!(th.check(None, "ada", now).is_ok());
}

#[test]
fn an_address_spraying_accounts_is_locked() {
    let th = Throttle::default();
    let addr: Option<IpAddr> = Some("192.0.2.9".parse().unwrap());
    let now = t0();
    for i in 0..ADDRESS_FREE_FAILURES {
        assert!(th.check(addr, &format!("user{i}"), now).is_ok());
        th.failed(addr, &format!("user{i}"), now);
    }
    assert!(th.check(addr, "someone-else", now).is_err());
    assert!(th.check(None, "someone-else", now).is_ok());
}
