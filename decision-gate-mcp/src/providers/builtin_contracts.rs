//! The compiled-in contracts of the built-in providers `time`, `env`, `json` and `http`
//! (mcp-surface §10.2). Schemas and comparator lists are fixed data; every description here
//! is this project's own wording.

use decision_gate_core::comparator::Comparator;
use serde_json::{Value, json};

use super::contracts::{CheckContract, CheckExample, Determinism, ProviderContract, ProviderTransport};

/// Ids of the built-in providers, in their documented order.
pub const BUILTIN_PROVIDER_IDS: [&str; 4] = ["time", "env", "json", "http"];

/// Whether `provider_id` names a built-in provider.
pub fn is_builtin_provider(provider_id: &str) -> bool {
    BUILTIN_PROVIDER_IDS.contains(&provider_id)
}

/// The compiled-in contract of a built-in provider.
pub fn builtin_contract(provider_id: &str) -> Option<ProviderContract> {
    match provider_id {
        "time" => Some(time_contract()),
        "env" => Some(env_contract()),
        "json" => Some(json_contract()),
        "http" => Some(http_contract()),
        _ => None,
    }
}

/// Every built-in contract, in documented order.
pub fn builtin_contracts() -> Vec<ProviderContract> {
    BUILTIN_PROVIDER_IDS.iter().filter_map(|id| builtin_contract(id)).collect()
}

use Comparator::{
    Contains, Equals, Exists, GreaterThan, GreaterThanOrEqual, InSet, LessThan, LessThanOrEqual, NotEquals, NotExists,
};

/// Equality, ordering, membership and presence: the comparators of numeric results.
const ORDERED: [Comparator; 9] =
    [Equals, NotEquals, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual, InSet, Exists, NotExists];

/// Equality, membership and presence: the comparators of boolean results.
const EQUALITY: [Comparator; 5] = [Equals, NotEquals, InSet, Exists, NotExists];

fn example(description: &str, params: Value, result: Value) -> CheckExample {
    CheckExample { description: description.to_owned(), params, result }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

fn time_contract() -> ProviderContract {
    let threshold_params = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["timestamp"],
        "properties": {
            "timestamp": {
                "description": "Threshold to compare the trigger time with: Unix milliseconds as an integer or an RFC 3339 date-time string (logical trigger times need an unsigned integer).",
                "oneOf": [{"type": "integer"}, {"type": "string"}]
            }
        }
    });
    let anchors = strings(&["trigger_time_unix_millis", "trigger_time_logical"]);
    let threshold_check = |check_id: &str, description: &str, example_value: CheckExample| CheckContract {
        check_id: check_id.to_owned(),
        description: description.to_owned(),
        determinism: Determinism::TimeDependent,
        params_required: true,
        params_schema: threshold_params.clone(),
        result_schema: json!({"type": "boolean"}),
        allowed_comparators: EQUALITY.to_vec(),
        anchor_types: anchors.clone(),
        content_types: strings(&["application/json"]),
        examples: vec![example_value],
    };
    ProviderContract {
        provider_id: "time".to_owned(),
        name: "Time Provider".to_owned(),
        description: "Answers questions about the time of the trigger being evaluated. Only the timestamp carried by the trigger is used, never the host clock, so a replay gives the same answers.".to_owned(),
        transport: ProviderTransport::Builtin,
        config_schema: json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["allow_logical"],
            "properties": {
                "allow_logical": {
                    "type": "boolean",
                    "default": true,
                    "description": "Whether triggers stamped with a logical counter may be evaluated."
                }
            }
        }),
        checks: vec![
            CheckContract {
                check_id: "now".to_owned(),
                description: "Returns the trigger time as an integer: Unix milliseconds, or the logical counter value.".to_owned(),
                determinism: Determinism::TimeDependent,
                params_required: false,
                params_schema: json!({
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {},
                    "description": "This check takes no parameters."
                }),
                result_schema: json!({"type": "integer"}),
                allowed_comparators: ORDERED.to_vec(),
                anchor_types: anchors.clone(),
                content_types: strings(&["application/json"]),
                examples: vec![example("A trigger stamped in Unix milliseconds", json!({}), json!(1_710_000_000_000_i64))],
            },
            threshold_check(
                "after",
                "True when the trigger time is strictly later than the threshold.",
                example(
                    "A trigger later than a millisecond threshold",
                    json!({"timestamp": 1_710_000_000_000_i64}),
                    json!(true),
                ),
            ),
            threshold_check(
                "before",
                "True when the trigger time is strictly earlier than the threshold.",
                example(
                    "A trigger in March 2024 compared with New Year 2024",
                    json!({"timestamp": "2024-01-01T00:00:00Z"}),
                    json!(false),
                ),
            ),
        ],
        notes: strings(&[
            "Unix-millisecond triggers accept integer or RFC 3339 thresholds; logical triggers accept unsigned integers.",
            "A threshold of another timestamp kind than the trigger gives false.",
            "With allow_logical = false, checks on logical trigger times fail.",
        ]),
    }
}

