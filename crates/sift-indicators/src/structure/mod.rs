//! structure indicators, one file each.

use crate::registry::Def;

/// This category's registry entries.
pub(crate) const DEFS: &[Def] = &[];
