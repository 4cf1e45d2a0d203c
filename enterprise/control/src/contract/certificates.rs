// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Contract checks: client CAs and the certificate subjects registered under them.

use crate::model::{CertSubject, PrincipalKind};
use crate::store::{ControlError, ControlStore};

const CA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const CA_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn subject(ca: &str, name: &str) -> CertSubject {
    CertSubject { ca_id: ca.to_owned(), subject: name.to_owned() }
}

async fn principal(
    store: &dyn ControlStore,
    org: u64,
    id: &str,
    subjects: Vec<CertSubject>,
) -> Result<crate::model::PrincipalRecord, ControlError> {
    store.create_principal(org, id.to_owned(), id.to_owned(), PrincipalKind::Service, subjects).await
}

/// A subject is registered only under a CA bound to the principal's organisation; the same
/// name under two CAs is two identities; every refusal is the same answer.
pub async fn subjects_are_registered_under_a_ca_bound_to_the_organisation(store: &dyn ControlStore) {
    let acme = store.create_org("acme".to_owned()).await.unwrap().org_id;
    let globex = store.create_org("globex".to_owned()).await.unwrap().org_id;
    assert!(store.register_client_ca(CA_A.to_owned(), "CN=A".to_owned()).await.unwrap());
    assert!(!store.register_client_ca(CA_A.to_owned(), "CN=A".to_owned()).await.unwrap(), "idempotent");
    assert!(store.register_client_ca(CA_B.to_owned(), "CN=B".to_owned()).await.unwrap());
    assert!(matches!(
        store.register_client_ca("nothex".to_owned(), "x".to_owned()).await,
        Err(ControlError::Invalid(_))
    ));
    store.bind_client_ca(CA_A.to_owned(), acme).await.unwrap();
    store.bind_client_ca(CA_A.to_owned(), globex).await.unwrap();
    store.bind_client_ca(CA_B.to_owned(), globex).await.unwrap();
    assert!(matches!(store.bind_client_ca(CA_B.to_owned(), 99).await, Err(ControlError::NotFound(_))));
    let cas = store.list_client_cas().await.unwrap();
    assert_eq!(
        cas.iter().map(|ca| (ca.ca_id.as_str(), ca.orgs.clone())).collect::<Vec<_>>(),
        [(CA_A, vec![acme, globex]), (CA_B, vec![globex])]
    );

    let ci = principal(store, acme, "prn_ci", vec![subject(CA_A, "ci.test")]).await.unwrap();
    assert_eq!(ci.cert_subjects, [subject(CA_A, "ci.test")]);
    assert_eq!(store.principal_by_cert_subject(subject(CA_A, "ci.test")).await.unwrap(), Some(ci.clone()));
    assert_eq!(store.principal_by_cert_subject(subject(CA_B, "ci.test")).await.unwrap(), None, "another CA's");
    assert_eq!(store.principal_by_cert_subject(subject(CA_A, "CI.TEST")).await.unwrap(), None, "exact match");

    // Refusals: taken (by another organisation), a CA not bound to the organisation, malformed.
    let refusals = [
        principal(store, globex, "prn_x", vec![subject(CA_A, "ci.test")]).await,
        principal(store, acme, "prn_y", vec![subject(CA_B, "other.test")]).await,
        principal(store, acme, "prn_z", vec![subject(CA_A, "bad\nname")]).await,
    ];
    let messages: Vec<String> = refusals
        .into_iter()
        .map(|refusal| match refusal {
            Err(ControlError::Conflict(message)) => message,
            other => panic!("expected the one conflict answer: {other:?}"),
        })
        .collect();
    assert!(messages.iter().all(|message| *message == messages[0]), "one answer for every reason: {messages:?}");
    for (org, id) in [(globex, "prn_x"), (acme, "prn_y"), (acme, "prn_z")] {
        assert_eq!(store.get_principal(org, id.to_owned()).await.unwrap(), None, "nothing of a refused create");
    }
    // The same name under another CA is another identity.
    let other = principal(store, globex, "prn_b", vec![subject(CA_B, "ci.test")]).await.unwrap();
    assert_eq!(store.principal_by_cert_subject(subject(CA_B, "ci.test")).await.unwrap(), Some(other));
}

/// Unbinding a CA from an organisation stops its subjects there; subjects kept from before
/// subjects were per CA are adopted by a named CA.
pub async fn a_withdrawn_ca_no_longer_authenticates_and_legacy_subjects_are_adopted(store: &dyn ControlStore) {
    let acme = store.create_org("acme".to_owned()).await.unwrap().org_id;
    store.register_client_ca(CA_A.to_owned(), "CN=A".to_owned()).await.unwrap();
    store.bind_client_ca(CA_A.to_owned(), acme).await.unwrap();
    principal(store, acme, "prn_ci", vec![subject(CA_A, "ci.test")]).await.unwrap();
    assert!(store.unbind_client_ca(CA_A.to_owned(), acme).await.unwrap());
    assert!(!store.unbind_client_ca(CA_A.to_owned(), acme).await.unwrap());
    assert_eq!(store.principal_by_cert_subject(subject(CA_A, "ci.test")).await.unwrap(), None);
    assert_eq!(store.adopt_unassigned_cert_subjects(CA_A.to_owned()).await.unwrap(), 0);
    assert!(matches!(store.adopt_unassigned_cert_subjects(CA_B.to_owned()).await, Err(ControlError::NotFound(_))));
}
