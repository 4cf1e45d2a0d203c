//! Rules of `[server]` and `[server.auth]`.

use super::{http, parse_ok, reject};
use crate::tools::catalogue::ToolName;

#[test]
fn transport_and_bind_rules() {
    reject("[server]\ntransport = \"http\"\n", &["server.bind is required", "http"]);
    reject("[server]\ntransport = \"sse\"\nbind = \"  \"\n", &["server.bind is required", "sse"]);
    reject("[server]\ntransport = \"http\"\nbind = \"localhost:8080\"\n", &["server.bind must be a literal ip:port"]);
    reject("[server]\ntransport = \"http\"\nbind = \"127.0.0.1\"\n", &["server.bind"]);
    reject("[server]\ntransport = \"http\"\nbind = \"0.0.0.0:8080\"\n", &["server.bind", "server.auth.mode"]);
    reject("[server]\ntransport = \"http\"\nbind = \"[::]:8080\"\n", &["server.bind"]);
    parse_ok("[server]\ntransport = \"http\"\nbind = \"[::1]:8080\"\n");
    parse_ok("[server]\ntransport = \"sse\"\nbind = \"127.0.0.5:8080\"\n");
    parse_ok(
        "[server]\ntransport = \"http\"\nbind = \"0.0.0.0:8080\"\n[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [\"t\"]\n",
    );
    // stdio ignores bind.
    parse_ok("[server]\nbind = \"not an address\"\n");
}

#[test]
fn stdio_requires_local_only_and_no_tls() {
    reject("[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [\"t\"]\n", &["server.auth.mode", "stdio"]);
    reject("[server.tls]\ncert_path = \"c\"\nkey_path = \"k\"\n", &["server.tls", "stdio"]);
}

#[test]
fn server_limits() {
    reject("[server]\nmax_body_bytes = 0\n", &["server.max_body_bytes must be greater than 0"]);
    reject("[server.limits]\nmax_inflight = 0\n", &["server.limits.max_inflight must be greater than 0"]);
    reject("[server.sessions]\nidle_timeout_ms = 0\n", &["server.sessions.idle_timeout_ms must be greater than 0"]);
}

#[test]
fn rate_limit_ranges() {
    let cases = [
        ("max_requests = 0", "server.limits.rate_limit.max_requests"),
        ("max_requests = 100001", "server.limits.rate_limit.max_requests"),
        ("window_ms = 99", "server.limits.rate_limit.window_ms"),
        ("window_ms = 60001", "server.limits.rate_limit.window_ms"),
        ("max_entries = 0", "server.limits.rate_limit.max_entries"),
        ("max_entries = 65537", "server.limits.rate_limit.max_entries"),
    ];
    for (line, key) in cases {
        reject(&format!("[server.limits.rate_limit]\n{line}\n"), &[key]);
        reject(
            &format!("[server.limits.rate_limit]\n[server.limits.rate_limit.per_ip]\n{line}\n"),
            &[&key.replace("rate_limit.", "rate_limit.per_ip.")],
        );
    }
    parse_ok("[server.limits.rate_limit]\nmax_requests = 1\nwindow_ms = 100\nmax_entries = 1\n");
    parse_ok("[server.limits.rate_limit]\nmax_requests = 100000\nwindow_ms = 60000\nmax_entries = 65536\n");
}

#[test]
fn allowed_origins_format() {
    for origin in ["https://a.example", "http://localhost:3000", "https://[::1]:8443", "app+x://host.name"] {
        parse_ok(&format!("[server.http]\nallowed_origins = [\"{origin}\"]\n"));
    }
    for origin in [
        "a.example",
        "https://",
        "https://a.example/",
        "https://a.example/path",
        "https://user@a.example",
        "https://a.example:0",
        "https://a.example:99999",
        "https://a.example:",
        "https://A.example",
        "HTTPS://a.example",
        "null",
        "*",
        "https://a.example?x",
        "https://[::1",
        "https://[zz]:1",
    ] {
        reject(
            &format!("[server.http]\nallowed_origins = [\"ok://fine\", \"{origin}\"]\n"),
            &["server.http.allowed_origins[1]"],
        );
    }
}

