//! What the transports record about a JSON-RPC response they send: its error code and kind
//! (a JSON-RPC error, or a tool result with `isError`), the error message, and the protocol
//! version an `initialize` result negotiated.
//!
//! Only these few fields are decoded; the rest of the body (a tool's whole result) is skipped
//! without building a JSON tree, which matters on `/mcp`, where every response passes through
//! here.

use serde::Deserialize;
use serde_json::Value;

/// The recorded fields of one response body.
#[derive(Debug, Default, Deserialize)]
pub struct ResponseFacts {
    #[serde(default)]
    error: Option<ErrorFacts>,
    #[serde(default)]
    result: Option<ResultFacts>,
}

#[derive(Debug, Deserialize)]
struct ErrorFacts {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ResultFacts {
    #[serde(rename = "isError", default)]
    is_error: Option<Value>,
    #[serde(rename = "protocolVersion", default)]
    protocol_version: Option<Value>,
    #[serde(rename = "structuredContent", default)]
    structured: Option<StructuredFacts>,
}

#[derive(Debug, Deserialize)]
struct StructuredFacts {
    #[serde(default)]
    error: Option<Value>,
}

impl ResponseFacts {
    /// Facts of a serialized body; `None` when it is not a JSON object of the expected shape.
    pub fn from_slice(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }

    /// Facts of a parsed body; `None` when it is not a JSON object of the expected shape.
    pub fn from_value(body: &Value) -> Option<Self> {
        Self::deserialize(body).ok()
    }

    /// The JSON-RPC error code, when the body is an error response.
    pub fn rpc_error_code(&self) -> Option<i64> {
        self.error.as_ref()?.code.as_ref()?.as_i64()
    }

    /// The JSON-RPC error message, when the body is an error response.
    pub fn rpc_error_message(&self) -> Option<&str> {
        self.error.as_ref()?.message.as_ref()?.as_str()
    }

    /// The error code and kind of the response: a JSON-RPC error, or a tool result with
    /// `isError` (its structured error's code, 0 when it has none).
    pub fn error(&self) -> Option<(i32, &'static str)> {
        if let Some(code) = self.rpc_error_code() {
            return Some((code as i32, crate::errors::kind_of(code as i32)));
        }
        let result = self.result.as_ref()?;
        if result.is_error.as_ref().and_then(Value::as_bool) != Some(true) {
            return None;
        }
        let code = result
            .structured
            .as_ref()
            .and_then(|structured| structured.error.as_ref())
            .and_then(|error| error.get("code"))
            .and_then(Value::as_i64)
            .unwrap_or(0) as i32;
        Some((code, crate::errors::kind_of(code)))
    }

    /// The protocol version of an `initialize` result.
    pub fn protocol_version(&self) -> Option<&str> {
        self.result.as_ref()?.protocol_version.as_ref()?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::ResponseFacts;

    fn facts(body: serde_json::Value) -> ResponseFacts {
        let from_bytes = ResponseFacts::from_slice(&serde_json::to_vec(&body).unwrap()).unwrap();
        let from_value = ResponseFacts::from_value(&body).unwrap();
        assert_eq!(from_bytes.error(), from_value.error());
        from_value
    }

    #[test]
    fn rpc_errors_report_their_code_and_message() {
        let body = facts(json!({"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params"}}));
        assert_eq!(body.error(), Some((-32602, "invalid_params")));
        assert_eq!(body.rpc_error_message(), Some("invalid params"));
    }

    #[test]
    fn tool_failures_report_the_structured_code() {
        let body = facts(json!({"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[],
            "structuredContent":{"error":{"code":-32004,"message":"not found"}}}}));
        assert_eq!(body.error(), Some((-32004, "not_found")));
        let bare = facts(json!({"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[]}}));
        assert_eq!(bare.error(), Some((0, crate::errors::kind_of(0))));
    }

    #[test]
    fn successes_report_no_error_whatever_their_content() {
        let body = facts(json!({"jsonrpc":"2.0","id":1,"result":{"isError":false,
            "structuredContent":{"error":"a string field of a tool result","n":[1,2]}}}));
        assert_eq!(body.error(), None);
        let init = facts(json!({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25"}}));
        assert_eq!(init.protocol_version(), Some("2025-11-25"));
        assert_eq!(init.error(), None);
    }

    #[test]
    fn bodies_of_another_shape_have_no_facts() {
        assert!(ResponseFacts::from_slice(b"not json").is_none());
        assert!(ResponseFacts::from_slice(b"\"text\"").is_none());
        assert!(ResponseFacts::from_value(&json!({"error": "text"})).is_none());
    }
}
