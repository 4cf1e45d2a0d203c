//! Built-in `json` provider (mcp-surface §10.2).
//!
//! Check `path` with params `{file, jsonpath?}` reads a JSON or YAML file below the configured
//! root and optionally selects part of it with an RFC 9535 JSONPath (`serde_json_path`).
//! Expected failures are in-band `EvidenceResult.error` codes; only a missing root and an
//! unknown check are provider errors. Results carry `evidence_ref`
//! `dg+file://<root_id>/<relative path>` and a `file_path_rooted` anchor whose value is the
//! canonical JSON of `{"path", "root_id"}`, so no server path is ever disclosed.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::{Component, Path, PathBuf};

use decision_gate_core::evidence::{EvidenceAnchor, EvidenceContext, EvidenceRef, EvidenceResult};
use decision_gate_core::hashing::{CanonicalError, MAX_EVIDENCE_BYTES, hash_json_value, value_to_canonical_vec};
use decision_gate_core::ports::EvidenceError;
use decision_gate_core::spec::EvidenceQuery;
use serde::Deserialize;
use serde_json::{Value, json};
use serde_json_path::JsonPath;

use super::builtin::{anchor, error_result, value_result};
use super::federation::ProviderBackend;

/// Longest `file` parameter, in bytes.
const MAX_FILE_PARAM_BYTES: usize = 4096;
/// Longest component of the `file` parameter, in bytes.
const MAX_FILE_COMPONENT_BYTES: usize = 255;
/// Longest JSONPath expression, in bytes.
const MAX_JSONPATH_BYTES: usize = 4096;
/// Deepest bracket/parenthesis nesting of a JSONPath expression. The parser is recursive, so
/// this bounds its stack use on hostile input.
const MAX_JSONPATH_NESTING: usize = 64;

/// `config` of the `json` provider (every field required when the table is present).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonProviderConfig {
    /// Existing directory every file is resolved against (canonicalised at startup).
    pub root: PathBuf,
    /// Label of the root in references and anchors: 1..=64 of `[a-z0-9_-]`.
    pub root_id: String,
    /// Largest file read, in bytes.
    pub max_bytes: usize,
    /// Whether `.yaml`/`.yml` files are parsed.
    pub allow_yaml: bool,
    /// Whether each tenant and namespace reads only its own directory
    /// `<root>/<tenant_id>/<namespace_id>` (optional, default false: one root for all).
    #[serde(default)]
    pub tenant_roots: bool,
}

/// The canonical root and its id.
#[derive(Clone, Debug)]
struct Root {
    path: PathBuf,
    id: String,
}

/// The `json` provider.
///
/// Without a `config` table it has no root: it is registered (so specs can name it) but every
/// query fails with a provider error.
#[derive(Clone, Debug)]
pub struct JsonProvider {
    root: Option<Root>,
    max_bytes: usize,
    allow_yaml: bool,
    tenant_roots: bool,
}

impl JsonProvider {
    /// Builds the provider; the root must be an existing directory and the id well-formed.
    pub fn new(config: Option<JsonProviderConfig>) -> Result<Self, String> {
        let Some(config) = config else {
            return Ok(JsonProvider { root: None, max_bytes: 1_048_576, allow_yaml: true, tenant_roots: false });
        };
        let id_ok = (1..=64).contains(&config.root_id.len())
            && config.root_id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !id_ok {
            return Err(format!("root_id {:?} must be 1 to 64 characters of [a-z0-9_-]", config.root_id));
        }
        let path = config
            .root
            .canonicalize()
            .map_err(|err| format!("root {} cannot be resolved: {err}", config.root.display()))?;
        if !path.is_dir() {
            return Err(format!("root {} is not a directory", config.root.display()));
        }
        Ok(JsonProvider {
            root: Some(Root { path, id: config.root_id }),
            max_bytes: config.max_bytes,
            allow_yaml: config.allow_yaml,
            tenant_roots: config.tenant_roots,
        })
    }
}

/// A file resolved inside the root.
struct Resolved {
    /// Canonical absolute path.
    path: PathBuf,
    /// POSIX path relative to the root.
    relative: String,
}

/// An expected failure, reported in-band as `EvidenceResult.error`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Failure {
    /// Stable error code.
    pub(crate) code: &'static str,
    /// Human-readable message.
    pub(crate) message: String,
    /// Structured details.
    pub(crate) details: Option<Value>,
}

impl Failure {
    fn new(code: &'static str, message: impl Into<String>, details: Option<Value>) -> Self {
        Failure { code, message: message.into(), details }
    }

