//! Deterministic input generation: a seeded generator of random and boundary JSON values, and
//! JSON paths with structural mutations of valid arguments.

use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------------------
// Deterministic generator

/// SplitMix64: tiny, seedable, good enough for input generation.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Enum-like words the schemas use, to produce plausible-but-wrong values.
const WORDS: &[&str] = &[
    "linear",
    "fixed",
    "branch",
    "terminal",
    "fail",
    "advance_with_flag",
    "alternate_branch",
    "logical",
    "unix_millis",
    "json",
    "bytes",
    "external",
    "tick",
    "agent_request_next",
    "external_event",
    "backend_event",
    "agent",
    "session",
    "channel",
    "equals",
    "not_equals",
    "greater_than",
    "in_set",
    "contains",
    "exists",
    "And",
    "Or",
    "Not",
    "Condition",
    "RequireGroup",
    "summary",
    "trace",
    "evidence",
    "verified",
    "asserted",
    "sha256",
    "path",
    "after",
    "get",
    "status",
    "true",
    "false",
    "null",
    "0",
    "-1",
    "",
];

fn random_text(rng: &mut Rng, escape: &str) -> String {
    match rng.below(12) {
        0 => String::new(),
        1 => " ".to_owned(),
        2 => "a".repeat(1 + rng.below(20_000)),
        3 => "ñ✓🚀\u{2028}\u{feff}é".to_owned(),
        4 => "\u{0}\u{1f}\n\t\"\\".to_owned(),
        5 => "../../escape".to_owned(),
        6 => escape.to_owned(),
        7 => "$..*[?(@.a)]".to_owned(),
        8 => (*rng.pick(WORDS)).to_owned(),
        9 => format!("{}", rng.next()),
        _ => {
            let length = 1 + rng.below(16);
            (0..length).map(|_| *rng.pick(&['a', 'b', 'x', 'z', '0', '7', '-', '_', '.', '/'])).collect()
        }
    }
}

/// Numbers at and beyond every boundary a u64 / i64 / f64 id or timestamp has.
fn random_number(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(1),
        3 => json!(u64::MAX),
        4 => json!(i64::MIN),
        5 => json!(i64::MAX),
        6 => json!(1.5),
        7 => json!(-0.0),
        8 => json!(1e308),
        9 => json!(18_446_744_073_709_551_616.0_f64),
        10 => json!(rng.next() as i64),
        _ => json!(rng.below(1000)),
    }
}

pub(crate) fn random_value(rng: &mut Rng, depth: usize, escape: &str) -> Value {
    let choice = if depth == 0 { rng.below(5) } else { rng.below(8) };
    match choice {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => random_number(rng),
        3 | 4 => json!(random_text(rng, escape)),
        5 => Value::Array((0..rng.below(4)).map(|_| random_value(rng, depth - 1, escape)).collect()),
        6 => deep(rng.below(60) + 1, rng.chance(50)),
        _ => {
            let mut object = Map::new();
            for _ in 0..rng.below(5) {
                let key = if rng.chance(50) { (*rng.pick(WORDS)).to_owned() } else { random_text(rng, escape) };
                object.insert(key, random_value(rng, depth - 1, escape));
            }
            Value::Object(object)
        }
    }
}

/// Arrays or objects nested `depth` levels.
fn deep(depth: usize, objects: bool) -> Value {
    let mut value = json!(1);
    for _ in 0..depth {
        value = if objects { json!({"And": [value]}) } else { json!([value]) };
    }
    value
}

/// The wrong-typed values every field gets in the systematic phase.
pub(crate) fn wrong_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(u64::MAX),
        json!(18_446_744_073_709_551_616.0_f64),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
    ]
}

// ---------------------------------------------------------------------------------------------
// JSON paths and mutations

#[derive(Clone, Debug)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

pub(crate) fn paths(value: &Value) -> Vec<Vec<Seg>> {
    fn walk(value: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
        out.push(prefix.clone());
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    prefix.push(Seg::Key(key.clone()));
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    prefix.push(Seg::Index(index));
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

pub(crate) fn node_mut<'a>(value: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(value, |node, seg| match seg {
        Seg::Key(key) => &mut node[key.as_str()],
        Seg::Index(index) => &mut node[*index],
    })
}

/// Removes the node at `path` (object member or array element); false for the root.
pub(crate) fn remove(value: &mut Value, path: &[Seg]) -> bool {
    let Some((last, parent)) = path.split_last() else { return false };
    match (node_mut(value, parent), last) {
        (Value::Object(map), Seg::Key(key)) => map.remove(key).is_some(),
        (Value::Array(items), Seg::Index(index)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

/// One random structural mutation somewhere in `value`.
pub(crate) fn mutate(rng: &mut Rng, value: &mut Value, escape: &str) {
    let all = paths(value);
    let path = rng.pick(&all).clone();
    match rng.below(9) {
        0 => {
            remove(value, &path);
        }
        1 | 2 => *node_mut(value, &path) = random_value(rng, 2, escape),
        3 => *node_mut(value, &path) = random_number(rng),
        4 => *node_mut(value, &path) = json!(random_text(rng, escape)),
        5 => {
            let node = node_mut(value, &path);
            let inner = node.take();
            *node = if rng.chance(50) { json!([inner]) } else { json!({"value": inner}) };
        }
        6 => {
            // Duplicate an array element or an object member under another key.
            let node = node_mut(value, &path);
            match node {
                Value::Array(items) if !items.is_empty() => {
                    let copy = items[0].clone();
                    items.push(copy);
                }
                Value::Object(map) if !map.is_empty() => {
                    let first = map.values().next().cloned().unwrap_or(Value::Null);
                    map.insert(random_text(rng, escape), first);
                }
                other => *other = json!([other.clone(), other.clone()]),
            }
        }
        7 => {
            let node = node_mut(value, &path);
            *node = match node {
                Value::Array(_) => json!({}),
                Value::Object(_) => json!([]),
                Value::String(text) => json!(text.len()),
                Value::Number(number) => json!(number.to_string()),
                Value::Bool(flag) => json!(if *flag { 1 } else { 0 }),
                Value::Null => json!("null"),
            };
        }
        _ => *node_mut(value, &path) = deep(20 + rng.below(100), rng.chance(50)),
    }
}
