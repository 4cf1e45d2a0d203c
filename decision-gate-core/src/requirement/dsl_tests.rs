use proptest::prelude::*;

use super::*;

/// Symbol table resolving every identifier to a condition of the same name.
fn any_symbol(name: &str) -> Option<ConditionId> {
    Some(ConditionId::new(name))
}

fn parse(input: &str) -> Result<Requirement, DslError> {
    parse_requirement(input, &any_symbol)
}

fn ok(input: &str) -> Requirement {
    match parse(input) {
        Ok(tree) => tree,
        Err(err) => panic!("{input:?} failed: {err}"),
    }
}

fn c(id: &str) -> Requirement {
    Requirement::condition(id)
}

fn and(children: Vec<Requirement>) -> Requirement {
    Requirement::And(children)
}

fn or(children: Vec<Requirement>) -> Requirement {
    Requirement::Or(children)
}

fn not(child: Requirement) -> Requirement {
    Requirement::Not(Box::new(child))
}

fn group(min: u8, reqs: Vec<Requirement>) -> Requirement {
    Requirement::RequireGroup { min, reqs }
}

#[test]
fn single_condition_and_call_form() {
    assert_eq!(ok("a"), c("a"));
    assert_eq!(ok("  _x9\n"), c("_x9"));
    assert_eq!(ok("ready()"), c("ready"));
    assert_eq!(ok("ready ( )"), c("ready"));
    // Function names are ordinary identifiers when not called.
    assert_eq!(ok("all && any || at_least"), or(vec![and(vec![c("all"), c("any")]), c("at_least")]));
}

#[test]
fn precedence_not_over_and_over_or() {
    assert_eq!(ok("!a && b || c"), or(vec![and(vec![not(c("a")), c("b")]), c("c")]));
    assert_eq!(ok("a || b && c"), or(vec![c("a"), and(vec![c("b"), c("c")])]));
    assert_eq!(ok("a || !b && !!c"), or(vec![c("a"), and(vec![not(c("b")), not(not(c("c")))])]));
}

#[test]
fn chains_flatten_into_one_node() {
    assert_eq!(ok("a && b && c"), and(vec![c("a"), c("b"), c("c")]));
    assert_eq!(ok("a||b||c||d"), or(vec![c("a"), c("b"), c("c"), c("d")]));
    assert_eq!(ok("a && b || c && d || e"), or(vec![and(vec![c("a"), c("b")]), and(vec![c("c"), c("d")]), c("e")]));
}

#[test]
fn parentheses_group_and_keep_their_node() {
    assert_eq!(ok("!(a || b) && c"), and(vec![not(or(vec![c("a"), c("b")])), c("c")]));
    assert_eq!(ok("a && (b || c)"), and(vec![c("a"), or(vec![c("b"), c("c")])]));
    assert_eq!(ok("(a && b) && c"), and(vec![and(vec![c("a"), c("b")]), c("c")]));
    assert_eq!(ok("((((a))))"), c("a"));
}

#[test]
fn word_operators() {
    assert_eq!(ok("not a and b or c"), or(vec![and(vec![not(c("a")), c("b")]), c("c")]));
    assert_eq!(ok("a and not not b"), and(vec![c("a"), not(not(c("b")))]));
    assert_eq!(ok("not(a) and b"), and(vec![not(c("a")), c("b")]));
    assert_eq!(ok("not (a || b)"), not(or(vec![c("a"), c("b")])));
    assert_eq!(ok("a\nand\tb"), and(vec![c("a"), c("b")]));
    // Keywords are case sensitive; `AND` and `nota` are identifiers.
    assert_eq!(ok("AND && nota"), and(vec![c("AND"), c("nota")]));
}

#[test]
fn functions() {
    assert_eq!(ok("all(a, b, c)"), and(vec![c("a"), c("b"), c("c")]));
    assert_eq!(ok("any(a)"), or(vec![c("a")]));
    assert_eq!(ok("not(a && b)"), not(and(vec![c("a"), c("b")])));
    assert_eq!(ok("at_least(2, a, b, c)"), group(2, vec![c("a"), c("b"), c("c")]));
    assert_eq!(ok("at_least(2 a, b, c)"), group(2, vec![c("a"), c("b"), c("c")]));
    assert_eq!(ok("require_group(1, x)"), group(1, vec![c("x")]));
    assert_eq!(ok("require_group(3 a,b,c)"), group(3, vec![c("a"), c("b"), c("c")]));
    assert_eq!(
        ok("all(a || b, any(c, !d), at_least(1, e && f))"),
        and(vec![or(vec![c("a"), c("b")]), or(vec![c("c"), not(c("d"))]), group(1, vec![and(vec![c("e"), c("f")])]),])
    );
    // A function call is an operand; it does not merge with an enclosing chain.
    assert_eq!(ok("all(a, b) && c"), and(vec![and(vec![c("a"), c("b")]), c("c")]));
}

