//! Tests of the providers module.

mod contracts;
mod env;
mod federation;
mod http;
mod json;
mod registry;
mod setup;
mod strict;
mod support;
mod time;