    fn into_result(self) -> EvidenceResult {
        error_result(self.code, self.message, self.details)
    }
}

impl ProviderBackend for JsonProvider {
    fn query(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        if query.check_id != "path" {
            return Err(EvidenceError(format!("unsupported json check: {}", query.check_id)));
        }
        let Some(root) = &self.root else {
            return Err(EvidenceError("json provider has no root configured".to_owned()));
        };
        if !self.tenant_roots {
            return Ok(self.answer(root, query));
        }
        match tenant_root(root, ctx) {
            Ok(partition) => Ok(self.answer(&partition, query)),
            Err(failure) => Ok(failure.into_result()),
        }
    }
}

/// The directory `<root>/<tenant>/<namespace>` of the querying tenant. It must be that very
/// directory: a symbolic link on the way (which could point at another tenant's directory) is
/// `path_outside_root`, a missing directory `file_not_found`.
fn tenant_root(root: &Root, ctx: &EvidenceContext) -> Result<Root, Failure> {
    let wanted = root.path.join(ctx.tenant_id.to_string()).join(ctx.namespace_id.to_string());
    let canonical = wanted.canonicalize().map_err(|_| {
        Failure::new("file_not_found", "no evidence directory exists for this tenant and namespace", None)
    })?;
    if canonical != wanted || !canonical.is_dir() {
        return Err(Failure::new("path_outside_root", "the tenant evidence directory leaves the provider root", None));
    }
    Ok(Root { path: canonical, id: root.id.clone() })
}

impl JsonProvider {
    /// Every step of a query, as an in-band result.
    fn answer(&self, root: &Root, query: &EvidenceQuery) -> EvidenceResult {
        let (file, jsonpath) = match read_params(query) {
            Ok(params) => params,
            Err(failure) => return failure.into_result(),
        };
        let resolved = match resolve(root, file) {
            Ok(resolved) => resolved,
            Err(failure) => return failure.into_result(),
        };
        let evidence_ref = EvidenceRef { uri: format!("dg+file://{}/{}", root.id, resolved.relative) };
        let anchor = match rooted_anchor(root, &resolved.relative) {
            Ok(anchor) => anchor,
            Err(failure) => return failure.into_result(),
        };
        let mut result = match self.load(&resolved, jsonpath) {
            Ok((value, content_type)) => value_result(value, content_type, anchor),
            Err(failure) => EvidenceResult { evidence_anchor: Some(anchor), ..failure.into_result() },
        };
        result.evidence_ref = Some(evidence_ref);
        result
    }

    /// Reads, parses and selects; the value must fit the evidence size limit.
    fn load(&self, resolved: &Resolved, jsonpath: Option<&str>) -> Result<(Value, &'static str), Failure> {
        let bytes = read_limited(resolved, self.max_bytes)?;
        let (document, content_type) = self.parse(resolved, &bytes)?;
        let value = match jsonpath {
            None => document,
            Some(expression) => select(&document, expression)?,
        };
        if let Err(CanonicalError::TooLarge { actual, max }) = hash_json_value(&value, Some(MAX_EVIDENCE_BYTES)) {
            return Err(Failure::new(
                "size_limit_exceeded",
                "selected value exceeds the evidence size limit",
                Some(json!({"file": resolved.relative, "max_bytes": max, "actual_bytes": actual})),
            ));
        }
        Ok((value, content_type))
    }

    fn parse(&self, resolved: &Resolved, bytes: &[u8]) -> Result<(Value, &'static str), Failure> {
        let details = || Some(json!({"file": resolved.relative}));
        let extension = resolved.path.extension().and_then(|ext| ext.to_str()).map(str::to_ascii_lowercase);
        if matches!(extension.as_deref(), Some("yaml" | "yml")) {
            if !self.allow_yaml {
                return Err(Failure::new("yaml_disabled", "YAML files are disabled for this provider", details()));
            }
            return serde_yaml_ng::from_slice::<Value>(bytes)
                .map(|value| (value, "application/yaml"))
                .map_err(|_| Failure::new("invalid_yaml", "file is not valid YAML", details()));
        }
        serde_json::from_slice::<Value>(bytes)
            .map(|value| (value, "application/json"))
            .map_err(|_| Failure::new("invalid_json", "file is not valid JSON", details()))
    }
}

