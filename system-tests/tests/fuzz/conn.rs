//! A raw stdio JSON-RPC connection to a `decision-gate serve` process, and the exact check and
//! classification of its responses to `tools/call`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub(crate) struct Conn {
    pub(crate) child: Child,
    pub(crate) stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    pub(crate) next_id: u64,
}

impl Conn {
    pub(crate) fn spawn(dir: &Path, config: &Path) -> Conn {
        let mut child = Command::new(system_tests::binary())
            .arg("serve")
            .arg("--config")
            .arg(config)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn decision-gate");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                let mut all = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                all.push_str(&line);
                all.push('\n');
            }
        });
        Conn { child, stdin, lines, stderr, next_id: 1 }
    }

    fn write_line(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).expect("write to server");
        self.stdin.write_all(b"\n").expect("write to server");
        self.stdin.flush().expect("flush");
    }

    /// Sends one line carrying request `id` and returns the response to it. The server handles
    /// stdio messages strictly in arrival order and we have one request in flight, so a
    /// response with `id: null` (a message rejected before its id was parsed) answers it.
    pub(crate) fn exchange(&mut self, id: u64, line: &str) -> Value {
        self.write_line(line);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let text = match self.lines.recv_timeout(remaining) {
                Ok(text) => text,
                Err(RecvTimeoutError::Timeout) => panic!("no response to request {id} within 60 s: {line:.300}"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("server closed stdout at request {id}: {line:.300}\nstderr:\n{}", self.stderr())
                }
            };
            let message: Value =
                serde_json::from_str(&text).unwrap_or_else(|err| panic!("server wrote non-JSON ({err}): {text:.300}"));
            if message.get("method").is_some() && message.get("id").is_none() {
                continue; // a server notification
            }
            match &message["id"] {
                Value::Number(number) if number.as_u64() == Some(id) => return message,
                Value::Null if message.get("error").is_some() => return message,
                other => panic!("response id {other} while waiting for {id}: {text:.300}"),
            }
        }
    }

    pub(crate) fn request(&mut self, method: &str, params: Option<Value>) -> (u64, Value) {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if let Some(params) = params {
            message["params"] = params;
        }
        (id, self.exchange(id, &message.to_string()))
    }

    pub(crate) fn notify(&mut self, method: &str) {
        self.write_line(&json!({"jsonrpc": "2.0", "method": method}).to_string());
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub(crate) fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

// ---------------------------------------------------------------------------------------------
// Response shapes

/// The one shape a response to `tools/call` has.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    Success(Value),
    /// `isError` result.
    Tool {
        code: i64,
        kind: String,
        message: String,
    },
    /// JSON-RPC error.
    Rpc {
        code: i64,
        kind: String,
        message: String,
    },
}

/// `kind` of each code (mcp-surface §3.1).
fn kind_of(code: i64) -> &'static str {
    match code {
        -32700 => "parse_error",
        -32600 => "invalid_request",
        -32601 => "method_not_found",
        -32602 => "invalid_params",
        -32001 => "unauthenticated",
        -32003 => "unauthorized",
        -32004 => "not_found",
        -32009 => "conflict",
        -32020 => "evidence",
        -32030 => "control_plane",
        -32040 => "runpack",
        -32050 => "internal",
        -32060 => "serialization",
        -32070 => "request_too_large",
        -32071 => "rate_limited",
        -32072 => "inflight_limit",
        -32073 => "invalid_correlation_id",
        _ => "unknown",
    }
}

/// Checks the envelope exactly and classifies it; `Err` describes a malformed response.
pub(crate) fn classify(id: u64, response: &Value) -> Result<Outcome, String> {
    let object = response.as_object().ok_or("response is not an object")?;
    if object.get("jsonrpc") != Some(&json!("2.0")) {
        return Err("jsonrpc is not 2.0".into());
    }
    match (object.get("result"), object.get("error")) {
        (Some(result), None) => {
            let keys: BTreeSet<&str> =
                result.as_object().ok_or("result not an object")?.keys().map(|k| k.as_str()).collect();
            if keys != BTreeSet::from(["content", "isError", "structuredContent"]) {
                return Err(format!("result keys {keys:?}"));
            }
            let structured = &result["structuredContent"];
            let content = result["content"].as_array().ok_or("content not an array")?;
            if content.len() != 1 || content[0]["type"] != "text" {
                return Err("content is not one text item".into());
            }
            let text: Value = serde_json::from_str(content[0]["text"].as_str().ok_or("text not a string")?)
                .map_err(|err| format!("text item not JSON: {err}"))?;
            if &text != structured {
                return Err("text item differs from structuredContent".into());
            }
            match result["isError"] {
                Value::Bool(false) => {
                    if !structured.is_object() {
                        return Err("success structuredContent is not an object".into());
                    }
                    Ok(Outcome::Success(structured.clone()))
                }
                Value::Bool(true) => {
                    let error = structured.as_object().filter(|o| o.len() == 1).and_then(|o| o.get("error"));
                    let error = error.and_then(Value::as_object).ok_or("isError without a lone error object")?;
                    let keys: BTreeSet<&str> = error.keys().map(|k| k.as_str()).collect();
                    if keys != BTreeSet::from(["code", "kind", "message", "retryable"]) {
                        return Err(format!("error keys {keys:?}"));
                    }
                    let code = error["code"].as_i64().ok_or("code not an integer")?;
                    let kind = error["kind"].as_str().ok_or("kind not a string")?.to_owned();
                    let message = error["message"].as_str().ok_or("message not a string")?.to_owned();
                    let retryable = error["retryable"].as_bool().ok_or("retryable not a boolean")?;
                    if kind != kind_of(code) {
                        return Err(format!("kind {kind} for code {code}"));
                    }
                    // Sequential calls on one connection: nothing here can be retryable.
                    if retryable {
                        return Err("retryable error on a sequential connection".into());
                    }
                    if message.is_empty() {
                        return Err("empty message".into());
                    }
                    Ok(Outcome::Tool { code, kind, message })
                }
                _ => Err("isError is not a boolean".into()),
            }
        }
        (None, Some(error)) => {
            let code = error["code"].as_i64().ok_or("error code not an integer")?;
            let message = error["message"].as_str().ok_or("error message not a string")?.to_owned();
            let data = error["data"].as_object().ok_or("error without data")?;
            let kind = data.get("kind").and_then(Value::as_str).ok_or("data.kind not a string")?.to_owned();
            if kind != kind_of(code) {
                return Err(format!("data.kind {kind} for code {code}"));
            }
            if data.get("retryable") != Some(&json!(false)) {
                return Err("data.retryable is not false".into());
            }
            let expected_request_id = match &response["id"] {
                Value::Null => Value::Null,
                _ => json!(id.to_string()),
            };
            if data.get("request_id") != Some(&expected_request_id) {
                return Err(format!("data.request_id {:?}", data.get("request_id")));
            }
            Ok(Outcome::Rpc { code, kind, message })
        }
        _ => Err("neither exactly result nor error".into()),
    }
}
