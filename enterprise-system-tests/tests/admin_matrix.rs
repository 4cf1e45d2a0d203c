// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The admin API authorization matrix: reads `admin_matrix.table` (every endpoint x every kind
//! of caller x own tenant, another tenant of the organisation, another organisation, and the
//! target credential's power) and drives the built binary through each cell, asserting the exact
//! status, the one body of every 401 and 404, and that a refused call leaves the control store
//! byte for byte as it was. Each row gets its own server on a copy of one prepared data
//! directory (organisation 1 from the first start, organisation 2 with its owner made by the
//! operator's commands); each cell gets fresh tenants, targets and caller keys.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use enterprise_system_tests::{Admin, Enterprise};
use futures::StreamExt;
use serde_json::{Value, json};
use system_tests::TestDir;

const TABLE: &str = include_str!("admin_matrix.table");
const CALLERS: [&str; 15] = [
    "oo", "owner", "admin", "editor", "viewer", "agent", "auditor", "nso", "nsa", "multi", "org2", "susp", "del",
    "out", "in",
];

#[derive(Debug)]
struct Row {
    case: String,
    method: String,
    path: String,
    body: Option<String>,
    target: char,
    setup: Option<String>,
    expected: Vec<u16>,
}

fn rows() -> Vec<Row> {
    TABLE
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split(" | ").map(str::trim).collect();
            assert_eq!(fields.len(), 7, "seven fields: {line}");
            let expected: Vec<u16> = fields[6].split_whitespace().map(|code| code.parse().expect("status")).collect();
            assert_eq!(expected.len(), CALLERS.len(), "a status per caller: {line}");
            let optional = |field: &str| (field != "-").then(|| field.to_owned());
            Row {
                case: fields[0].to_owned(),
                method: fields[1].to_owned(),
                path: fields[2].to_owned(),
                body: optional(fields[3]),
                target: fields[4].chars().next().expect("target"),
                setup: optional(fields[5]),
                expected,
            }
        })
        .collect()
}

/// The prepared data directory and its two organisation owners' keys.
struct Template {
    _dir: TestDir,
    data: PathBuf,
    owner_key: String,
    org2_key: String,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = TestDir::new();
        let server = Enterprise::start(&dir, None).expect("first start");
        let owner_key = server.owner_key.clone();
        let data = server.data_dir.clone();
        drop(server);
        let operator = |args: &[&str]| {
            let stopped = Enterprise::operator_on(&data, args);
            assert_eq!(stopped.code, 0, "{args:?}: {}", stopped.stderr);
            stopped.json
        };
        assert_eq!(operator(&["orgs", "create", "globex"])["org_id"], 2);
        let tenant = operator(&["tenants", "create", "c0", "--org", "2"])["tenant_id"].as_u64().expect("tenant");
        let principal = operator(&["principals", "create", "owner2", "--kind", "user", "--org", "2"]);
        let principal = principal["principal_id"].as_str().expect("principal").to_owned();
        operator(&["orgs", "grant-owner", "2", &principal]);
        let tenant = tenant.to_string();
        let issued = operator(&[
            "keys",
            "issue",
            &tenant,
            "--name",
            "owner2",
            "--role",
            "owner",
            "--principal",
            &principal,
            "--org-owner",
        ]);
        let org2_key = issued["token"].as_str().expect("token").to_owned();
        Template { _dir: dir, data, owner_key, org2_key }
    })
}

/// Every control table, row by row, in a stable order.
fn snapshot(data_dir: &Path) -> Vec<String> {
    let connection = rusqlite::Connection::open_with_flags(
        data_dir.join("decision-gate.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the store");
    let tables: Vec<String> = {
        let mut statement = connection
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'dg\\_%' ESCAPE '\\' ORDER BY name",
            )
            .expect("tables");
        statement.query_map([], |row| row.get(0)).expect("query").collect::<Result<_, _>>().expect("names")
    };
    let mut lines = Vec::new();
    for table in tables {
        let mut statement = connection.prepare(&format!("SELECT * FROM {table}")).expect("select");
        let columns = statement.column_count();
        let mut rows: Vec<String> = statement
            .query_map([], |row| {
                let values: Vec<String> = (0..columns)
                    .map(|index| format!("{:?}", row.get_ref(index).map(|value| value.to_owned())))
                    .collect();
                Ok(format!("{table}: {}", values.join(" | ")))
            })
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("values");
        rows.sort();
        lines.extend(rows);
    }
    lines
}

fn key_id(token: &str) -> String {
    token.split('_').nth(1).expect("key id").to_owned()
}

async fn ok(admin: &Admin, method: &str, path: &str, body: Value) -> Value {
    let (status, answer) = admin.call(method, path, Some(body)).await;
    assert!((200..300).contains(&status), "setup {method} {path}: {status} {answer}");
    answer
}

async fn principal(admin: &Admin, name: String, kind: &str) -> String {
    let made = ok(admin, "POST", "/admin/v1/principals", json!({"name": name, "kind": kind})).await;
    made["principal_id"].as_str().expect("principal").to_owned()
}

