//! The `decision-gate` command.

fn main() {}
