//! Rules of the policy sections: `[namespace]`, `[dev]`, `[trust]`, `[anchors]`, `[validation]`
//! and `[policy]`.

use super::{parse_ok, reject};

// ---------------------------------------------------------------------------------------------
// [namespace], [dev], [trust]

#[test]
fn namespace_rules() {
    reject("[namespace]\nallow_default = true\n", &["namespace.default_tenants must not be empty"]);
    reject(
        "[namespace]\nallow_default = true\ndefault_tenants = [1, 0]\n",
        &["namespace.default_tenants[1] must be at least 1"],
    );
    reject("[namespace.authority]\nmode = \"assetcore_http\"\n", &["namespace.authority.assetcore is required"]);
    reject(
        "[namespace.authority.assetcore]\nbase_url = \"https://x\"\n",
        &["namespace.authority.assetcore is only allowed"],
    );
    let assetcore = |extra: &str| {
        format!("[namespace.authority]\nmode = \"assetcore_http\"\n[namespace.authority.assetcore]\n{extra}")
    };
    parse_ok(&assetcore("base_url = \"http://catalog:8080\"\n"));
    reject(&assetcore("base_url = \" \"\n"), &["namespace.authority.assetcore.base_url must not be blank"]);
    reject(&assetcore("base_url = \"catalog:8080\"\n"), &["namespace.authority.assetcore.base_url"]);
    reject(&assetcore("base_url = \"https://x\"\nauth_token = \"\"\n"), &["namespace.authority.assetcore.auth_token"]);
    for (line, key) in [
        ("connect_timeout_ms = 99", "namespace.authority.assetcore.connect_timeout_ms"),
        ("connect_timeout_ms = 10001", "namespace.authority.assetcore.connect_timeout_ms"),
        ("request_timeout_ms = 499", "namespace.authority.assetcore.request_timeout_ms"),
        ("request_timeout_ms = 30001", "namespace.authority.assetcore.request_timeout_ms"),
    ] {
        reject(&assetcore(&format!("base_url = \"https://x\"\n{line}\n")), &[key]);
    }
}

#[test]
fn dev_rules() {
    reject("[dev]\npermissive_scope = \"everything\"\n", &["dev.permissive_scope must be asserted_evidence_only"]);
    reject("[dev]\npermissive_ttl_days = 0\n", &["dev.permissive_ttl_days must be greater than 0"]);
    let assetcore =
        "[namespace.authority]\nmode = \"assetcore_http\"\n[namespace.authority.assetcore]\nbase_url = \"https://x\"\n";
    reject(&format!("[dev]\npermissive = true\n{assetcore}"), &["dev.permissive not allowed"]);
    reject(&format!("[server]\nmode = \"dev_permissive\"\n{assetcore}"), &["dev.permissive not allowed"]);
    let config = parse_ok("[server]\nmode = \"dev_permissive\"\n[dev]\npermissive_ttl_days = 3\n");
    assert!(config.dev_permissive());
}

#[test]
fn trust_key_paths_are_checked() {
    reject(
        "[trust]\ndefault_policy = { require_signature = { keys = [\"\"] } }\n",
        &["trust.default_policy.require_signature.keys[0]"],
    );
    reject(
        "[trust]\ndefault_policy = { require_signature = { keys = [{ key_id = \" \", path = \"p\" }] } }\n",
        &["trust.default_policy.require_signature.keys[0].key_id"],
    );
    reject(
        "[trust]\ndefault_policy = { require_signature = { keys = [\"a\", { key_id = \"k\", path = \"\" }] } }\n",
        &["trust.default_policy.require_signature.keys[1].path"],
    );
    reject(
        "[[providers]]\nname = \"time\"\ntype = \"builtin\"\ntrust = { require_signature = { keys = [\"\"] } }\n",
        &["providers[0].trust.require_signature.keys[0]"],
    );
}

// ---------------------------------------------------------------------------------------------
// [anchors], [provider_discovery], [validation], [policy]

#[test]
fn anchor_rules() {
    let anchor = |id: &str, kind: &str, fields: &str| {
        format!(
            "[[anchors.providers]]\nprovider_id = \"{id}\"\nanchor_type = \"{kind}\"\nrequired_fields = [{fields}]\n"
        )
    };
    let config = parse_ok(&anchor("p", "t", "\" b \", \"a\", \"b\""));
    assert_eq!(config.anchors.providers[0].required_fields, vec!["a", "b"]);
    reject(&anchor(" p", "t", "\"a\""), &["anchors.providers[0].provider_id", "whitespace"]);
    reject(&anchor("", "t", "\"a\""), &["anchors.providers[0].provider_id must not be blank"]);
    reject(&anchor("p", " ", "\"a\""), &["anchors.providers[0].anchor_type must not be blank"]);
    reject(&anchor("p", "t", ""), &["anchors.providers[0].required_fields must not be empty"]);
    reject(&anchor("p", "t", "\"a\", \"  \""), &["anchors.providers[0].required_fields[1] must not be blank"]);
    reject(
        &format!("{}{}", anchor("p", "t", "\"a\""), anchor("p", "u", "\"b\"")),
        &["anchors.providers[1].provider_id", "more than once"],
    );
}

#[test]
fn validation_rules() {
    reject("[validation]\nprofile = \"loose\"\n", &["validation.profile must be strict_core_v1"]);
    reject("[validation]\nstrict = false\n", &["validation.strict = false requires validation.allow_permissive"]);
    parse_ok("[validation]\nstrict = false\nallow_permissive = true\n");
}

#[test]
fn policy_rules() {
    reject("[policy]\nengine = \"static\"\n", &["policy.static is required"]);
    reject("[policy]\nengine = \"deny_all\"\n[policy.static]\n", &["policy.static is only allowed"]);
    reject(
        "[policy]\nengine = \"static\"\n[[policy.static.rules]]\neffect = \"deny\"\n",
        &["policy.static.rules[0] needs at least one selector"],
    );
    reject(
        "[policy]\nengine = \"static\"\n[[policy.static.rules]]\neffect = \"error\"\nstage_ids = [\"s\"]\n",
        &["policy.static.rules[0].error_message"],
    );
    reject(
        "[policy]\nengine = \"static\"\n[[policy.static.rules]]\neffect = \"permit\"\ntargets = [{ target_kind = \"agent\", system = \"x\" }]\n",
        &["policy.static.rules[0].targets"],
    );
    parse_ok("[policy]\nengine = \"static\"\n[policy.static]\n");
}
