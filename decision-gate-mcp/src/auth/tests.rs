use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use decision_gate_core::ids::{NamespaceId, TenantId};
use http::HeaderMap;

use super::*;
use crate::config::{
    AclEffect, AclMode, AclRule, AuthConfig, AuthMode, MtlsIdentity, PrincipalConfig, RegistryAclConfig, RegistryAction,
};

fn tenant(n: u64) -> TenantId {
    TenantId::new(n).unwrap()
}

fn ns(n: u64) -> NamespaceId {
    NamespaceId::new(n).unwrap()
}

fn authenticate(config: &AuthConfig, request: AuthRequest<'_>) -> AuthOutcome {
    let authenticator = ConfigAuthenticator::new(config).unwrap();
    futures::executor::block_on(authenticator.authenticate(&request))
}

static NO_HEADERS: LazyLock<HeaderMap> = LazyLock::new(HeaderMap::new);

fn http(peer: &str) -> AuthRequest<'static> {
    let peer = peer.parse::<SocketAddr>().unwrap();
    AuthRequest {
        transport: TransportLabel::Http,
        peer: Some(peer),
        client_ip: Some(peer.ip()),
        headers: &NO_HEADERS,
        client_cert: None,
    }
}

/// Headers with one entry, leaked for the `'static` requests of these tests.
fn one_header(name: &'static str, value: &[u8]) -> &'static HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(name, http::HeaderValue::from_bytes(value).unwrap());
    Box::leak(Box::new(headers))
}

fn cert(common_name: &str, sans: &[&str]) -> ClientCertIdentity {
    ClientCertIdentity {
        common_name: Some(common_name.into()),
        sans: sans.iter().map(|san| (*san).to_owned()).collect(),
        fingerprint: "f0".into(),
        issuer_id: "ca".into(),
        der: Arc::from(&b"der"[..]),
    }
}

#[test]
fn principal_ids() {
    assert_eq!(Principal::stdio().principal_id(), "stdio");
    assert_eq!(Principal::loopback().principal_id(), "loopback");
    let token = Principal { token_fingerprint: Some("ab".into()), ..Principal::new(AuthMethod::BearerToken) };
    assert_eq!(token.principal_id(), "token:ab");
    let unknown = Principal { token_fingerprint: None, ..token };
    assert_eq!(unknown.principal_id(), "token:unknown");
}

#[test]
fn local_only_accepts_loopback_but_not_trusted_proxies() {
    let config = AuthConfig { trusted_proxies: vec!["127.0.0.2/32".into()], ..AuthConfig::default() };
    assert_eq!(authenticate(&config, http("127.0.0.1:9")).result.unwrap().principal_id(), "loopback");
    assert_eq!(authenticate(&config, http("[::1]:9")).result.unwrap().principal_id(), "loopback");
    let remote = authenticate(&config, http("10.0.0.1:9")).result.unwrap_err();
    assert_eq!(remote.reason, "local-only mode requires loopback access");
    assert!(authenticate(&config, http("127.0.0.2:9")).result.is_err(), "a trusted proxy is never local");
    let stdio = AuthRequest { transport: TransportLabel::Stdio, peer: None, ..http("127.0.0.1:1") };
    assert_eq!(authenticate(&config, stdio).result.unwrap(), Principal::stdio());
}

#[test]
fn bearer_tokens() {
    let config =
        AuthConfig { mode: AuthMode::BearerToken, bearer_tokens: vec!["s3cret".into()], ..AuthConfig::default() };
    let with =
        |header: &'static [u8]| AuthRequest { headers: one_header("authorization", header), ..http("127.0.0.1:1") };
    let ok = authenticate(&config, with(b"  bearer   s3cret ")).result.unwrap();
    assert_eq!(ok.method, AuthMethod::BearerToken);
    assert_eq!(ok.principal_id(), format!("token:{}", hex::encode(sha2::Sha256::digest(b"s3cret"))));
    assert!(!ok.local, "loopback gets no special pass");
    let reason = |request| authenticate(&config, request).result.unwrap_err();
    assert_eq!(reason(http("127.0.0.1:1")).reason, "missing authorization");
    assert_eq!(reason(with(b"Basic abc")).reason, "invalid authorization header");
    assert_eq!(reason(with(b"Bearer")).reason, "invalid authorization header");
    let wrong = reason(with(b"Bearer nope"));
    assert_eq!((wrong.reason.as_str(), wrong.token_rejected), ("invalid bearer token", true));
    let huge: &'static [u8] = Box::leak(vec![b'a'; MAX_AUTHORIZATION_BYTES + 1].into_boxed_slice());
    assert_eq!(reason(with(huge)).reason, "authorization header too large");
}

