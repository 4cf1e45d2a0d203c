//! `decision-gate scenario validate|normalize` (alias `authoring`): offline scenario linting
//! with line-level diagnostics, and canonical JSON output (core-model §2.6, §2.9, §4.7).
//!
//! Pipeline: read (16 MiB cap, UTF-8) → parse JSON or RON into a JSON value with positions
//! (nesting depth 64) → decode as `ScenarioSpec` → semantic validation (strict by default) →
//! optionally, with `--config`, the contract checks against the configured providers and the
//! strict comparator/type checks. Every failure is reported as `file:line:column: message`
//! on stderr with exit code 1.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::Subcommand;
use decision_gate_core::hashing::{HashDigest, to_canonical_vec};
use decision_gate_core::ids::ConditionId;
use decision_gate_core::requirement::Requirement;
use decision_gate_core::spec::{AdvanceTo, ScenarioSpec, SpecError, ValidationMode, validate_spec};

use super::Outcome;
use super::common::{MAX_INPUT_BYTES, explicit_config, read_capped};
use super::ron_json::parse_ron;
use super::source::{Diagnostic, Document, line_column, parse_json};
use crate::config::{DecisionGateConfig, ValidationConfig};
use crate::providers::{CapabilityCode, CapabilityRegistry, validate_strict_spec};

/// Input syntax of a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioFormat {
    /// JSON (canonical).
    Json,
    /// RON with the same field names (`()` for null).
    Ron,
}

impl ScenarioFormat {
    /// The explicit format, else RON for `*.ron` files, else JSON.
    pub fn resolve(explicit: Option<ScenarioFormat>, path: &Path) -> ScenarioFormat {
        explicit.unwrap_or_else(|| match path.extension().and_then(|ext| ext.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("ron") => ScenarioFormat::Ron,
            _ => ScenarioFormat::Json,
        })
    }
}

/// Validation mode flags shared by `validate` and `normalize`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ModeArgs {
    /// Strict validation: structural requirement checks and strict comparator checks (default).
    #[arg(long, conflicts_with = "permissive")]
    pub strict: bool,
    /// Permissive validation: only the eight semantic checks of Decision Gate OSS.
    #[arg(long)]
    pub permissive: bool,
}

impl ModeArgs {
    /// Flags win; otherwise the configuration's `validation.strict`; otherwise strict.
    pub fn mode(&self, config: Option<&DecisionGateConfig>) -> ValidationMode {
        if self.permissive {
            ValidationMode::Permissive
        } else if self.strict {
            ValidationMode::Strict
        } else {
            match config {
                Some(config) if !config.validation.strict => ValidationMode::Permissive,
                _ => ValidationMode::Strict,
            }
        }
    }
}

/// `scenario validate` arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct ValidateArgs {
    /// Scenario file (at most 16 MiB).
    #[arg(value_name = "FILE", required_unless_present = "input", conflicts_with = "input")]
    pub file: Option<PathBuf>,
    /// Scenario file (the older spelling of FILE).
    #[arg(long, hide = true)]
    pub input: Option<PathBuf>,
    /// Input syntax (default: by extension, `.ron` ⇒ RON, else JSON).
    #[arg(long, value_enum)]
    pub format: Option<ScenarioFormat>,
    /// Validation mode.
    #[command(flatten)]
    pub mode: ModeArgs,
    /// Configuration file whose providers' contracts the conditions are checked against
    /// (default: the built-in providers of the zero-configuration profile).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl ValidateArgs {
    /// The scenario file, however it was given.
    pub fn path(&self) -> anyhow::Result<&Path> {
        self.file.as_deref().or(self.input.as_deref()).ok_or_else(|| anyhow!("a scenario FILE is required"))
    }
}

/// `scenario normalize` arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct NormalizeArgs {
    /// Scenario file (at most 16 MiB).
    #[arg(long)]
    pub input: PathBuf,
    /// Input syntax (default: by extension, `.ron` ⇒ RON, else JSON).
    #[arg(long, value_enum)]
    pub format: Option<ScenarioFormat>,
    /// Validation mode.
    #[command(flatten)]
    pub mode: ModeArgs,
    /// Write the canonical JSON (no trailing newline) to this file instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// `scenario` subcommands.
#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Lint a scenario file; prints `ok <spec hash>` or `file:line:column: message`.
    Validate(ValidateArgs),
    /// Validate a scenario file and print its canonical JSON (RON → JSON).
    Normalize(NormalizeArgs),
}

