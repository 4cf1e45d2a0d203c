// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Client certificates map to principals by (issuing CA, subject), and an organisation
//! registers subjects only under CAs the operator bound to it: no organisation can claim
//! another's certificate identity, and no refusal tells a subject registered elsewhere apart
//! from one under a CA not bound to the organisation or one registered by the organisation
//! itself.

use enterprise_system_tests::{Admin, Enterprise};
use rcgen::SanType;
use serde_json::{Value, json};
use system_tests::TestDir;
use system_tests::tls::TestCa;

fn ca_id(cas: &Value, common_name: &str) -> String {
    let items = cas["items"].as_array().expect("items");
    let found = items.iter().find(|ca| ca["name"].as_str().is_some_and(|name| name.contains(common_name)));
    found.expect("CA registered at start")["ca_id"].as_str().expect("id").to_owned()
}

async fn register(admin: &Admin, name: &str, subject: &str, ca: &str) -> (u16, Value) {
    let body = json!({"name": name, "cert_subjects": [subject], "client_ca": ca});
    admin.call("POST", "/admin/v1/principals", Some(body)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn certificate_subjects_cannot_be_squatted_or_probed_across_organisations() {
    let dir = TestDir::new();
    let (one, two) = (TestCa::named("CA one"), TestCa::named("CA two"));
    let server_cert = one.server();
    let tls = format!(
        "[server]\ntransport = \"http\"\nbind = \"127.0.0.1:0\"\n\n[server.tls]\ncert_path = \"{}\"\nkey_path = \"{}\"\nclient_ca_path = \"{}\"\nrequire_client_cert = false\n\n[enterprise]\ncredential_cache_ttl_ms = 0\n",
        dir.write("tls/server.pem", &server_cert.cert).display(),
        dir.write("tls/server.key", &server_cert.key).display(),
        dir.write("tls/cas.pem", format!("{}{}", one.pem, two.pem)).display(),
    );
    let server = Enterprise::start_with(&dir, Some(&tls), Some(TestCa::named("unused")), &[]).unwrap();
    // The operator: both configured CAs were registered for organisation 1 at start; CA two
    // goes to a second organisation instead, with its own owner.
    let cas = server.operator(&["client-cas", "list"]).ok();
    let (ca_one, ca_two) = (ca_id(&cas, "CA one"), ca_id(&cas, "CA two"));
    server.operator(&["client-cas", "unbind", &ca_two, "--org", "1"]).ok();
    server.operator(&["orgs", "create", "globex"]).ok();
    server.operator(&["client-cas", "bind", &ca_two, "--org", "2"]).ok();
    let tenant = server.operator(&["tenants", "create", "g", "--org", "2"]).ok()["tenant_id"].to_string();
    let owner2 = server.operator(&["principals", "create", "owner2", "--kind", "user", "--org", "2"]).ok();
    let owner2 = owner2["principal_id"].as_str().unwrap().to_owned();
    server.operator(&["orgs", "grant-owner", "2", &owner2]).ok();
    let issued = server.operator(&[
        "keys",
        "issue",
        &tenant,
        "--name",
        "o2",
        "--role",
        "owner",
        "--principal",
        &owner2,
        "--org-owner",
    ]);
    let trusted = |pem: &TestCa, client: Option<&system_tests::tls::Pem>, key: &str| {
        Admin::with(pem.http(&server.server.base, client), key)
    };
    let org1 = trusted(&one, None, &server.owner_key);
    let org2 = trusted(&one, None, issued.ok()["token"].as_str().unwrap());

    // Organisation 1 registers the subject under its CA.
    let (status, alpha) = register(&org1, "alpha", "shared.clients.test", &ca_one).await;
    assert_eq!(status, 201, "{alpha}");
    // Organisation 2 cannot take it, under a CA it is not bound to or (once bound) under the CA
    // where organisation 1 holds it, and the answer is the one every unregistrable subject gets.
    let (status, unbound) = register(&org2, "squat", "shared.clients.test", &ca_one).await;
    assert_eq!(status, 409, "{unbound}");
    server.operator(&["client-cas", "bind", &ca_one, "--org", "2"]).ok();
    let (status, taken) = register(&org2, "squat", "shared.clients.test", &ca_one).await;
    assert_eq!((status, &taken), (409, &unbound), "no oracle: taken elsewhere reads like a CA not bound");
    let (status, own) = register(&org1, "again", "shared.clients.test", &ca_one).await;
    assert_eq!((status, &own), (409, &unbound), "nor like taken by one's own organisation");
    // A malformed subject breaks the documented form: 400, whatever is registered.
    let (status, malformed) = register(&org2, "bad", "bad\u{1}subject", &ca_two).await;
    assert_eq!((status, &malformed["error"]["code"]), (400, &json!("invalid_request")));
    let (status, _) = org2.call("GET", "/admin/v1/principals", None).await;
    assert_eq!(status, 200);
    // The same name under CA two is organisation 2's own identity.
    let (status, beta) = register(&org2, "beta", "shared.clients.test", &ca_two).await;
    assert_eq!(status, 201, "{beta}");

    // Each certificate authenticates as its own organisation's principal.
    let san = || vec![SanType::DnsName("shared.clients.test".try_into().unwrap())];
    let from_one = one.client("c1", san());
    let from_two = two.client("c2", san());
    let whoami = |client: &system_tests::tls::Pem| {
        let http = one.http(&server.server.base, Some(client));
        async move { http.get("/admin/v1/whoami").await }
    };
    let first = whoami(&from_one).await;
    assert_eq!((first.status, &first.json()["principal_id"]), (200, &alpha["principal_id"]));
    let second = whoami(&from_two).await;
    assert_eq!((second.status, &second.json()["principal_id"]), (200, &beta["principal_id"]));
    assert_eq!(second.json()["org_id"], 2);
    // Withdrawing CA two from organisation 2 ends its certificates there.
    server.operator(&["client-cas", "unbind", &ca_two, "--org", "2"]).ok();
    assert_eq!(whoami(&from_two).await.status, 401);
    assert_eq!(whoami(&from_one).await.status, 200);
}
