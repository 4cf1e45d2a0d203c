//! Locating and reading `decision-gate.toml` (mcp-surface §11.1) and the data directory.
//!
//! Resolution order: the CLI's explicit path, else the `DECISION_GATE_CONFIG` environment
//! variable, else `./decision-gate.toml`. Only when none of them names a file (no explicit path,
//! no variable, and no default file) does the server run the zero-configuration profile alone.
//! An explicit or environment path that does not exist is an error, never a silent fallback.
//!
//! A file layers on the zero-configuration profile: keys it leaves out keep their zero-config
//! values ([`super::layer`]). Unknown keys are errors naming the key, its line and column, with
//! a suggestion when a known key is close ([`super::diagnostics`]).
//!
//! The data directory holds what the zero-configuration profile stores (the SQLite file,
//! runpacks, the evidence root, the audit log): `--data-dir`, else `DECISION_GATE_HOME`, else
//! `./.decision-gate`.

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::DecisionGateConfig;
use super::validate::{MAX_PATH_BYTES, check_path_shape};

/// Environment variable naming the configuration file.
pub const CONFIG_ENV_VAR: &str = "DECISION_GATE_CONFIG";

/// File name looked up in the current directory when no path is given.
pub const DEFAULT_CONFIG_FILE: &str = "decision-gate.toml";

/// Largest accepted configuration file (1 MiB).
pub const MAX_CONFIG_FILE_BYTES: u64 = 1_048_576;

/// Environment variable naming the data directory.
pub const DATA_DIR_ENV_VAR: &str = "DECISION_GATE_HOME";

/// Data directory (below the current directory) when none is given.
pub const DEFAULT_DATA_DIR: &str = ".decision-gate";

/// Where the configuration came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file.
    File(PathBuf),
    /// No file: the zero-configuration profile.
    ZeroConfig,
}

/// Configuration failure. The display forms are `config io error: …`, `config parse error: …`
/// and `invalid config: …` (the reason names the offending key).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be located or read.
    #[error("config io error: {0}")]
    Io(String),
    /// The file is not UTF-8 TOML matching this schema.
    #[error("config parse error: {0}")]
    Parse(String),
    /// A value breaks a rule; the message names the key.
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl ConfigError {
    /// Prefixes a parse error with the file it comes from.
    fn in_file(self, path: &Path) -> Self {
        match self {
            ConfigError::Parse(message) => ConfigError::Parse(format!("{}: {message}", path.display())),
            other => other,
        }
    }
}

/// A loaded, validated configuration.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    /// The configuration (validated; anchor `required_fields` normalised).
    pub config: DecisionGateConfig,
    /// Where it came from.
    pub source: ConfigSource,
    /// Modification time of the file (`None` for the zero-configuration profile or when the
    /// platform does not report it); the dev-permissive TTL warning is measured from it.
    pub modified: Option<SystemTime>,
    /// The data directory (absolute).
    pub data_dir: PathBuf,
}

/// The data directory: `explicit` (`--data-dir`), else `DECISION_GATE_HOME`, else
/// `./.decision-gate`; made absolute against the current directory.
pub fn resolve_data_dir(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let env_value = std::env::var_os(DATA_DIR_ENV_VAR);
    let chosen = match (explicit, env_value.as_deref()) {
        (Some(path), _) => {
            check_config_path("--data-dir", path)?;
            path.to_path_buf()
        }
        (None, Some(value)) if !value.is_empty() => {
            check_config_path(DATA_DIR_ENV_VAR, Path::new(value))?;
            PathBuf::from(value)
        }
        _ => PathBuf::from(DEFAULT_DATA_DIR),
    };
    if chosen.is_absolute() {
        return Ok(chosen);
    }
    let base = std::env::current_dir().map_err(|err| ConfigError::Io(format!("current directory: {err}")))?;
    Ok(base.join(chosen))
}

/// Resolves the configuration path: `explicit` (CLI `--config`), else `DECISION_GATE_CONFIG`,
/// else `./decision-gate.toml`.
///
/// Returns `Ok(None)` only when no explicit path and no environment variable were given and
/// `./decision-gate.toml` does not exist (the zero-configuration case). An explicit or
/// environment path that does not exist is a `config io error`; an over-long or blank path is
/// `invalid config`.
pub fn resolve_config_path(explicit: Option<&Path>) -> Result<Option<PathBuf>, ConfigError> {
    let env_value = std::env::var_os(CONFIG_ENV_VAR);
    resolve_config_path_with(explicit, env_value.as_deref(), Path::new("."))
}

/// [`resolve_config_path`] with the environment value and the directory holding the default
/// file passed in (tests use this instead of mutating the process environment).
pub(crate) fn resolve_config_path_with(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    default_dir: &Path,
) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(path) = explicit {
        check_config_path("--config", path)?;
        require_exists(path)?;
        return Ok(Some(path.to_path_buf()));
    }
    if let Some(value) = env_value {
        let path = Path::new(value);
        check_config_path(CONFIG_ENV_VAR, path)?;
        require_exists(path)?;
        return Ok(Some(path.to_path_buf()));
    }
    let default = default_dir.join(DEFAULT_CONFIG_FILE);
    match fs::symlink_metadata(&default) {
        Ok(_) => Ok(Some(default)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(ConfigError::Io(format!("{}: {err}", default.display()))),
    }
}