/// Runs a `scenario` subcommand.
pub fn run_scenario(command: ScenarioCommand, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    match command {
        ScenarioCommand::Validate(args) => validate(&args, out, err),
        ScenarioCommand::Normalize(args) => normalize(&args, out, err),
    }
}

/// A scenario that parsed, decoded and validated.
#[derive(Clone, Debug)]
pub struct CheckedScenario {
    /// The typed spec.
    pub spec: ScenarioSpec,
    /// Its spec hash.
    pub spec_hash: HashDigest,
}

/// Contract checks to run after semantic validation.
pub struct ContractChecks<'a> {
    /// Contracts of the configured providers.
    pub registry: &'a CapabilityRegistry,
    /// Strict comparator/type settings (`strict` already reflects the chosen mode).
    pub validation: ValidationConfig,
}

/// `scenario validate`: `ok <spec hash hex>` on stdout, or a diagnostic on stderr and `Failure`.
/// Conditions are checked offline against the contracts of the configured providers, or of
/// the zero-configuration profile's built-ins (`time`, `env`, `json`, `http`).
pub fn validate(args: &ValidateArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let config = match explicit_config(args.config.as_deref())? {
        Some(config) => config,
        // Only the contracts are read: no directory of this profile is touched.
        None => crate::config::zero_config_in(Path::new("/")),
    };
    let mode = args.mode.mode(Some(&config));
    let registry = CapabilityRegistry::from_config(&config).map_err(|error| anyhow!("provider contracts: {error}"))?;
    let checks = ContractChecks {
        registry: &registry,
        validation: ValidationConfig { strict: mode == ValidationMode::Strict, ..config.validation.clone() },
    };
    match check_file(args.path()?, args.format, mode, Some(&checks))? {
        Ok(checked) => {
            writeln!(out, "ok {}", checked.spec_hash.value).context("cannot write output")?;
            Ok(Outcome::Success)
        }
        Err(diagnostic) => {
            writeln!(err, "{diagnostic}").context("cannot write diagnostics")?;
            Ok(Outcome::Failure)
        }
    }
}

/// `scenario normalize`: the spec's canonical JSON (the bytes its spec hash is computed over).
pub fn normalize(args: &NormalizeArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let checked = match check_file(&args.input, args.format, args.mode.mode(None), None)? {
        Ok(checked) => checked,
        Err(diagnostic) => {
            writeln!(err, "{diagnostic}").context("cannot write diagnostics")?;
            return Ok(Outcome::Failure);
        }
    };
    let bytes = to_canonical_vec(&checked.spec).map_err(|error| anyhow!("cannot serialise the spec: {error}"))?;
    match &args.output {
        Some(path) => std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            out.write_all(&bytes).and_then(|()| out.write_all(b"\n")).context("cannot write output")?;
        }
    }
    Ok(Outcome::Success)
}

/// Reads and checks a scenario file. The outer error is an I/O or size failure; the inner one
/// a diagnostic about the content.
pub fn check_file(
    path: &Path,
    format: Option<ScenarioFormat>,
    mode: ValidationMode,
    checks: Option<&ContractChecks<'_>>,
) -> anyhow::Result<Result<CheckedScenario, Diagnostic>> {
    let bytes = read_capped(path, MAX_INPUT_BYTES)?;
    let file = path.display().to_string();
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = String::from_utf8_lossy(&error.as_bytes()[..error.utf8_error().valid_up_to()]).into_owned();
            let position = Some(line_column(&valid, valid.len()));
            return Ok(Err(Diagnostic { file, position, message: "file is not valid UTF-8".to_owned() }));
        }
    };
    Ok(check_text(&file, &text, ScenarioFormat::resolve(format, path), mode, checks))
}

