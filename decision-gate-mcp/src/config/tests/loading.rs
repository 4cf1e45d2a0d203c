//! The zero-configuration profile, configuration file loading and path resolution.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::{FULL_EXAMPLE, env_lock, parse_ok};
use crate::config::load::resolve_config_path_with;
use crate::config::{
    AuthMode, CONFIG_ENV_VAR, ConfigError, ConfigSource, DEFAULT_CONFIG_FILE, ProviderType, RoleBinding, StoreType,
    TransportKind, apply_http_override, load_config, load_config_file, validate_config, zero_config, zero_config_in,
};

// ---------------------------------------------------------------------------------------------
// Zero configuration

#[test]
fn zero_config_is_valid_and_matches_the_profile() {
    let base = tempfile::tempdir().expect("tempdir");
    let config = zero_config_in(base.path());
    validate_config(&config).expect("zero config validates");
    let database = base.path().join("decision-gate.db");
    assert_eq!(config.server.transport, TransportKind::Stdio);
    assert_eq!(config.server.auth.mode, AuthMode::LocalOnly);
    assert_eq!(config.run_state_store.store_type, StoreType::Sqlite);
    assert_eq!(config.run_state_store.path.as_deref(), Some(database.as_path()));
    assert_eq!(config.schema_registry.store.store_type, StoreType::Sqlite);
    assert_eq!(config.schema_registry.store.path.as_deref(), Some(database.as_path()));
    assert!(config.schema_registry.acl.allow_local_only);
    assert!(config.namespace.allow_default);
    assert_eq!(config.namespace.default_tenants, vec![1]);
    let runpacks = base.path().join("runpacks");
    assert_eq!(config.runpack.root_dir.as_deref(), Some(runpacks.as_path()));
    let names: Vec<&str> = config.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["time", "env", "json", "http"]);
    assert!(config.providers.iter().all(|p| p.provider_type == ProviderType::Builtin));
    let json = config.providers[2].config.as_ref().expect("json config");
    assert_eq!(json["root"], base.path().join("evidence").to_string_lossy().as_ref());
    assert_eq!(json["root_id"], "evidence-root");
    assert_eq!(json["max_bytes"], 1_048_576);
    assert_eq!(json["allow_yaml"], true);
    assert_eq!(config.server.audit.path.as_deref(), Some(base.path().join("audit.jsonl").as_path()));
    assert_eq!(config.server.feedback.scenario_next.max, crate::config::FeedbackLevel::Evidence);
    for subject in ["stdio", "loopback"] {
        let principal = config.server.auth.principals.iter().find(|p| p.subject == subject).expect("principal");
        assert_eq!(
            principal.roles,
            vec![RoleBinding { name: "TenantAdmin".to_owned(), tenant_id: None, namespace_id: None }]
        );
    }
    // The profile survives a TOML round trip (so `config validate` of a dumped profile agrees).
    let text = toml::to_string(&config).expect("serialise");
    assert_eq!(parse_ok(&text), config);
}

#[test]
fn zero_config_resolves_against_the_current_directory() {
    let _guard = env_lock();
    let config = zero_config();
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(config.runpack.root_dir, Some(cwd.join(".decision-gate").join("runpacks")));
    assert!(config.runpack.root_dir.as_deref().is_some_and(Path::is_absolute));
}

#[test]
fn http_override() {
    let base = tempfile::tempdir().expect("tempdir");
    let mut config = zero_config_in(base.path());
    apply_http_override(&mut config, "127.0.0.1:8080");
    assert_eq!(config.server.transport, TransportKind::Http);
    assert_eq!(config.server.bind.as_deref(), Some("127.0.0.1:8080"));
    validate_config(&config).expect("loopback http is valid");
    apply_http_override(&mut config, "0.0.0.0:8080");
    let err = validate_config(&config).expect_err("local_only cannot bind non-loopback");
    assert!(err.to_string().contains("server.bind"), "{err}");
    apply_http_override(&mut config, "localhost:8080");
    assert!(validate_config(&config).is_err());
}

