//! OAuth 2.1 protected-resource metadata (RFC 9728), served when an embedder configures it:
//! `GET /.well-known/oauth-protected-resource` and its path form for the MCP endpoint,
//! `/.well-known/oauth-protected-resource/mcp`. Both answer the same document, without
//! authentication (clients read it to learn how to authenticate).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::state::ProtectedResource;

/// The metadata document.
pub fn document(resource: &ProtectedResource) -> Value {
    json!({
        "resource": resource.resource,
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
            resource: url.to_owned(),
            authorization_servers: vec![],
            scopes_supported: vec!["dg:precheck".to_owned()],
        }
    }

    #[test]
    fn the_metadata_url_inserts_the_well_known_segment_before_the_path() {
        assert_eq!(
            resource("https://dg.example/mcp").metadata_url(),
            "https://dg.example/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            resource("http://127.0.0.1:8080").metadata_url(),
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource"
        );
    }

    #[test]
    fn the_document_offers_header_bearer_tokens_only() {
        let document = document(&resource("https://dg.example/mcp"));
        assert_eq!(document["bearer_methods_supported"], json!(["header"]));
        assert_eq!(document["resource"], "https://dg.example/mcp");
        assert_eq!(document["scopes_supported"], json!(["dg:precheck"]));
    }
}
