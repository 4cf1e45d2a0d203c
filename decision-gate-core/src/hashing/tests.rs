use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn canon(text: &str) -> String {
    let value: Value = serde_json::from_str(text).expect("valid json");
    let fast = String::from_utf8(value_to_canonical_vec(&value)).unwrap();
    let via_serde = String::from_utf8(to_canonical_vec(&value).unwrap()).unwrap();
    assert_eq!(fast, via_serde, "the two canonical writers disagree for {text}");
    fast
}

fn digest(text: &str) -> String {
    let value: Value = serde_json::from_str(text).unwrap();
    let streamed = hash_json_value(&value, None).unwrap();
    assert_eq!(streamed, hash_canonical(&value).unwrap());
    streamed.value
}

#[test]
fn serde_json_features_are_the_expected_ones() {
    // If a dependency switched on `arbitrary_precision`, `1.50` would keep its text and every
    // hash would change. `preserve_order` may be on (the server keeps struct field order on the
    // wire), so canonical output must not depend on map insertion order.
    let value: Value = serde_json::from_str("1.50").unwrap();
    assert_eq!(value.to_string(), "1.5");
    let unsorted: Value = serde_json::from_str(r#"{"b":1,"a":2}"#).unwrap();
    let sorted: Value = serde_json::from_str(r#"{"a":2,"b":1}"#).unwrap();
    assert_eq!(value_to_canonical_vec(&unsorted), br#"{"a":2,"b":1}"#.to_vec());
    assert_eq!(to_canonical_vec(&unsorted).unwrap(), br#"{"a":2,"b":1}"#.to_vec());
    assert_eq!(hash_canonical(&unsorted).unwrap(), hash_canonical(&sorted).unwrap());
}

#[test]
fn golden_digests_from_the_spec() {
    assert_eq!(digest("{}"), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    assert_eq!(digest("[]"), "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945");
    assert_eq!(digest("1"), "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b");
    assert_eq!(digest("1.0"), "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b");
    assert_eq!(digest("true"), "b5bea41b6c623f7c09f1bf24dcae58ebab3c0cdd90ad966bc43a45b44867e12b");
    assert_eq!(digest("false"), "fcbcf165908dd18a9e49f7ff27810176db8e9f63b4352213741664245224f8aa");
    assert_eq!(digest("null"), "74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b");
    assert_eq!(digest("[1,2,3]"), "a615eeaee21de5179de080de8c3052c8da901138406ba71c38c032845f7d54f4");
    assert_eq!(digest("2"), "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35");
    assert_eq!(
        HashDigest::sha256(&[1, 2, 3]).value,
        "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"
    );
    assert_eq!(HashDigest::sha256(b"test").value, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

#[test]
fn rfc8785_key_order_differs_from_escaped_byte_order() {
    assert_eq!(canon(r#"{"a!":3,"a":1,"a b":2}"#), r#"{"a":1,"a b":2,"a!":3}"#);
    // RFC 8785 §3.2.3 example: supplementary-plane characters sort by their surrogates.
    let input = "{\"\u{20ac}\":1,\"\\r\":2,\"\u{fb33}\":3,\"1\":4,\"\u{1f600}\":5,\"\u{80}\":6,\"\u{f6}\":7}";
    let expected = "{\"\\r\":2,\"1\":4,\"\u{80}\":6,\"\u{f6}\":7,\"\u{20ac}\":1,\"\u{1f600}\":5,\"\u{fb33}\":3}";
    assert_eq!(canon(input), expected);
}

#[test]
fn integers_are_exact_and_floats_use_the_ecmascript_form() {
    assert_eq!(canon("9007199254740993"), "9007199254740993");
    assert_eq!(canon("18446744073709551615"), "18446744073709551615");
    assert_eq!(canon("-9223372036854775808"), "-9223372036854775808");
    assert_eq!(canon("18446744073709551616"), "18446744073709552000");
    assert_eq!(canon("1.0"), "1");
    assert_eq!(canon("-0.0"), "0");
    assert_eq!(canon("1.50"), "1.5");
    assert_eq!(canon("1e21"), "1e+21");
    assert_eq!(canon("1e23"), "1e+23");
    assert_eq!(canon("1e-7"), "1e-7");
    assert_eq!(canon("0.000001"), "0.000001");
    assert_eq!(canon("1.5e300"), "1.5e+300");
    assert_eq!(canon("1e20"), "100000000000000000000");
    assert_eq!(canon("123456789012345680000.5"), "123456789012345680000");
    assert_eq!(canon("-1.25e-10"), "-1.25e-10");
}

#[test]
fn non_finite_numbers_are_errors_never_null() {
    assert_eq!(to_canonical_vec(&f64::NAN), Err(CanonicalError::NonFinite));
    assert_eq!(to_canonical_vec(&f64::INFINITY), Err(CanonicalError::NonFinite));
    assert_eq!(to_canonical_vec(&vec![1.0, f64::NEG_INFINITY]), Err(CanonicalError::NonFinite));
    assert_eq!(to_canonical_vec(&0.5f64).unwrap(), b"0.5");
}

#[test]
fn string_escaping_is_minimal() {
    assert_eq!(canon(r#""a\"b\\c""#), r#""a\"b\\c""#);
    assert_eq!(canon(r#""\u0000\u0001\b\t\n\u000b\f\r\u001f""#), r#""\u0000\u0001\b\t\n\u000b\f\r\u001f""#);
    assert_eq!(canon(r#""\/\u007f\u2028\ud83d\ude00é""#), "\"/\u{7f}\u{2028}\u{1f600}é\"");
}

#[test]
fn layout_has_no_whitespace() {
    assert_eq!(
        canon(r#" { "b" : [ 1 , { "d" : null , "c" : true } ] , "a" : "x" } "#),
        r#"{"a":"x","b":[1,{"c":true,"d":null}]}"#
    );
}

#[test]
fn size_limit_exact_boundary_passes_and_one_more_byte_fails() {
    let value = json!("abcd"); // canonical "\"abcd\"" = 6 bytes
    assert_eq!(value_to_canonical_vec_limited(&value, 6).unwrap(), b"\"abcd\"");
    assert_eq!(value_to_canonical_vec_limited(&value, 5), Err(CanonicalError::TooLarge { actual: 6, max: 5 }));
    assert_eq!(to_canonical_vec_limited(&value, 6).unwrap(), b"\"abcd\"");
    assert_eq!(to_canonical_vec_limited(&value, 5), Err(CanonicalError::TooLarge { actual: 6, max: 5 }));
    let nested = json!({"k": [1, {"z": "long string value"}]});
    let full = value_to_canonical_vec(&nested).len();
    assert!(to_canonical_vec_limited(&nested, full).is_ok());
    assert_eq!(
        to_canonical_vec_limited(&nested, full - 1),
        Err(CanonicalError::TooLarge { actual: full, max: full - 1 })
    );
    assert_eq!(hash_json_value(&nested, Some(full - 1)), Err(CanonicalError::TooLarge { actual: full, max: full - 1 }));
}

#[test]
fn typed_values_serialize_like_their_json_values() {
    #[derive(serde::Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Shape {
        Circle { radius: u32, label: Option<String> },
        Dot,
    }
    #[derive(serde::Serialize)]
    enum External {
        Pair(u8, u8),
        Wrap(String),
        Obj { b: u8, a: u8 },
    }
    let circle = Shape::Circle { radius: 3, label: None };
    assert_eq!(to_canonical_vec(&circle).unwrap(), br#"{"kind":"circle","label":null,"radius":3}"#);
    assert_eq!(to_canonical_vec(&Shape::Dot).unwrap(), br#"{"kind":"dot"}"#);
    assert_eq!(to_canonical_vec(&External::Pair(1, 2)).unwrap(), br#"{"Pair":[1,2]}"#);
    assert_eq!(to_canonical_vec(&External::Wrap("x".into())).unwrap(), br#"{"Wrap":"x"}"#);
    assert_eq!(to_canonical_vec(&External::Obj { b: 1, a: 2 }).unwrap(), br#"{"Obj":{"a":2,"b":1}}"#);
    let mut map = std::collections::BTreeMap::new();
    map.insert(10u32, "x");
    map.insert(2u32, "y");
    assert_eq!(to_canonical_vec(&map).unwrap(), br#"{"10":"x","2":"y"}"#);
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "\\PC{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,6}", inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn canonical_form_is_idempotent(value in arbitrary_json()) {
        let once = value_to_canonical_vec(&value);
        let reparsed: Value = serde_json::from_slice(&once).unwrap();
        let twice = value_to_canonical_vec(&reparsed);
        prop_assert_eq!(&once, &twice);
        prop_assert_eq!(once, to_canonical_vec(&value).unwrap());
    }

    #[test]
    fn canonical_form_ignores_key_order(entries in prop::collection::vec(("\\PC{0,6}", arbitrary_json()), 0..8)) {
        let mut forward = serde_json::Map::new();
        for (key, value) in entries.iter() {
            forward.insert(key.clone(), value.clone());
        }
        // Rebuild the same map by inserting in reverse order of the surviving keys.
        let mut reverse = serde_json::Map::new();
        for (key, value) in forward.iter().rev() {
            reverse.insert(key.clone(), value.clone());
        }
        let text_forward = serde_json::to_string(&Value::Object(forward.clone())).unwrap();
        let mut reordered = String::from("{");
        for (index, (key, value)) in forward.iter().rev().enumerate() {
            if index > 0 { reordered.push(','); }
            reordered.push_str(&serde_json::to_string(key).unwrap());
            reordered.push(':');
            reordered.push_str(&serde_json::to_string(value).unwrap());
        }
        reordered.push('}');
        prop_assert_eq!(canon(&text_forward), canon(&reordered));
        prop_assert_eq!(value_to_canonical_vec(&Value::Object(forward)), value_to_canonical_vec(&Value::Object(reverse)));
    }
}
