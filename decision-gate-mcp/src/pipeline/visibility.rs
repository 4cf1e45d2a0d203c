//! The `ToolVisibility` seam: which tools a caller sees. A hidden tool is listed by no
//! `tools/list` and, unless the seam says it is still callable, answered exactly like an
//! unknown tool when called (mcp-surface §6.2).

use super::CallContext;
use crate::config::ToolVisibilityConfig;

/// Decides per caller whether a tool is visible. Enterprise builds hide the tools a principal
/// has no permission for, so `tools/list` shows only what the caller may call.
pub trait ToolVisibility: Send + Sync {
    /// Whether `tool` is listed to the caller of `ctx`.
    fn visible(&self, ctx: &CallContext, tool: &str) -> bool;

    /// Whether a call of `tool` is treated as a known tool (default: when it is visible). A
    /// seam that hides tools the caller lacks a permission for answers `true` here, so the
    /// call reaches the tenant resolver and is refused with the scopes it needs.
    fn callable(&self, ctx: &CallContext, tool: &str) -> bool {
        self.visible(ctx, tool)
    }
}

/// Open-source default: `[server.tools]` allowlist and denylist, the same for every caller.
#[derive(Clone, Debug, Default)]
pub struct ConfiguredToolVisibility {
    allowlist: Vec<String>,
    denylist: Vec<String>,
}

impl ConfiguredToolVisibility {
    /// The lists of `[server.tools]`.
    pub fn new(config: &ToolVisibilityConfig) -> Self {
        ConfiguredToolVisibility { allowlist: config.allowlist.clone(), denylist: config.denylist.clone() }
    }
}

impl ToolVisibility for ConfiguredToolVisibility {
    fn visible(&self, _ctx: &CallContext, tool: &str) -> bool {
        !self.denylist.iter().any(|name| name == tool)
            && (self.allowlist.is_empty() || self.allowlist.iter().any(|name| name == tool))
    }
}
