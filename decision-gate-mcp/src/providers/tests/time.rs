//! The `time` built-in.

use decision_gate_core::evidence::{EvidenceAnchor, EvidenceResult, EvidenceValue, TrustLane};
use decision_gate_core::time::Timestamp;
use serde_json::{Value, json};

use super::support::{ctx, query};
use crate::providers::ProviderBackend;
use crate::providers::time::{TimeProvider, TimeProviderConfig, compare};

fn ask(provider: &TimeProvider, trigger: Timestamp, check: &str, params: Value) -> Result<EvidenceResult, String> {
    provider.query(&query("time", check, params), &ctx(trigger)).map_err(|err| err.0)
}

fn value_of(result: &EvidenceResult) -> Value {
    match &result.value {
        Some(EvidenceValue::Json(value)) => value.clone(),
        other => panic!("expected a JSON value, got {other:?}"),
    }
}

fn after(trigger: Timestamp, threshold: Value) -> Result<bool, String> {
    let result = ask(&TimeProvider::default(), trigger, "after", json!({"timestamp": threshold}))?;
    Ok(value_of(&result).as_bool().expect("boolean"))
}

fn before(trigger: Timestamp, threshold: Value) -> Result<bool, String> {
    let result = ask(&TimeProvider::default(), trigger, "before", json!({"timestamp": threshold}))?;
    Ok(value_of(&result).as_bool().expect("boolean"))
}

#[test]
fn golden_after_result_is_exact() {
    let result = ask(&TimeProvider::default(), Timestamp::Logical(2), "after", json!({"timestamp": 0})).unwrap();
    let expected = EvidenceResult {
        value: Some(EvidenceValue::Json(json!(true))),
        lane: TrustLane::Verified,
        error: None,
        evidence_hash: None,
        evidence_ref: None,
        evidence_anchor: Some(EvidenceAnchor {
            anchor_type: "trigger_time_logical".to_owned(),
            anchor_value: "2".to_owned(),
        }),
        signature: None,
        content_type: Some("application/json".to_owned()),
    };
    assert_eq!(result, expected);
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({
            "content_type": "application/json",
            "error": null,
            "evidence_anchor": {"anchor_type": "trigger_time_logical", "anchor_value": "2"},
            "evidence_hash": null,
            "evidence_ref": null,
            "lane": "verified",
            "signature": null,
            "value": {"kind": "json", "value": true}
        })
    );
}

#[test]
fn now_reports_the_trigger_number_with_its_anchor() {
    let provider = TimeProvider::default();
    let unix = ask(&provider, Timestamp::UnixMillis(1_710_000_000_000), "now", Value::Null).unwrap();
    assert_eq!(value_of(&unix), json!(1_710_000_000_000_i64));
    let anchor = unix.evidence_anchor.unwrap();
    assert_eq!(
        (anchor.anchor_type.as_str(), anchor.anchor_value.as_str()),
        ("trigger_time_unix_millis", "1710000000000")
    );
    let negative = ask(&provider, Timestamp::UnixMillis(-5), "now", json!({})).unwrap();
    assert_eq!(value_of(&negative), json!(-5));
    assert_eq!(negative.evidence_anchor.unwrap().anchor_value, "-5");
    let logical = ask(&provider, Timestamp::Logical(7), "now", Value::Null).unwrap();
    assert_eq!(value_of(&logical), json!(7));
    assert_eq!(logical.evidence_anchor.unwrap().anchor_type, "trigger_time_logical");
    assert_eq!(logical.content_type.as_deref(), Some("application/json"));
    assert!(logical.evidence_hash.is_none());
}

#[test]
fn logical_times_can_be_disabled() {
    let provider = TimeProvider::new(TimeProviderConfig { allow_logical: false });
    for (check, params) in
        [("now", Value::Null), ("after", json!({"timestamp": 1})), ("before", json!({"timestamp": 1}))]
    {
        let err = ask(&provider, Timestamp::Logical(3), check, params).unwrap_err();
        assert!(err.contains("logical trigger times are disabled"), "{err}");
    }
    assert!(ask(&provider, Timestamp::UnixMillis(3), "now", Value::Null).is_ok());
    assert!(ask(&provider, Timestamp::UnixMillis(3), "after", json!({"timestamp": 1})).is_ok());
}

#[test]
fn logical_thresholds_compare_strictly() {
    assert!(after(Timestamp::Logical(5), json!(4)).unwrap());
    assert!(!after(Timestamp::Logical(5), json!(5)).unwrap());
    assert!(before(Timestamp::Logical(5), json!(6)).unwrap());
    assert!(!before(Timestamp::Logical(5), json!(5)).unwrap());
    assert!(after(Timestamp::Logical(5), json!(-1)).unwrap_err().contains("unsigned"));
    assert!(after(Timestamp::Logical(5), json!(1.5)).is_err());
}

