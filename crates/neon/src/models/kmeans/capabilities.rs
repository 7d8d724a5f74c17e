//! What k-means explains: its registry name and the rule sets of its one target. The one table
//! that [`super::KMeans::explainer`] checks and the registry row lists.

use crate::options::{Capabilities, RuleSet, Target};

/// Registry name.
pub const NAME: &str = "kmeans";

/// Cluster evidence (§4.1): the w² rule, Appendix A.3 grounded, or the midpoint rule of
/// Kauffmann et al. (2022).
pub const CAPABILITIES: Capabilities = &[(
    Target::Cluster,
    &[RuleSet::Standard, RuleSet::Grounded, RuleSet::Midpoint],
)];