/// Reads `{file, jsonpath?}`; unknown fields are `params_invalid`.
fn read_params(query: &EvidenceQuery) -> Result<(&str, Option<&str>), Failure> {
    let Some(params) = &query.params else {
        return Err(Failure::new("params_missing", "json check requires params", None));
    };
    let Value::Object(map) = params else {
        return Err(Failure::new("params_invalid", "json params must be an object", None));
    };
    if let Some(unknown) = map.keys().find(|key| *key != "file" && *key != "jsonpath") {
        return Err(Failure::new("params_invalid", format!("unknown json param {unknown:?}"), None));
    }
    let file = match map.get("file") {
        None => return Err(Failure::new("params_missing", "json params need the file field", None)),
        Some(Value::String(file)) => file.as_str(),
        Some(_) => return Err(Failure::new("params_invalid", "json param file must be a string", None)),
    };
    let jsonpath = match map.get("jsonpath") {
        None => None,
        Some(Value::String(expression)) => Some(expression.as_str()),
        Some(_) => return Err(Failure::new("params_invalid", "json param jsonpath must be a string", None)),
    };
    Ok((file, jsonpath))
}

/// Resolves `file` inside the root: shape checks, a lexical escape check, canonicalisation
/// (following symbolic links) and a containment check on the canonical path.
fn resolve(root: &Root, file: &str) -> Result<Resolved, Failure> {
    let details = || Some(json!({"file": file}));
    if file.trim().is_empty() {
        return Err(Failure::new("path_missing", "json param file is empty", None));
    }
    let path_invalid = |message: &str| Failure::new("path_invalid", message, details());
    if file.contains('\0') || file.len() > MAX_FILE_PARAM_BYTES {
        return Err(path_invalid("file path contains NUL or is too long"));
    }
    let candidate = Path::new(file);
    if candidate.is_absolute() || candidate.has_root() {
        return Err(Failure::new("absolute_path_forbidden", "file path must be relative to the root", details()));
    }
    let mut depth: usize = 0;
    for component in candidate.components() {
        match component {
            Component::Normal(part) if part.len() > MAX_FILE_COMPONENT_BYTES => {
                return Err(path_invalid("file path has a component longer than 255 bytes"));
            }
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth = depth.checked_sub(1).ok_or_else(|| outside_root(file))?;
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Failure::new(
                    "absolute_path_forbidden",
                    "file path must be relative to the root",
                    details(),
                ));
            }
        }
    }
    let canonical = root.path.join(candidate).canonicalize().map_err(|err| match err.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory => {
            Failure::new("file_not_found", "file does not exist below the root", details())
        }
        ErrorKind::PermissionDenied => Failure::new("file_open_failed", "file cannot be accessed", details()),
        _ => path_invalid("file path cannot be resolved"),
    })?;
    let inside = canonical.strip_prefix(&root.path).map_err(|_| outside_root(file))?;
    let mut parts = Vec::new();
    for component in inside.components() {
        let text = component
            .as_os_str()
            .to_str()
            .ok_or_else(|| Failure::new("anchor_invalid", "resolved file name is not valid UTF-8", details()))?;
        parts.push(text);
    }
    if parts.is_empty() {
        return Err(path_invalid("file path names the root directory"));
    }
    Ok(Resolved { relative: parts.join("/"), path: canonical })
}

fn outside_root(file: &str) -> Failure {
    Failure::new("path_outside_root", "file path leaves the provider root", Some(json!({"file": file})))
}

/// The `file_path_rooted` anchor: canonical JSON of `{"path", "root_id"}`.
fn rooted_anchor(root: &Root, relative: &str) -> Result<EvidenceAnchor, Failure> {
    let value = json!({"path": relative, "root_id": root.id});
    String::from_utf8(value_to_canonical_vec(&value))
        .ok()
        .map(|text| anchor("file_path_rooted", text))
        .ok_or_else(|| Failure::new("anchor_invalid", "anchor value cannot be encoded", None))
}

/// Opens a resolved file without following a final symbolic link and without blocking on
/// special files, then checks it is a regular file.
fn open_regular(resolved: &Resolved) -> Result<File, Failure> {
    let details = || Some(json!({"file": resolved.relative}));
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOFOLLOW;
        options.custom_flags(i32::try_from(flags.bits()).unwrap_or(0));
    }
    let file = options.open(&resolved.path).map_err(|err| match err.kind() {
        ErrorKind::NotFound => Failure::new("file_not_found", "file does not exist below the root", details()),
        _ => Failure::new("file_open_failed", "file cannot be opened", details()),
    })?;
    let metadata =
        file.metadata().map_err(|_| Failure::new("file_open_failed", "file cannot be inspected", details()))?;
    if !metadata.is_file() {
        return Err(Failure::new("path_invalid", "file path does not name a regular file", details()));
    }
    Ok(file)
}

