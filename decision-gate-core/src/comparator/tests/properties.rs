//! Property tests for the comparators (proptest).

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use proptest::prelude::*;
use serde_json::{Number, Value, json};

use super::{bytes_result, json_result, num};
use crate::comparator::dates::compare_temporal;
use crate::comparator::{Comparator, compare, compare_numbers, numbers_equal};
use crate::evidence::{EvidenceResult, EvidenceValue};
use crate::requirement::TriState;
use Comparator::*;
use TriState::{False as F, True as T, Unknown as U};

/// An exact decimal `(-1)^negative × 0.d1d2…dn × 10^exponent`, digits without leading or
/// trailing zeros (empty = zero). An independent model of §4.4's "exact decimal from the
/// printed form".
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    /// Parses `[-]digits[.digits][e[+-]digits]`.
    fn parse(text: &str) -> Decimal {
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match text.split_once(['e', 'E']) {
            Some((mantissa, exp)) => (mantissa, exp.parse::<i64>().expect("exponent")),
            None => (text, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).map(|b| b - b'0').collect();
        let mut exponent = exp + i64::try_from(int_part.len()).expect("length");
        while digits.first() == Some(&0) {
            digits.remove(0);
            exponent -= 1;
        }
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Decimal { negative: false, digits, exponent: 0 };
        }
        Decimal { negative, digits, exponent }
    }

    /// The decimal of a JSON number: exact integer digits, or Rust's shortest round-trip
    /// formatting of the f64 (independent of ryu-js and bigdecimal).
    fn of(number: &Number) -> Decimal {
        if let Some(unsigned) = number.as_u64() {
            Decimal::parse(&unsigned.to_string())
        } else if let Some(signed) = number.as_i64() {
            Decimal::parse(&signed.to_string())
        } else {
            Decimal::parse(&format!("{:e}", number.as_f64().expect("f64")))
        }
    }

    fn order(&self, other: &Decimal) -> Ordering {
        let sign = |d: &Decimal| {
            if d.digits.is_empty() {
                0
            } else if d.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        let magnitude = self.exponent.cmp(&other.exponent).then_with(|| self.digits.cmp(&other.digits));
        if self.negative { magnitude.reverse() } else { magnitude }
    }
}

fn arb_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        (-1_000_000.0..1_000_000.0_f64),
        // Integer-valued floats, including beyond 2^53 and around the u64/i64 limits.
        any::<i64>().prop_map(|i| i as f64),
        any::<u64>().prop_map(|u| u as f64),
        (-(1_i64 << 53)..=(1_i64 << 53)).prop_map(|i| i as f64),
        (-1000_i32..=1000).prop_map(|i| f64::from(i) / 8.0),
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
        Just(f64::MIN),
    ]
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        (-1000_i64..=1000).prop_map(Number::from),
        (-(1_i64 << 54)..=(1_i64 << 54)).prop_map(Number::from),
        arb_f64().prop_filter_map("finite", Number::from_f64),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-cA-C]{0,3}",
        "[+-]?[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}",
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{1,3})?(Z|[+-][0-2][0-9]:[0-5][0-9])",
        "[0-9.e+-]{0,6}",
        any::<String>(),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number().prop_map(Value::Number),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]{0,2}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn arb_result() -> impl Strategy<Value = EvidenceResult> {
    prop_oneof![
        1 => Just(EvidenceResult::default()),
        6 => arb_json().prop_map(json_result),
        2 => prop::collection::vec(any::<u8>(), 0..5).prop_map(|bytes| bytes_result(&bytes)),
    ]
}

fn arb_expected() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        6 => arb_json().prop_map(Some),
        2 => prop::collection::vec(0_u64..300, 0..5).prop_map(|bytes| Some(json!(bytes))),
    ]
}

fn arb_date() -> impl Strategy<Value = (i32, u32, u32)> {
    (1_i32..=9999, 1_u32..=12, 1_u32..=28)
}

fn format_date((y, m, d): (i32, u32, u32), padded: bool) -> String {
    if padded { format!("{y:04}-{m:02}-{d:02}") } else { format!("{y}-{m}-{d}") }
}

fn arb_date_time() -> impl Strategy<Value = DateTime<FixedOffset>> {
    (-62_000_000_000_i64..250_000_000_000, 0_u32..1_000_000_000, -1439_i32..=1439).prop_map(|(secs, nanos, minutes)| {
        let utc = DateTime::from_timestamp(secs, nanos).expect("in range");
        utc.with_timezone(&FixedOffset::east_opt(minutes * 60).expect("offset"))
    })
}

