//! Text DSL for authoring requirement trees (spec §3.5).
//!
//! ```text
//! expr    := or
//! or      := and (("||" | "or") and)*
//! and     := unary (("&&" | "and") unary)*
//! unary   := ("!" | "not") unary | primary
//! primary := "(" expr ")"
//!          | "all" "(" args ")" | "any" "(" args ")" | "not" "(" expr ")"
//!          | ("at_least" | "require_group") "(" u8 ","? args ")"
//!          | ident "(" ")" | ident
//! args    := expr ("," expr)*
//! ident   := [A-Za-z_][A-Za-z0-9_]*   (except the keywords `and`, `or`, `not`)
//! ```
//!
//! Chains of the same operator are flattened into one node (`a && b && c` is one `And` with
//! three children); parentheses and function calls always keep their own node. The parser is
//! a recursive descent whose depth is checked before every recursion, so it never overflows
//! the stack, and the resulting tree must pass [`validate_structure`] with default limits.

use super::{Requirement, StructureError, StructureLimits, validate_structure};
use crate::ids::ConditionId;

/// Largest accepted DSL input, in bytes (1 MiB).
pub const MAX_DSL_INPUT_BYTES: usize = 1024 * 1024;

/// Deepest accepted nesting of parentheses, function calls and negations.
pub const MAX_DSL_NESTING: usize = 32;

/// Expected-token description used wherever an expression must start.
const EXPR_START: &str = "a condition, `(`, `!`, `not` or a function call";

/// Longest token text quoted verbatim in an error message.
const MAX_QUOTED_CHARS: usize = 64;

/// Why a DSL text could not be turned into a requirement tree.
///
/// Lines and columns are 1-based; columns count Unicode scalar values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DslError {
    /// A character that starts no token (including a lone `&` or `|`).
    #[error("unexpected character {ch:?} at line {line}, column {column}")]
    UnexpectedCharacter {
        /// The offending character.
        ch: char,
        /// Line of the character.
        line: usize,
        /// Column of the character.
        column: usize,
    },
    /// A well-formed token in a place where it is not allowed.
    #[error("unexpected {found} at line {line}, column {column}; expected {expected}")]
    UnexpectedToken {
        /// Description of the token found.
        found: String,
        /// What the parser expected instead.
        expected: &'static str,
        /// Line of the token.
        line: usize,
        /// Column of the token.
        column: usize,
    },
    /// The input ended in the middle of an expression.
    #[error("unexpected end of input at line {line}, column {column}; expected {expected}")]
    UnexpectedEnd {
        /// What the parser expected.
        expected: &'static str,
        /// Line of the end of input.
        line: usize,
        /// Column of the end of input.
        column: usize,
    },
    /// An identifier that the symbol table does not resolve.
    #[error("unknown identifier `{name}` at line {line}, column {column}")]
    UnknownIdentifier {
        /// The identifier.
        name: String,
        /// Line of the identifier.
        line: usize,
        /// Column of the identifier.
        column: usize,
    },
    /// The input is larger than [`MAX_DSL_INPUT_BYTES`].
    #[error("requirement DSL input of {size} bytes exceeds the limit of {limit} bytes")]
    InputTooLarge {
        /// Input size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Parentheses, function calls and negations nest deeper than [`MAX_DSL_NESTING`].
    #[error("nesting exceeds the limit of {limit} at line {line}, column {column}")]
    NestingTooDeep {
        /// The nesting limit.
        limit: usize,
        /// Line of the token that opens the excess level.
        line: usize,
        /// Column of the token that opens the excess level.
        column: usize,
    },
    /// The count of `at_least`/`require_group` is missing or not a u8 literal.
    #[error("invalid count {found} at line {line}, column {column}; expected an integer 0..=255")]
    InvalidCount {
        /// Description of what was found instead.
        found: String,
        /// Line of the count.
        line: usize,
        /// Column of the count.
        column: usize,
    },
    /// A function call without members (`all()`, `at_least(1)`, ...).
    #[error("`{name}(...)` at line {line}, column {column} needs at least one member")]
    EmptyCall {
        /// The function name.
        name: String,
        /// Line of the function name.
        line: usize,
        /// Column of the function name.
        column: usize,
    },
    /// The parsed tree fails the structural validator.
    #[error("requirement fails structural validation: {0}")]
    Structure(#[from] StructureError),
}

/// Parses a requirement DSL text into a requirement tree.
///
/// Identifiers are resolved to condition ids through `symbols`; an identifier it does not
/// resolve is [`DslError::UnknownIdentifier`]. The input is limited to
/// [`MAX_DSL_INPUT_BYTES`] and [`MAX_DSL_NESTING`], and the result must pass
/// [`validate_structure`] with [`StructureLimits::default`]. Never panics.
pub fn parse_requirement(input: &str, symbols: &dyn Fn(&str) -> Option<ConditionId>) -> Result<Requirement, DslError> {
    if input.len() > MAX_DSL_INPUT_BYTES {
        return Err(DslError::InputTooLarge { size: input.len(), limit: MAX_DSL_INPUT_BYTES });
    }
    let mut parser = Parser { lexer: Lexer::new(input), peeked: None, symbols };
    let tree = parser.parse_or(0)?;
    if let Some(token) = parser.next()? {
        return Err(unexpected(token, "an operator or end of input"));
    }
    validate_structure(&tree, StructureLimits::default())?;
    Ok(tree)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ident,
    Number,
    LParen,
    RParen,
    Comma,
    /// `!` (`word == false`) or `not` (`word == true`).
    Not {
        word: bool,
    },
    And,
    Or,
}

#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    line: usize,
    column: usize,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    column: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0, line: 1, column: 1 }
    }

    fn peek_char(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|rest| rest.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let ch = self.peek_char()?;
        self.pos += ch.len_utf8();
        if ch == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(ch)
    }

    fn bump_while(&mut self, accept: impl Fn(char) -> bool) {
        while self.peek_char().is_some_and(&accept) {
            self.bump();
        }
    }

    fn next_token(&mut self) -> Result<Option<Token<'a>>, DslError> {
        self.bump_while(|ch| ch.is_ascii_whitespace());
        let (start, line, column) = (self.pos, self.line, self.column);
        let Some(ch) = self.bump() else {
            return Ok(None);
        };
        let kind = match ch {
            '(' => Kind::LParen,
            ')' => Kind::RParen,
            ',' => Kind::Comma,
            '!' => Kind::Not { word: false },
            '&' | '|' => {
                if self.peek_char() != Some(ch) {
                    return Err(DslError::UnexpectedCharacter { ch, line, column });
                }
                self.bump();
                if ch == '&' { Kind::And } else { Kind::Or }
            }
            'A'..='Z' | 'a'..='z' | '_' => {
                self.bump_while(is_ident_char);
                match &self.src[start..self.pos] {
                    "and" => Kind::And,
                    "or" => Kind::Or,
                    "not" => Kind::Not { word: true },
                    _ => Kind::Ident,
                }
            }
            // Digits glued to letters (`2a`) stay one token, so they are reported as a bad
            // count rather than silently read as `2, a`.
            '0'..='9' => {
                self.bump_while(is_ident_char);
                Kind::Number
            }
            _ => return Err(DslError::UnexpectedCharacter { ch, line, column }),
        };
        Ok(Some(Token { kind, text: &self.src[start..self.pos], line, column }))
    }
}

