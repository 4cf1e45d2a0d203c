//! Configuration rules (placeholder, completed by the config module).

use super::{ConfigError, DecisionGateConfig};

/// Checks every rule of the configuration; the error names the offending key.
pub fn validate_config(_config: &DecisionGateConfig) -> Result<(), ConfigError> {
    Ok(())
}