/// Parses, decodes and validates scenario text; `file` names it in diagnostics.
pub fn check_text(
    file: &str,
    text: &str,
    format: ScenarioFormat,
    mode: ValidationMode,
    checks: Option<&ContractChecks<'_>>,
) -> Result<CheckedScenario, Diagnostic> {
    let diagnostic =
        |position: Option<(usize, usize)>, message: String| Diagnostic { file: file.to_owned(), position, message };
    let document = match format {
        ScenarioFormat::Json => parse_json(text).map_err(|(position, message)| diagnostic(position, message))?,
        ScenarioFormat::Ron => {
            parse_ron(text).map_err(|error| diagnostic(Some(line_column(text, error.offset)), error.message))?
        }
    };
    let at = |document: &Document, pointer: &str| document.offset_of(pointer).map(|offset| line_column(text, offset));
    let spec: ScenarioSpec = document
        .decode()
        .map_err(|(pointer, message)| diagnostic(pointer.and_then(|pointer| at(&document, &pointer)), message))?;
    if mode == ValidationMode::Strict
        && let Some((pointer, key)) = unknown_key(&document.value)
    {
        return Err(diagnostic(at(&document, &pointer), format!("unknown key `{key}` at {pointer}")));
    }
    validate_spec(&spec, mode).map_err(|error| {
        let position = spec_error_pointer(&spec, &error).and_then(|pointer| at(&document, &pointer));
        diagnostic(position, error.to_string())
    })?;
    if let Some(checks) = checks {
        for (index, condition) in spec.conditions.iter().enumerate() {
            checks.registry.validate_spec(&single_condition(&spec, index)).map_err(|error| {
                let field = match error.code {
                    CapabilityCode::ProviderMissing => "/query/provider_id",
                    CapabilityCode::CheckMissing => "/query/check_id",
                    CapabilityCode::ParamsMissing => "/query",
                    CapabilityCode::ParamsInvalid => "/query/params",
                    CapabilityCode::ExpectedInvalid => "/expected",
                    CapabilityCode::ComparatorNotAllowed => "/comparator",
                    _ => "",
                };
                let pointer = format!("/conditions/{index}{field}");
                diagnostic(at(&document, &pointer), about_condition(&condition.condition_id, &error))
            })?;
        }
        for (index, condition) in spec.conditions.iter().enumerate() {
            validate_strict_spec(&single_condition(&spec, index), checks.registry, &checks.validation).map_err(
                |error| {
                    let pointer = format!("/conditions/{index}/comparator");
                    diagnostic(at(&document, &pointer), about_condition(&condition.condition_id, &error))
                },
            )?;
        }
    }
    let spec_hash = spec.spec_hash().map_err(|error| diagnostic(None, format!("cannot hash the spec: {error}")))?;
    Ok(CheckedScenario { spec, spec_hash })
}

/// The first key of a scenario that the scenario schema does not know, as (JSON pointer of the
/// key, key). Strict validation refuses such keys (a misspelled field would otherwise be
/// silently ignored); permissive validation keeps Decision Gate OSS's leniency.
pub fn unknown_key(value: &serde_json::Value) -> Option<(String, String)> {
    static VALIDATOR: std::sync::LazyLock<Option<jsonschema::Validator>> =
        std::sync::LazyLock::new(|| jsonschema::draft202012::new(&crate::tools::schemas::scenario_schema()).ok());
    let validator = VALIDATOR.as_ref()?;
    validator.iter_errors(value).find_map(|error| match error.kind() {
        jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
            let key = unexpected.first()?.clone();
            let mut pointer = error.instance_path().to_string();
            super::source::push_token(&mut pointer, &key);
            Some((pointer, key))
        }
        _ => None,
    })
}

/// The error text, prefixed with the condition id unless it already names it.
fn about_condition(id: &ConditionId, error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    if text.contains(&format!("condition {id}")) { text } else { format!("condition {id}: {text}") }
}

/// A spec holding only condition `index` (contract checks look at conditions only).
fn single_condition(spec: &ScenarioSpec, index: usize) -> ScenarioSpec {
    ScenarioSpec {
        scenario_id: spec.scenario_id.clone(),
        namespace_id: spec.namespace_id,
        spec_version: spec.spec_version.clone(),
        stages: Vec::new(),
        conditions: spec.conditions.get(index).cloned().into_iter().collect(),
        policies: Vec::new(),
        schemas: Vec::new(),
        default_tenant_id: spec.default_tenant_id,
    }
}

