//! Raw wire access for transport and security tests: HTTP requests whose status, headers and
//! bytes are asserted exactly (reqwest), a `decision-gate serve` process driven line by line
//! (or frame by frame) over stdio, configuration variants, and a Prometheus text parser.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::{TestDir, binary};

/// How long a raw exchange may take before the test fails.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// The standard test configuration of `TestDir::config` with `server_keys` (lines of the
/// `[server]` table, e.g. `max_body_bytes = 512`) and `extra` TOML appended.
pub fn config_with(dir: &TestDir, transport: &str, server_keys: &str, extra: &str) -> PathBuf {
    let path = dir.config(transport, extra);
    let text = std::fs::read_to_string(&path).expect("read config");
    let marker = format!("transport = \"{transport}\"\n");
    assert!(text.contains(&marker), "standard config names the transport");
    let text = text.replacen(&marker, &format!("{marker}{server_keys}\n"), 1);
    std::fs::write(&path, text).expect("write config");
    path
}

/// Replaces one exact snippet of a configuration file (which must be present once).
pub fn edit_config(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read config");
    assert_eq!(text.matches(from).count(), 1, "config contains {from:?} exactly once");
    std::fs::write(path, text.replacen(from, to, 1)).expect("write config");
}

/// A buffered HTTP response.
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The body as JSON (panics with the body text otherwise).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("body is not JSON ({err}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|value| value.to_str().expect("visible ASCII header").to_owned())
    }
}

/// A plain reqwest client for raw HTTP exchanges.
#[derive(Clone, Debug)]
pub struct RawHttp {
    client: reqwest::Client,
    base: String,
}

/// Headers every Streamable HTTP POST needs.
pub const MCP_HEADERS: [(&str, &str); 2] =
    [("accept", "application/json, text/event-stream"), ("content-type", "application/json")];

impl RawHttp {
    /// A client for `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> Self {
        crate::install_crypto();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(IO_TIMEOUT)
            .build()
            .expect("reqwest client");
        RawHttp { client, base: base.to_owned() }
    }

    /// A client with a prepared reqwest client (e.g. TLS identities).
    pub fn with_client(base: &str, client: reqwest::Client) -> Self {
        RawHttp { client, base: base.to_owned() }
    }

    /// Sends a request and buffers the response.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> reqwest::Result<RawResponse> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        Ok(RawResponse { status, headers, body })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> RawResponse {
        self.send(reqwest::Method::GET, path, &[], None).await.expect("GET succeeds")
    }

    /// `POST path` with raw bytes and headers.
    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> RawResponse {
        self.send(reqwest::Method::POST, path, headers, Some(body.into())).await.expect("POST succeeds")
    }

    /// `POST /mcp` with the Streamable HTTP headers plus `headers`.
    pub async fn mcp(&self, message: &Value, headers: &[(&str, &str)]) -> RawResponse {
        let mut all: Vec<(&str, &str)> = MCP_HEADERS.to_vec();
        all.extend_from_slice(headers);
        self.post("/mcp", &all, serde_json::to_vec(message).expect("serialise")).await
    }

    /// `POST /rpc` with JSON content type plus `headers`.
    pub async fn rpc(&self, message: &Value, headers: &[(&str, &str)]) -> RawResponse {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.post("/rpc", &all, serde_json::to_vec(message).expect("serialise")).await
    }
}

/// `_meta` of a 2026-07-28 stateless request (the required keys only).
pub fn stateless_meta(version: &str) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

/// A handshake-era `initialize` request.
pub fn initialize(id: Value, version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": {},
        "clientInfo": {"name": "system-tests", "version": "0.1.0"}}})
}

/// The JSON-RPC error envelope of mcp-surface §3.2.
pub fn error_envelope(id: Value, code: i64, message: &str, kind: &str, retryable: bool) -> Value {
    let request_id = match &id {
        Value::Null => Value::Null,
        other => Value::String(other.to_string()),
    };
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message,
           "data": {"kind": kind, "retryable": retryable, "request_id": request_id}}})
}

/// A `decision-gate serve` process on stdio, driven message by message.
pub struct StdioProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<String>>,
}

