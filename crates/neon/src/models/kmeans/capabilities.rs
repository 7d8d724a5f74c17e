//! What k-means explains: its registry name and the rule sets of its one target. The one table
//! that [`super::KMeans::explainer`] checks and the registry row lists.

use crate::options::{Capabilities, RuleSet, Target};

/// Registry name.
pub const NAME: &str = "kmeans";

/// Cluster evidence (§4.1): Appendix A.3 grounded (the default: 97–100 % of exact Shapley's
/// removal gain over random orderings on three data sets, against 32–60 % for the chapter's
/// w² rule; docs/compare.md), the w² rule, or the midpoint rule of Kauffmann et al. (2022).
pub const CAPABILITIES: Capabilities = &[(
    Target::Cluster,
    &[RuleSet::Grounded, RuleSet::Standard, RuleSet::Midpoint],
)];
