//! The fuzzer: phases of generated calls, each checked against the oracle the published input
//! schema implies, with a tally of what successful calls created.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::RANDOM_CALLS;
use super::arguments::{FOCUS, base};
use super::conn::{Conn, Outcome, classify};
use super::generator::{Rng, Seg, mutate, node_mut, paths, random_value, remove, wrong_values};
use system_tests::TOOLS;

/// Ids of the pre-existing state that no generated call may touch.
const SNAPSHOT_MARK: &str = "snap";

/// What the published input schema says a call must produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Oracle {
    /// Nothing known: success or a structured error.
    Any,
    /// Valid arguments (possibly with unknown keys, which are ignored): success.
    Success,
    /// Missing required key or wrong JSON type: an `isError` -32602.
    InvalidParams,
    /// Not a JSON-RPC parsable message (nesting beyond the parser's limit): -32700 with id null.
    ParseError,
    /// Malformed `tools/call` params or unknown tool: JSON-RPC -32602.
    RpcInvalidParams,
}

#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) calls: usize,
    pub(crate) by_tool: BTreeMap<String, BTreeMap<String, usize>>,
    /// (tenant, namespace) → scenario_id → spec_hash, for every successful define.
    pub(crate) defined: BTreeMap<(u64, u64), BTreeMap<String, Value>>,
    /// (tenant, namespace) → (schema_id, version) → record, for every successful register.
    pub(crate) registered: BTreeMap<(u64, u64), BTreeMap<(String, String), Value>>,
}

pub(crate) struct Fuzzer {
    pub(crate) io: Conn,
    pub(crate) rng: Rng,
    pub(crate) tally: Tally,
    pub(crate) schemas: BTreeMap<String, Value>,
    pub(crate) counter: u64,
}