fn env_contract() -> ProviderContract {
    ProviderContract {
        provider_id: "env".to_owned(),
        name: "Environment Provider".to_owned(),
        description: "Reads one environment variable of the server process, or of a configured override map, subject to allow and deny lists and size limits.".to_owned(),
        transport: ProviderTransport::Builtin,
        config_schema: json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["denylist", "max_value_bytes", "max_key_bytes"],
            "properties": {
                "allowlist": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Key patterns that may be read; when absent every key that is not denied may be read."
                },
                "denylist": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Key patterns that are never read; this list wins over the allowlist."
                },
                "max_value_bytes": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 65536,
                    "description": "Largest value returned, in bytes."
                },
                "max_key_bytes": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 255,
                    "description": "Longest key accepted, in bytes."
                },
                "overrides": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Fixed values consulted instead of the process environment when present."
                }
            }
        }),
        checks: vec![CheckContract {
            check_id: "get".to_owned(),
            description: "Returns the variable's value as a string, or no value when the variable is unset.".to_owned(),
            determinism: Determinism::External,
            params_required: true,
            params_schema: json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["key"],
                "properties": {
                    "key": {"type": "string", "description": "Name of the variable to read."}
                }
            }),
            result_schema: json!({"oneOf": [{"type": "string"}, {"type": "null"}]}),
            allowed_comparators: vec![Equals, NotEquals, Contains, InSet, Exists, NotExists],
            anchor_types: strings(&["env"]),
            content_types: strings(&["text/plain"]),
            examples: vec![example("Name of the deployment environment", json!({"key": "DEPLOY_ENV"}), json!("production"))],
        }],
        notes: strings(&[
            "An unset variable is not an error: the result has no value and still carries the env anchor.",
            "Without a config table, keys that look like secrets (*TOKEN*, *SECRET*, *PASSWORD*, *KEY*, *CREDENTIAL*) are denied.",
            "List entries are patterns in which * stands for any run of characters; matching ignores ASCII case.",
        ]),
    }
}

fn json_contract() -> ProviderContract {
    ProviderContract {
        provider_id: "json".to_owned(),
        name: "JSON Provider".to_owned(),
        description: "Reads a JSON or YAML file below a configured root directory and can narrow it down with an RFC 9535 JSONPath expression.".to_owned(),
        transport: ProviderTransport::Builtin,
        config_schema: json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["root", "root_id", "max_bytes", "allow_yaml"],
            "properties": {
                "root": {"type": "string", "description": "Existing directory against which every file path is resolved."},
                "root_id": {
                    "type": "string",
                    "pattern": "^[a-z0-9_-]{1,64}$",
                    "description": "Stable label of the root, used in evidence references and anchors instead of the server path."
                },
                "max_bytes": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 1_048_576,
                    "description": "Largest file read, in bytes."
                },
                "allow_yaml": {"type": "boolean", "default": true, "description": "Whether .yaml and .yml files are parsed."},
                "tenant_roots": {
                    "type": "boolean",
                    "default": false,
                    "description": "Whether each tenant and namespace reads only <root>/<tenant_id>/<namespace_id>."
                }
            }
        }),
        checks: vec![CheckContract {
            check_id: "path".to_owned(),
            description: "Returns the whole document, or what the JSONPath selects: one match gives that value, several give an array of them.".to_owned(),
            determinism: Determinism::External,
            params_required: true,
            params_schema: json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "description": "File to read, relative to the provider root."},
                    "jsonpath": {"type": "string", "description": "Optional RFC 9535 JSONPath expression selecting part of the document."}
                }
            }),
            result_schema: json!({
                "description": "Any JSON value, depending on the document and the selection.",
                "x-decision-gate": {"dynamic_type": true}
            }),
            allowed_comparators: Comparator::ALL.to_vec(),
            anchor_types: strings(&["file_path_rooted"]),
            content_types: strings(&["application/json", "application/yaml"]),
            examples: vec![
                example(
                    "Pick the version field of a settings file",
                    json!({"file": "config/app.json", "jsonpath": "$.version"}),
                    json!("1.2.3"),
                ),
                example("Read a whole settings file", json!({"file": "config/app.json"}), json!({"version": "1.2.3"})),
            ],
        }],
        notes: strings(&[
            "Paths are relative to the root; absolute paths and paths leaving the root, including through symbolic links, are refused.",
            "Expected failures are reported in the result's error field under a stable code.",
            "The value's type depends on the file, so the contract accepts every comparator.",
        ]),
    }
}