fn is_ident_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || ch == '_'
}

/// Describes a token for error messages, quoting at most [`MAX_QUOTED_CHARS`] characters.
fn describe(token: Token<'_>) -> String {
    let mut text: String = token.text.chars().take(MAX_QUOTED_CHARS).collect();
    if text.len() < token.text.len() {
        text.push_str("...");
    }
    match token.kind {
        Kind::Ident => format!("identifier `{text}`"),
        Kind::Number => format!("number `{text}`"),
        _ => format!("`{text}`"),
    }
}

fn unexpected(token: Token<'_>, expected: &'static str) -> DslError {
    DslError::UnexpectedToken { found: describe(token), expected, line: token.line, column: token.column }
}

struct Parser<'a, 's> {
    lexer: Lexer<'a>,
    /// One token of look-ahead (`Some(None)` = end of input already seen).
    peeked: Option<Option<Token<'a>>>,
    symbols: &'s dyn Fn(&str) -> Option<ConditionId>,
}

impl<'a> Parser<'a, '_> {
    fn peek(&mut self) -> Result<Option<Token<'a>>, DslError> {
        if let Some(token) = self.peeked {
            return Ok(token);
        }
        let token = self.lexer.next_token()?;
        self.peeked = Some(token);
        Ok(token)
    }

    fn peek_kind(&mut self) -> Result<Option<Kind>, DslError> {
        Ok(self.peek()?.map(|token| token.kind))
    }

    fn next(&mut self) -> Result<Option<Token<'a>>, DslError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    /// Consumes the next token, which must exist.
    fn next_required(&mut self, expected: &'static str) -> Result<Token<'a>, DslError> {
        self.next()?.ok_or(DslError::UnexpectedEnd { expected, line: self.lexer.line, column: self.lexer.column })
    }

    fn expect(&mut self, kind: Kind, expected: &'static str) -> Result<(), DslError> {
        let token = self.next_required(expected)?;
        if token.kind == kind { Ok(()) } else { Err(unexpected(token, expected)) }
    }

    /// Returns the nesting depth one level below `depth`, or an error if it is too deep.
    fn enter(depth: usize, opener: Token<'_>) -> Result<usize, DslError> {
        let inner = depth + 1;
        if inner > MAX_DSL_NESTING {
            return Err(DslError::NestingTooDeep { limit: MAX_DSL_NESTING, line: opener.line, column: opener.column });
        }
        Ok(inner)
    }

    fn parse_or(&mut self, depth: usize) -> Result<Requirement, DslError> {
        let mut items = vec![self.parse_and(depth)?];
        while self.peek_kind()? == Some(Kind::Or) {
            self.next()?;
            items.push(self.parse_and(depth)?);
        }
        Ok(single_or(items, Requirement::Or))
    }

    fn parse_and(&mut self, depth: usize) -> Result<Requirement, DslError> {
        let mut items = vec![self.parse_unary(depth)?];
        while self.peek_kind()? == Some(Kind::And) {
            self.next()?;
            items.push(self.parse_unary(depth)?);
        }
        Ok(single_or(items, Requirement::And))
    }

    fn parse_unary(&mut self, depth: usize) -> Result<Requirement, DslError> {
        let Some(token) = self.peek()? else {
            return self.parse_primary(depth);
        };
        let Kind::Not { word } = token.kind else {
            return self.parse_primary(depth);
        };
        self.next()?;
        let inner = Self::enter(depth, token)?;
        let child = if word && self.peek_kind()? == Some(Kind::LParen) {
            // Function form `not(x)`: exactly one member.
            self.next()?;
            if self.peek_kind()? == Some(Kind::RParen) {
                return Err(empty_call(token));
            }
            let child = self.parse_or(inner)?;
            self.expect(Kind::RParen, "an operator or `)`")?;
            child
        } else {
            self.parse_unary(inner)?
        };
        Ok(Requirement::Not(Box::new(child)))
    }

    fn parse_primary(&mut self, depth: usize) -> Result<Requirement, DslError> {
        let token = self.next_required(EXPR_START)?;
        match token.kind {
            Kind::LParen => {
                let inner = Self::enter(depth, token)?;
                let child = self.parse_or(inner)?;
                self.expect(Kind::RParen, "an operator or `)`")?;
                Ok(child)
            }
            Kind::Ident if self.peek_kind()? == Some(Kind::LParen) => {
                self.next()?;
                match token.text {
                    "all" | "any" | "at_least" | "require_group" => self.parse_call(token, depth),
                    _ => {
                        self.expect(Kind::RParen, "`)` (a condition call takes no arguments)")?;
                        self.resolve(token)
                    }
                }
            }
            Kind::Ident => self.resolve(token),
            _ => Err(unexpected(token, EXPR_START)),
        }
    }

    /// Parses the arguments of a function call whose `name(` has been consumed.
    fn parse_call(&mut self, name: Token<'a>, depth: usize) -> Result<Requirement, DslError> {
        let inner = Self::enter(depth, name)?;
        match name.text {
            "all" => Ok(Requirement::And(self.parse_members(name, inner)?)),
            "any" => Ok(Requirement::Or(self.parse_members(name, inner)?)),
            _ => {
                let count = self.next_required("a count")?;
                let min = match count.kind {
                    Kind::RParen => return Err(empty_call(name)),
                    Kind::Number => count.text.parse::<u8>().ok(),
                    _ => None,
                };
                let Some(min) = min else {
                    return Err(DslError::InvalidCount {
                        found: describe(count),
                        line: count.line,
                        column: count.column,
                    });
                };
                if self.peek_kind()? == Some(Kind::Comma) {
                    self.next()?;
                }
                let reqs = self.parse_members(name, inner)?;
                Ok(Requirement::RequireGroup { min, reqs })
            }
        }
    }

    /// Parses `expr ("," expr)* ")"`, requiring at least one member.
    fn parse_members(&mut self, name: Token<'_>, inner: usize) -> Result<Vec<Requirement>, DslError> {
        if self.peek_kind()? == Some(Kind::RParen) {
            return Err(empty_call(name));
        }
        let mut members = Vec::new();
        loop {
            members.push(self.parse_or(inner)?);
            let token = self.next_required("`,` or `)`")?;
            match token.kind {
                Kind::Comma => {}
                Kind::RParen => return Ok(members),
                _ => return Err(unexpected(token, "an operator, `,` or `)`")),
            }
        }
    }

    fn resolve(&self, token: Token<'_>) -> Result<Requirement, DslError> {
        match (self.symbols)(token.text) {
            Some(id) => Ok(Requirement::Condition(id)),
            None => {
                Err(DslError::UnknownIdentifier { name: token.text.to_owned(), line: token.line, column: token.column })
            }
        }
    }
}

fn empty_call(name: Token<'_>) -> DslError {
    DslError::EmptyCall { name: name.text.to_owned(), line: name.line, column: name.column }
}

/// Returns the only item itself, or the items combined with `combine` (chain flattening).
fn single_or(mut items: Vec<Requirement>, combine: fn(Vec<Requirement>) -> Requirement) -> Requirement {
    if items.len() == 1
        && let Some(only) = items.pop()
    {
        return only;
    }
    combine(items)
}

#[cfg(test)]
#[path = "dsl_tests.rs"]
mod tests;