/// Loads the configuration with the data directory of [`resolve_data_dir`]`(None)`.
pub fn load_config(explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
    load_config_in(explicit, &resolve_data_dir(None)?)
}

/// Loads the configuration: resolves the path ([`resolve_config_path`]), then reads the file
/// and layers it on the zero-configuration profile of `data_dir` ([`load_config_file_in`]);
/// with no file, returns the validated zero-configuration profile ([`super::zero_config_in`]).
pub fn load_config_in(explicit: Option<&Path>, data_dir: &Path) -> Result<LoadedConfig, ConfigError> {
    match resolve_config_path(explicit)? {
        Some(path) => load_config_file_in(&path, data_dir),
        None => {
            let config = super::zero_config_in(data_dir);
            super::validate_config(&config)?;
            Ok(LoadedConfig { config, source: ConfigSource::ZeroConfig, modified: None, data_dir: data_dir.to_owned() })
        }
    }
}

/// [`load_config_file_in`] with the data directory of [`resolve_data_dir`]`(None)`.
pub fn load_config_file(path: &Path) -> Result<LoadedConfig, ConfigError> {
    load_config_file_in(path, &resolve_data_dir(None)?)
}

/// Reads one configuration file (a regular file of at most 1 MiB of UTF-8 TOML), layers it on
/// the zero-configuration profile of `data_dir` and validates the result.
pub fn load_config_file_in(path: &Path, data_dir: &Path) -> Result<LoadedConfig, ConfigError> {
    check_config_path("config path", path)?;
    let io_error = |err: std::io::Error| ConfigError::Io(format!("{}: {err}", path.display()));
    // Refuse non-regular files before opening (opening a FIFO for reading would block).
    let metadata = fs::metadata(path).map_err(io_error)?;
    if !metadata.is_file() {
        return Err(ConfigError::Io(format!("{}: not a regular file", path.display())));
    }
    let file = fs::File::open(path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    if metadata.len() > MAX_CONFIG_FILE_BYTES {
        return Err(too_large());
    }
    let modified = metadata.modified().ok();
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io_error)?;
    if bytes.len() as u64 > MAX_CONFIG_FILE_BYTES {
        return Err(too_large());
    }
    let text =
        String::from_utf8(bytes).map_err(|_| ConfigError::Parse(format!("{}: file is not UTF-8", path.display())))?;
    let config = parse_layered_config(&text, data_dir).map_err(|err| err.in_file(path))?;
    Ok(LoadedConfig { config, source: ConfigSource::File(path.to_path_buf()), modified, data_dir: data_dir.to_owned() })
}

/// Parses configuration text standing alone (keys left out take their built-in defaults, not
/// the zero-configuration profile's), validates it ([`super::validate_config`]) and normalises
/// it (anchor `required_fields` trimmed, de-duplicated and sorted). Unknown keys are errors.
pub fn parse_config(text: &str) -> Result<DecisionGateConfig, ConfigError> {
    let config: DecisionGateConfig =
        toml::from_str(text).map_err(|err| ConfigError::Parse(super::diagnostics::describe(text, &err)))?;
    finish(config)
}

/// Parses configuration text and layers it on the zero-configuration profile of `data_dir`:
/// keys the text leaves out keep their zero-config values. Unknown keys are errors.
pub fn parse_layered_config(text: &str, data_dir: &Path) -> Result<DecisionGateConfig, ConfigError> {
    // Strict parse of the text alone first: unknown keys are reported where the user wrote them.
    let file: toml::Table =
        toml::from_str(text).map_err(|err| ConfigError::Parse(super::diagnostics::describe(text, &err)))?;
    toml::from_str::<DecisionGateConfig>(text)
        .map_err(|err| ConfigError::Parse(super::diagnostics::describe(text, &err)))?;
    let merged = super::layer::layer_on_zero_config(file, data_dir)?;
    let config: DecisionGateConfig =
        merged.try_into().map_err(|err: toml::de::Error| ConfigError::Parse(err.message().to_owned()))?;
    finish(config)
}

fn finish(mut config: DecisionGateConfig) -> Result<DecisionGateConfig, ConfigError> {
    super::validate_config(&config)?;
    for anchor in &mut config.anchors.providers {
        anchor.required_fields = anchor.normalized_required_fields();
    }
    Ok(config)
}

fn too_large() -> ConfigError {
    ConfigError::Invalid(format!("config file exceeds {MAX_CONFIG_FILE_BYTES} bytes"))
}

fn require_exists(path: &Path) -> Result<(), ConfigError> {
    fs::metadata(path).map(|_| ()).map_err(|err| ConfigError::Io(format!("{}: {err}", path.display())))
}

/// §11.1: the configuration path is at most 4096 characters with components of at most 255.
fn check_config_path(what: &str, path: &Path) -> Result<(), ConfigError> {
    let text = path.as_os_str().to_string_lossy();
    if text.trim().is_empty() {
        return Err(ConfigError::Invalid(format!("{what} must not be empty")));
    }
    let chars = text.chars().count();
    if chars > MAX_PATH_BYTES {
        return Err(ConfigError::Invalid(format!("{what} is {chars} characters long (at most {MAX_PATH_BYTES})")));
    }
    check_path_shape(what, path, |component| component.to_string_lossy().chars().count()).map_err(ConfigError::Invalid)
}