fn http_contract() -> ProviderContract {
    let url_params = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["url"],
        "properties": {"url": {"type": "string", "description": "Absolute https (or, when allowed, http) URL to request."}}
    });
    let http_check =
        |check_id: &str, description: &str, result_schema: Value, comparators: Vec<Comparator>, ex| CheckContract {
            check_id: check_id.to_owned(),
            description: description.to_owned(),
            determinism: Determinism::External,
            params_required: true,
            params_schema: url_params.clone(),
            result_schema,
            allowed_comparators: comparators,
            anchor_types: strings(&["url"]),
            content_types: strings(&["application/json"]),
            examples: vec![ex],
        };
    ProviderContract {
        provider_id: "http".to_owned(),
        name: "HTTP Provider".to_owned(),
        description: "Sends a GET request and reports either the response status or a digest of the response body. Redirects are never followed.".to_owned(),
        transport: ProviderTransport::Builtin,
        config_schema: json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["allow_http", "timeout_ms", "max_response_bytes", "user_agent", "hash_algorithm"],
            "properties": {
                "allow_http": {"type": "boolean", "default": false, "description": "Whether cleartext http URLs may be requested."},
                "timeout_ms": {
                    "type": "integer",
                    "minimum": 1,
                    "default": 5000,
                    "description": "Time allowed for a whole request, body included, in milliseconds."
                },
                "max_response_bytes": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 1_048_576,
                    "description": "Largest response body read, in bytes."
                },
                "allowed_hosts": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Exact host names that may be contacted; when absent any host may be."
                },
                "user_agent": {"type": "string", "default": "decision-gate/0.1", "description": "User-Agent header of outgoing requests."},
                "hash_algorithm": {"type": "string", "enum": ["sha256"], "default": "sha256", "description": "Digest algorithm of body_hash results."},
                "allow_private_networks": {
                    "type": "boolean",
                    "default": false,
                    "description": "Whether loopback, private, link-local, CGNAT and cloud-metadata addresses may be contacted."
                },
                "allowed_cidrs": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Addresses or CIDR blocks that may be contacted even though they are private."
                }
            }
        }),
        checks: vec![
            http_check(
                "status",
                "Returns the response status code; every status, redirects and errors included, is a value.",
                json!({"type": "integer"}),
                ORDERED.to_vec(),
                example("A health endpoint that answers 200", json!({"url": "https://api.example.com/health"}), json!(200)),
            ),
            http_check(
                "body_hash",
                "Returns the digest of the complete response body as {algorithm, value}.",
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["algorithm", "value"],
                    "properties": {
                        "algorithm": {"type": "string", "enum": ["sha256"]},
                        "value": {"type": "string", "description": "Hexadecimal digest in lower case."}
                    }
                }),
                vec![Exists, NotExists],
                example(
                    "An endpoint that answers with an empty body",
                    json!({"url": "https://api.example.com/empty"}),
                    json!({"algorithm": "sha256", "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}),
                ),
            ),
        ],
        notes: strings(&[
            "Only https URLs are requested unless allow_http is set.",
            "When allowed_hosts is set, the URL host must be one of its entries exactly.",
            "Loopback, private, link-local, CGNAT and cloud-metadata addresses are refused after DNS resolution unless allow_private_networks or allowed_cidrs admit them; the request goes to the address that was checked.",
            "A body larger than max_response_bytes, or shorter than its declared length, is an error.",
        ]),
    }
}
