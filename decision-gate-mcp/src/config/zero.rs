//! The zero-configuration profile (placeholder, completed by the config module).

use super::DecisionGateConfig;

/// The configuration used when no file exists.
pub fn zero_config() -> DecisionGateConfig {
    DecisionGateConfig::default()
}
