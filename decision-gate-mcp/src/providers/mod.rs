//! Evidence providers: built-ins, external MCP providers, contracts and validation.