#[test]
fn unix_thresholds_accept_integers_and_rfc3339() {
    let new_year = Timestamp::UnixMillis(1_704_067_200_000);
    assert!(after(new_year, json!(1_704_067_199_999_i64)).unwrap());
    assert!(!after(new_year, json!(1_704_067_200_000_i64)).unwrap());
    assert!(after(new_year, json!("2023-12-31T23:59:59.999Z")).unwrap());
    assert!(!after(new_year, json!("2024-01-01T00:00:00Z")).unwrap());
    assert!(!before(new_year, json!("2024-01-01T00:00:00Z")).unwrap());
    assert!(before(new_year, json!("2024-01-01T00:00:00.001Z")).unwrap());
}

#[test]
fn rfc3339_offsets_are_honoured() {
    let new_year = Timestamp::UnixMillis(1_704_067_200_000);
    // The same instant written in other offsets is neither before nor after.
    for same in ["2024-01-01T01:00:00+01:00", "2023-12-31T19:00:00-05:00", "2024-01-01T00:00:00+00:00"] {
        assert!(!after(new_year, json!(same)).unwrap(), "{same}");
        assert!(!before(new_year, json!(same)).unwrap(), "{same}");
    }
    assert!(before(new_year, json!("2023-12-31T20:00:00-05:00")).unwrap());
    assert!(after(new_year, json!("2024-01-01T00:30:00+01:00")).unwrap());
}

#[test]
fn invalid_rfc3339_and_bad_params_are_errors() {
    let trigger = Timestamp::UnixMillis(0);
    for bad in ["2024-13-01T00:00:00Z", "yesterday", "2024-01-01", "2024-01-01 00:00:00", ""] {
        let err = after(trigger, json!(bad)).unwrap_err();
        assert!(err.contains("RFC 3339"), "{bad}: {err}");
    }
    assert!(after(Timestamp::UnixMillis(5), json!(4.0)).unwrap(), "integral floats are integers");
    assert!(after(Timestamp::Logical(5), json!(4.0)).unwrap());
    for bad in [json!(true), json!(1.5), json!(null), json!([1]), json!(18_446_744_073_709_551_615_u64), json!(1e300)] {
        assert!(after(trigger, bad.clone()).is_err(), "{bad}");
    }
    let provider = TimeProvider::default();
    assert!(ask(&provider, trigger, "after", Value::Null).unwrap_err().contains("requires params"));
    assert!(ask(&provider, trigger, "after", json!([1])).unwrap_err().contains("must be an object"));
    assert!(ask(&provider, trigger, "before", json!({})).unwrap_err().contains("timestamp"));
    assert!(ask(&provider, trigger, "later", json!({})).unwrap_err().contains("unsupported time check"));
}

#[test]
fn epoch_boundary() {
    let epoch = Timestamp::UnixMillis(0);
    assert!(after(epoch, json!(-1)).unwrap());
    assert!(!after(epoch, json!("1970-01-01T00:00:00Z")).unwrap());
    assert!(before(epoch, json!("1970-01-01T00:00:00.001Z")).unwrap());
    assert!(after(epoch, json!("1969-12-31T23:59:59.999Z")).unwrap());
    let just_before = Timestamp::UnixMillis(-1);
    assert!(before(just_before, json!("1970-01-01T00:00:00Z")).unwrap());
    assert!(!before(just_before, json!("1969-12-31T23:59:59.999Z")).unwrap());
    assert!(!after(just_before, json!("1969-12-31T23:59:59.999Z")).unwrap());
}

#[test]
fn mismatched_kinds_are_false() {
    // A logical trigger against an RFC 3339 (Unix-millisecond) threshold.
    assert!(!after(Timestamp::Logical(5), json!("1970-01-01T00:00:00Z")).unwrap());
    assert!(!before(Timestamp::Logical(5), json!("2999-01-01T00:00:00Z")).unwrap());
    for after_check in [true, false] {
        assert!(!compare(Timestamp::Logical(9), Timestamp::UnixMillis(1), after_check));
        assert!(!compare(Timestamp::UnixMillis(9), Timestamp::Logical(1), after_check));
    }
    assert!(compare(Timestamp::UnixMillis(9), Timestamp::UnixMillis(1), true));
    assert!(compare(Timestamp::Logical(1), Timestamp::Logical(9), false));
}