/// The targets a row names (`{key:owner}`, `{svc}`, …), made on tenant `t` of `org` by `maker`.
async fn targets(maker: &Admin, text: &str, t: u64, org: u64, n: u64) -> Vec<(String, String)> {
    let mut values = Vec::new();
    for role in ["owner", "admin", "editor"] {
        let placeholder = format!("{{key:{role}}}");
        if text.contains(&placeholder) {
            values.push((placeholder, key_id(&maker.key(t, &[role]).await)));
        }
    }
    if text.contains("{owner_principal}") || text.contains("{key:orgowner}") {
        let owner = principal(maker, format!("op-{n}"), "user").await;
        ok(maker, "POST", &format!("/admin/v1/orgs/{org}/owners"), json!({"principal_id": owner})).await;
        let body = json!({"name": "victim", "roles": ["owner"], "org_owner": true, "principal_id": owner});
        let issued = ok(maker, "POST", &format!("/admin/v1/tenants/{t}/keys"), body).await;
        values.push(("{key:orgowner}".into(), issued["key"]["key_id"].as_str().expect("key").to_owned()));
        values.push(("{owner_principal}".into(), owner));
    }
    if text.contains("{svc}") {
        values.push(("{svc}".into(), principal(maker, format!("svc-{n}"), "service").await));
    }
    if text.contains("{user}") {
        values.push(("{user}".into(), principal(maker, format!("user-{n}"), "user").await));
    }
    for (placeholder, role) in [("{bound_owner}", "owner"), ("{bound_editor}", "editor")] {
        if text.contains(placeholder) {
            let bound = principal(maker, format!("{role}-{n}"), "service").await;
            let grant = json!({"principal_id": bound, "role": role});
            ok(maker, "POST", &format!("/admin/v1/tenants/{t}/bindings"), grant).await;
            values.push((placeholder.into(), bound));
        }
    }
    if text.contains("{ns}") {
        let made =
            ok(maker, "POST", &format!("/admin/v1/tenants/{t}/namespaces"), json!({"name": format!("x{n}")})).await;
        values.push(("{ns}".into(), made["namespace_id"].to_string()));
    }
    values
}

/// One cell: its world made, the row's placeholders filled, the call made and checked.
async fn cell(server: &Enterprise, row: &Row, column: usize, n: u64) -> Vec<String> {
    let template = template();
    let oo = server.admin(&template.owner_key);
    let o2 = server.admin(&template.org2_key);
    let caller = CALLERS[column];
    let a = oo.tenant(&format!("a{n}")).await;
    let b = oo.tenant(&format!("b{n}")).await;
    let needs_c = row.target == 'C' || row.path.contains("{C}");
    let c = if needs_c { o2.tenant(&format!("c{n}")).await } else { 0 };
    let (t, org, maker) = match row.target {
        'A' => (a, 1, &oo),
        'B' => (b, 1, &oo),
        _ => (c, 2, &o2),
    };
    let text = format!("{} {}", row.path, row.body.clone().unwrap_or_default());
    let mut values: Vec<(String, String)> = vec![
        ("{A}".into(), a.to_string()),
        ("{B}".into(), b.to_string()),
        ("{C}".into(), c.to_string()),
        ("{T}".into(), t.to_string()),
        ("{org}".into(), org.to_string()),
        ("{n}".into(), n.to_string()),
    ];
    values.extend(targets(maker, &text, t, org, n).await);
    let token = match caller {
        "oo" => template.owner_key.clone(),
        "org2" => template.org2_key.clone(),
        "owner" | "del" => oo.key(a, &["owner"]).await,
        "nso" => oo.key_with(a, json!({"name": "k", "roles": ["owner"], "namespace_id": 1})).await,
        "nsa" => oo.key_with(a, json!({"name": "k", "roles": ["admin"], "namespace_id": 1})).await,
        "multi" => oo.key_with(a, json!({"name": "k", "roles": ["admin"], "tenants": [a, b]})).await,
        "susp" | "out" | "in" => oo.key(a, &["admin"]).await,
        role => oo.key(a, &[role]).await,
    };
    match caller {
        "susp" => drop(ok(&oo, "POST", &format!("/admin/v1/tenants/{a}/suspend"), json!({})).await),
        "del" => drop(ok(&oo, "DELETE", &format!("/admin/v1/tenants/{a}"), json!({})).await),
        "out" => {
            drop(ok(&oo, "PUT", &format!("/admin/v1/tenants/{a}/allowlist"), json!({"networks": ["10.0.0.0/8"]})).await)
        }
        "in" => drop(
            ok(&oo, "PUT", &format!("/admin/v1/tenants/{a}/allowlist"), json!({"networks": ["127.0.0.0/8"]})).await,
        ),
        _ => {}
    }
    if row.setup.as_deref() == Some("op-suspend") {
        // May fail (a deleted tenant stays deleted); the row's statuses say what follows.
        let _ = server.operator(&["tenants", "suspend", &t.to_string()]);
    }
    let fill = |text: &str| values.iter().fold(text.to_owned(), |text, (key, value)| text.replace(key, value));
    let path = fill(&row.path);
    let body = row.body.as_deref().map(|body| serde_json::from_str::<Value>(&fill(body)).expect("body is JSON"));
    let before = snapshot(&server.data_dir);
    let (status, answer) = server.admin(&token).call(&row.method, &path, body.clone()).await;
    let expected = row.expected[column];
    let mut failures = Vec::new();
    let here = || format!("{} x {caller}: {} {path} {}", row.case, row.method, body.clone().unwrap_or(Value::Null));
    if status != expected {
        failures.push(format!("{}: expected {expected}, got {status} {answer}", here()));
    }
    let canonical = match status {
        401 => Some(json!({"error": {"code": "unauthenticated", "message": "unauthenticated"}})),
        404 => Some(json!({"error": {"code": "not_found", "message": "not found"}})),
        _ => None,
    };
    if let Some(canonical) = canonical
        && answer != canonical
    {
        failures.push(format!("{}: every {status} is one body, got {answer}", here()));
    }
    if !(200..300).contains(&expected) && snapshot(&server.data_dir) != before {
        failures.push(format!("{}: a refused call changed the control store", here()));
    }
    failures
}

