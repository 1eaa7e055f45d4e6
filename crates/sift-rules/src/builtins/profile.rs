//! The volume-profile parameters shared by `near_hvn`, `poc`, `hvn_above` and `hvn_below`,
//! and building the registry's `volume_profile` from them.

use sift_indicators::{Arg, Spec};

use super::{Call, Param};
use crate::check::{Lowered, Lowerer};
use crate::diagnostic::{Code, Diagnostic};

pub(super) const BINS: Param = Param::bars(
    "bins",
    1.0,
    Some(24.0),
    "equal price bins between the window's extremes",
);
pub(super) const LOOKBACK: Param = Param::bars("lookback", 1.0, Some(200.0), "bars in the profile");
pub(super) const THRESHOLD: Param = Param::real(
    "threshold",
    0.0,
    1.5,
    "a node's volume is at least this multiple of the mean bin's",
);
pub(super) const MIN_STRENGTH: Param = Param::bars(
    "min_strength",
    0.0,
    Some(2.0),
    "a node's volume is at least that of this many bins each side",
);

/// Output `field` of `volume_profile` built from the call's arguments `first..first + 4`
/// (bins, lookback, threshold, min_strength).
pub(super) fn field(lw: &mut Lowerer<'_>, call: &Call, first: usize, field: &str) -> Lowered {
    let named: Vec<(&str, Arg<'_>)> = [BINS, LOOKBACK, THRESHOLD, MIN_STRENGTH]
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name, Arg::Number(call.literal(first + i))))
        .collect();
    let spec = Spec::new("volume_profile", None, &[], &named).map_err(|e| {
        lw.report(Diagnostic::new(
            Code::InvalidArgument,
            call.span.clone(),
            e.to_string(),
        ))
    })?;
    let index = spec
        .def()
        .fields
        .iter()
        .position(|f| *f == field)
        .unwrap_or(0);
    lw.indicator_node(spec, index, None, call.tf, call.span.clone())
}

#[cfg(test)]
mod tests {
    use sift_indicators::registry;

    use super::*;

    #[test]
    fn parameters_match_the_registry_entry() {
        let def = registry::find("volume_profile").unwrap();
        let ours = [BINS, LOOKBACK, THRESHOLD, MIN_STRENGTH];
        assert_eq!(def.params.len(), ours.len());
        for (theirs, ours) in def.params.iter().zip(ours) {
            assert_eq!(theirs.name, ours.name);
            assert_eq!(theirs.default, ours.default, "{}", ours.name);
            assert_eq!(theirs.min, ours.min, "{}", ours.name);
        }
        for field in ["poc", "hvn_above", "hvn_below", "nearest_hvn_distance_pct"] {
            assert!(def.fields.contains(&field), "{field}");
        }
    }
}
