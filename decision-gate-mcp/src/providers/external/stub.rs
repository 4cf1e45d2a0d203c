//! **Test double**: a stub external evidence provider.
//!
//! Not part of the server. It exists so that the external-provider client can be tested
//! against real processes and real HTTP endpoints; it is shipped as the
//! `decision-gate-stub-provider` binary (integration tests find it through
//! `CARGO_BIN_EXE_decision-gate-stub-provider`) and can run in-process ([`serve_http`]).
//!
//! It serves one tool, `evidence_query`, answering by `query.check_id`:
//!
//! | check | answer |
//! |---|---|
//! | `pid` | the process id |
//! | `calls` | how many `tools/call` this process has answered (this one included) |
//! | `context` | `{"arguments", "header" (x-correlation-id), "request_id", "session"}`: the arguments as received, the JSON-RPC id, and how the caller connected (rmcp: `protocol_version`, `client_name`; hand-written loop: `methods` received so far) |
//! | `sleep` | `true` after sleeping `params.ms` milliseconds |
//! | `big` | a string of `params.bytes` (default 1,200,000) characters |
//! | `is_error` | an `isError: true` result with text `stub tool failure` |
//! | `rpc_error` | JSON-RPC error -32000 `stub rpc failure` |
//! | `not_evidence` | a text item that is not JSON |
//! | `crash` | the process exits with status 3 without answering |
//! | `wrong_id`, `malformed`, `no_result` | (raw mode only) a response with another id, a line that is not JSON, a response without `result` |
//! | anything else | `params.value`, else the fixture (`count` 42, `flag` true, `name` "stub"), else null |
//!
//! Options (command line): `--http ADDR` (serve Streamable HTTP at `/mcp` instead of stdio;
//! prints `listening on http://ADDR/mcp`), `--framing newline|content-length`, `--oss` (a
//! Decision Gate OSS-era provider: no handshake, `initialize` answered with -32601),
//! `--legacy` (only protocol versions with `initialize`), `--shape structured|text|json`
//! (result content: `structuredContent`, a text item or an OSS `json` item), `--delay-ms N`
//! (every call), `--crash-after N` (exit after N calls), `--exit-after-ms N` (exit N ms after
//! start, even when idle), `--bearer TOKEN` (HTTP: required
//! bearer token), `--raw` (hand-written loop even for MCP).
//!
//! MCP over newline stdio and HTTP uses rmcp's server; the OSS dialect, `Content-Length`
//! framing, the `json` shape and `--raw` use a hand-written loop.

use std::borrow::Cow;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use decision_gate_core::evidence::EvidenceResult;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorCode, Implementation, JsonObject,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig, Tool, ToolsCapability,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufReader};

use super::framing::{Inbound, frame, read_content_length_message, read_line_message};
use crate::config::StdioFraming;

/// How results are shaped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shape {
    /// `structuredContent` (plus the usual text item).
    #[default]
    Structured,
    /// One text item holding the EvidenceResult JSON.
    Text,
    /// One `{"type":"json","json":…}` item (Decision Gate OSS).
    Json,
}

/// Stub behaviour.
#[derive(Clone, Debug, Default)]
pub struct StubOptions {
    /// stdio framing.
    pub framing: StdioFraming,
    /// Decision Gate OSS-era: no handshake, `initialize` answered with -32601.
    pub oss: bool,
    /// Only protocol versions with `initialize` (no `server/discover`).
    pub legacy: bool,
    /// Result shape.
    pub shape: Shape,
    /// Delay before every answer, in milliseconds.
    pub delay_ms: u64,
    /// Exit after this many calls.
    pub crash_after: Option<u64>,
    /// HTTP: required bearer token.
    pub bearer_token: Option<String>,
    /// Use the hand-written loop even for MCP.
    pub raw: bool,
    /// Exit (status 4) this many milliseconds after start, busy or not.
    pub exit_after_ms: Option<u64>,
}

impl StubOptions {
    /// Whether the hand-written loop is needed.
    fn raw_loop(&self) -> bool {
        self.raw || self.oss || self.framing == StdioFraming::ContentLength || self.shape == Shape::Json
    }
}