async fn run_row(index: usize, row: &Row) -> Vec<String> {
    let template = template();
    let dir = TestDir::new();
    copy_dir(&template.data, &dir.path().join("data"));
    let server = Enterprise::start_on(&dir, template.owner_key.clone()).expect("server starts on the copy");
    let mut failures = Vec::new();
    for column in 0..CALLERS.len() {
        failures.extend(cell(&server, row, column, (index * 100 + column) as u64).await);
    }
    failures
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_endpoint_answers_every_caller_by_the_power_of_its_target() {
    let rows = rows();
    assert!(rows.len() >= 60, "the table covers every endpoint");
    for attack in 1..=7 {
        let prefix = format!("attack-{attack}:");
        assert!(rows.iter().any(|row| row.case.starts_with(&prefix)), "attack {attack} is a named case");
    }
    tokio::task::spawn_blocking(template).await.expect("template");
    let failures: Vec<String> = futures::stream::iter(rows.iter().enumerate())
        .map(|(index, row)| run_row(index, row))
        .buffer_unordered(3)
        .flat_map(futures::stream::iter)
        .collect()
        .await;
    assert!(failures.is_empty(), "{} cells failed:\n{}", failures.len(), failures.join("\n"));
}

const OPERATOR_TABLE: &str = include_str!("operator_matrix.table");

#[tokio::test(flavor = "multi_thread")]
async fn the_operators_commands_are_the_break_glass_path() {
    let template = tokio::task::spawn_blocking(template).await.expect("template");
    let dir = TestDir::new();
    copy_dir(&template.data, &dir.path().join("data"));
    let server = Enterprise::start_on(&dir, template.owner_key.clone()).expect("server starts on the copy");
    let oo = server.admin(&template.owner_key);
    let mut failures = Vec::new();
    let rows: Vec<&str> =
        OPERATOR_TABLE.lines().filter(|line| !line.trim().is_empty() && !line.starts_with('#')).collect();
    assert!(rows.len() >= 15);
    for (index, line) in rows.into_iter().enumerate() {
        let fields: Vec<&str> = line.split(" | ").map(str::trim).collect();
        assert_eq!(fields.len(), 4, "four fields: {line}");
        let (case, args, setup, exit) = (fields[0], fields[1], fields[2], fields[3].parse::<i32>().expect("exit"));
        let n = 9_000 + index as u64;
        let a = oo.tenant(&format!("op{n}")).await;
        let mut values = vec![("{A}".to_owned(), a.to_string())];
        values.extend(targets(&oo, args, a, 1, n).await);
        match setup {
            "owner-suspend" => drop(ok(&oo, "POST", &format!("/admin/v1/tenants/{a}/suspend"), json!({})).await),
            "op-suspend" => assert_eq!(server.operator(&["tenants", "suspend", &a.to_string()]).code, 0),
            "fence" => drop(
                ok(&oo, "PUT", &format!("/admin/v1/tenants/{a}/allowlist"), json!({"networks": ["10.0.0.0/8"]})).await,
            ),
            "delete" => drop(ok(&oo, "DELETE", &format!("/admin/v1/tenants/{a}"), json!({})).await),
            _ => {}
        }
        let filled = values.iter().fold(args.to_owned(), |text, (key, value)| text.replace(key, value));
        let words: Vec<&str> = filled.split_whitespace().collect();
        let before = snapshot(&server.data_dir);
        let output = server.operator(&words);
        if output.code != exit {
            failures.push(format!(
                "{case}: admin {filled}: expected exit {exit}, got {} ({})",
                output.code,
                output.stderr.trim()
            ));
        }
        if exit != 0 && snapshot(&server.data_dir) != before {
            failures.push(format!("{case}: a refused command changed the control store"));
        }
    }
    // The operator's actions are audited as such.
    assert!(server.audit().iter().any(|record| record["transport"] == "cli"
        && record["action"] == "tenant.resume"
        && record["outcome"] == "ok"));
    assert!(failures.is_empty(), "{} rows failed:\n{}", failures.len(), failures.join("\n"));
}
