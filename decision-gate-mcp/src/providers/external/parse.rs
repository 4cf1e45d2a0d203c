//! Turning a provider's `tools/call` answer into an [`EvidenceResult`] (mcp-surface §10.3,
//! "Result parsing"), shared by every transport.
//!
//! Order: a JSON-RPC `error` is a provider error carrying its message; a response without
//! `result` is an error; `isError: true` is a provider error carrying the tool's text;
//! otherwise `structuredContent` must be an `EvidenceResult` object, or else the first content
//! item must be `{"type":"json","json":<EvidenceResult>}` (Decision Gate OSS) or
//! `{"type":"text","text":<EvidenceResult JSON>}`. Anything else is
//! `unexpected provider response`.

use decision_gate_core::evidence::EvidenceResult;
use decision_gate_core::ports::EvidenceError;
use serde_json::Value;

/// Longest provider-supplied text copied into an error message, in characters.
const MAX_ERROR_TEXT_CHARS: usize = 512;

/// The error for a result of the wrong shape.
pub(super) const UNEXPECTED: &str = "unexpected provider response";

/// `text` cut to [`MAX_ERROR_TEXT_CHARS`] characters, with control characters replaced.
pub(super) fn bounded_text(text: &str) -> String {
    let mut out: String =
        text.chars().take(MAX_ERROR_TEXT_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(MAX_ERROR_TEXT_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// A provider error from a JSON-RPC error message.
pub(super) fn rpc_error(message: &str) -> EvidenceError {
    EvidenceError(format!("provider error: {}", bounded_text(message)))
}

/// Parses a whole JSON-RPC response object (`result` or `error`).
pub(super) fn parse_response(response: &Value) -> Result<EvidenceResult, EvidenceError> {
    if let Some(error) = response.get("error") {
        let message = error.get("message").and_then(Value::as_str).unwrap_or("error without message");
        return Err(rpc_error(message));
    }
    match response.get("result") {
        Some(result) => parse_tool_result(result),
        None => Err(EvidenceError("provider response has no result".to_owned())),
    }
}

/// Parses the `result` of a `tools/call` response.
pub(super) fn parse_tool_result(result: &Value) -> Result<EvidenceResult, EvidenceError> {
    let Some(object) = result.as_object() else {
        return Err(EvidenceError(UNEXPECTED.to_owned()));
    };
    let content = object.get("content").and_then(Value::as_array);
    if object.get("isError").and_then(Value::as_bool) == Some(true) {
        return Err(EvidenceError(format!("provider error: {}", bounded_text(&error_text(object, content)))));
    }
    if let Some(structured) = object.get("structuredContent").filter(|value| !value.is_null()) {
        return evidence_result(structured.clone());
    }
    let first = content.and_then(|items| items.first()).ok_or_else(|| EvidenceError(UNEXPECTED.to_owned()))?;
    match (first.get("type").and_then(Value::as_str), first.get("json"), first.get("text").and_then(Value::as_str)) {
        (Some("json"), Some(json), _) => evidence_result(json.clone()),
        (Some("text"), _, Some(text)) => {
            let value: Value = serde_json::from_str(text).map_err(|_| EvidenceError(UNEXPECTED.to_owned()))?;
            evidence_result(value)
        }
        _ => Err(EvidenceError(UNEXPECTED.to_owned())),
    }
}

/// An `EvidenceResult` from a JSON object; any other shape is unexpected.
fn evidence_result(value: Value) -> Result<EvidenceResult, EvidenceError> {
    if !value.is_object() {
        return Err(EvidenceError(UNEXPECTED.to_owned()));
    }
    serde_json::from_value(value)
        .map_err(|err| EvidenceError(format!("{UNEXPECTED}: {}", bounded_text(&err.to_string()))))
}

/// The text of an `isError` result: its text items joined, else its structured content,
/// else a fixed phrase.
fn error_text(object: &serde_json::Map<String, Value>, content: Option<&Vec<Value>>) -> String {
    let texts: Vec<&str> = content
        .into_iter()
        .flatten()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|item| item.get("text").and_then(Value::as_str))
        .collect();
    if !texts.is_empty() {
        return texts.join("\n");
    }
    match object.get("structuredContent") {
        Some(value) if !value.is_null() => value.to_string(),
        _ => "tool reported an error".to_owned(),
    }
}
