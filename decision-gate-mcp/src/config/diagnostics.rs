//! Readable parse errors for `decision-gate.toml`: where the problem is (the dotted key, its line
//! and column) and, for a misspelled key, the known key it most likely meant.
//!
//! Every configuration struct denies unknown fields, so serde reports a misspelling as
//! ``unknown field `x`, expected one of `a`, `b` `` with the span of the key; this module turns
//! that into ``unknown key `runpack.verify.require_signatures` at line 3, column 1 (did you mean
//! `require_signature`?)``.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Describes a TOML deserialisation error of `text`.
pub fn describe(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim();
    let Some(span) = error.span() else {
        return message.to_owned();
    };
    let (line, column) = line_column(text, span.start);
    let path = key_path(text, &span);
    if let Some((field, expected)) = unknown_field(message) {
        let key = path.unwrap_or_else(|| field.to_owned());
        let suggestion =
            closest(field, &expected).map(|known| format!(" (did you mean `{known}`?)")).unwrap_or_default();
        let known = if expected.is_empty() {
            "this table takes no keys".to_owned()
        } else {
            format!("known keys here: {}", expected.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", "))
        };
        return format!("unknown key `{key}` at line {line}, column {column}{suggestion}; {known}");
    }
    match path {
        Some(key) => format!("`{key}` at line {line}, column {column}: {message}"),
        None => format!("line {line}, column {column}: {message}"),
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    (line, column)
}

/// `(field, expected fields)` of serde's unknown-field message.
fn unknown_field(message: &str) -> Option<(&str, Vec<&str>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest.split('`').enumerate().filter(|(index, _)| index % 2 == 1).map(|(_, name)| name).collect();
    Some((field, expected))
}

/// The known key closest to `field`, when it is close enough to be a likely misspelling.
fn closest<'a>(field: &str, expected: &[&'a str]) -> Option<&'a str> {
    expected
        .iter()
        .map(|known| (strsim::damerau_levenshtein(field, known), *known))
        .filter(|(distance, known)| *distance <= 3.max(known.len() / 3) && *distance < known.len())
        .min()
        .map(|(_, known)| known)
}

/// The dotted path of the key (or value) whose span contains `span`, if any.
fn key_path(text: &str, span: &Range<usize>) -> Option<String> {
    let document = DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    find_in_table(document.get_ref(), span, &mut path).then(|| path.join("."))
}

fn find_in_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<String>) -> bool {
    for (key, value) in table {
        path.push(key.get_ref().to_string());
        if contains(&key.span(), span) || find_in_value(value, span, path) {
            return true;
        }
        path.pop();
    }
    false
}

fn find_in_value(value: &Spanned<DeValue<'_>>, span: &Range<usize>, path: &mut Vec<String>) -> bool {
    match value.get_ref() {
        DeValue::Table(table) => find_in_table(table, span, path),
        DeValue::Array(items) => items.iter().enumerate().any(|(index, item)| {
            path.push(index.to_string());
            let found = find_in_value(item, span, path) || contains(&item.span(), span);
            if !found {
                path.pop();
            }
            found
        }),
        _ => contains(&value.span(), span),
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && !outer.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DecisionGateConfig;

    fn error_of(text: &str) -> String {
        let error = toml::from_str::<DecisionGateConfig>(text).unwrap_err();
        describe(text, &error)
    }

    #[test]
    fn a_misspelled_key_is_named_with_its_place_and_a_suggestion() {
        let text = "[server]\ntransport = \"http\"\n\n[runpack.verify]\nrequire_signatures = true\n";
        assert_eq!(
            error_of(text),
            "unknown key `runpack.verify.require_signatures` at line 5, column 1 (did you mean `require_signature`?); \
             known keys here: `trusted_keys`, `require_signature`, `allow_legacy_v1`"
        );
    }

    #[test]
    fn keys_in_arrays_of_tables_and_inline_tables_are_located() {
        let text = "[[providers]]\nname = \"time\"\ntype = \"builtin\"\ntrust_level = \"audit\"\n";
        let message = error_of(text);
        assert!(message.starts_with("unknown key `providers.0.trust_level` at line 4, column 1"), "{message}");
        let inline = "[server]\nauth = { mode = \"local_only\", modee = 1 }\n";
        let message = error_of(inline);
        assert!(
            message.starts_with("unknown key `server.auth.modee` at line 2, column 31 (did you mean `mode`?)"),
            "{message}"
        );
    }

    #[test]
    fn a_key_far_from_every_known_key_gets_no_suggestion() {
        let message = error_of("[server]\nwholly_unrelated = 1\n");
        assert!(
            message.starts_with("unknown key `server.wholly_unrelated` at line 2, column 1; known keys here:"),
            "{message}"
        );
    }

    #[test]
    fn other_errors_keep_their_message_and_place() {
        let message = error_of("[server]\nmax_body_bytes = \"big\"\n");
        assert!(message.starts_with("`server.max_body_bytes` at line 2, column 18: invalid type"), "{message}");
    }
}