proptest! {
    // No failure persistence: regression files would land outside this module's directory.
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn compare_never_panics_and_respects_the_steps(result in arb_result(), expected in arb_expected()) {
        for comparator in Comparator::ALL {
            let got = compare(comparator, expected.as_ref(), &result);
            match comparator {
                Exists => prop_assert_eq!(got, TriState::from(result.value.is_some())),
                NotExists => prop_assert_eq!(got, TriState::from(result.value.is_none())),
                _ => {
                    let expected_present = expected.as_ref().is_some_and(|x| !x.is_null());
                    match &result.value {
                        None => prop_assert_eq!(got, U),
                        Some(_) if !expected_present => prop_assert_eq!(got, U),
                        Some(EvidenceValue::Bytes(_)) if !matches!(comparator, Equals | NotEquals) => {
                            prop_assert_eq!(got, U);
                        }
                        // Rule of thumb: equals/not_equals never Unknown for JSON once both exist.
                        Some(EvidenceValue::Json(_)) if matches!(comparator, Equals | NotEquals) => {
                            prop_assert_ne!(got, U);
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    }

    #[test]
    fn not_equals_is_the_negation_of_equals(evidence in arb_json(), expected in arb_json()) {
        prop_assume!(!expected.is_null());
        // Reflexive and symmetric (a null evidence cannot be an expected value).
        let evidence_is_null = evidence.is_null();
        let result = json_result(evidence);
        let equals = compare(Equals, Some(&expected), &result);
        let not_equals = compare(NotEquals, Some(&expected), &result);
        prop_assert_ne!(equals, U);
        prop_assert_eq!(not_equals, TriState::from(equals == F));
        if let Some(EvidenceValue::Json(evidence)) = result.value.as_ref().filter(|_| !evidence_is_null) {
            prop_assert_eq!(compare(Equals, Some(evidence), &json_result(evidence.clone())), T);
            prop_assert_eq!(compare(Equals, Some(evidence), &json_result(expected.clone())), equals);
        }
    }

    #[test]
    fn deep_not_equals_is_the_negation_of_deep_equals(evidence in arb_json(), expected in arb_json()) {
        let result = json_result(evidence.clone());
        let deep = compare(DeepEquals, Some(&expected), &result);
        let not_deep = compare(DeepNotEquals, Some(&expected), &result);
        let both_containers = matches!(
            (&evidence, &expected),
            (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_))
        );
        if both_containers {
            prop_assert_eq!(deep, TriState::from(evidence == expected));
            prop_assert_eq!(not_deep, TriState::from(evidence != expected));
        } else {
            prop_assert_eq!((deep, not_deep), (U, U));
        }
    }

    #[test]
    fn ordering_and_lex_comparators_are_consistent(evidence in arb_json(), expected in arb_json()) {
        prop_assume!(!expected.is_null() && !evidence.is_null());
        let forward = json_result(evidence.clone());
        let backward = json_result(expected.clone());
        let pairs = [
            (GreaterThan, LessThan, GreaterThanOrEqual, LessThanOrEqual),
            (LexGreaterThan, LexLessThan, LexGreaterThanOrEqual, LexLessThanOrEqual),
        ];
        for (gt, lt, ge, le) in pairs {
            let greater = compare(gt, Some(&expected), &forward);
            // a > b  ⟺  b < a.
            prop_assert_eq!(greater, compare(lt, Some(&evidence), &backward));
            prop_assert_eq!(compare(ge, Some(&expected), &forward), compare(le, Some(&evidence), &backward));
            // a > b  ⟺  not (a <= b), when decidable.
            let at_most = compare(le, Some(&expected), &forward);
            if greater == U {
                prop_assert_eq!(at_most, U);
            } else {
                prop_assert_eq!(greater, TriState::from(at_most == F));
            }
        }
    }

    #[test]
    fn compare_numbers_matches_exact_decimal_model(a in arb_number(), b in arb_number()) {
        let want = Decimal::of(&a).order(&Decimal::of(&b));
        prop_assert_eq!(compare_numbers(&a, &b), want, "{} vs {}", a, b);
        prop_assert_eq!(compare_numbers(&b, &a), want.reverse());
        prop_assert_eq!(numbers_equal(&a, &b), want.is_eq());
        // The comparators agree with the helper at the top level.
        let result = json_result(Value::Number(a.clone()));
        let expected = Value::Number(b.clone());
        prop_assert_eq!(compare(Equals, Some(&expected), &result), TriState::from(want.is_eq()));
        prop_assert_eq!(compare(GreaterThan, Some(&expected), &result), TriState::from(want.is_gt()));
        prop_assert_eq!(compare(LessThanOrEqual, Some(&expected), &result), TriState::from(want.is_le()));
    }

    #[test]
    fn compare_numbers_is_transitive(a in arb_number(), b in arb_number(), c in arb_number()) {
        let mut sorted = [a, b, c];
        sorted.sort_by(compare_numbers);
        prop_assert_ne!(compare_numbers(&sorted[0], &sorted[1]), Ordering::Greater);
        prop_assert_ne!(compare_numbers(&sorted[1], &sorted[2]), Ordering::Greater);
        prop_assert_ne!(compare_numbers(&sorted[0], &sorted[2]), Ordering::Greater);
    }

    #[test]
    fn integers_compare_exactly(a in any::<i64>(), b in any::<u64>(), c in any::<i64>()) {
        let (na, nb, nc) = (Number::from(a), Number::from(b), Number::from(c));
        prop_assert_eq!(compare_numbers(&na, &nb), i128::from(a).cmp(&i128::from(b)));
        prop_assert_eq!(compare_numbers(&na, &nc), a.cmp(&c));
        prop_assert_eq!(compare_numbers(&nb, &nb), Ordering::Equal);
    }

    #[test]
    fn floats_compare_natively(a in arb_f64(), b in arb_f64()) {
        let (Some(na), Some(nb)) = (Number::from_f64(a), Number::from_f64(b)) else {
            return Ok(());
        };
        prop_assert_eq!(Some(compare_numbers(&na, &nb)), a.partial_cmp(&b));
    }

    #[test]
    fn ints_vs_floats_below_2_pow_53_compare_exactly(int in -(1_i64 << 54)..=(1_i64 << 54), float in -9.0e15..9.0e15_f64, delta in -3_i64..=3) {
        // Below 2^53 in magnitude, the shortest text of an f64 and its exact binary value order
        // the same against every integer, so exact arithmetic is a valid oracle.
        let exact = |i: i64, f: f64| -> Ordering {
            let floor = f.floor();
            #[allow(clippy::cast_possible_truncation)]
            let floor_int = i128::from(floor as i64);
            i128::from(i).cmp(&floor_int).then(if f > floor { Ordering::Less } else { Ordering::Equal })
        };
        let float_number = Number::from_f64(float).expect("finite");
        prop_assert_eq!(compare_numbers(&Number::from(int), &float_number), exact(int, float));
        // Integer-valued float next to an integer: `n == n.0`, and neighbours order correctly.
        #[allow(clippy::cast_possible_truncation)]
        let whole = float.trunc() as i64;
        let whole_float = Number::from_f64(whole as f64).expect("finite");
        let near = whole + delta;
        prop_assert_eq!(compare_numbers(&Number::from(near), &whole_float), near.cmp(&whole));
        prop_assert_eq!(compare_numbers(&whole_float, &Number::from(near)), whole.cmp(&near));
    }

    #[test]
    fn parsed_integer_and_float_text_are_equal(n in -(1_i64 << 53)..=(1_i64 << 53), frac in 1_u32..1000) {
        let int = num(&n.to_string());
        let float = num(&format!("{n}.0"));
        prop_assert!(float.is_f64());
        prop_assert!(numbers_equal(&int, &float));
        let exponent_form = num(&format!("{n}e0"));
        prop_assert!(numbers_equal(&float, &exponent_form));
        // Equal decimal text always yields the same f64 (float_roundtrip), so 1.50 == 1.5.
        let text = format!("{n}.{frac:03}");
        let padded = num(&format!("{text}000"));
        prop_assert!(numbers_equal(&num(&text), &padded));
        // A number equals itself written as its canonical text.
        prop_assert!(numbers_equal(&num(&text), &num(&crate::hashing::canonical_number_text(&num(&text)))));
    }

    #[test]
    fn dates_order_like_calendar_tuples(a in arb_date(), b in arb_date(), pad_a in any::<bool>(), pad_b in any::<bool>()) {
        let (ea, xb) = (format_date(a, pad_a), format_date(b, pad_b));
        prop_assert_eq!(compare_temporal(&ea, &xb), Some(a.cmp(&b)));
        let result = json_result(json!(ea));
        prop_assert_eq!(compare(GreaterThan, Some(&json!(xb)), &result), TriState::from(a > b));
        prop_assert_eq!(compare(LessThanOrEqual, Some(&json!(xb)), &result), TriState::from(a <= b));
        // Equality stays string equality: a padded and an unpadded spelling differ.
        prop_assert_eq!(compare(Equals, Some(&json!(xb)), &result), TriState::from(ea == xb));
    }

    #[test]
    fn date_times_order_as_instants(a in arb_date_time(), b in arb_date_time(), d in arb_date()) {
        let (ea, xb) = (a.to_rfc3339(), b.to_rfc3339());
        prop_assert_eq!(compare_temporal(&ea, &xb), Some(a.cmp(&b)));
        let result = json_result(json!(ea));
        prop_assert_eq!(compare(GreaterThanOrEqual, Some(&json!(xb)), &result), TriState::from(a >= b));
        prop_assert_eq!(compare(LessThan, Some(&json!(xb)), &result), TriState::from(a < b));
        // The same instant in another offset is ordering-equal but not string-equal.
        let shifted = a.with_timezone(&FixedOffset::east_opt(3600).expect("offset")).to_rfc3339();
        prop_assert_eq!(compare_temporal(&ea, &shifted), Some(Ordering::Equal));
        prop_assert_eq!(compare(Equals, Some(&json!(shifted)), &result), TriState::from(ea == shifted));
        // A date-time never orders against a date.
        let date = format_date(d, true);
        prop_assert_eq!(compare_temporal(&ea, &date), None);
        prop_assert_eq!(compare_temporal(&date, &ea), None);
    }
}