// ---------------------------------------------------------------------------------------------
// Loading and path resolution

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path
}

#[test]
fn resolution_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let explicit = write(dir.path(), "explicit.toml", b"");
    let from_env = write(dir.path(), "env.toml", b"");
    let empty_dir = tempfile::tempdir().expect("tempdir");

    let resolve = |explicit: Option<&Path>, env: Option<&OsStr>, base: &Path| {
        resolve_config_path_with(explicit, env, base).expect("resolves")
    };
    // Explicit beats the environment, which beats the default file.
    write(dir.path(), DEFAULT_CONFIG_FILE, b"");
    assert_eq!(resolve(Some(&explicit), Some(from_env.as_os_str()), dir.path()), Some(explicit.clone()));
    assert_eq!(resolve(None, Some(from_env.as_os_str()), dir.path()), Some(from_env.clone()));
    assert_eq!(resolve(None, None, dir.path()), Some(dir.path().join(DEFAULT_CONFIG_FILE)));
    // Nothing given and no default file: zero configuration.
    assert_eq!(resolve(None, None, empty_dir.path()), None);
    // A named file that does not exist is an io error, never a fallback.
    let missing = dir.path().join("missing.toml");
    for (explicit, env) in [(Some(missing.as_path()), None), (None, Some(missing.as_os_str()))] {
        match resolve_config_path_with(explicit, env, empty_dir.path()) {
            Err(err @ ConfigError::Io(_)) => assert!(err.to_string().starts_with("config io error: "), "{err}"),
            other => panic!("expected an io error, got {other:?}"),
        }
    }
}

#[test]
fn config_path_limits() {
    let base = tempfile::tempdir().expect("tempdir");
    let long_env = "a".repeat(4097);
    let long_component = format!("/{}/x.toml", "c".repeat(256));
    let cases: [(Option<&Path>, Option<&OsStr>, &str); 4] = [
        (None, Some(OsStr::new(&long_env)), CONFIG_ENV_VAR),
        (None, Some(OsStr::new("  ")), CONFIG_ENV_VAR),
        (Some(Path::new(&long_component)), None, "--config"),
        (Some(Path::new("")), None, "--config"),
    ];
    for (explicit, env, key) in cases {
        match resolve_config_path_with(explicit, env, base.path()) {
            Err(ConfigError::Invalid(message)) => assert!(message.contains(key), "{message}"),
            other => panic!("expected invalid config, got {other:?}"),
        }
    }
    // 4096 characters is the limit, measured in characters (a 2-byte character counts once).
    let multibyte = format!("/{}", "é/".repeat(2047));
    assert_eq!(multibyte.chars().count(), 4095);
    match resolve_config_path_with(None, Some(OsStr::new(&multibyte)), base.path()) {
        Err(ConfigError::Io(_)) => {}
        other => panic!("expected the length check to pass and the lookup to fail, got {other:?}"),
    }
}

#[test]
fn load_config_file_reads_validates_and_remembers_mtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "dg.toml", FULL_EXAMPLE.as_bytes());
    let loaded = load_config_file(&path).expect("loads");
    assert_eq!(loaded.source, ConfigSource::File(path.clone()));
    assert_eq!(loaded.config, parse_ok(FULL_EXAMPLE));
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    assert!(modified.is_some());
    assert_eq!(loaded.modified, modified);
    // Through `load_config` with an explicit path.
    let loaded = load_config(Some(&path)).expect("loads");
    assert_eq!(loaded.source, ConfigSource::File(path));
}

