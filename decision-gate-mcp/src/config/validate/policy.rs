//! Rules of the policy sections: `[namespace]`, `[dev]`, `[trust]` (and provider trust
//! overrides), `[anchors]`, `[validation]` and `[policy]`.

use std::collections::BTreeSet;

use super::{CONNECT_TIMEOUT_MS, REQUEST_TIMEOUT_MS, Rule, check_path, in_range, non_blank, trimmed_name};
use crate::config::{
    AnchorProviderConfig, DecisionGateConfig, NamespaceAuthorityMode, PolicyEngine, SignatureKeyConfig,
    TrustPolicyConfig,
};

pub(super) fn validate_namespace(config: &DecisionGateConfig) -> Rule {
    let namespace = &config.namespace;
    if namespace.allow_default && namespace.default_tenants.is_empty() {
        return Err("namespace.default_tenants must not be empty when namespace.allow_default is true".to_owned());
    }
    if let Some(index) = namespace.default_tenants.iter().position(|tenant| *tenant == 0) {
        return Err(format!("namespace.default_tenants[{index}] must be at least 1"));
    }
    match (namespace.authority.mode, &namespace.authority.assetcore) {
        (NamespaceAuthorityMode::None, Some(_)) => {
            Err("namespace.authority.assetcore is only allowed when namespace.authority.mode is assetcore_http"
                .to_owned())
        }
        (NamespaceAuthorityMode::None, None) => Ok(()),
        (NamespaceAuthorityMode::AssetcoreHttp, None) => {
            Err("namespace.authority.assetcore is required when namespace.authority.mode is assetcore_http".to_owned())
        }
        (NamespaceAuthorityMode::AssetcoreHttp, Some(assetcore)) => {
            let key = "namespace.authority.assetcore";
            non_blank(&format!("{key}.base_url"), &assetcore.base_url)?;
            let base_url = assetcore.base_url.trim();
            if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                return Err(format!("{key}.base_url must start with https:// or http://"));
            }
            if let Some(token) = &assetcore.auth_token {
                non_blank(&format!("{key}.auth_token"), token)?;
            }
            in_range(&format!("{key}.connect_timeout_ms"), assetcore.connect_timeout_ms, CONNECT_TIMEOUT_MS)?;
            in_range(&format!("{key}.request_timeout_ms"), assetcore.request_timeout_ms, REQUEST_TIMEOUT_MS)
        }
    }
}

pub(super) fn validate_dev(config: &DecisionGateConfig) -> Rule {
    let dev = &config.dev;
    if dev.permissive_scope != "asserted_evidence_only" {
        return Err(format!("dev.permissive_scope must be asserted_evidence_only (got `{}`)", dev.permissive_scope));
    }
    if dev.permissive_ttl_days == Some(0) {
        return Err("dev.permissive_ttl_days must be greater than 0".to_owned());
    }
    if config.dev_permissive() && config.namespace.authority.mode == NamespaceAuthorityMode::AssetcoreHttp {
        return Err(
            "dev.permissive not allowed with namespace.authority.mode assetcore_http (dev-permissive is on via \
             dev.permissive or server.mode = dev_permissive)"
                .to_owned(),
        );
    }
    Ok(())
}

pub(super) fn validate_trust_policy(key: &str, policy: &TrustPolicyConfig) -> Rule {
    if let TrustPolicyConfig::RequireSignature { keys } = policy {
        for (index, entry) in keys.iter().enumerate() {
            let entry_key = format!("{key}.require_signature.keys[{index}]");
            match entry {
                SignatureKeyConfig::Path(path) => check_path(&entry_key, path)?,
                SignatureKeyConfig::Named { key_id, path } => {
                    non_blank(&format!("{entry_key}.key_id"), key_id)?;
                    check_path(&format!("{entry_key}.path"), path)?;
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// [anchors], [validation], [policy]

impl AnchorProviderConfig {
    /// `required_fields` trimmed, de-duplicated and sorted (the form the loader stores).
    pub fn normalized_required_fields(&self) -> Vec<String> {
        let fields: BTreeSet<&str> = self.required_fields.iter().map(|field| field.trim()).collect();
        fields.into_iter().map(str::to_owned).collect()
    }
}

pub(super) fn validate_anchors(anchors: &[AnchorProviderConfig]) -> Rule {
    let mut seen = BTreeSet::new();
    for (index, anchor) in anchors.iter().enumerate() {
        let key = format!("anchors.providers[{index}]");
        trimmed_name(&format!("{key}.provider_id"), &anchor.provider_id)?;
        if !seen.insert(anchor.provider_id.as_str()) {
            return Err(format!("{key}.provider_id `{}` is listed more than once", anchor.provider_id));
        }
        non_blank(&format!("{key}.anchor_type"), &anchor.anchor_type)?;
        for (field_index, field) in anchor.required_fields.iter().enumerate() {
            non_blank(&format!("{key}.required_fields[{field_index}]"), field)?;
        }
        if anchor.required_fields.is_empty() {
            return Err(format!("{key}.required_fields must not be empty"));
        }
    }
    Ok(())
}

pub(super) fn validate_validation(config: &DecisionGateConfig) -> Rule {
    let validation = &config.validation;
    if validation.profile != "strict_core_v1" {
        return Err(format!("validation.profile must be strict_core_v1 (got `{}`)", validation.profile));
    }
    if !validation.strict && !validation.allow_permissive {
        return Err("validation.strict = false requires validation.allow_permissive = true".to_owned());
    }
    Ok(())
}

pub(super) fn validate_policy(config: &DecisionGateConfig) -> Rule {
    let policy = &config.policy;
    match (policy.engine, &policy.static_policy) {
        (PolicyEngine::Static, None) => Err("policy.static is required when policy.engine is static".to_owned()),
        (PolicyEngine::Static, Some(rules)) => rules.validate().map_err(|reason| format!("policy.static.{reason}")),
        (_, Some(_)) => Err("policy.static is only allowed when policy.engine is static".to_owned()),
        (_, None) => Ok(()),
    }
}
