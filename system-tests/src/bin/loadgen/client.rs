//! A lean HTTP/1.1 client for the load generator: one keep-alive connection per simulated
//! client, request bodies formatted from pre-serialised arguments, and responses checked on
//! their bytes. `reqwest` plus a full JSON parse of every response cost the generator about as
//! much CPU as a quarter of the server's; since both share one machine, the generator keeps its
//! own cost small so the figures describe the server.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use anyhow::{Context, bail};

/// Which endpoint a client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// MCP Streamable HTTP at `/mcp`, stateless 2026-07-28 requests.
    Mcp,
    /// The Decision Gate OSS-compatible `POST /rpc`.
    Rpc,
}

impl Endpoint {
    /// The route.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Mcp => "/mcp",
            Endpoint::Rpc => "/rpc",
        }
    }
}

/// One client connection.
pub struct Client {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
    endpoint: Endpoint,
    next_id: u64,
    authorization: Option<String>,
}

impl Client {
    /// Opens a keep-alive connection to `base` (`http://host:port`).
    pub async fn connect(base: &str, endpoint: Endpoint) -> anyhow::Result<Client> {
        Self::connect_with(base, endpoint, None).await
    }

    /// Opens a connection whose calls carry `authorization` (`Bearer …`).
    pub async fn connect_with(base: &str, endpoint: Endpoint, authorization: Option<&str>) -> anyhow::Result<Client> {
        let authority = base.strip_prefix("http://").context("the load generator speaks plain http")?.to_owned();
        let stream =
            tokio::net::TcpStream::connect(&authority).await.with_context(|| format!("connect {authority}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // The connection ends when the client is dropped or the server closes it.
            let _ = connection.await;
        });
        Ok(Client { sender, authority, endpoint, next_id: 1, authorization: authorization.map(str::to_owned) })
    }

    /// `GET path`; the body as text.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<String> {
        let request = hyper::Request::get(path).header("host", &self.authority).body(Full::new(Bytes::new()))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status != 200 {
            bail!("GET {path}: HTTP {status}");
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// Calls `tool` with `arguments` (JSON text) and returns the response body. A JSON-RPC
    /// error or an `isError` result is an error.
    pub async fn call(&mut self, tool: &str, arguments: &str) -> anyhow::Result<Bytes> {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = hyper::Request::post(self.endpoint.path())
            .header("host", &self.authority)
            .header("content-type", "application/json");
        if let Some(authorization) = &self.authorization {
            request = request.header("authorization", authorization);
        }
        let body = match self.endpoint {
            Endpoint::Rpc => format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}"#
            ),
            Endpoint::Mcp => {
                request = request
                    .header("accept", "application/json, text/event-stream")
                    .header("mcp-protocol-version", "2026-07-28")
                    .header("mcp-method", "tools/call")
                    .header("mcp-name", tool);
                format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#
                )
            }
        };
        let request = request.body(Full::new(Bytes::from(body)))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status != 200 || !is_success(&body) {
            bail!("{tool} failed (HTTP {status}): {}", String::from_utf8_lossy(&body));
        }
        Ok(body)
    }
}

/// Whether a JSON-RPC response body is a successful tool result: the top-level member after
/// `id` is `result` (both endpoints write `jsonrpc`, `id`, then `result` or `error`), and an MCP
/// result is not flagged `isError`.
fn is_success(body: &[u8]) -> bool {
    let head = &body[..body.len().min(48)];
    contains(head, br#","result":"#) && !contains(body, br#""isError":true"#)
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_read_from_the_top_level_member() {
        assert!(is_success(br#"{"jsonrpc":"2.0","id":7,"result":{"content":[]}}"#));
        assert!(is_success(br#"{"jsonrpc":"2.0","id":7,"result":{"content":[],"isError":false}}"#));
        assert!(!is_success(br#"{"jsonrpc":"2.0","id":7,"result":{"content":[],"isError":true}}"#));
        assert!(!is_success(br#"{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"x","result":1}}"#));
    }
}