#[test]
fn unknown_identifier_is_named() {
    let table = |name: &str| ["a", "b"].contains(&name).then(|| ConditionId::new(format!("cond-{name}")));
    assert_eq!(parse_requirement("a && b", &table), Ok(and(vec![c("cond-a"), c("cond-b")])));
    assert_eq!(
        parse_requirement("a &&\n  zzz", &table),
        Err(DslError::UnknownIdentifier { name: "zzz".to_owned(), line: 2, column: 3 })
    );
    let err = parse_requirement("mystery()", &table).unwrap_err();
    assert!(err.to_string().contains("`mystery`"), "{err}");
}

#[test]
fn and_or_function_spellings_are_rejected() {
    for input in ["and(a)", "or(a, b)", "and(a, b) && c", "x || or(b)"] {
        assert!(matches!(parse(input), Err(DslError::UnexpectedToken { .. })), "{input:?} gave {:?}", parse(input));
    }
}

#[test]
fn empty_calls_and_bad_counts() {
    for input in ["all()", "any( )", "not()", "at_least()", "at_least(2)", "at_least(2,)", "require_group(1 )"] {
        assert!(matches!(parse(input), Err(DslError::EmptyCall { .. })), "{input:?} gave {:?}", parse(input));
    }
    assert_eq!(parse("x && all()"), Err(DslError::EmptyCall { name: "all".to_owned(), line: 1, column: 6 }));
    for input in ["at_least(a, b)", "at_least(256, a)", "at_least(-1, a)", "at_least(2a, b)", "at_least((1), a)"] {
        let result = parse(input);
        assert!(
            matches!(result, Err(DslError::InvalidCount { .. }) | Err(DslError::UnexpectedCharacter { .. })),
            "{input:?} gave {result:?}"
        );
    }
    assert!(matches!(parse("at_least(99999999999999999999, a)"), Err(DslError::InvalidCount { .. })));
    assert_eq!(parse("at_least(255 a)"), Err(DslError::Structure(StructureError::InvalidGroup { min: 255, count: 1 })));
}

#[test]
fn structure_errors_are_wrapped() {
    assert_eq!(parse("at_least(3, a, b)"), Err(DslError::Structure(StructureError::InvalidGroup { min: 3, count: 2 })));
    assert!(matches!(parse("at_least(0 a)"), Err(DslError::Structure(StructureError::InvalidStructure(_)))));
    // Within the nesting limit but deeper than the tree limit once `!` and `&&` add nodes.
    let deep = format!("{}!a && b{}", "all(".repeat(31), ")".repeat(31));
    assert!(matches!(parse(&deep), Err(DslError::Structure(StructureError::TooDeep { .. }))));
}

#[test]
fn nesting_limit() {
    for depth in [32, 33, 40] {
        let parens = format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
        let calls = format!("{}a{}", "all(".repeat(depth), ")".repeat(depth));
        let nots = format!("{}a", "!".repeat(depth));
        let word_nots = format!("{}a", "not ".repeat(depth));
        let not_calls = format!("{}a{}", "not(".repeat(depth), ")".repeat(depth));
        for input in [parens, calls, nots, word_nots, not_calls] {
            let result = parse(&input);
            if depth <= MAX_DSL_NESTING {
                assert!(result.is_ok(), "depth {depth}: {input:?} gave {result:?}");
            } else {
                assert!(
                    matches!(result, Err(DslError::NestingTooDeep { limit: MAX_DSL_NESTING, .. })),
                    "depth {depth}: {input:?} gave {result:?}"
                );
            }
        }
    }
    let mut expected = c("a");
    for _ in 0..32 {
        expected = not(expected);
    }
    assert_eq!(ok(&format!("{}a", "!".repeat(32))), expected);
    assert_eq!(
        parse(&format!("{}a", "!".repeat(33))),
        Err(DslError::NestingTooDeep { limit: 32, line: 1, column: 33 })
    );
}

