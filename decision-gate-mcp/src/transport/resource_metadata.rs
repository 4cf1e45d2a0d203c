//! OAuth 2.1 protected-resource metadata (RFC 9728), served when an embedder configures it:
//! `GET /.well-known/oauth-protected-resource` and its path form for the MCP endpoint,
//! `/.well-known/oauth-protected-resource/mcp`. Both answer the same document, without
//! authentication (clients read it to learn how to authenticate). Routes an embedder adds see
//! the metadata URL as a request extension, [`ResourceMetadataUrl`], for their own challenges.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::state::ProtectedResource;

/// The metadata URL of this server, inserted into the requests of an embedder's routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceMetadataUrl(pub String);

/// A `WWW-Authenticate: Bearer` challenge (RFC 6750 §3, RFC 9728 §5.1): the realm, the error
/// (`invalid_token`, `insufficient_scope`), the scopes a call needs and the metadata URL.
/// Scope tokens are `dg:<permission>`; one that could break the quoted string is left out
/// rather than escaped.
pub fn bearer_challenge(error: Option<&str>, scopes: &[String], metadata_url: Option<&str>) -> Option<HeaderValue> {
    let mut challenge = String::from(r#"Bearer realm="decision-gate""#);
    if let Some(error) = error {
        challenge.push_str(&format!(r#", error="{error}""#));
    }
    let scopes: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|scope| !scope.is_empty() && scope.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'))
        .collect();
    if !scopes.is_empty() {
        challenge.push_str(&format!(r#", scope="{}""#, scopes.join(" ")));
    }
    if let Some(url) = metadata_url {
        challenge.push_str(&format!(r#", resource_metadata="{url}""#));
    }
    HeaderValue::from_str(&challenge).ok()
}

/// The metadata document.
pub fn document(resource: &ProtectedResource) -> Value {
    json!({
        "resource": resource.resource.as_deref().unwrap_or_default(),
        "authorization_servers": resource.authorization_servers,
        "scopes_supported": resource.scopes_supported,
        "bearer_methods_supported": ["header"],
        "resource_name": "Decision Gate",
    })
}

async fn metadata(State(document): State<Arc<Value>>) -> Response {
    let mut response = axum::Json(document.as_ref().clone()).into_response();
    response.headers_mut().insert("cache-control", HeaderValue::from_static("max-age=300"));
    response
}

/// The two metadata routes.
pub fn routes(resource: ProtectedResource) -> Router {
    let document = Arc::new(document(&resource));
    Router::new()
        .route("/.well-known/oauth-protected-resource", get(metadata))
        .route("/.well-known/oauth-protected-resource/mcp", get(metadata))
        .with_state(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(url: &str) -> ProtectedResource {
        ProtectedResource {
            resource: Some(url.to_owned()),
            authorization_servers: vec![],
            scopes_supported: vec!["dg:precheck".to_owned()],
        }
    }

    #[test]
    fn the_metadata_url_inserts_the_well_known_segment_before_the_path() {
        assert_eq!(
            resource("https://dg.example/mcp").metadata_url().as_deref(),
            Some("https://dg.example/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(
            resource("http://127.0.0.1:8080").metadata_url().as_deref(),
            Some("http://127.0.0.1:8080/.well-known/oauth-protected-resource")
        );
        let unset = ProtectedResource { resource: None, ..resource("x") };
        assert_eq!(unset.metadata_url(), None);
        let bound = unset.resolved("https", "127.0.0.1:4431".parse().unwrap());
        assert_eq!(bound.resource.as_deref(), Some("https://127.0.0.1:4431/mcp"));
    }

    #[test]
    fn the_document_offers_header_bearer_tokens_only() {
        let document = document(&resource("https://dg.example/mcp"));
        assert_eq!(document["bearer_methods_supported"], json!(["header"]));
        assert_eq!(document["resource"], "https://dg.example/mcp");
        assert_eq!(document["scopes_supported"], json!(["dg:precheck"]));
    }
}
