//! Logging and Prometheus metrics (mcp-surface §14.1). Labels are bounded: no correlation ids,
//! request ids, principals, tenants, runs or raw tool names (unknown names become `unknown`).

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::tools::catalogue::ToolName;

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

const DURATION_BUCKETS: &[f64] = &[0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const SIZE_BUCKETS: &[f64] = &[64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0];

/// Installs the process-wide Prometheus recorder once; returns its render handle.
pub fn prometheus() -> Option<PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("decision_gate_request_duration_seconds".to_owned()),
                    DURATION_BUCKETS,
                )
                .ok()?
                .set_buckets_for_metric(Matcher::Suffix("_bytes".to_owned()), SIZE_BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .clone()
}

/// How logs are written to stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Short human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Logs to stderr (stdout belongs to the stdio transport), filtered by `RUST_LOG` (default
/// `warn`).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    let _ = match format {
        LogFormat::Text => builder.compact().try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// A bounded tool label.
pub fn tool_label(tool: Option<&str>) -> &'static str {
    match tool {
        None => "",
        Some(name) => ToolName::from_name(name).map_or("unknown", ToolName::as_str),
    }
}

/// One finished request, as counted by the metrics.
#[derive(Clone, Debug)]
pub struct RequestMetric<'a> {
    /// `stdio` | `http` | `sse`.
    pub transport: &'static str,
    /// `/mcp`, `/rpc`, or empty for stdio.
    pub endpoint: &'static str,
    /// `tools/list`, `tools/call`, `initialize`, `ping`, `notification`, `invalid`, `other`.
    pub method: &'static str,
    /// Tool name (bounded by `tool_label`).
    pub tool: Option<&'a str>,
    /// Error kind, if the request failed.
    pub error_kind: Option<&'static str>,
    /// Request size.
    pub request_bytes: usize,
    /// Response size.
    pub response_bytes: usize,
    /// Time spent.
    pub duration: Duration,
}

/// Records a request in the counters and histograms.
pub fn record_request(metric: &RequestMetric<'_>) {
    let tool = tool_label(metric.tool);
    let outcome = if metric.error_kind.is_some() { "error" } else { "ok" };
    metrics::counter!(
        "decision_gate_requests_total",
        "transport" => metric.transport,
        "endpoint" => metric.endpoint,
        "method" => metric.method,
        "tool" => tool,
        "outcome" => outcome,
        "error_kind" => metric.error_kind.unwrap_or(""),
    )
    .increment(1);
    metrics::histogram!(
        "decision_gate_request_duration_seconds",
        "transport" => metric.transport,
        "endpoint" => metric.endpoint,
        "method" => metric.method,
        "tool" => tool,
    )
    .record(metric.duration.as_secs_f64());
    metrics::histogram!("decision_gate_request_bytes", "transport" => metric.transport, "endpoint" => metric.endpoint)
        .record(metric.request_bytes as f64);
    metrics::histogram!("decision_gate_response_bytes", "transport" => metric.transport, "endpoint" => metric.endpoint)
        .record(metric.response_bytes as f64);
}

/// Counts a `/mcp` request answered on the lean path (`decision_gate_mcp_lean_requests_total`).
pub fn record_lean_request() {
    metrics::counter!("decision_gate_mcp_lean_requests_total").increment(1);
}

/// Metrics method class of a JSON-RPC method name.
pub fn method_class(method: Option<&str>, is_notification: bool) -> &'static str {
    if is_notification {
        return "notification";
    }
    match method {
        Some("tools/list") => "tools/list",
        Some("tools/call") => "tools/call",
        Some("initialize") => "initialize",
        Some("ping") => "ping",
        Some(_) => "other",
        None => "invalid",
    }
}

/// Audit method label of a JSON-RPC method name.
pub fn audit_method(method: Option<&str>) -> &'static str {
    match method {
        Some("tools/list") => "ToolsList",
        Some("tools/call") => "ToolsCall",
        Some("resources/list") => "ResourcesList",
        Some("resources/read") => "ResourcesRead",
        Some(_) => "Other",
        None => "Invalid",
    }
}