/// One answer of the stub.
enum Answer {
    Evidence(Value),
    ToolError(String),
    RpcError(String),
    NotEvidence,
    /// Raw-loop-only misbehaviour (by check id).
    Misbehave(String),
}

/// The stub's state.
#[derive(Debug)]
struct Stub {
    options: StubOptions,
    calls: AtomicU64,
    /// Methods received by the hand-written loop, in order.
    methods: std::sync::Mutex<Vec<String>>,
}

impl Stub {
    fn new(options: StubOptions) -> Self {
        Stub { options, calls: AtomicU64::new(0), methods: std::sync::Mutex::default() }
    }
}

impl Stub {
    /// Answers one call. `session` describes how the caller connected (shown by `context`).
    async fn answer(&self, arguments: &Value, header: Option<String>, request_id: Value, session: Value) -> Answer {
        let calls = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.options.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.options.delay_ms)).await;
        }
        if self.options.crash_after.is_some_and(|limit| calls > limit) {
            std::process::exit(3);
        }
        let query = &arguments["query"];
        let params = &query["params"];
        match query["check_id"].as_str().unwrap_or_default() {
            "pid" => Answer::Evidence(json!(std::process::id())),
            "calls" => Answer::Evidence(json!(calls)),
            "context" => Answer::Evidence(json!({
                "arguments": arguments, "header": header, "request_id": request_id, "session": session,
            })),
            "sleep" => {
                tokio::time::sleep(Duration::from_millis(params["ms"].as_u64().unwrap_or(0))).await;
                Answer::Evidence(json!(true))
            }
            "big" => {
                let bytes = params["bytes"].as_u64().and_then(|n| usize::try_from(n).ok()).unwrap_or(1_200_000);
                Answer::Evidence(Value::String("x".repeat(bytes)))
            }
            "is_error" => Answer::ToolError("stub tool failure".to_owned()),
            "rpc_error" => Answer::RpcError("stub rpc failure".to_owned()),
            "not_evidence" => Answer::NotEvidence,
            "crash" => std::process::exit(3),
            check @ ("wrong_id" | "malformed" | "no_result") => Answer::Misbehave(check.to_owned()),
            check => {
                let fixture = match check {
                    "count" => json!(42),
                    "flag" => json!(true),
                    "name" => json!("stub"),
                    _ => Value::Null,
                };
                Answer::Evidence(params.get("value").cloned().unwrap_or(fixture))
            }
        }
    }
}

/// The `tools/call` result for an evidence value in `shape`.
fn evidence_result(value: Value, shape: Shape) -> Value {
    let result = serde_json::to_value(EvidenceResult::json(value)).unwrap_or(Value::Null);
    match shape {
        Shape::Structured => json!({
            "content": [{"type": "text", "text": result.to_string()}],
            "structuredContent": result,
            "isError": false,
        }),
        Shape::Text => json!({"content": [{"type": "text", "text": result.to_string()}], "isError": false}),
        Shape::Json => json!({"content": [{"type": "json", "json": result}]}),
    }
}

// ---------------------------------------------------------------------------------------------
// rmcp server (MCP over newline stdio and Streamable HTTP)

const LEGACY_VERSIONS: &[ProtocolVersion] = &[ProtocolVersion::V_2025_06_18, ProtocolVersion::V_2025_11_25];
const ALL_VERSIONS: &[ProtocolVersion] =
    &[ProtocolVersion::V_2025_06_18, ProtocolVersion::V_2025_11_25, ProtocolVersion::V_2026_07_28];

/// The rmcp handler of the stub.
#[derive(Clone, Debug)]
struct StubHandler(Arc<Stub>);

