//! Shared plumbing of the built-in providers: construction from `[[providers]]` entries,
//! strict `config` decoding, parameter access and result builders.
//!
//! Every built-in implements [`ProviderBackend`], the same synchronous trait external providers
//! implement, so the federation treats them alike.

use std::sync::Arc;

use decision_gate_core::evidence::{EvidenceAnchor, EvidenceResult, EvidenceResultError, TrustLane};
use decision_gate_core::ports::EvidenceError;
use decision_gate_core::spec::EvidenceQuery;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::ProviderSetupError;
use super::env::EnvProvider;
use super::federation::ProviderBackend;
use super::http::HttpProvider;
use super::json::JsonProvider;
use super::time::TimeProvider;
use crate::config::ProviderConfig;

/// Builds the backend of a built-in provider entry.
///
/// `handle` drives the asynchronous HTTP client of the `http` provider. Unknown names are a
/// configuration error (the capability registry reports them first as `contract_missing`).
pub(crate) fn build_builtin(
    provider: &ProviderConfig,
    handle: &tokio::runtime::Handle,
) -> Result<Arc<dyn ProviderBackend>, ProviderSetupError> {
    let config = provider.config.as_ref();
    let invalid = |message: String| ProviderSetupError::InvalidConfig { provider: provider.name.clone(), message };
    Ok(match provider.name.as_str() {
        "time" => Arc::new(TimeProvider::new(decode_config(&provider.name, config)?.unwrap_or_default())),
        "env" => Arc::new(EnvProvider::new(decode_config(&provider.name, config)?.unwrap_or_default())),
        "json" => Arc::new(JsonProvider::new(decode_config(&provider.name, config)?).map_err(invalid)?),
        "http" => Arc::new(
            HttpProvider::new(decode_config(&provider.name, config)?.unwrap_or_default(), handle.clone())
                .map_err(invalid)?,
        ),
        other => return Err(invalid(format!("no built-in provider is named {other:?}"))),
    })
}

/// Decodes an optional `config` table. When present it must name every non-optional field and
/// nothing else (the config structs deny unknown fields and have no per-field defaults).
pub(crate) fn decode_config<T: DeserializeOwned>(
    provider: &str,
    config: Option<&Value>,
) -> Result<Option<T>, ProviderSetupError> {
    config
        .map(|value| {
            serde_json::from_value(value.clone()).map_err(|err| ProviderSetupError::InvalidConfig {
                provider: provider.to_owned(),
                message: err.to_string(),
            })
        })
        .transpose()
}

/// Why a query's parameters could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamsProblem {
    /// `params` absent.
    Missing,
    /// `params` not an object.
    NotObject,
    /// The field is absent.
    FieldMissing,
    /// The field has the wrong type.
    FieldNotString,
}

/// The `params` object of a query.
pub(crate) fn params_object(query: &EvidenceQuery) -> Result<&Map<String, Value>, ParamsProblem> {
    match &query.params {
        None => Err(ParamsProblem::Missing),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(ParamsProblem::NotObject),
    }
}

/// A required string field of the `params` object.
pub(crate) fn string_param<'a>(query: &'a EvidenceQuery, field: &str) -> Result<&'a str, ParamsProblem> {
    match params_object(query)?.get(field) {
        None => Err(ParamsProblem::FieldMissing),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(ParamsProblem::FieldNotString),
    }
}

/// A provider error describing a parameter problem of `check`.
pub(crate) fn params_error(provider: &str, field: &str, problem: ParamsProblem) -> EvidenceError {
    EvidenceError(match problem {
        ParamsProblem::Missing => format!("{provider} check requires params"),
        ParamsProblem::NotObject => format!("{provider} params must be an object"),
        ParamsProblem::FieldMissing => format!("{provider} params need the {field} field"),
        ParamsProblem::FieldNotString => format!("{provider} param {field} must be a string"),
    })
}

/// A verified result with a JSON value, content type and anchor; hash left for the engine.
pub(crate) fn value_result(value: Value, content_type: &str, anchor: EvidenceAnchor) -> EvidenceResult {
    EvidenceResult {
        content_type: Some(content_type.to_owned()),
        evidence_anchor: Some(anchor),
        lane: TrustLane::Verified,
        ..EvidenceResult::json(value)
    }
}

/// A verified result carrying an in-band error.
pub(crate) fn error_result(code: &str, message: impl Into<String>, details: Option<Value>) -> EvidenceResult {
    EvidenceResult {
        error: Some(EvidenceResultError { code: code.to_owned(), message: message.into(), details }),
        lane: TrustLane::Verified,
        ..EvidenceResult::default()
    }
}

/// An anchor of the given type and value.
pub(crate) fn anchor(anchor_type: &str, anchor_value: impl Into<String>) -> EvidenceAnchor {
    EvidenceAnchor { anchor_type: anchor_type.to_owned(), anchor_value: anchor_value.into() }
}