#[test]
fn huge_nesting_does_not_overflow_the_stack() {
    let half = MAX_DSL_INPUT_BYTES / 2;
    for input in ["(".repeat(half), "!".repeat(MAX_DSL_INPUT_BYTES), "not(".repeat(half / 4), "any(".repeat(half / 4)] {
        assert!(matches!(parse(&input), Err(DslError::NestingTooDeep { .. })));
    }
}

#[test]
fn input_size_limit() {
    // Exactly 1 MiB: a long flat chain, padded with spaces.
    let unit = "a || ";
    let mut input = format!("a{}", " || a".repeat((MAX_DSL_INPUT_BYTES - 1) / unit.len()));
    input.push_str(&" ".repeat(MAX_DSL_INPUT_BYTES - input.len()));
    assert_eq!(input.len(), MAX_DSL_INPUT_BYTES);
    match ok(&input) {
        Requirement::Or(children) => {
            assert_eq!(children.len(), 1 + (MAX_DSL_INPUT_BYTES - 1) / unit.len())
        }
        other => panic!("expected Or, got a different node: {:?}", std::mem::discriminant(&other)),
    }
    input.push(' ');
    assert_eq!(
        parse(&input),
        Err(DslError::InputTooLarge { size: MAX_DSL_INPUT_BYTES + 1, limit: MAX_DSL_INPUT_BYTES })
    );
}

/// Predicate over the error a garbage input must give.
type ErrorCheck = fn(&DslError) -> bool;

