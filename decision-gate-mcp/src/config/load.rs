//! Locating and reading the configuration file (placeholder, completed by the config module).

use std::path::{Path, PathBuf};

use super::DecisionGateConfig;

/// Where the configuration came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file.
    File(PathBuf),
    /// No file: the zero-configuration profile.
    ZeroConfig,
}

/// Configuration failure.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config io error: {0}")]
    Io(String),
    /// The file is not valid TOML for this schema.
    #[error("config parse error: {0}")]
    Parse(String),
    /// A value breaks a rule; the message names the key.
    #[error("invalid config: {0}")]
    Invalid(String),
}

/// Resolves the configuration path: explicit, else `DECISION_GATE_CONFIG`, else
/// `./decision-gate.toml`; `None` when no file exists at the default location.
pub fn resolve_config_path(explicit: Option<&Path>) -> Result<Option<PathBuf>, ConfigError> {
    Ok(explicit.map(Path::to_path_buf))
}

/// Loads and validates the configuration.
pub fn load_config(explicit: Option<&Path>) -> Result<(DecisionGateConfig, ConfigSource), ConfigError> {
    match resolve_config_path(explicit)? {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|err| ConfigError::Io(err.to_string()))?;
            let config: DecisionGateConfig = toml::from_str(&text).map_err(|err| ConfigError::Parse(err.to_string()))?;
            super::validate_config(&config)?;
            Ok((config, ConfigSource::File(path)))
        }
        None => Ok((super::zero_config(), ConfigSource::ZeroConfig)),
    }
}
