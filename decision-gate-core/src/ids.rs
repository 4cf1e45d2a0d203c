//! Identifiers of the scenario and run model.
//!
//! Tenant and namespace ids are non-zero JSON integers; every other id is an opaque UTF-8
//! string that is never trimmed or normalised (it may even be empty).

use std::fmt;
use std::num::NonZeroU64;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! string_id {
    ($inner:ty => $($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl $name {
            /// Wraps a string as this id.
            pub fn new(value: impl Into<$inner>) -> Self {
                Self(value.into())
            }

            /// The id text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.into())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value.into())
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                self.0.as_ref()
            }
        }
    )*};
}

string_id!(String =>
    /// Scenario identifier (unique per tenant and namespace).
    ScenarioId,
    /// Opaque version label of a scenario spec.
    SpecVersion,
    /// Run identifier (unique per tenant and namespace).
    RunId,
    /// Stage identifier (unique within a spec).
    StageId,
    /// Gate identifier (unique across all stages of a spec).
    GateId,
    /// Packet identifier (unique across all stages of a spec).
    PacketId,
    /// Evidence provider identifier.
    ProviderId,
    /// Trigger identifier: the idempotency key of a trigger within a run.
    TriggerId,
    /// Decision identifier (`decision-<seq>`).
    DecisionId,
    /// Caller-supplied correlation identifier.
    CorrelationId,
    /// Schema identifier (free text on packets; registry key on data shapes).
    SchemaId,
    /// Data shape identifier.
    DataShapeId,
    /// Data shape version (opaque, ordered byte-wise).
    DataShapeVersion,
    /// Policy identifier.
    PolicyId,
    /// Submission identifier: the idempotency key of a submission within a run.
    SubmissionId,
);

macro_rules! nonzero_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(NonZeroU64);

        impl $name {
            /// Builds the id; `None` for zero.
            pub const fn new(value: u64) -> Option<Self> {
                match NonZeroU64::new(value) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }

            /// The numeric value (always at least 1).
            pub const fn get(self) -> u64 {
                self.0.get()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_u64(self.0.get())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = u64::deserialize(deserializer)?;
                Self::new(raw).ok_or_else(|| {
                    serde::de::Error::invalid_value(
                        serde::de::Unexpected::Unsigned(raw),
                        &"a nonzero u64",
                    )
                })
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let raw: u64 = text.parse().map_err(|_| format!("invalid id: {text}"))?;
                Self::new(raw).ok_or_else(|| "expected a nonzero u64".to_owned())
            }
        }
    )*};
}

string_id!(Arc<str> =>
    /// Condition identifier (unique within a spec's conditions). Shared, because traces and
    /// evidence records copy it for every leaf visit.
    ConditionId,
);

nonzero_id!(
    /// Tenant identifier (non-zero integer).
    TenantId,
    /// Namespace identifier (non-zero integer; `1` is the reserved default namespace).
    NamespaceId,
);

impl NamespaceId {
    /// The reserved default namespace (`1`).
    pub const DEFAULT: NamespaceId = NamespaceId(NonZeroU64::MIN);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_zero_is_rejected_with_the_spec_message() {
        let err = serde_json::from_str::<TenantId>("0").unwrap_err().to_string();
        assert!(err.contains("expected a nonzero u64"), "{err}");
        assert_eq!(serde_json::from_str::<TenantId>("7").unwrap().get(), 7);
        assert!(serde_json::from_str::<NamespaceId>("-1").is_err());
        assert!(serde_json::from_str::<NamespaceId>("1.5").is_err());
        assert!(serde_json::from_str::<NamespaceId>("\"1\"").is_err());
    }

    #[test]
    fn string_ids_are_opaque() {
        let id: RunId = serde_json::from_str("\"  run \"").unwrap();
        assert_eq!(id.as_str(), "  run ");
        let empty: StageId = serde_json::from_str("\"\"").unwrap();
        assert_eq!(empty.as_str(), "");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"  run \"");
    }

    #[test]
    fn default_namespace_is_one() {
        assert_eq!(NamespaceId::DEFAULT.get(), 1);
    }
}
