//! The 17 MCP tools: catalogue, schemas, handlers and the router that runs the pipeline.

mod args;
pub mod catalogue;
mod contract;
mod defaults;
mod discovery;
mod evidence;
mod feedback;
mod mapping;
mod precheck;
mod registry;
mod router;
mod runpack;
mod scenario;
pub mod schemas;

pub use args::{RequestedScope, Scoped};
pub use evidence::shape_result;
pub use feedback::{FeedbackGrant, grant as grant_feedback};
pub use registry::compile_schema;
pub use router::{CallFailure, ToolRouter};