impl Fuzzer {
    fn fresh(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// One `tools/call` with the given params object (or raw line), checked against `oracle`.
    fn call_raw(&mut self, label: &str, line: Option<String>, params: Value, oracle: Oracle) -> Outcome {
        let (id, response) = match line {
            Some(line) => {
                let id = self.io.next_id;
                self.io.next_id += 1;
                let line = line.replace("\"id\":0", &format!("\"id\":{id}"));
                (id, self.io.exchange(id, &line))
            }
            None => self.io.request("tools/call", Some(params.clone())),
        };
        let outcome = classify(id, &response).unwrap_or_else(|problem| {
            panic!("malformed response ({problem}) to {label} {params:.500}: {response:.500}")
        });
        self.tally.calls += 1;
        let class = match &outcome {
            Outcome::Success(_) => "ok".to_owned(),
            Outcome::Tool { code, .. } => format!("isError {code}"),
            Outcome::Rpc { code, .. } => format!("rpc {code}"),
        };
        *self.tally.by_tool.entry(label.to_owned()).or_default().entry(class).or_default() += 1;
        let fits = match (oracle, &outcome) {
            (Oracle::Any, _) => true,
            (Oracle::Success, Outcome::Success(_)) => true,
            (Oracle::InvalidParams, Outcome::Tool { code: -32602, .. }) => true,
            (Oracle::ParseError, Outcome::Rpc { code: -32700, .. }) => response["id"].is_null(),
            (Oracle::RpcInvalidParams, Outcome::Rpc { code: -32602, .. }) => true,
            _ => false,
        };
        assert!(fits, "{label}: expected {oracle:?}, got {outcome:?}\narguments: {params:.800}");
        // A fuzzed input is never the server's fault.
        if let Outcome::Tool { code: -32050, message, .. } = &outcome {
            panic!("{label}: internal error `{message}` for arguments {params:.800}");
        }
        outcome
    }

    /// A tool call with `arguments` (any JSON), recording what successful writes created.
    fn call(&mut self, tool: &str, arguments: Value, oracle: Oracle) -> Outcome {
        let text = arguments.to_string();
        assert!(!text.contains(SNAPSHOT_MARK), "generated arguments must not touch the snapshot");
        let outcome = self.call_raw(tool, None, json!({"name": tool, "arguments": arguments}), oracle);
        if let Outcome::Success(result) = &outcome {
            self.record_success(tool, &arguments, result);
        }
        outcome
    }

    fn record_success(&mut self, tool: &str, arguments: &Value, result: &Value) {
        match tool {
            "scenario_define" => {
                let spec = &arguments["spec"];
                let tenant = arguments
                    .get("tenant_id")
                    .filter(|t| !t.is_null())
                    .or(spec.get("default_tenant_id").filter(|t| !t.is_null()))
                    .map(|t| t.as_u64().expect("accepted tenant id is an integer"))
                    .unwrap_or(1);
                let namespace = spec["namespace_id"].as_u64().expect("accepted namespace id is an integer");
                let scenario = result["scenario_id"].as_str().expect("scenario_id").to_owned();
                assert_eq!(spec["scenario_id"].as_str(), Some(scenario.as_str()));
                let previous = self
                    .tally
                    .defined
                    .entry((tenant, namespace))
                    .or_default()
                    .insert(scenario, result["spec_hash"].clone());
                assert!(previous.is_none(), "a scenario was defined twice: {arguments:.500}");
            }
            "schemas_register" => {
                let record = result["record"].clone();
                // The echo is the decoded record (unknown nested keys dropped, an absent
                // `description` as null): identity and schema are the request's.
                let sent = &arguments["record"];
                for field in ["tenant_id", "namespace_id", "schema_id", "version", "schema"] {
                    // Omitted ids are the server's defaults: the single served tenant, namespace 1.
                    let expected = match (&sent[field], field) {
                        (Value::Null, "tenant_id" | "namespace_id") => Value::from(1),
                        (given, _) => given.clone(),
                    };
                    assert_eq!(record[field], expected, "register echoes {field}: {arguments:.500}");
                }
                let key = (record["tenant_id"].as_u64().unwrap(), record["namespace_id"].as_u64().unwrap());
                let identity =
                    (record["schema_id"].as_str().unwrap().to_owned(), record["version"].as_str().unwrap().to_owned());
                let previous = self.tally.registered.entry(key).or_default().insert(identity, record);
                assert!(previous.is_none(), "a schema was registered twice: {arguments:.500}");
            }
            _ => {}
        }
    }

    /// Regenerates until the arguments stay clear of the snapshot ids.
    fn clear_of_snapshot(value: &Value) -> bool {
        !value.to_string().contains(SNAPSHOT_MARK)
    }

    fn property_type(&self, tool: &str, key: &str) -> Option<Value> {
        self.schemas[tool]["properties"][key].get("type").cloned()
    }

    /// `InvalidParams` when the published schema gives top-level `key` a JSON type that
    /// `value` does not have. Exception: `null` for an optional key reads as "absent" (serde
    /// `Option` semantics), although some optional keys' schemas (`limit`) do not list `null`.
    fn type_oracle(&self, tool: &str, key: &str, value: &Value) -> Oracle {
        if value.is_null() && !self.required(tool).iter().any(|k| k == key) {
            return Oracle::Any;
        }
        match self.property_type(tool, key) {
            Some(allowed) if !type_matches(&allowed, value) => Oracle::InvalidParams,
            _ => Oracle::Any,
        }
    }

    fn required(&self, tool: &str) -> Vec<String> {
        self.schemas[tool]["required"]
            .as_array()
            .map(|items| items.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }

    /// Phase 1: every tool's valid arguments succeed (checks the fixtures themselves).
    pub(crate) fn identity(&mut self) {
        for tool in TOOLS {
            let n = self.fresh();
            self.call(tool, base(tool, n), Oracle::Success);
        }
    }

    /// A fresh counter value congruent to `variant` modulo 10 (the base arguments' structure
    /// depends on `n % 5` or `n % 2` only).
    fn fresh_like(&mut self, variant: u64) -> u64 {
        self.counter += 1;
        self.counter += (10 + variant - self.counter % 10) % 10;
        self.counter
    }

    /// Phase 2: every node of every variant of every tool's valid arguments deleted, and
    /// replaced by each wrong-typed value. Top-level keys carry an oracle from the published
    /// input schema.
    pub(crate) fn systematic(&mut self) {
        for tool in TOOLS {
            let required = self.required(tool);
            let variants = match tool {
                "scenario_define" => 5,
                "scenario_next" | "evidence_query" | "runpack_export" | "precheck" => 2,
                _ => 1,
            };
            for variant in 0..variants {
                let sample = base(tool, variant);
                for path in paths(&sample).into_iter().skip(1) {
                    let top = match path.as_slice() {
                        [Seg::Key(key)] => Some(key.clone()),
                        _ => None,
                    };
                    let n = self.fresh_like(variant);
                    let mut args = base(tool, n);
                    if remove(&mut args, &path) {
                        let oracle = match &top {
                            Some(key) if required.contains(key) => Oracle::InvalidParams,
                            _ => Oracle::Any,
                        };
                        self.call(tool, args, oracle);
                    }
                    for wrong in wrong_values() {
                        let n = self.fresh_like(variant);
                        let mut args = base(tool, n);
                        let oracle = match &top {
                            Some(key) => self.type_oracle(tool, key, &wrong),
                            None => Oracle::Any,
                        };
                        *node_mut(&mut args, &path) = wrong;
                        self.call(tool, args, oracle);
                    }
                }
            }
        }
    }

    /// Phase 3: malformed `tools/call` envelopes and messages beyond the parser's nesting limit.
    pub(crate) fn envelopes(&mut self) {
        for round in 0..150 {
            let tool = *self.rng.pick(&TOOLS);
            match round % 6 {
                0 => {
                    // Non-object arguments.
                    let arguments = match self.rng.below(5) {
                        0 => json!([1, 2]),
                        1 => json!("arguments"),
                        2 => json!(7),
                        3 => json!(true),
                        _ => json!([base(tool, 0)]),
                    };
                    self.call_raw(tool, None, json!({"name": tool, "arguments": arguments}), Oracle::RpcInvalidParams);
                }
                1 => {
                    let name = random_value(&mut self.rng, 1, "x");
                    let name = if name.is_string() { json!(format!("zz-{}", name.as_str().unwrap())) } else { name };
                    self.call_raw("<bad name>", None, json!({"name": name, "arguments": {}}), Oracle::RpcInvalidParams);
                }
                2 => {
                    let name = format!("{tool}_{}", self.rng.below(100));
                    self.call_raw(
                        "<unknown tool>",
                        None,
                        json!({"name": name, "arguments": base(tool, 0)}),
                        Oracle::RpcInvalidParams,
                    );
                }
                3 => {
                    // Params without a name.
                    self.call_raw("<no name>", None, json!({"arguments": base(tool, 0)}), Oracle::RpcInvalidParams);
                }
                4 => {
                    // Nesting beyond serde_json's recursion limit (128): the line is not parsed.
                    let depth = 130 + self.rng.below(400);
                    let line = format!(
                        "{{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"tools/call\",\"params\":{{\"name\":\"{tool}\",\"arguments\":{{\"x\":{}1{}}}}}}}",
                        "[".repeat(depth),
                        "]".repeat(depth)
                    );
                    self.call_raw(tool, Some(line), json!({"depth": depth}), Oracle::ParseError);
                }
                _ => {
                    // Arguments that are a random object.
                    let mut arguments = random_value(&mut self.rng, 3, "x");
                    if !arguments.is_object() {
                        arguments = json!({"value": arguments});
                    }
                    if Self::clear_of_snapshot(&arguments) {
                        self.call(tool, arguments, Oracle::Any);
                    }
                }
            }
        }
    }

    /// Phase 4: random mutations of valid calls until the call budget is reached.
    pub(crate) fn random(&mut self, escape: &str) {
        let end = self.tally.calls + RANDOM_CALLS;
        while self.tally.calls < end {
            let tool = if self.rng.chance(75) { *self.rng.pick(&FOCUS) } else { *self.rng.pick(&TOOLS) };
            let n = self.fresh();
            let mut args = base(tool, n);
            let oracle = match self.rng.below(10) {
                0 => {
                    // Unknown arguments are refused, naming them (additionalProperties: false).
                    let key = format!("zz_unknown_{}", self.rng.below(1000));
                    args[key] = random_value(&mut self.rng, 2, escape);
                    Oracle::InvalidParams
                }
                1 => {
                    let required = self.required(tool);
                    if required.is_empty() {
                        continue;
                    }
                    let key = self.rng.pick(&required).clone();
                    args.as_object_mut().unwrap().remove(&key);
                    Oracle::InvalidParams
                }
                2 => {
                    let keys: Vec<String> = args.as_object().unwrap().keys().cloned().collect();
                    if keys.is_empty() {
                        continue;
                    }
                    let key = self.rng.pick(&keys).clone();
                    let value = random_value(&mut self.rng, 2, escape);
                    let oracle = self.type_oracle(tool, &key, &value);
                    args[key.as_str()] = value;
                    oracle
                }
                3 => {
                    args = random_value(&mut self.rng, 3, escape);
                    if !args.is_object() {
                        args = json!({"spec": args, "record": args, "request": args, "query": args});
                    }
                    Oracle::Any
                }
                _ => {
                    for _ in 0..1 + self.rng.below(4) {
                        mutate(&mut self.rng, &mut args, escape);
                    }
                    if !args.is_object() {
                        continue;
                    }
                    Oracle::Any
                }
            };
            if Self::clear_of_snapshot(&args) {
                self.call(tool, args, oracle);
            }
        }
    }
}

/// Whether `value`'s JSON type is one of the schema `type` keyword's (integers only when exact).
fn type_matches(allowed: &Value, value: &Value) -> bool {
    let names: Vec<&str> = match allowed {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => return true,
    };
    names.iter().any(|name| match *name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        // A float with an integral value is an integer to JSON Schema but not to a u64 decoder;
        // treat it as "matching" so no oracle is derived from it.
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    })
}
