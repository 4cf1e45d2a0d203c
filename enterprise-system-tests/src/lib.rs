// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Harness for the enterprise black-box suites: start the built `decision-gate-enterprise`
//! binary on a fresh data directory, read the owner key it prints once, administer it through
//! the admin API, and call `/mcp` with API keys or client certificates.
//!
//! Suites are written against [`Backend`] and [`AuthKind`] so the same matrix runs on every
//! control-store backend and credential kind as they are added.

pub mod world;

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Context;
use serde_json::{Value, json};
use system_tests::raw::{RawHttp, RawResponse};
use system_tests::tls::{Pem, TestCa, tls_table};
use system_tests::{HttpServer, TestDir};

/// The control-store backend a suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite file (zero configuration).
    Sqlite,
}

/// How the callers of a suite authenticate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// `Authorization: Bearer dgk_…`.
    ApiKey,
    /// A client certificate mapped to a principal by its SAN.
    Mtls,
}

/// Path of the `decision-gate-enterprise` binary: `DECISION_GATE_ENTERPRISE_BIN`, else the
/// workspace build (brought up to date once per test process).
pub fn enterprise_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Ok(path) = std::env::var("DECISION_GATE_ENTERPRISE_BIN") {
                return PathBuf::from(path);
            }
            let target = std::env::var("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|_| system_tests::workspace_root().join("target"));
            let status = system_tests::cargo()
                .args(["build", "-p", "decision-gate-enterprise", "--bins"])
                .status()
                .expect("cargo build runs");
            assert!(status.success(), "building decision-gate-enterprise failed");
            target.join("debug").join("decision-gate-enterprise")
        })
        .clone()
}

/// The owner key a first start printed on stderr.
pub fn printed_owner_key(stderr: &str) -> Option<String> {
    let marker = "owner API key (shown this once; store it now): ";
    stderr.lines().find_map(|line| line.split(marker).nth(1)).map(|key| key.trim().to_owned())
}

/// What an operator command printed.
#[derive(Debug)]
pub struct OperatorOutput {
    /// Exit code.
    pub code: i32,
    /// Its JSON answer on stdout (`Null` when none).
    pub json: Value,
    /// Its stderr.
    pub stderr: String,
}

impl OperatorOutput {
    /// The answer of a command that must have succeeded.
    pub fn ok(self) -> Value {
        assert_eq!(self.code, 0, "operator command failed: {}", self.stderr);
        self.json
    }
}

/// A running enterprise server.
pub struct Enterprise {
    /// The process.
    pub server: HttpServer,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Its configuration file, when it has one.
    pub config: Option<PathBuf>,
    /// The owner key of the first start.
    pub owner_key: String,
    /// The test CA of a TLS server.
    pub ca: Option<TestCa>,
}

impl Enterprise {
    /// Starts `serve --http 127.0.0.1:0 --data-dir DIR/data` (zero configuration, or `config`
    /// written to `DIR/enterprise.toml`) and reads the owner key.
    pub fn start(dir: &TestDir, config: Option<&str>) -> anyhow::Result<Self> {
        Self::start_with(dir, config, None, &[])
    }

    /// A server with TLS from a fresh test CA (client certificates verified when presented, not
    /// required, so API-key callers connect without one).
    pub fn start_tls(dir: &TestDir) -> anyhow::Result<Self> {
        let ca = TestCa::new();
        let table = format!(
            "[server]\ntransport = \"http\"\nbind = \"127.0.0.1:0\"\n\n{}require_client_cert = false\n",
            tls_table(dir, &ca)
        );
        Self::start_with(dir, Some(&table), Some(ca), &[])
    }

    /// Starts a server on an existing data directory `DIR/data` (a copy of another server's,
    /// say), whose owner key the caller knows.
    pub fn start_on(dir: &TestDir, owner_key: String) -> anyhow::Result<Self> {
        let data_dir = dir.path().join("data");
        let data = data_dir.display().to_string();
        let args = ["serve", "--http", "127.0.0.1:0", "--data-dir", data.as_str()];
        let server = HttpServer::start_program(&enterprise_binary(), dir.path(), &args, &[])?;
        Ok(Enterprise { server, data_dir, config: None, owner_key, ca: None })
    }

    /// The general form.
    pub fn start_with(
        dir: &TestDir,
        config: Option<&str>,
        ca: Option<TestCa>,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let data_dir = dir.path().join("data");
        let data = data_dir.display().to_string();
        let mut args = vec!["serve".to_owned(), "--http".into(), "127.0.0.1:0".into(), "--data-dir".into(), data];
        let config = config.map(|text| dir.write("enterprise.toml", text));
        if let Some(path) = &config {
            args.push("--config".into());
            args.push(path.display().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = HttpServer::start_program(&enterprise_binary(), dir.path(), &args, env)?;
        let owner_key = printed_owner_key(&server.stderr()).context("the first start prints an owner key")?;
        Ok(Enterprise { server, data_dir, config, owner_key, ca })
    }

    /// Runs `decision-gate-enterprise admin ARGS…` as the operator on this server's data
    /// directory and configuration.
    pub fn operator(&self, args: &[&str]) -> OperatorOutput {
        operator_command(&self.data_dir, self.config.as_deref(), args)
    }

    /// Runs an operator command on a data directory no server is running on.
    pub fn operator_on(data_dir: &std::path::Path, args: &[&str]) -> OperatorOutput {
        operator_command(data_dir, None, args)
    }

    /// Runs an operator command on a data directory with a configuration file.
    pub fn operator_with(
        data_dir: &std::path::Path,
        config: Option<&std::path::Path>,
        args: &[&str],
    ) -> OperatorOutput {
        operator_command(data_dir, config, args)
    }
}

impl Enterprise {
    /// A raw client (trusting the test CA on TLS servers), presenting `identity` if given.
    pub fn http(&self, identity: Option<&Pem>) -> RawHttp {
        match &self.ca {
            Some(ca) => ca.http(&self.server.base, identity),
            None => RawHttp::new(&self.server.base),
        }
    }

    /// An admin client acting with `key`.
    pub fn admin(&self, key: &str) -> Admin {
        Admin { http: self.http(None), authorization: format!("Bearer {key}") }
    }

    /// The owner's admin client.
    pub fn owner(&self) -> Admin {
        self.admin(&self.owner_key)
    }

    /// Every audit record written so far.
    pub fn audit(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.data_dir.join("audit.jsonl")).unwrap_or_default();
        text.lines().map(|line| serde_json::from_str(line).expect("audit line is JSON")).collect()
    }

    /// The audit log as text.
    pub fn audit_text(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("audit.jsonl")).unwrap_or_default()
    }
}