use sha2::Digest;

#[test]
fn mtls_identity_from_certificates_and_trusted_proxies() {
    let config = AuthConfig {
        mode: AuthMode::Mtls,
        mtls_subjects: vec!["agent-a".into(), "spiffe://x/agent".into()],
        trusted_proxies: vec!["10.1.0.0/16".into()],
        ..AuthConfig::default()
    };
    let presented = cert("agent-a", &["other", "spiffe://x/agent"]);
    let direct = AuthRequest { client_cert: Some(&presented), ..http("192.168.1.5:1") };
    let principal = authenticate(&config, direct.clone()).result.unwrap();
    assert_eq!(principal.principal_id(), "agent-a");
    assert_eq!(principal.credential_id.as_deref(), Some("f0"), "the certificate fingerprint is the credential id");
    let san = AuthConfig { mtls_identity: MtlsIdentity::San, ..config.clone() };
    assert_eq!(authenticate(&san, direct).result.unwrap().principal_id(), "spiffe://x/agent");
    // A forged header from an untrusted peer is ignored (and flagged for audit).
    let subject_header = one_header("x-decision-gate-client-subject", b"agent-a");
    let forged = AuthRequest { headers: subject_header, ..http("192.168.1.5:1") };
    let outcome = authenticate(&config, forged);
    assert_eq!(outcome.result.unwrap_err().reason, "missing mTLS client identity");
    assert!(outcome.ignored_untrusted_subject_header);
    // The same header from a trusted proxy is honoured.
    let proxied = AuthRequest { headers: subject_header, ..http("10.1.2.3:1") };
    assert_eq!(authenticate(&config, proxied).result.unwrap().principal_id(), "agent-a");
    let unlisted_cert = cert("intruder", &[]);
    let denied = authenticate(&config, AuthRequest { client_cert: Some(&unlisted_cert), ..http("192.168.1.5:1") });
    let failure = denied.result.unwrap_err();
    assert_eq!(
        (failure.status, failure.reason.as_str()),
        (AuthFailureStatus::Forbidden, "client subject not authorized")
    );
}

/// A principal with the roles and class the directory attaches to its subject.
fn principal(subject: &str, local: bool) -> Principal {
    let mut principal = Principal { subject: Some(subject.into()), local, ..Principal::stdio() };
    directory().attach(&mut principal);
    principal
}

fn directory() -> PrincipalDirectory {
    let entries: Vec<PrincipalConfig> = serde_json::from_value(serde_json::json!([
        {"subject": "admin", "roles": [{"name": "TenantAdmin", "tenant_id": 1}]},
        {"subject": "reader", "roles": [{"name": "NamespaceReader", "tenant_id": 1, "namespace_id": 2}]},
        {"subject": "manager-dev", "policy_class": "Dev", "roles": [{"name": "SchemaManager"}]},
        {"subject": "manager-prod", "policy_class": "PROD", "roles": [{"name": "SchemaManager"}]},
    ]))
    .unwrap();
    PrincipalDirectory::new(&entries)
}

fn decide(acl: &RegistryAcl, who: &Principal, action: RegistryAction, t: u64, n: u64) -> AclDecision {
    acl.evaluate(&RegistryAclRequest { principal: who, action, tenant: tenant(t), namespace: ns(n) })
}

#[test]
fn builtin_acl_matrix() {
    let acl = RegistryAcl::new(RegistryAclConfig::default());
    assert_eq!(decide(&acl, &principal("admin", false), RegistryAction::Register, 1, 5).reason, "builtin_allow_write");
    assert_eq!(decide(&acl, &principal("admin", false), RegistryAction::Get, 2, 5).reason, "builtin_deny_read");
    assert!(decide(&acl, &principal("reader", false), RegistryAction::List, 1, 2).allowed);
    assert_eq!(decide(&acl, &principal("reader", false), RegistryAction::Register, 1, 2).reason, "builtin_deny_write");
    assert!(!decide(&acl, &principal("reader", false), RegistryAction::Get, 1, 3).allowed, "out of namespace scope");
    assert!(decide(&acl, &principal("manager-dev", false), RegistryAction::Register, 9, 9).allowed);
    assert!(!decide(&acl, &principal("manager-prod", false), RegistryAction::Register, 9, 9).allowed, "PROD is prod");
    assert!(!decide(&acl, &principal("stdio", true), RegistryAction::Get, 1, 1).allowed, "no mapping ⇒ deny");
    let local = RegistryAcl::new(RegistryAclConfig { allow_local_only: true, ..RegistryAclConfig::default() });
    assert_eq!(
        decide(&local, &principal("stdio", true), RegistryAction::Register, 1, 1).reason,
        "builtin_allow_local_only"
    );
    assert!(!decide(&local, &principal("remote", false), RegistryAction::Get, 1, 1).allowed);
}

