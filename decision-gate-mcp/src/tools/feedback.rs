//! Feedback disclosure for `scenario_next` (mcp-surface §6.6).

use decision_gate_core::engine::explain_gates;
use decision_gate_core::evidence::{RawValuePolicy, redact_evidence_result};
use decision_gate_core::ids::{NamespaceId, TenantId, TriggerId};
use decision_gate_core::run::RunState;
use decision_gate_core::spec::ScenarioSpec;
use serde_json::{Map, Value, json};

use crate::config::{FeedbackLevel, ScenarioNextFeedbackConfig};
use crate::pipeline::CallContext;

fn label(level: FeedbackLevel) -> &'static str {
    match level {
        FeedbackLevel::Summary => "summary",
        FeedbackLevel::Trace => "trace",
        FeedbackLevel::Evidence => "evidence",
    }
}

/// The level granted for one call and why a request was lowered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackGrant {
    /// Granted level.
    pub level: FeedbackLevel,
    /// `feedback level denied (requested=<x>, allowed=<y>)` when lowered.
    pub denied_reason: Option<String>,
    /// Whether a `feedback` object appears in the result.
    pub include: bool,
}

/// Decides the feedback level: the requested level or the caller's default, capped at `max`,
/// lowered to what the principal is permitted (evidence ⇒ trace ⇒ summary).
pub fn grant(
    config: &ScenarioNextFeedbackConfig,
    ctx: &CallContext,
    requested: Option<FeedbackLevel>,
    tenant: TenantId,
    namespace: NamespaceId,
) -> FeedbackGrant {
    let default = if ctx.principal.local { config.local_only_default } else { config.default };
    let target = requested.unwrap_or(default);
    let principal_id = ctx.principal.principal_id();
    let roles = ctx.principal.roles_in_scope(tenant, Some(namespace));
    let permitted = |subjects: &[String], allowed_roles: &[String]| {
        subjects.contains(&principal_id) || roles.iter().any(|role| allowed_roles.contains(role))
    };
    let trace_ok = permitted(&config.trace_subjects, &config.trace_roles);
    let evidence_ok = permitted(&config.evidence_subjects, &config.evidence_roles);
    let capped = target.min(config.max);
    let level = match capped {
        FeedbackLevel::Evidence if evidence_ok => FeedbackLevel::Evidence,
        FeedbackLevel::Evidence | FeedbackLevel::Trace if trace_ok => FeedbackLevel::Trace,
        _ => FeedbackLevel::Summary,
    };
    let denied_reason = (level < target)
        .then(|| format!("feedback level denied (requested={}, allowed={})", label(target), label(level)));
    let include = !(level == FeedbackLevel::Summary && requested.is_none() && denied_reason.is_none());
    FeedbackGrant { level, denied_reason, include }
}

/// Builds the `feedback` object from the run state after the call.
pub fn feedback_object(
    grant: &FeedbackGrant,
    state: Option<&RunState>,
    spec: &ScenarioSpec,
    trigger_id: &TriggerId,
    raw: RawValuePolicy,
    provider_allows_raw: &dyn Fn(&str) -> bool,
) -> Value {
    let mut feedback = Map::new();
    feedback.insert("level".into(), json!(label(grant.level)));
    if let Some(reason) = &grant.denied_reason {
        feedback.insert("denied_reason".into(), json!(reason));
    }
    if grant.level >= FeedbackLevel::Trace
        && let Some(state) = state
    {
        let records: Vec<_> = state.gate_evals.iter().filter(|record| &record.trigger_id == trigger_id).collect();
        let evaluations: Vec<Value> =
            records.iter().map(|record| serde_json::to_value(&record.evaluation).unwrap_or(Value::Null)).collect();
        feedback.insert("gate_evaluations".into(), Value::Array(evaluations));
        // Why the stage holds, condition by condition (reason classes; no evidence values).
        let unmet = explain_gates(spec, records.iter().copied());
        feedback.insert("unmet_conditions".into(), serde_json::to_value(&unmet).unwrap_or(Value::Null));
        if grant.level == FeedbackLevel::Evidence {
            let gate_records: Vec<Value> = records
                .iter()
                .map(|record| {
                    let mut record = (*record).clone();
                    for evidence in &mut record.evidence {
                        let provider = spec
                            .condition(&evidence.condition_id)
                            .map(|condition| condition.query.provider_id.as_str().to_owned())
                            .unwrap_or_default();
                        let allowed = raw.raw_allowed(provider_allows_raw(&provider));
                        evidence.result = redact_evidence_result(&evidence.result, allowed);
                    }
                    serde_json::to_value(record).unwrap_or(Value::Null)
                })
                .collect();
            feedback.insert("gate_records".into(), Value::Array(gate_records));
        }
    }
    Value::Object(feedback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Principal;

    fn ctx(principal: Principal) -> CallContext {
        CallContext { principal, ..CallContext::local("dg-test") }
    }

    fn remote() -> Principal {
        Principal { subject: Some("agent".into()), local: false, ..Principal::stdio() }
    }

    fn ids() -> (TenantId, NamespaceId) {
        (TenantId::new(1).unwrap(), NamespaceId::new(1).unwrap())
    }

    #[test]
    fn local_callers_get_trace_and_remote_callers_summary() {
        let (t, n) = ids();
        let config = ScenarioNextFeedbackConfig::default();
        let local = grant(&config, &ctx(Principal::stdio()), None, t, n);
        assert_eq!((local.level, local.include, local.denied_reason), (FeedbackLevel::Trace, true, None));
        let summary = grant(&config, &ctx(remote()), None, t, n);
        assert_eq!((summary.level, summary.include), (FeedbackLevel::Summary, false));
        let asked = grant(&config, &ctx(remote()), Some(FeedbackLevel::Trace), t, n);
        assert_eq!(asked.level, FeedbackLevel::Summary);
        assert_eq!(asked.denied_reason.as_deref(), Some("feedback level denied (requested=trace, allowed=summary)"));
        let capped = grant(&config, &ctx(Principal::stdio()), Some(FeedbackLevel::Evidence), t, n);
        assert_eq!(capped.level, FeedbackLevel::Trace);
        assert_eq!(capped.denied_reason.as_deref(), Some("feedback level denied (requested=evidence, allowed=trace)"));
    }

    #[test]
    fn evidence_needs_its_own_permission() {
        let (t, n) = ids();
        let config = ScenarioNextFeedbackConfig {
            max: FeedbackLevel::Evidence,
            evidence_subjects: vec!["agent".into()],
            ..ScenarioNextFeedbackConfig::default()
        };
        let granted = grant(&config, &ctx(remote()), Some(FeedbackLevel::Evidence), t, n);
        assert_eq!((granted.level, granted.denied_reason), (FeedbackLevel::Evidence, None));
        let summary_request = grant(&config, &ctx(remote()), Some(FeedbackLevel::Summary), t, n);
        assert_eq!((summary_request.level, summary_request.include), (FeedbackLevel::Summary, true));
    }
}