#[test]
fn garbage_inputs_give_errors() {
    let cases: &[(&str, ErrorCheck)] = &[
        ("", |e| matches!(e, DslError::UnexpectedEnd { line: 1, column: 1, .. })),
        ("   \n ", |e| matches!(e, DslError::UnexpectedEnd { line: 2, column: 2, .. })),
        ("a &&", |e| matches!(e, DslError::UnexpectedEnd { .. })),
        ("a & b", |e| matches!(e, DslError::UnexpectedCharacter { ch: '&', line: 1, column: 3 })),
        ("a | b", |e| matches!(e, DslError::UnexpectedCharacter { ch: '|', .. })),
        ("a &&\n  @", |e| matches!(e, DslError::UnexpectedCharacter { ch: '@', line: 2, column: 3 })),
        ("é", |e| matches!(e, DslError::UnexpectedCharacter { ch: 'é', .. })),
        ("a b", |e| matches!(e, DslError::UnexpectedToken { line: 1, column: 3, .. })),
        ("(a", |e| matches!(e, DslError::UnexpectedEnd { .. })),
        ("a)", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("()", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("a && || b", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("42", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("9lives", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("all(a,)", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("all(a b)", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("all(a", |e| matches!(e, DslError::UnexpectedEnd { .. })),
        ("cond(x)", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("not(a, b)", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("not", |e| matches!(e, DslError::UnexpectedEnd { .. })),
        ("!", |e| matches!(e, DslError::UnexpectedEnd { .. })),
        ("a, b", |e| matches!(e, DslError::UnexpectedToken { .. })),
        ("at_least(1,, a)", |e| matches!(e, DslError::UnexpectedToken { .. })),
    ];
    for (input, check) in cases {
        match parse(input) {
            Err(err) => {
                assert!(check(&err), "{input:?} gave {err:?}");
                assert!(!err.to_string().is_empty());
            }
            Ok(tree) => panic!("{input:?} parsed to {tree:?}"),
        }
    }
    let long = format!("a {}", "x".repeat(10_000));
    let message = parse(&long).unwrap_err().to_string();
    assert!(message.len() < 200, "{message}");
}

// ---------------------------------------------------------------------------------------
// Property tests.

const NAMES: &[&str] = &["a", "b", "c", "ready", "_x1", "all", "any", "at_least", "require_group", "notx"];
const FUNCTION_NAMES: &[&str] = &["all", "any", "at_least", "require_group"];

fn arb_tree() -> impl Strategy<Value = Requirement> {
    let leaf = prop::sample::select(NAMES).prop_map(c);
    leaf.prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..5).prop_map(Requirement::And),
            prop::collection::vec(inner.clone(), 1..5).prop_map(Requirement::Or),
            inner.clone().prop_map(not),
            (prop::collection::vec(inner, 1..5), any::<u8>()).prop_map(|(reqs, seed)| {
                let len = u8::try_from(reqs.len()).unwrap_or(u8::MAX);
                group(1 + seed % len, reqs)
            }),
        ]
    })
}

/// Prints trees back to DSL text, choosing among equivalent spellings with a small PRNG.
struct Printer {
    state: u64,
    out: String,
}

impl Printer {
    fn pick(&mut self, n: u64) -> u64 {
        self.state = self.state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.state >> 33) % n
    }

    fn choose(&mut self, options: &[&'static str]) {
        let index = self.pick(options.len() as u64) as usize;
        self.out.push_str(options[index]);
    }

    /// Any expression: a bare operator chain is allowed.
    fn expr(&mut self, tree: &Requirement) {
        match tree {
            Requirement::Or(children) if children.len() >= 2 && self.pick(2) == 0 => {
                self.chain(children, &[" || ", "||", " or ", "\nor\n"], Self::or_operand)
            }
            _ => self.or_operand(tree),
        }
    }

    /// An operand of `||`: a bare `&&` chain is allowed.
    fn or_operand(&mut self, tree: &Requirement) {
        match tree {
            Requirement::And(children) if children.len() >= 2 && self.pick(2) == 0 => {
                self.chain(children, &[" && ", "&&", " and ", "\tand "], Self::atom)
            }
            _ => self.atom(tree),
        }
    }

    fn chain(&mut self, children: &[Requirement], separators: &[&'static str], item: fn(&mut Self, &Requirement)) {
        for (index, child) in children.iter().enumerate() {
            if index > 0 {
                self.choose(separators);
            }
            item(self, child);
        }
    }

    /// An operand of `&&` or `!`: never a bare chain.
    fn atom(&mut self, tree: &Requirement) {
        match tree {
            Requirement::Condition(id) => {
                self.out.push_str(id.as_str());
                if !FUNCTION_NAMES.contains(&id.as_str()) && self.pick(4) == 0 {
                    self.choose(&["()", " ( )"]);
                }
            }
            Requirement::Not(child) => match self.pick(3) {
                0 => {
                    self.choose(&["!", "! ", "not "]);
                    self.atom(child);
                }
                1 => {
                    self.choose(&["not(", "not (", "!("]);
                    self.expr(child);
                    self.out.push(')');
                }
                _ => {
                    self.out.push_str("(!");
                    self.atom(child);
                    self.out.push(')');
                }
            },
            Requirement::And(children) | Requirement::Or(children) if children.len() >= 2 && self.pick(2) == 0 => {
                self.out.push('(');
                self.expr(tree);
                self.out.push(')');
            }
            Requirement::And(children) => self.call("all(", children),
            Requirement::Or(children) => self.call("any(", children),
            Requirement::RequireGroup { min, reqs } => {
                self.choose(&["at_least(", "require_group(", "at_least ( "]);
                self.out.push_str(&min.to_string());
                self.choose(&[", ", " ", ","]);
                self.members(reqs);
            }
        }
    }

    fn call(&mut self, open: &str, children: &[Requirement]) {
        self.out.push_str(open);
        self.members(children);
    }

    fn members(&mut self, children: &[Requirement]) {
        for (index, child) in children.iter().enumerate() {
            if index > 0 {
                self.choose(&[", ", ",", " ,\n"]);
            }
            self.expr(child);
        }
        self.out.push(')');
    }
}

fn print(tree: &Requirement, seed: u64) -> String {
    let mut printer = Printer { state: seed, out: String::new() };
    printer.expr(tree);
    printer.out
}

proptest! {
    #[test]
    fn random_strings_never_panic(input in ".{0,200}") {
        let _ = parse(&input);
    }

    #[test]
    fn dsl_like_strings_never_panic(input in "[abn_tolrqyug0-9!&|(), \n]{0,200}") {
        let _ = parse(&input);
    }

    #[test]
    fn printed_trees_reparse_to_the_same_tree(tree in arb_tree(), seed in any::<u64>()) {
        let text = print(&tree, seed);
        prop_assert_eq!(parse(&text), Ok(tree), "text: {}", text);
    }
}