impl ServerHandler for StubHandler {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder().enable_tools_with(ToolsCapability::default()).build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("decision-gate-stub-provider", env!("CARGO_PKG_VERSION")))
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(if self.0.options.legacy { LEGACY_VERSIONS } else { ALL_VERSIONS })
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema: JsonObject = serde_json::from_value(json!({"type": "object"})).unwrap_or_default();
        Ok(ListToolsResult::with_all_items(vec![Tool::new("evidence_query", "Stub evidence", Arc::new(schema))]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name != "evidence_query" {
            return Err(ErrorData::invalid_params(format!("unknown tool: {}", request.name), None));
        }
        let header = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.headers.get("x-correlation-id"))
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        let request_id = serde_json::to_value(&context.id).unwrap_or(Value::Null);
        let session = json!({
            "protocol_version": context.protocol_version().map(|version| version.as_str().to_owned()),
            "client_name": context.client_info().map(|info| info.name),
        });
        match self.0.answer(&arguments, header, request_id, session).await {
            Answer::Evidence(value) => {
                let result = serde_json::from_value::<CallToolResult>(evidence_result(value, self.0.options.shape))
                    .map_err(|err| ErrorData::internal_error(err.to_string(), None))?;
                Ok(result.into())
            }
            Answer::ToolError(text) => Ok(CallToolResult::error(vec![ContentBlock::text(text)]).into()),
            Answer::RpcError(message) => Err(ErrorData::new(ErrorCode(-32000), message, None)),
            Answer::NotEvidence => Ok(CallToolResult::success(vec![ContentBlock::text("not evidence")]).into()),
            Answer::Misbehave(check) => Err(ErrorData::invalid_params(format!("{check} needs --raw"), None)),
        }
    }
}

/// The HTTP routes of the stub: Streamable HTTP at `/mcp` (sessions issued to `initialize`
/// clients and kept in `sessions`), and `/redirect` answering 307 to `/mcp`. With a bearer
/// token every request must present it (else 401).
pub fn http_router(options: StubOptions, sessions: Arc<LocalSessionManager>) -> axum::Router {
    let bearer = options.bearer_token.clone();
    let handler = StubHandler(Arc::new(Stub::new(options)));
    let service = StreamableHttpService::new(
        move || Ok(handler.clone()),
        sessions,
        StreamableHttpServerConfig::default().with_sse_keep_alive(None),
    );
    let guard = axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| {
        let bearer = bearer.clone();
        async move {
            if let Some(token) = bearer {
                let presented = request.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
                if presented != Some(format!("Bearer {token}").as_str()) {
                    return axum::response::IntoResponse::into_response(http::StatusCode::UNAUTHORIZED);
                }
            }
            next.run(request).await
        }
    });
    let redirect = || async { (http::StatusCode::TEMPORARY_REDIRECT, [(http::header::LOCATION, "/mcp")]) };
    axum::Router::new().nest_service("/mcp", service).route("/redirect", axum::routing::post(redirect)).layer(guard)
}

/// Serves [`http_router`] on `listener` until the future is dropped.
pub async fn serve_http(listener: tokio::net::TcpListener, options: StubOptions) -> std::io::Result<()> {
    axum::serve(listener, http_router(options, Arc::default())).await
}

// ---------------------------------------------------------------------------------------------
// Hand-written loop (OSS dialect, Content-Length framing, `json` shape)

/// One reply of the hand-written loop: a JSON message, or raw bytes (misbehaviour).
fn raw_reply(id: &Value, answer: Answer, shape: Shape) -> Result<Value, Vec<u8>> {
    let result = match answer {
        Answer::Evidence(value) => evidence_result(value, shape),
        Answer::ToolError(text) => json!({"content": [{"type": "text", "text": text}], "isError": true}),
        Answer::RpcError(message) => {
            return Ok(json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32000, "message": message}}));
        }
        Answer::NotEvidence => json!({"content": [{"type": "text", "text": "not evidence"}]}),
        Answer::Misbehave(check) => match check.as_str() {
            "wrong_id" => return Ok(json!({"jsonrpc": "2.0", "id": "not-the-request", "result": {}})),
            "no_result" => return Ok(json!({"jsonrpc": "2.0", "id": id})),
            _ => return Err(b"this is not json".to_vec()),
        },
    };
    Ok(json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

/// Answers one request of the hand-written loop (`None` for notifications).
async fn raw_dispatch(stub: &Stub, message: &Value) -> Option<Result<Value, Vec<u8>>> {
    let method = message["method"].as_str().unwrap_or_default();
    if let Ok(mut methods) = stub.methods.lock() {
        methods.push(method.to_owned());
    }
    let id = message.get("id")?.clone();
    let not_found =
        || Ok(json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "method not found"}}));
    Some(match method {
        "tools/call" => {
            let methods = stub.methods.lock().map(|methods| methods.clone()).unwrap_or_default();
            let answer =
                stub.answer(&message["params"]["arguments"], None, id.clone(), json!({"methods": methods})).await;
            raw_reply(&id, answer, stub.options.shape)
        }
        "initialize" if !stub.options.oss => Ok(json!({"jsonrpc": "2.0", "id": id, "result": {
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "decision-gate-stub-provider", "version": env!("CARGO_PKG_VERSION")},
        }})),
        "ping" => Ok(json!({"jsonrpc": "2.0", "id": id, "result": {}})),
        _ => not_found(),
    })
}

