//! Pagination shared by every list in the project (core-model §9.4).

use serde::{Deserialize, Serialize};

/// One page of a listing. `next_token` is `null` on the last page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Cursor for the next page; `None` when this is the last page.
    pub next_token: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched items: the extra item only signals that
    /// more exist, and the cursor is derived from the last item kept.
    pub fn from_overfetch(mut fetched: Vec<T>, limit: usize, cursor_of: impl Fn(&T) -> String) -> Self {
        let more = fetched.len() > limit;
        fetched.truncate(limit);
        let next_token = if more { fetched.last().map(cursor_of) } else { None };
        Page { items: fetched, next_token }
    }
}

/// Cursor of the data-shape listing: the last item's identity as JSON text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataShapeCursor {
    /// Last schema id of the previous page.
    pub schema_id: String,
    /// Last version of the previous page.
    pub version: String,
}

impl DataShapeCursor {
    /// The cursor's JSON text.
    pub fn encode(&self) -> String {
        String::from_utf8(crate::hashing::to_canonical_vec(self).unwrap_or_default()).unwrap_or_default()
    }
}

/// Parses a data-shape cursor; anything that is not an object with string `schema_id` and
/// `version` is `invalid cursor` (extra keys are ignored).
pub fn parse_data_shape_cursor(text: &str) -> Result<DataShapeCursor, String> {
    serde_json::from_str::<DataShapeCursor>(text).map_err(|_| "invalid cursor".to_owned())
}
