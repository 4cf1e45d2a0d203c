//! The 17 MCP tools: catalogue, schemas, handlers and the router that runs the pipeline.

pub mod catalogue;