async fn write_framed<W: AsyncWrite + Unpin>(out: &mut W, framing: StdioFraming, body: &[u8]) -> std::io::Result<()> {
    out.write_all(&frame(framing, body)).await?;
    out.flush().await
}

/// The hand-written loop over stdin/stdout.
async fn serve_raw(stub: Stub) -> std::io::Result<()> {
    let framing = stub.options.framing;
    let mut input = BufReader::new(tokio::io::stdin());
    let mut output = tokio::io::stdout();
    loop {
        let item = match framing {
            StdioFraming::Newline => read_line_message(&mut input).await?,
            StdioFraming::ContentLength => read_content_length_message(&mut input).await?,
        };
        let Some(Inbound::Message(bytes)) = item else {
            if item.is_none() {
                return Ok(());
            }
            continue;
        };
        let Ok(message) = serde_json::from_slice::<Value>(&bytes) else { continue };
        match raw_dispatch(&stub, &message).await {
            None => {}
            Some(Ok(reply)) => write_framed(&mut output, framing, reply.to_string().as_bytes()).await?,
            // Misbehaviour is written as is, in the session's framing.
            Some(Err(bytes)) => write_framed(&mut output, framing, &bytes).await?,
        }
    }
}

/// Serves stdin/stdout with `options`.
pub async fn serve_stdio(options: StubOptions) -> std::io::Result<()> {
    if let Some(ms) = options.exit_after_ms {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            std::process::exit(4);
        });
    }
    let raw = options.raw_loop();
    let stub = Stub::new(options);
    if raw {
        return serve_raw(stub).await;
    }
    let running = StubHandler(Arc::new(stub))
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|err| std::io::Error::other(err.to_string()))?;
    running.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}

/// Parses command-line options (module docs); returns the options and the HTTP address.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<(StubOptions, Option<String>), String> {
    let mut options = StubOptions::default();
    let mut http = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |text: String| text.parse::<u64>().map_err(|_| format!("not a number: {text}"));
        match arg.as_str() {
            "--http" => http = Some(value()?),
            "--framing" => {
                options.framing = match value()?.as_str() {
                    "newline" => StdioFraming::Newline,
                    "content-length" | "content_length" => StdioFraming::ContentLength,
                    other => return Err(format!("unknown framing {other}")),
                }
            }
            "--shape" => {
                options.shape = match value()?.as_str() {
                    "structured" => Shape::Structured,
                    "text" => Shape::Text,
                    "json" => Shape::Json,
                    other => return Err(format!("unknown shape {other}")),
                }
            }
            "--delay-ms" => options.delay_ms = number(value()?)?,
            "--crash-after" => options.crash_after = Some(number(value()?)?),
            "--exit-after-ms" => options.exit_after_ms = Some(number(value()?)?),
            "--bearer" => options.bearer_token = Some(value()?),
            "--oss" => options.oss = true,
            "--legacy" => options.legacy = true,
            "--raw" => options.raw = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok((options, http))
}

/// Entry point of the `decision-gate-stub-provider` binary.
pub fn main() -> ExitCode {
    let (options, http) = match parse_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("decision-gate-stub-provider: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("decision-gate-stub-provider: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match http {
            Some(address) => {
                let listener = tokio::net::TcpListener::bind(&address).await?;
                println!("listening on http://{}/mcp", listener.local_addr()?);
                serve_http(listener, options).await
            }
            None => serve_stdio(options).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("decision-gate-stub-provider: {err}");
            ExitCode::FAILURE
        }
    }
}
