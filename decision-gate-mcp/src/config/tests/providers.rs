//! Rules of `[provider_discovery]` and `[[providers]]`.

use super::{parse_ok, reject};
use crate::config::{ConfigError, parse_config};

#[test]
fn provider_discovery_rules() {
    reject("[provider_discovery]\nallowlist = [\"\"]\n", &["provider_discovery.allowlist[0] must not be blank"]);
    reject("[provider_discovery]\ndenylist = [\"x\", \" \"]\n", &["provider_discovery.denylist[1] must not be blank"]);
    reject(
        "[provider_discovery]\nmax_response_bytes = 0\n",
        &["provider_discovery.max_response_bytes must be greater than 0"],
    );
}

// ---------------------------------------------------------------------------------------------
// [[providers]]

fn provider(name: &str, kind: &str, extra: &str) -> String {
    format!("[[providers]]\nname = \"{name}\"\ntype = \"{kind}\"\n{extra}")
}

#[test]
fn provider_names() {
    reject(&provider(" time", "builtin", ""), &["providers[0].name", "whitespace"]);
    reject(
        &provider("", "mcp", "command = [\"x\"]\ncapabilities_path = \"c\"\n"),
        &["providers[0].name must not be blank"],
    );
    reject(
        &format!("{}{}", provider("time", "builtin", ""), provider("time", "builtin", "")),
        &["providers[1].name `time` is listed more than once"],
    );
    reject(&provider("clock", "builtin", ""), &["providers[0].name must be one of time, env, json, http"]);
    for reserved in ["time", "env", "json", "http"] {
        reject(
            &provider(reserved, "mcp", "command = [\"x\"]\ncapabilities_path = \"c\"\n"),
            &["providers[0].name", "reserved"],
        );
    }
    match parse_config("[[providers]]\ntype = \"builtin\"\n") {
        Err(ConfigError::Parse(message)) => assert!(message.contains("name"), "{message}"),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn builtin_provider_rules() {
    for (line, key) in [
        ("command = [\"x\"]", "providers[0].command"),
        ("url = \"https://x\"", "providers[0].url"),
        ("allow_insecure_http = true", "providers[0].allow_insecure_http"),
        ("auth = { bearer_token = \"t\" }", "providers[0].auth"),
        ("capabilities_path = \"c.json\"", "providers[0].capabilities_path"),
        ("framing = \"content_length\"", "providers[0].framing"),
        ("config = 5", "providers[0].config must be a table"),
    ] {
        reject(&provider("env", "builtin", &format!("{line}\n")), &[key, "(provider `env`)"]);
    }
    parse_ok(&provider("env", "builtin", "framing = \"newline\"\nconfig = { denylist = [] }\n"));
}

#[test]
fn mcp_provider_rules() {
    let caps = "capabilities_path = \"contracts/p.json\"\n";
    parse_ok(&provider("p", "mcp", &format!("command = [\"prov\"]\n{caps}")));
    parse_ok(&provider("p", "mcp", &format!("url = \"https://p.example/mcp\"\n{caps}")));
    reject(&provider("p", "mcp", caps), &["providers[0] needs command or url"]);
    reject(
        &provider("p", "mcp", &format!("command = [\" \"]\n{caps}")),
        &["providers[0].command[0] must not be blank"],
    );
    reject(&provider("p", "mcp", "command = [\"prov\"]\n"), &["providers[0].capabilities_path is required"]);
    reject(
        &provider("p", "mcp", "command = [\"prov\"]\ncapabilities_path = \"\"\n"),
        &["providers[0].capabilities_path"],
    );
    reject(
        &provider("p", "mcp", &format!("command = [\"prov\"]\nconfig = {{}}\n{caps}")),
        &["providers[0].config is not allowed"],
    );
    reject(
        &provider("p", "mcp", &format!("url = \"http://p.internal/mcp\"\n{caps}")),
        &["providers[0].url", "providers[0].allow_insecure_http"],
    );
    parse_ok(&provider("p", "mcp", &format!("url = \"http://p.internal/mcp\"\nallow_insecure_http = true\n{caps}")));
    reject(&provider("p", "mcp", &format!("url = \"ws://p\"\n{caps}")), &["providers[0].url must start with"]);
    reject(
        &provider("p", "mcp", &format!("url = \"https://p\"\nauth = {{ bearer_token = \" \" }}\n{caps}")),
        &["providers[0].auth.bearer_token must not be blank"],
    );
}

#[test]
fn provider_timeouts_are_checked_for_every_provider() {
    for kind in ["builtin", "mcp"] {
        let (name, extra) =
            if kind == "builtin" { ("time", "") } else { ("p", "command = [\"x\"]\ncapabilities_path = \"c\"\n") };
        for (timeouts, key) in [
            ("connect_timeout_ms = 99", "providers[0].timeouts.connect_timeout_ms"),
            ("connect_timeout_ms = 10001", "providers[0].timeouts.connect_timeout_ms"),
            ("request_timeout_ms = 499", "providers[0].timeouts.request_timeout_ms"),
            ("request_timeout_ms = 30001", "providers[0].timeouts.request_timeout_ms"),
            (
                "connect_timeout_ms = 5000\nrequest_timeout_ms = 4000",
                "providers[0].timeouts.request_timeout_ms must be at least",
            ),
        ] {
            reject(&provider(name, kind, &format!("{extra}[providers.timeouts]\n{timeouts}\n")), &[key]);
        }
    }
}