/// Reads at most `max_bytes` of a resolved file (the exact limit passes).
fn read_limited(resolved: &Resolved, max_bytes: usize) -> Result<Vec<u8>, Failure> {
    let file = open_regular(resolved)?;
    let declared = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    read_capped(file, declared, max_bytes, &resolved.relative)
}

/// Reads at most `max_bytes` from `reader`; `declared` is the size the file system reported.
/// Errors: `size_limit_exceeded` (details `file`, `max_bytes`, `actual_bytes`) and
/// `file_read_failed`.
pub(crate) fn read_capped(
    reader: impl Read,
    declared: u64,
    max_bytes: usize,
    relative: &str,
) -> Result<Vec<u8>, Failure> {
    let too_large = |actual: u64| {
        Failure::new(
            "size_limit_exceeded",
            format!("file exceeds {max_bytes} bytes"),
            Some(json!({"file": relative, "max_bytes": max_bytes, "actual_bytes": actual})),
        )
    };
    let limit = u64::try_from(max_bytes).unwrap_or(u64::MAX);
    if declared > limit {
        return Err(too_large(declared));
    }
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|_| Failure::new("file_read_failed", "file cannot be read", Some(json!({"file": relative}))))?;
    if bytes.len() > max_bytes {
        return Err(too_large(u64::try_from(bytes.len()).unwrap_or(u64::MAX)));
    }
    Ok(bytes)
}

/// Applies a JSONPath: no match is `jsonpath_not_found`, one match its value, several an array.
fn select(document: &Value, expression: &str) -> Result<Value, Failure> {
    let details = || Some(json!({"jsonpath": expression}));
    if expression.len() > MAX_JSONPATH_BYTES || nesting_depth(expression) > MAX_JSONPATH_NESTING {
        return Err(Failure::new("invalid_jsonpath", "jsonpath is too long or nests too deeply", details()));
    }
    let path = JsonPath::parse(expression)
        .map_err(|err| Failure::new("invalid_jsonpath", format!("jsonpath is invalid: {err}"), details()))?;
    let mut matches = path.query(document).all();
    // Measure before cloning: `$..*` on a deep document matches every node, and cloning each
    // match copies its whole subtree (quadratic memory). The canonical size of the selection
    // is counted with an early stop at the evidence limit, so nothing larger is ever copied.
    let budget = MAX_EVIDENCE_BYTES.saturating_add(1);
    let mut total: usize = 0;
    for found in &matches {
        total = total.saturating_add(bounded_size(found, budget - total.min(budget)));
        if total > MAX_EVIDENCE_BYTES {
            return Err(Failure::new(
                "size_limit_exceeded",
                "selected value exceeds the evidence size limit",
                Some(json!({"jsonpath": expression, "max_bytes": MAX_EVIDENCE_BYTES, "actual_bytes": total})),
            ));
        }
    }
    match matches.len() {
        0 => Err(Failure::new("jsonpath_not_found", "jsonpath matched nothing", details())),
        1 => Ok(matches.remove(0).clone()),
        _ => Ok(Value::Array(matches.into_iter().cloned().collect())),
    }
}

/// A lower bound of a value's compact JSON size that is exact up to `budget` and stops
/// counting once it exceeds it (so the cost of measuring is bounded by the budget, not by the
/// size of the subtree). Strings count their bytes plus quotes (escapes only add).
fn bounded_size(value: &Value, budget: usize) -> usize {
    let mut size = 0usize;
    let mut stack = vec![value];
    while let Some(node) = stack.pop() {
        if size > budget {
            break;
        }
        size += match node {
            Value::Null => 4,
            Value::Bool(flag) => {
                if *flag {
                    4
                } else {
                    5
                }
            }
            Value::Number(number) => number.to_string().len(),
            Value::String(text) => text.len() + 2,
            Value::Array(items) => {
                stack.extend(items.iter());
                2 + items.len().saturating_sub(1)
            }
            Value::Object(entries) => {
                stack.extend(entries.values());
                2 + entries.len().saturating_sub(1) + entries.keys().map(|key| key.len() + 3).sum::<usize>()
            }
        };
    }
    size
}

/// Deepest nesting of `[`/`(` in an expression (quotes are not special: this over-counts,
/// which only makes the guard stricter).
fn nesting_depth(expression: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in expression.chars() {
        match c {
            '[' | '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}
