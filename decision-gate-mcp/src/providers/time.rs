//! Built-in `time` provider (mcp-surface §10.2).
//!
//! Answers from `context.trigger_time` only; the host clock is never read, so replays are
//! exact. Results are verified JSON with content type `application/json`, an anchor
//! `trigger_time_unix_millis` or `trigger_time_logical` whose value is the trigger number in
//! decimal, and no evidence hash (the engine computes it).

use decision_gate_core::evidence::{EvidenceContext, EvidenceResult};
use decision_gate_core::ports::EvidenceError;
use decision_gate_core::spec::EvidenceQuery;
use decision_gate_core::time::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use super::builtin::{ParamsProblem, anchor, params_error, params_object, value_result};
use super::federation::ProviderBackend;

/// `config` of the `time` provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeProviderConfig {
    /// Whether logical trigger times may be evaluated (default `true`).
    pub allow_logical: bool,
}

impl Default for TimeProviderConfig {
    fn default() -> Self {
        TimeProviderConfig { allow_logical: true }
    }
}

/// The `time` provider: checks `now`, `after` and `before`.
#[derive(Clone, Debug, Default)]
pub struct TimeProvider {
    config: TimeProviderConfig,
}

impl TimeProvider {
    /// Builds the provider.
    pub fn new(config: TimeProviderConfig) -> Self {
        TimeProvider { config }
    }

    fn check_logical_allowed(&self, trigger: Timestamp) -> Result<(), EvidenceError> {
        if matches!(trigger, Timestamp::Logical(_)) && !self.config.allow_logical {
            return Err(EvidenceError("logical trigger times are disabled for the time provider".to_owned()));
        }
        Ok(())
    }
}

impl ProviderBackend for TimeProvider {
    fn query(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        let trigger = ctx.trigger_time;
        let value = match query.check_id.as_str() {
            "now" => {
                self.check_logical_allowed(trigger)?;
                match trigger {
                    Timestamp::UnixMillis(millis) => Value::from(millis),
                    Timestamp::Logical(counter) => Value::from(counter),
                }
            }
            check @ ("after" | "before") => {
                self.check_logical_allowed(trigger)?;
                let threshold = parse_threshold(query, trigger)?;
                Value::Bool(compare(trigger, threshold, check == "after"))
            }
            other => return Err(EvidenceError(format!("unsupported time check: {other}"))),
        };
        Ok(value_result(value, "application/json", trigger_anchor(trigger)))
    }
}

/// The anchor of a trigger time: its kind and the number as a decimal string.
pub(crate) fn trigger_anchor(trigger: Timestamp) -> decision_gate_core::evidence::EvidenceAnchor {
    match trigger {
        Timestamp::UnixMillis(millis) => anchor("trigger_time_unix_millis", millis.to_string()),
        Timestamp::Logical(counter) => anchor("trigger_time_logical", counter.to_string()),
    }
}

/// Reads `params.timestamp` as a threshold of the trigger's kind.
///
/// Unix-millisecond triggers take an integer (milliseconds, fitting `i64`) or an RFC 3339
/// date-time string. Logical triggers take an unsigned integer; a valid RFC 3339 string is a
/// Unix-millisecond threshold and therefore of the other kind (the comparison is false).
fn parse_threshold(query: &EvidenceQuery, trigger: Timestamp) -> Result<Timestamp, EvidenceError> {
    let params = params_object(query).map_err(|problem| params_error("time", "timestamp", problem))?;
    let value =
        params.get("timestamp").ok_or_else(|| params_error("time", "timestamp", ParamsProblem::FieldMissing))?;
    match (value, trigger) {
        (Value::String(text), _) => parse_rfc3339(text).map(Timestamp::UnixMillis),
        (Value::Number(number), Timestamp::UnixMillis(_)) => integral(number)
            .and_then(|raw| i64::try_from(raw).ok())
            .map(Timestamp::UnixMillis)
            .ok_or_else(|| EvidenceError("timestamp must be an integer number of milliseconds within i64".to_owned())),
        (Value::Number(number), Timestamp::Logical(_)) => integral(number)
            .and_then(|raw| u64::try_from(raw).ok())
            .map(Timestamp::Logical)
            .ok_or_else(|| EvidenceError("a logical threshold must be an unsigned integer".to_owned())),
        _ => Err(EvidenceError("timestamp must be an integer or an RFC 3339 string".to_owned())),
    }
}

/// The integer a JSON number denotes: exact integers, or floats with no fractional part that
/// are exactly representable (JSON Schema counts `5.0` as an integer, so the contract does too).
fn integral(number: &serde_json::Number) -> Option<i128> {
    if let Some(raw) = number.as_i64() {
        return Some(i128::from(raw));
    }
    if let Some(raw) = number.as_u64() {
        return Some(i128::from(raw));
    }
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    let float = number.as_f64()?;
    // Integral and within 2^53, so the conversion is exact.
    (float.fract() == 0.0 && float.abs() <= EXACT).then_some(float as i128)
}

/// Parses an RFC 3339 date-time into Unix milliseconds (offsets honoured).
fn parse_rfc3339(text: &str) -> Result<i64, EvidenceError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.timestamp_millis())
        .map_err(|_| EvidenceError("timestamp is not a valid RFC 3339 date-time".to_owned()))
}

/// `after`: trigger > threshold; `before`: trigger < threshold; different kinds: false.
pub(crate) fn compare(trigger: Timestamp, threshold: Timestamp, after: bool) -> bool {
    let ordering = match (trigger, threshold) {
        (Timestamp::UnixMillis(now), Timestamp::UnixMillis(limit)) => now.cmp(&limit),
        (Timestamp::Logical(now), Timestamp::Logical(limit)) => now.cmp(&limit),
        _ => return false,
    };
    if after { ordering.is_gt() } else { ordering.is_lt() }
}