fn operator_command(data_dir: &std::path::Path, config: Option<&std::path::Path>, args: &[&str]) -> OperatorOutput {
    let mut command = std::process::Command::new(enterprise_binary());
    command.arg("admin").arg("--data-dir").arg(data_dir);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let output = command
        .args(args)
        .env_remove("DECISION_GATE_ENTERPRISE_HOME")
        .env_remove("DECISION_GATE_ENTERPRISE_CONFIG")
        .output()
        .expect("admin command runs");
    OperatorOutput {
        code: output.status.code().unwrap_or(-1),
        json: serde_json::from_str(&String::from_utf8_lossy(&output.stdout)).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// An admin API client.
pub struct Admin {
    http: RawHttp,
    authorization: String,
}

impl Admin {
    /// A client over `http` acting with `key`.
    pub fn with(http: RawHttp, key: &str) -> Self {
        Admin { http, authorization: format!("Bearer {key}") }
    }

    /// One request; the status and the JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let response = self.raw(method, path, body).await;
        let json = if response.body.is_empty() { Value::Null } else { response.json() };
        (response.status, json)
    }

    /// One request, the whole response.
    pub async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> RawResponse {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let headers = [("authorization", self.authorization.as_str()), ("content-type", "application/json")];
        let body = body.map(|body| serde_json::to_vec(&body).expect("serialise"));
        self.http.send(method, path, &headers, body).await.expect("admin request")
    }

    /// Creates a tenant of the caller's organisation; its id.
    pub async fn tenant(&self, name: &str) -> u64 {
        let (status, tenant) = self.call("POST", "/admin/v1/tenants", Some(json!({"name": name}))).await;
        assert_eq!(status, 201, "{tenant}");
        tenant["tenant_id"].as_u64().expect("tenant id")
    }

    /// Issues a key on `tenant` with `roles`; the token.
    pub async fn key(&self, tenant: u64, roles: &[&str]) -> String {
        self.key_with(tenant, json!({"name": "test key", "roles": roles})).await
    }

    /// Issues a key with a whole request body; the token.
    pub async fn key_with(&self, tenant: u64, body: Value) -> String {
        let (status, issued) = self.call("POST", &format!("/admin/v1/tenants/{tenant}/keys"), Some(body)).await;
        assert_eq!(status, 201, "{issued}");
        issued["token"].as_str().expect("token").to_owned()
    }
}

/// A caller of `/mcp`: a raw client and, for API keys, its bearer header.
pub struct Caller {
    /// The client (with a client certificate for mTLS callers).
    pub http: RawHttp,
    /// `Bearer …` for API-key callers.
    pub authorization: Option<String>,
}

/// The protocol revision of raw calls.
pub const PROTOCOL: &str = "2025-06-18";

impl Caller {
    /// `tools/call` with a fixed JSON-RPC id (so answers can be compared byte for byte).
    pub async fn call(&self, id: u64, tool: &str, arguments: Value) -> RawResponse {
        let message = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                             "params": {"name": tool, "arguments": arguments}});
        self.send(&message).await
    }

    /// Any JSON-RPC message.
    pub async fn send(&self, message: &Value) -> RawResponse {
        let mut headers = vec![("mcp-protocol-version", PROTOCOL)];
        if let Some(authorization) = &self.authorization {
            headers.push(("authorization", authorization.as_str()));
        }
        self.http.mcp(message, &headers).await
    }

    /// The tool names `tools/list` shows.
    pub async fn tool_names(&self) -> Vec<String> {
        let listed = self.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await.json();
        listed["result"]["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .map(|tool| tool["name"].as_str().expect("name").to_owned())
            .collect()
    }
}

/// The structured result of a successful call (panics on an error with the body).
pub fn structured(response: &RawResponse) -> Value {
    let body = response.json();
    let result = &body["result"];
    assert!(result["isError"] != true && body.get("error").is_none(), "call failed: {body}");
    result["structuredContent"].clone()
}

/// The tool error of a call's answer: `(code, message)`; `None` for a success.
pub fn tool_error(response: &RawResponse) -> Option<(i64, String)> {
    let body = response.json();
    if let Some(error) = body.get("error") {
        return Some((error["code"].as_i64()?, error["message"].as_str()?.to_owned()));
    }
    let error = &body["result"]["structuredContent"]["error"];
    (body["result"]["isError"] == true)
        .then(|| (error["code"].as_i64().unwrap_or(0), error["message"].as_str().unwrap_or("").to_owned()))
}

/// A logical timestamp.
pub fn logical(value: u64) -> Value {
    json!({"kind": "logical", "value": value})
}