impl StdioProcess {
    /// Spawns `decision-gate serve --config <config>` in `dir`.
    pub fn spawn(dir: &Path, config: &Path) -> Self {
        let mut child = tokio::process::Command::new(binary())
            .arg("serve")
            .arg("--config")
            .arg(config)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn decision-gate");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = BufReader::new(child.stderr.take().expect("stderr"));
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut line = String::new();
            while pipe.read_line(&mut line).await.unwrap_or(0) > 0 {
                sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push_str(&line);
                line.clear();
            }
        });
        StdioProcess { child, stdin, stdout, stderr }
    }

    /// Writes raw bytes to stdin.
    pub async fn write(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).await.expect("write stdin");
        stdin.flush().await.expect("flush stdin");
    }

    /// Writes one line (a newline is appended).
    pub async fn send_line(&mut self, line: &[u8]) {
        let mut bytes = line.to_vec();
        bytes.push(b'\n');
        self.write(&bytes).await;
    }

    /// Writes one JSON message as a line.
    pub async fn send(&mut self, message: &Value) {
        self.send_line(&serde_json::to_vec(message).expect("serialise")).await;
    }

    /// Reads the next stdout line as JSON.
    pub async fn recv(&mut self) -> Value {
        let mut line = String::new();
        let read = tokio::time::timeout(IO_TIMEOUT, self.stdout.read_line(&mut line))
            .await
            .expect("a stdout line within the timeout")
            .expect("read stdout");
        assert!(read > 0, "stdout closed; stderr: {}", self.stderr());
        serde_json::from_str(line.trim_end()).unwrap_or_else(|err| panic!("stdout line is not JSON ({err}): {line}"))
    }

    /// Sends a message and reads the next line.
    pub async fn request(&mut self, message: &Value) -> Value {
        self.send(message).await;
        self.recv().await
    }

    /// Writes one `Content-Length` frame.
    pub async fn send_framed(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).expect("serialise");
        let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        bytes.extend_from_slice(&body);
        self.write(&bytes).await;
    }

    /// Reads one `Content-Length` frame; returns the header block and the JSON body.
    pub async fn recv_framed(&mut self) -> (String, Value) {
        let read = async {
            let mut headers = String::new();
            let mut length = None;
            loop {
                let mut line = String::new();
                let count = self.stdout.read_line(&mut line).await.expect("read header");
                assert!(count > 0, "stdout closed inside a frame");
                headers.push_str(&line);
                let trimmed = line.trim_end_matches(['\r', '\n']);
                if trimmed.is_empty() {
                    break;
                }
                if let Some(value) = trimmed.strip_prefix("Content-Length: ") {
                    length = Some(value.parse::<usize>().expect("numeric length"));
                }
            }
            let mut body = vec![0; length.expect("Content-Length header")];
            self.stdout.read_exact(&mut body).await.expect("read body");
            (headers, serde_json::from_slice(&body).expect("frame body is JSON"))
        };
        tokio::time::timeout(IO_TIMEOUT, read).await.expect("a frame within the timeout")
    }

    /// Sends a frame and reads the answer frame.
    pub async fn request_framed(&mut self, message: &Value) -> (String, Value) {
        self.send_framed(message).await;
        self.recv_framed().await
    }

    /// Closes stdin (EOF) and waits for the process; stdout must then be at its end.
    pub async fn close(mut self) -> (ExitStatus, Vec<u8>) {
        drop(self.stdin.take());
        let mut rest = Vec::new();
        tokio::time::timeout(IO_TIMEOUT, self.stdout.read_to_end(&mut rest))
            .await
            .expect("stdout ends within the timeout")
            .expect("read stdout");
        let status =
            tokio::time::timeout(IO_TIMEOUT, self.child.wait()).await.expect("exit within the timeout").expect("wait");
        (status, rest)
    }

    /// Everything written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|text| text.clone()).unwrap_or_default()
    }
}

/// One sample line of a Prometheus text exposition.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Metric name.
    pub name: String,
    /// Labels in order of appearance.
    pub labels: BTreeMap<String, String>,
    /// Value.
    pub value: f64,
}

fn metric_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parses a Prometheus text exposition strictly: every non-empty line that is not a `#`
/// comment must be `name{label="value",…} value` (labels optional); anything else is an error.
pub fn parse_prometheus(text: &str) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').ok_or_else(|| format!("no value: {line}"))?;
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            other => other.parse().map_err(|_| format!("bad value in: {line}"))?,
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').ok_or_else(|| format!("unterminated labels: {line}"))?;
                (name, parse_labels(body).map_err(|err| format!("{err}: {line}"))?)
            }
        };
        if !metric_name_ok(name) {
            return Err(format!("bad metric name: {line}"));
        }
        samples.push(Sample { name: name.to_owned(), labels, value });
    }
    Ok(samples)
}

fn parse_labels(body: &str) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    let mut chars = body.chars().peekable();
    loop {
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() && chars.peek().is_none() {
            break;
        }
        if !metric_name_ok(&key) || chars.next() != Some('=') || chars.next() != Some('"') {
            return Err(format!("bad label {key:?}"));
        }
        let mut value = String::new();
        loop {
            match chars.next().ok_or("unterminated label value")? {
                '\\' => match chars.next().ok_or("dangling escape")? {
                    'n' => value.push('\n'),
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    other => return Err(format!("bad escape \\{other}")),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        labels.insert(key, value);
        match chars.next() {
            None => break,
            Some(',') => {}
            Some(other) => return Err(format!("unexpected {other:?} after a label")),
        }
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_parser_is_strict() {
        let text = "# HELP x y\n# TYPE x counter\nx_total{a=\"1\",b=\"q\\\"z\"} 3\ny 0.5\nz_bucket{le=\"+Inf\"} 2\n";
        let samples = parse_prometheus(text).unwrap();
        assert_eq!(samples.len(), 3);
        assert_eq!(samples[0].labels["b"], "q\"z");
        assert_eq!(samples[1].value, 0.5);
        assert!(parse_prometheus("x{a=1} 3\n").is_err());
        assert!(parse_prometheus("x 3 4 five\n").is_err());
        assert!(parse_prometheus("garbage\n").is_err());
    }
}