#[test]
fn load_config_file_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expect = |path: &Path, prefix: &str, fragment: &str| match load_config_file(path) {
        Ok(_) => panic!("expected an error for {}", path.display()),
        Err(err) => {
            let message = err.to_string();
            assert!(message.starts_with(prefix) && message.contains(fragment), "{message}");
        }
    };
    expect(&dir.path().join("missing.toml"), "config io error: ", "missing.toml");
    expect(dir.path(), "config io error: ", "not a regular file");
    let big = write(dir.path(), "big.toml", &vec![b'#'; 1_048_577]);
    expect(&big, "invalid config: ", "config file exceeds 1048576 bytes");
    let limit = write(dir.path(), "limit.toml", &vec![b'#'; 1_048_576]);
    assert!(load_config_file(&limit).is_ok());
    let latin1 = write(dir.path(), "latin1.toml", b"[server]\n# caf\xe9\n");
    expect(&latin1, "config parse error: ", "UTF-8");
    let bad = write(dir.path(), "bad.toml", b"[server\n");
    expect(&bad, "config parse error: ", "");
    let invalid = write(dir.path(), "invalid.toml", b"[server]\nmax_body_bytes = 0\n");
    expect(&invalid, "invalid config: ", "server.max_body_bytes must be greater than 0");
}

/// Runs in a child process started by [`env_var_selects_the_config_file`]; a no-op otherwise.
#[test]
fn env_var_child_probe() {
    let Some(expected) = std::env::var_os("DG_CONFIG_TEST_EXPECT") else { return };
    let loaded = load_config(None).unwrap_or_else(|err| panic!("DECISION_GATE_CONFIG not loaded: {err}"));
    assert_eq!(loaded.source, ConfigSource::File(PathBuf::from(&expected)));
    assert_eq!(loaded.config.server.max_body_bytes, 4242);
    assert!(loaded.modified.is_some());
    // An explicit path still wins over the variable.
    let explicit = PathBuf::from(std::env::var_os("DG_CONFIG_TEST_EXPLICIT").expect("explicit path"));
    assert_eq!(load_config(Some(&explicit)).expect("explicit").source, ConfigSource::File(explicit));
}

/// The process environment cannot be changed without `unsafe` in edition 2024 (and the
/// workspace forbids `unsafe`), so the real `DECISION_GATE_CONFIG` lookup is exercised in a child
/// test process that receives the variable at spawn.
#[test]
fn env_var_selects_the_config_file() {
    let _guard = env_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let from_env = write(dir.path(), "from-env.toml", b"[server]\nmax_body_bytes = 4242\n");
    let explicit = write(dir.path(), "explicit.toml", b"");
    // A default file in the child's working directory must lose against the variable.
    write(dir.path(), DEFAULT_CONFIG_FILE, b"[server]\nmax_body_bytes = 1\n");
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new(exe)
        .args(["config::tests::loading::env_var_child_probe", "--exact", "--test-threads=1", "--nocapture"])
        .current_dir(dir.path())
        .env(CONFIG_ENV_VAR, &from_env)
        .env("DG_CONFIG_TEST_EXPECT", &from_env)
        .env("DG_CONFIG_TEST_EXPLICIT", &explicit)
        .output()
        .expect("spawn child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("1 passed"), "child did not run the probe:\n{stdout}");

    // With a missing file in the variable the child must fail rather than fall back.
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["config::tests::loading::env_var_child_probe", "--exact", "--test-threads=1"])
        .current_dir(dir.path())
        .env(CONFIG_ENV_VAR, dir.path().join("missing.toml"))
        .env("DG_CONFIG_TEST_EXPECT", dir.path().join("missing.toml"))
        .env("DG_CONFIG_TEST_EXPLICIT", &explicit)
        .output()
        .expect("spawn child test");
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("config io error"), "{stdout}");
}

#[test]
fn load_config_without_a_file_uses_the_zero_profile() {
    let _guard = env_lock();
    // Only meaningful when the test process has no config in its environment or directory.
    if std::env::var_os(CONFIG_ENV_VAR).is_some() || Path::new(DEFAULT_CONFIG_FILE).exists() {
        return;
    }
    let loaded = load_config(None).expect("zero config");
    assert_eq!(loaded.source, ConfigSource::ZeroConfig);
    assert!(loaded.modified.is_none());
    assert_eq!(loaded.config, zero_config());
}