#[test]
fn custom_acl_first_match_and_default() {
    let rules = vec![
        AclRule {
            effect: AclEffect::Deny,
            actions: vec![RegistryAction::Register],
            tenants: vec![],
            namespaces: vec![],
            subjects: vec!["admin".into()],
            roles: vec![],
            policy_classes: vec![],
        },
        AclRule {
            effect: AclEffect::Allow,
            actions: vec![],
            tenants: vec![1],
            namespaces: vec![],
            subjects: vec![],
            roles: vec!["TenantAdmin".into()],
            policy_classes: vec![],
        },
        AclRule {
            effect: AclEffect::Allow,
            actions: vec![],
            tenants: vec![],
            namespaces: vec![],
            subjects: vec![],
            roles: vec![],
            policy_classes: vec!["Dev".into()],
        },
    ];
    let config =
        RegistryAclConfig { mode: AclMode::Custom, rules, allow_local_only: true, ..RegistryAclConfig::default() };
    let acl = RegistryAcl::new(config);
    assert_eq!(decide(&acl, &principal("admin", false), RegistryAction::Register, 1, 1).reason, "custom_deny");
    assert_eq!(decide(&acl, &principal("admin", false), RegistryAction::Get, 1, 1).reason, "custom_allow");
    assert_eq!(decide(&acl, &principal("manager-dev", false), RegistryAction::Get, 4, 4).reason, "custom_allow");
    assert_eq!(
        decide(&acl, &principal("manager-prod", false), RegistryAction::Get, 4, 4).reason,
        "default_deny",
        "classes are case-sensitive"
    );
    assert_eq!(
        decide(&acl, &principal("stdio", true), RegistryAction::Get, 4, 4).reason,
        "default_deny",
        "allow_local_only ignored in custom mode"
    );
}

#[test]
fn the_directory_binds_configured_principals_to_their_tenants_and_roles() {
    let admin = principal("admin", false);
    assert_eq!(admin.single_tenant(), Some(tenant(1)));
    assert_eq!(admin.tenants, TenantBinding::Only(vec![tenant(1)]));
    assert!(admin.reaches(tenant(1), Some(ns(7))));
    assert!(!admin.reaches(tenant(2), Some(ns(1))), "bound to tenant 1 only");
    let reader = principal("reader", false);
    assert!(reader.reaches(tenant(1), Some(ns(2))));
    assert!(!reader.reaches(tenant(1), Some(ns(3))), "its only role is scoped to namespace 2");
    let manager = principal("manager-dev", false);
    assert_eq!(manager.single_tenant(), None);
    assert_eq!(manager.tenants, TenantBinding::Unbound, "a role without a tenant is a wildcard");
    assert!(manager.reaches(tenant(9), Some(ns(9))));
    assert_eq!(manager.policy_class.as_deref(), Some("Dev"));
    let nobody = principal("nobody", false);
    assert_eq!((nobody.single_tenant(), nobody.roles.len()), (None, 0));
    assert!(nobody.reaches(tenant(5), None), "no entry: unbound, limited only by the served tenants");
}

#[test]
fn a_bearer_token_mapped_in_the_directory_carries_its_binding() {
    let fingerprint = hex::encode(sha2::Sha256::digest(b"t1"));
    let principals: Vec<PrincipalConfig> = serde_json::from_value(serde_json::json!([
        {"subject": format!("token:{fingerprint}"), "roles": [{"name": "agent", "tenant_id": 1}]},
    ]))
    .unwrap();
    let config = AuthConfig {
        mode: AuthMode::BearerToken,
        bearer_tokens: vec!["t1".into(), "t2".into()],
        principals,
        ..AuthConfig::default()
    };
    let request =
        |token: &'static [u8]| AuthRequest { headers: one_header("authorization", token), ..http("10.0.0.1:1") };
    let bound = authenticate(&config, request(b"Bearer t1")).result.unwrap();
    assert_eq!(bound.tenants, TenantBinding::Only(vec![tenant(1)]));
    assert_eq!(bound.roles_in_scope(tenant(1), None), ["agent"]);
    let unbound = authenticate(&config, request(b"Bearer t2")).result.unwrap();
    assert_eq!(unbound.tenants, TenantBinding::Unbound);
}