/// The JSON pointer of the value a semantic validation error is about (for duplicates, the
/// second occurrence, which is the one validation rejects).
pub fn spec_error_pointer(spec: &ScenarioSpec, error: &SpecError) -> Option<String> {
    let gates = || {
        spec.stages.iter().enumerate().flat_map(|(s, stage)| {
            stage.gates.iter().enumerate().map(move |(g, gate)| (format!("/stages/{s}/gates/{g}"), gate))
        })
    };
    let branches = || {
        spec.stages.iter().enumerate().flat_map(|(s, stage)| match &stage.advance_to {
            AdvanceTo::Branch { branches, .. } => branches
                .iter()
                .enumerate()
                .map(|(k, rule)| (format!("/stages/{s}/advance_to/branches/{k}"), rule))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    };
    match error {
        SpecError::MissingStages => Some("/stages".to_owned()),
        SpecError::DuplicateStageId(id) => spec
            .stages
            .iter()
            .enumerate()
            .filter(|(_, stage)| &stage.stage_id == id)
            .nth(1)
            .map(|(s, _)| format!("/stages/{s}/stage_id")),
        SpecError::DuplicateGateId(id) => {
            gates().filter(|(_, gate)| &gate.gate_id == id).nth(1).map(|(pointer, _)| format!("{pointer}/gate_id"))
        }
        SpecError::DuplicatePacketId(id) => spec
            .stages
            .iter()
            .enumerate()
            .flat_map(|(s, stage)| {
                stage.entry_packets.iter().enumerate().map(move |(p, packet)| (s, p, &packet.packet_id))
            })
            .filter(|(_, _, packet_id)| *packet_id == id)
            .nth(1)
            .map(|(s, p, _)| format!("/stages/{s}/entry_packets/{p}/packet_id")),
        SpecError::DuplicateCondition(id) => {
            condition_index(spec, id, 1).map(|i| format!("/conditions/{i}/condition_id"))
        }
        SpecError::InvalidEvidenceQuery(id, reason) => condition_index(spec, id, 0).map(|i| {
            let field = if reason.contains("provider_id") { "provider_id" } else { "check_id" };
            format!("/conditions/{i}/query/{field}")
        }),
        SpecError::MissingCondition(id) => gates().find_map(|(pointer, gate)| {
            let mut pointer = format!("{pointer}/requirement");
            requirement_pointer(&gate.requirement, id, &mut pointer).then_some(pointer)
        }),
        SpecError::MissingBranchTarget(id) => spec.stages.iter().enumerate().find_map(|(s, stage)| {
            let base = format!("/stages/{s}/advance_to");
            match &stage.advance_to {
                AdvanceTo::Fixed { stage_id } if stage_id == id => Some(format!("{base}/stage_id")),
                AdvanceTo::Branch { branches, default } => branches
                    .iter()
                    .position(|rule| &rule.next_stage_id == id)
                    .map(|k| format!("{base}/branches/{k}/next_stage_id"))
                    .or_else(|| (default.as_ref() == Some(id)).then(|| format!("{base}/default"))),
                _ => None,
            }
        }),
        SpecError::TooDeep { gate_id, .. }
        | SpecError::InvalidGroup { gate_id, .. }
        | SpecError::InvalidStructure { gate_id, .. } => {
            gates().find(|(_, gate)| &gate.gate_id == gate_id).map(|(pointer, _)| format!("{pointer}/requirement"))
        }
        SpecError::InvalidBranchGate(id) => {
            branches().find(|(_, rule)| &rule.gate_id == id).map(|(pointer, _)| format!("{pointer}/gate_id"))
        }
    }
}

fn condition_index(spec: &ScenarioSpec, id: &ConditionId, nth: usize) -> Option<usize> {
    spec.conditions.iter().enumerate().filter(|(_, condition)| &condition.condition_id == id).nth(nth).map(|(i, _)| i)
}

/// Extends `pointer` to the first `Condition` leaf naming `id`; false when there is none.
fn requirement_pointer(requirement: &Requirement, id: &ConditionId, pointer: &mut String) -> bool {
    let children: Vec<(String, &Requirement)> = match requirement {
        Requirement::Condition(leaf) => {
            if leaf == id {
                pointer.push_str("/Condition");
                return true;
            }
            return false;
        }
        Requirement::And(children) => children.iter().enumerate().map(|(k, c)| (format!("/And/{k}"), c)).collect(),
        Requirement::Or(children) => children.iter().enumerate().map(|(k, c)| (format!("/Or/{k}"), c)).collect(),
        Requirement::Not(child) => vec![("/Not".to_owned(), child.as_ref())],
        Requirement::RequireGroup { reqs, .. } => {
            reqs.iter().enumerate().map(|(k, c)| (format!("/RequireGroup/reqs/{k}"), c)).collect()
        }
    };
    for (token, child) in children {
        let length = pointer.len();
        pointer.push_str(&token);
        if requirement_pointer(child, id, pointer) {
            return true;
        }
        pointer.truncate(length);
    }
    false
}