#[test]
fn server_paths_are_checked() {
    let long = "a".repeat(256);
    let very_long = "a/".repeat(2100);
    reject("[server.audit]\npath = \"  \"\n", &["server.audit.path must not be empty"]);
    reject(&format!("[server.audit]\npath = \"/x/{long}\"\n"), &["server.audit.path", "component"]);
    reject(&format!("[server.audit]\npath = \"{very_long}\"\n"), &["server.audit.path is longer than 4096"]);
    reject("[server.sessions]\nshared_secret_path = \"\"\n", &["server.sessions.shared_secret_path"]);
    reject(&http("[server.tls]\ncert_path = \"\"\nkey_path = \"k\"\n"), &["server.tls.cert_path"]);
    reject(&http("[server.tls]\ncert_path = \"c\"\nkey_path = \" \"\n"), &["server.tls.key_path"]);
    reject(
        &http("[server.tls]\ncert_path = \"c\"\nkey_path = \"k\"\nclient_ca_path = \"\"\n"),
        &["server.tls.client_ca_path"],
    );
    parse_ok(&format!("[server.audit]\npath = \"/x/{}\"\n", "a".repeat(255)));
}

#[test]
fn feedback_levels_are_capped() {
    reject(
        "[server.feedback.scenario_next]\ndefault = \"evidence\"\n",
        &["server.feedback.scenario_next.default", "server.feedback.scenario_next.max"],
    );
    reject(
        "[server.feedback.scenario_next]\nlocal_only_default = \"trace\"\nmax = \"summary\"\n",
        &["server.feedback.scenario_next.local_only_default"],
    );
    parse_ok(
        "[server.feedback.scenario_next]\ndefault = \"evidence\"\nlocal_only_default = \"evidence\"\nmax = \"evidence\"\n",
    );
}

#[test]
fn tool_lists_need_known_names() {
    let all = ToolName::ALL.iter().map(|name| format!("\"{}\"", name.as_str())).collect::<Vec<_>>().join(", ");
    parse_ok(&format!(
        "[server.tools]\nallowlist = [{all}]\ndenylist = [{all}]\n[server.auth]\nallowed_tools = [{all}]\n"
    ));
    for key in ["allowlist", "denylist"] {
        reject(
            &format!("[server.tools]\n{key} = [\"precheck\", \"decision_gate_docs_search\"]\n"),
            &[&format!("server.tools.{key}[1]")],
        );
        reject(&format!("[server.tools]\n{key} = [\" \"]\n"), &[&format!("server.tools.{key}[0] must not be blank")]);
    }
    reject("[server.auth]\nallowed_tools = [\"Precheck\"]\n", &["server.auth.allowed_tools[0]", "not a known tool"]);
    let many = ["\"precheck\""; 129].join(", ");
    reject(&format!("[server.tools]\nallowlist = [{many}]\n"), &["server.tools.allowlist has 129 entries"]);
    reject(&format!("[server.auth]\nallowed_tools = [{many}]\n"), &["server.auth.allowed_tools has 129 entries"]);
}

// ---------------------------------------------------------------------------------------------
// [server.auth]

fn bearer(tokens: &str) -> String {
    http(&format!("[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [{tokens}]\n"))
}

