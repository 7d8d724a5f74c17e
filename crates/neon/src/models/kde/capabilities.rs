//! What a KDE explains: its registry name and, per target, the rule sets that apply. The one
//! table that [`super::Kde::explainer`] checks and the registry row lists.

use crate::options::{Capabilities, RuleSet, Target};

/// Registry name.
pub const NAME: &str = "kde";

/// Outlierness (§3.1: standard or Appendix A.1 grounded), inlierness (§3.2: uniform rule) and
/// random-feature inlierness (§3.3: w² rule, or Appendix A.2 grounded).
pub const CAPABILITIES: Capabilities = &[
    (Target::Outlier, &[RuleSet::Standard, RuleSet::Grounded]),
    (Target::Inlier, &[RuleSet::Standard]),
    (Target::InlierRff, &[RuleSet::Standard, RuleSet::Grounded]),
];
