//! Rules of the storage sections: `[run_state_store]`, `[schema_registry]`, `[runpack]` and
//! `[runpack_storage]`.

use super::{parse_ok, reject};
use crate::config::{ConfigError, parse_config};

#[test]
fn store_rules() {
    for section in ["run_state_store", "schema_registry"] {
        reject(&format!("[{section}]\npath = \"x.db\"\n"), &[&format!("{section}.path is not allowed"), "memory"]);
        reject(&format!("[{section}]\ntype = \"sqlite\"\n"), &[&format!("{section}.path is required"), "sqlite"]);
        reject(
            &format!("[{section}]\ntype = \"sqlite\"\npath = \" \"\n"),
            &[&format!("{section}.path must not be empty")],
        );
        reject(
            &format!("[{section}]\ntype = \"sqlite\"\npath = \"/tmp/{}/x.db\"\n", "d".repeat(256)),
            &[&format!("{section}.path has a path component")],
        );
        reject(&format!("[{section}]\nmax_versions = 0\n"), &[&format!("{section}.max_versions must be at least 1")]);
        reject(&format!("[{section}]\nbusy_timeout_ms = 4294967296\n"), &[&format!("{section}.busy_timeout_ms")]);
        let dir = tempfile::tempdir().expect("tempdir");
        let dir_path = dir.path().display().to_string().replace('\\', "/");
        reject(
            &format!("[{section}]\ntype = \"sqlite\"\npath = \"{dir_path}\"\n"),
            &[&format!("{section}.path"), "existing directory"],
        );
        parse_ok(&format!("[{section}]\ntype = \"sqlite\"\npath = \"{dir_path}/new.db\"\nmax_versions = 1\n"));
    }
}

#[test]
fn schema_registry_rules() {
    reject(
        "[schema_registry]\nmax_schema_bytes = 0\n",
        &["schema_registry.max_schema_bytes must be between 1 and 10485760"],
    );
    reject("[schema_registry]\nmax_schema_bytes = 10485761\n", &["schema_registry.max_schema_bytes"]);
    reject("[schema_registry]\nmax_entries = 0\n", &["schema_registry.max_entries must be at least 1"]);
    let rules = "[[schema_registry.acl.rules]]\neffect = \"allow\"\n".repeat(257);
    reject(&rules, &["schema_registry.acl.rules has 257 entries"]);
    parse_ok(&"[[schema_registry.acl.rules]]\neffect = \"allow\"\n".repeat(256));
}

#[test]
fn runpack_rules() {
    reject("[runpack]\nroot_dir = \"relative/runpacks\"\n", &["runpack.root_dir must be an absolute path"]);
    reject("[runpack]\nroot_dir = \"\"\n", &["runpack.root_dir must not be empty"]);
    reject(
        "[runpack.signing]\nkey_id = \" \"\nprivate_key_path = \"/k\"\n",
        &["runpack.signing.key_id must not be blank"],
    );
    reject("[runpack.signing]\nkey_id = \"k\"\nprivate_key_path = \"\"\n", &["runpack.signing.private_key_path"]);
    reject(
        "[runpack.verify]\ntrusted_keys = [{ key_id = \"\", public_key_path = \"/p\" }]\n",
        &["runpack.verify.trusted_keys[0].key_id must not be blank"],
    );
    reject(
        "[runpack.verify]\ntrusted_keys = [{ key_id = \"k\", public_key_path = \" \" }]\n",
        &["runpack.verify.trusted_keys[0].public_key_path"],
    );
    reject(
        "[runpack.verify]\ntrusted_keys = [{ key_id = \"k\", public_key_path = \"/a\" }, { key_id = \"k\", public_key_path = \"/b\" }]\n",
        &["runpack.verify.trusted_keys[1].key_id", "more than once"],
    );
}

#[test]
fn runpack_storage_rules() {
    let storage =
        |extra: &str| format!("[runpack_storage]\ntype = \"object_store\"\nprovider = \"s3\"\nbucket = \"b\"\n{extra}");
    let config = parse_ok(&storage("prefix = \"a/b\"\nendpoint = \"https://s3.example\"\n"));
    assert_eq!(config.runpack_storage.map(|s| s.normalized_prefix()), Some("a/b/".to_owned()));
    assert_eq!(parse_ok(&storage("")).runpack_storage.map(|s| s.normalized_prefix()), Some(String::new()));
    reject(
        "[runpack_storage]\ntype = \"object_store\"\nprovider = \"s3\"\nbucket = \"  \"\n",
        &["runpack_storage.bucket must not be blank"],
    );
    reject(&storage("endpoint = \"http://minio:9000\"\n"), &["runpack_storage.endpoint", "runpack_storage.allow_http"]);
    reject(&storage("endpoint = \"ftp://minio\"\n"), &["runpack_storage.endpoint must start with"]);
    for bad in ["", "/abs", "a\\\\b", "a//b", "a/../b", "./a", "a//"] {
        reject(&storage(&format!("prefix = \"{bad}\"\n")), &["runpack_storage.prefix"]);
    }
    reject(&storage(&format!("prefix = \"{}\"\n", "p".repeat(256))), &["runpack_storage.prefix has a component"]);
    match parse_config("[runpack_storage]\ntype = \"filesystem\"\nprovider = \"s3\"\nbucket = \"b\"\n") {
        Err(ConfigError::Parse(_)) => {}
        other => panic!("expected a parse error, got {other:?}"),
    }
}