#[test]
fn bearer_token_rules() {
    reject(&bearer(""), &["server.auth.bearer_tokens must not be empty", "bearer_token"]);
    reject(&bearer("\"ok\", \"   \""), &["server.auth.bearer_tokens[1] must not be blank"]);
    let message = reject(&bearer("\" secret-value\""), &["server.auth.bearer_tokens[0]", "whitespace"]);
    assert!(!message.contains("secret-value"), "token leaked into the error: {message}");
    reject(&bearer(&format!("\"{}\"", "x".repeat(257))), &["server.auth.bearer_tokens[0] is longer than 256"]);
    parse_ok(&bearer(&format!("\"{}\"", "x".repeat(256))));
    let many = (0..65).map(|i| format!("\"t{i}\"")).collect::<Vec<_>>().join(", ");
    reject(&bearer(&many), &["server.auth.bearer_tokens has 65 entries"]);
    // Tokens are checked in every mode.
    reject("[server.auth]\nbearer_tokens = [\"\"]\n", &["server.auth.bearer_tokens[0]"]);
}

#[test]
fn mtls_rules() {
    let mtls = |extra: &str| http(&format!("[server.auth]\nmode = \"mtls\"\n{extra}"));
    reject(&mtls(""), &["server.auth.mode mtls requires server.tls.client_ca_path", "server.auth.trusted_proxies"]);
    parse_ok(&mtls("trusted_proxies = [\"10.1.2.3\"]\n"));
    parse_ok(&http(
        "[server.tls]\ncert_path = \"c\"\nkey_path = \"k\"\nclient_ca_path = \"ca\"\n[server.auth]\nmode = \"mtls\"\n",
    ));
    reject(
        &http("[server.tls]\ncert_path = \"c\"\nkey_path = \"k\"\n[server.auth]\nmode = \"mtls\"\n"),
        &["server.tls.client_ca_path"],
    );
    reject(
        &mtls("trusted_proxies = [\"::1\"]\nmtls_subjects = [\"a\", \"\"]\n"),
        &["server.auth.mtls_subjects[1] must not be blank"],
    );
    reject(
        &mtls(&format!("trusted_proxies = [\"::1\"]\nmtls_subjects = [\"{}\"]\n", "s".repeat(513))),
        &["server.auth.mtls_subjects[0] is longer than 512"],
    );
    let many = (0..65).map(|i| format!("\"s{i}\"")).collect::<Vec<_>>().join(", ");
    reject(
        &mtls(&format!("trusted_proxies = [\"::1\"]\nmtls_subjects = [{many}]\n")),
        &["server.auth.mtls_subjects has 65 entries"],
    );
}

#[test]
fn trusted_proxies_parse_as_ips_or_cidrs() {
    parse_ok(
        "[server.auth]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"0.0.0.0/0\", \"::/0\", \"fe80::/128\"]\n",
    );
    for bad in ["10.0.0.0/33", "::/129", "proxy.internal", "10.0.0.0/", "10.0.0/8", "", "10.0.0.1/+8"] {
        reject(
            &format!("[server.auth]\ntrusted_proxies = [\"10.0.0.1\", \"{bad}\"]\n"),
            &["server.auth.trusted_proxies[1]"],
        );
    }
}

#[test]
fn principal_rules() {
    reject("[[server.auth.principals]]\nsubject = \" \"\n", &["server.auth.principals[0].subject must not be blank"]);
    reject(
        "[[server.auth.principals]]\nsubject = \"a\"\npolicy_class = \"\"\n",
        &["server.auth.principals[0].policy_class must not be blank"],
    );
    reject(
        "[[server.auth.principals]]\nsubject = \"a\"\nroles = [{ name = \"\" }]\n",
        &["server.auth.principals[0].roles[0].name must not be blank"],
    );
    reject(
        "[[server.auth.principals]]\nsubject = \"a\"\n[[server.auth.principals]]\nsubject = \"a\"\n",
        &["server.auth.principals[1].subject", "more than once"],
    );
    let roles = ["{ name = \"R\" }"; 129].join(", ");
    reject(
        &format!("[[server.auth.principals]]\nsubject = \"a\"\nroles = [{roles}]\n"),
        &["server.auth.principals[0].roles has 129 entries"],
    );
    let principals = (0..65).map(|i| format!("[[server.auth.principals]]\nsubject = \"p{i}\"\n")).collect::<String>();
    reject(&principals, &["server.auth.principals has 65 entries"]);
}
