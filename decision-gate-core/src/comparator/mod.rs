//! Comparators: how a condition compares provider evidence with its expected value.

mod dates;
mod eval;
mod numbers;

use serde::{Deserialize, Serialize};

pub use eval::compare;
pub use numbers::{compare_numbers, numbers_equal};

/// The sixteen comparators, declared in canonical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// Decimal-aware equality for two numbers, structural equality otherwise.
    Equals,
    /// Negation of `equals`.
    NotEquals,
    /// Evidence > expected (numbers, date-times, dates).
    GreaterThan,
    /// Evidence >= expected.
    GreaterThanOrEqual,
    /// Evidence < expected.
    LessThan,
    /// Evidence <= expected.
    LessThanOrEqual,
    /// Byte-wise string ordering >.
    LexGreaterThan,
    /// Byte-wise string ordering >=.
    LexGreaterThanOrEqual,
    /// Byte-wise string ordering <.
    LexLessThan,
    /// Byte-wise string ordering <=.
    LexLessThanOrEqual,
    /// Substring, or array superset.
    Contains,
    /// Scalar evidence is a member of the expected array.
    InSet,
    /// Structural equality of two arrays or two objects.
    DeepEquals,
    /// Structural inequality of two arrays or two objects.
    DeepNotEquals,
    /// The evidence has a value (JSON `null` counts).
    Exists,
    /// The evidence has no value.
    NotExists,
}

impl Comparator {
    /// Every comparator in canonical order.
    pub const ALL: [Comparator; 16] = [
        Comparator::Equals,
        Comparator::NotEquals,
        Comparator::GreaterThan,
        Comparator::GreaterThanOrEqual,
        Comparator::LessThan,
        Comparator::LessThanOrEqual,
        Comparator::LexGreaterThan,
        Comparator::LexGreaterThanOrEqual,
        Comparator::LexLessThan,
        Comparator::LexLessThanOrEqual,
        Comparator::Contains,
        Comparator::InSet,
        Comparator::DeepEquals,
        Comparator::DeepNotEquals,
        Comparator::Exists,
        Comparator::NotExists,
    ];

    /// The wire name (`snake_case`).
    pub fn name(self) -> &'static str {
        match self {
            Comparator::Equals => "equals",
            Comparator::NotEquals => "not_equals",
            Comparator::GreaterThan => "greater_than",
            Comparator::GreaterThanOrEqual => "greater_than_or_equal",
            Comparator::LessThan => "less_than",
            Comparator::LessThanOrEqual => "less_than_or_equal",
            Comparator::LexGreaterThan => "lex_greater_than",
            Comparator::LexGreaterThanOrEqual => "lex_greater_than_or_equal",
            Comparator::LexLessThan => "lex_less_than",
            Comparator::LexLessThanOrEqual => "lex_less_than_or_equal",
            Comparator::Contains => "contains",
            Comparator::InSet => "in_set",
            Comparator::DeepEquals => "deep_equals",
            Comparator::DeepNotEquals => "deep_not_equals",
            Comparator::Exists => "exists",
            Comparator::NotExists => "not_exists",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Comparator> {
        Comparator::ALL.into_iter().find(|comparator| comparator.name() == name)
    }

    /// Whether this is one of the four numeric/date ordering comparators.
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            Comparator::GreaterThan
                | Comparator::GreaterThanOrEqual
                | Comparator::LessThan
                | Comparator::LessThanOrEqual
        )
    }

    /// Whether this is one of the four lexicographic comparators.
    pub fn is_lexicographic(self) -> bool {
        matches!(
            self,
            Comparator::LexGreaterThan
                | Comparator::LexGreaterThanOrEqual
                | Comparator::LexLessThan
                | Comparator::LexLessThanOrEqual
        )
    }

    /// Whether this is `deep_equals` or `deep_not_equals`.
    pub fn is_deep(self) -> bool {
        matches!(self, Comparator::DeepEquals | Comparator::DeepNotEquals)
    }

    /// Whether the comparator ignores `expected` (`exists`, `not_exists`).
    pub fn ignores_expected(self) -> bool {
        matches!(self, Comparator::Exists | Comparator::NotExists)
    }
}

impl std::fmt::Display for Comparator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests;
