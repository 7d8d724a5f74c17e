//! What to explain and how: the target (§3–§4), the rule set and the rule options. A leaf
//! module: every model, the engine and the CLI read these types; they read nothing of theirs.

use crate::error::{NeonError, Result};
use serde::{Deserialize, Serialize};

/// Default ε of the squared-distance rule (§3.1), in squared units of the model space. Small
/// enough to dissipate nothing measurable unless `x` coincides with a training point, in which
/// case that point's whole share is dissipated instead of dividing by zero.
pub const DEFAULT_EPSILON: f64 = 1e-9;

/// The prediction to explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// KDE outlierness `o(x) = −(1/γ) log p̃(x)` (§3.1).
    Outlier,
    /// KDE inlierness `p̃(x)`, direct uniform explanation (§3.2).
    Inlier,
    /// KDE inlierness through random Fourier features, `î(x)` (§3.3).
    InlierRff,
    /// k-means cluster evidence `f_c(x)` (Eq. 5, §4.1).
    Cluster,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 4] = [
        Target::Outlier,
        Target::Inlier,
        Target::InlierRff,
        Target::Cluster,
    ];
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Target::Outlier => "outlier",
            Target::Inlier => "inlier",
            Target::InlierRff => "inlier-rff",
            Target::Cluster => "cluster",
        })
    }
}

impl std::str::FromStr for Target {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        Target::ALL
            .into_iter()
            .find(|t| t.to_string() == s)
            .ok_or_else(|| {
                NeonError::param(
                    "target",
                    format!(
                        "unknown target '{s}' (expected outlier, inlier, inlier-rff or cluster)"
                    ),
                )
            })
    }
}

/// The family of LRP rules that carries relevance from the network's top layer to the input
/// features. A rule set is chosen per explanation ([`ExplainOptions::rule`]); which sets apply
/// to which target is listed in the model's [`crate::models::REGISTRY`] row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleSet {
    /// The chapter's rules (§3–§4): squared-distance rule, uniform rule, w² rule.
    #[default]
    Standard,
    /// Appendix A: only activated inputs (`x_i ≠ 0`) receive relevance; the part that cannot
    /// be grounded on them (`R^res`) is reported as dissipated. Meant for non-negative
    /// features (CNN activations, counts); on other data it still conserves.
    Grounded,
    /// k-means only: each competitor's linear unit is decomposed around the midpoint of the two
    /// centroids (Kauffmann et al. 2022), `R_i ∝ w_ik (x − (μ_c + μ_k)/2)_i`.
    Midpoint,
}

impl RuleSet {
    /// Every rule set.
    pub const ALL: [RuleSet; 3] = [RuleSet::Standard, RuleSet::Grounded, RuleSet::Midpoint];
}

impl std::fmt::Display for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RuleSet::Standard => "standard",
            RuleSet::Grounded => "grounded",
            RuleSet::Midpoint => "midpoint",
        })
    }
}

impl std::str::FromStr for RuleSet {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        RuleSet::ALL
            .into_iter()
            .find(|r| r.to_string() == s)
            .ok_or_else(|| {
                NeonError::param(
                    "rule",
                    format!("unknown rule set '{s}' (expected standard, grounded or midpoint)"),
                )
            })
    }
}

/// Options of the explanation rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExplainOptions {
    /// Stiffness β of the soft argmin. `None`: β = γ for KDE outliers (§3.1), and the
    /// data-derived `β = 1 / mean f_c` for k-means (scale-free; see `KMeans::beta_auto`).
    pub beta: Option<f64>,
    /// Stabiliser ε of the squared-distance rule (§3.1).
    pub epsilon: f64,
    /// Number H of random features (§3.3).
    pub n_features: usize,
    /// Number of independent random-feature draws; mean and std are reported.
    pub trials: usize,
    /// Seed of the random features.
    pub seed: u64,
    /// The rule set (see [`RuleSet`]). `None`: the model's default for the target, the first
    /// of its capability table — the most faithful in the measurements of docs/compare.md
    /// ([`default_rule`]).
    pub rule: Option<RuleSet>,
    /// Cluster target only: explain the evidence for this cluster (0-based) instead of the
    /// row's assigned one (§4.1, Eq. 5 with any `c`). For a cluster the row is not in, the
    /// evidence `f_c(x)` is negative and so is the sum of the relevances.
    pub cluster: Option<usize>,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        ExplainOptions {
            beta: None,
            epsilon: DEFAULT_EPSILON,
            n_features: 2500,
            trials: 1,
            seed: 0,
            rule: None,
            cluster: None,
        }
    }
}

impl ExplainOptions {
    /// Check the options.
    pub fn validate(&self) -> Result<()> {
        let failed = match self.beta {
            Some(beta) if !(beta.is_finite() && beta >= 0.0) => Some(OptionsError::Beta(beta)),
            _ if !(self.epsilon.is_finite() && self.epsilon >= 0.0) => {
                Some(OptionsError::Epsilon(self.epsilon))
            }
            _ if self.n_features == 0 => Some(OptionsError::NoFeatures),
            _ if self.trials == 0 => Some(OptionsError::NoTrials),
            _ => None,
        };
        failed.map_or(Ok(()), |e| Err(e.into()))
    }

    /// Check [`ExplainOptions::cluster`] for `target` of a model with `n_clusters` clusters
    /// (`None`: the model does not cluster).
    pub fn check_cluster(&self, target: Target, n_clusters: Option<usize>) -> Result<()> {
        let Some(cluster) = self.cluster else {
            return Ok(());
        };
        match n_clusters {
            _ if target != Target::Cluster => Err(NeonError::param(
                "cluster",
                format!("a chosen cluster applies to the cluster target, not to '{target}'"),
            )),
            None => Err(NeonError::param(
                "cluster",
                "this model has no clusters to choose from",
            )),
            Some(k) if cluster >= k => Err(NeonError::param(
                "cluster",
                format!("cluster {cluster} is out of range (the model has {k} clusters, 0..{k})"),
            )),
            Some(_) => Ok(()),
        }
    }
}

/// A rule option that fails its check.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// β is negative or not finite.
    #[error("must be a finite number >= 0, got {0}")]
    Beta(f64),
    /// ε is negative or not finite.
    #[error("must be a finite number >= 0, got {0}")]
    Epsilon(f64),
    /// `n_features = 0`.
    #[error("must be at least 1")]
    NoFeatures,
    /// `trials = 0`.
    #[error("must be at least 1")]
    NoTrials,
}

crate::error::param_check!(OptionsError, |e| match e {
    OptionsError::Beta(_) => "beta",
    OptionsError::Epsilon(_) => "epsilon",
    OptionsError::NoFeatures => "n_features",
    OptionsError::NoTrials => "trials",
});

/// The targets a model explains, each with the rule sets that apply to it (the first target
/// and the first rule set are the defaults). Every model states its table in its own folder;
/// its registry row and its explainers read that one table.
pub type Capabilities = &'static [(Target, &'static [RuleSet])];

/// The default rule set of `target` in capability table `table`: its first (standard where the
/// table does not list the target, so that the check that follows names the target).
pub fn default_rule(table: Capabilities, target: Target) -> RuleSet {
    table
        .iter()
        .find(|(t, _)| *t == target)
        .and_then(|(_, rules)| rules.first().copied())
        .unwrap_or_default()
}

impl ExplainOptions {
    /// The rule set these options select for `target` of a model with capability table
    /// `table`: the one given, else the model's default.
    pub fn rule_for(&self, table: Capabilities, target: Target) -> RuleSet {
        self.rule.unwrap_or_else(|| default_rule(table, target))
    }
}

/// Check that model `model` (with capability table `table`) explains `target` with `rule`;
/// the error names what applies.
pub fn check_target_rule(
    model: &str,
    table: Capabilities,
    target: Target,
    rule: RuleSet,
) -> Result<()> {
    let list = |items: Vec<String>| items.join(", ");
    let Some((_, rules)) = table.iter().find(|(t, _)| *t == target) else {
        return Err(NeonError::UnsupportedTarget {
            model: model.into(),
            target: target.to_string(),
            supported: list(table.iter().map(|(t, _)| t.to_string()).collect()),
        });
    };
    if !rules.contains(&rule) {
        return Err(NeonError::UnsupportedRule {
            model: model.into(),
            target: target.to_string(),
            rule: rule.to_string(),
            supported: list(rules.iter().map(|r| r.to_string()).collect()),
        });
    }
    Ok(())
}

/// Default memory budget for what one request allocates up front (random features): 8 GiB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 8 << 30;

/// The memory budget in bytes: `NEON_MEMORY_LIMIT` (bytes, or with a K/M/G/T suffix, powers of
/// 1024), else [`DEFAULT_MEMORY_BUDGET`]. An unreadable value is an error naming it.
pub fn memory_budget() -> Result<u64> {
    let Ok(text) = std::env::var("NEON_MEMORY_LIMIT") else {
        return Ok(DEFAULT_MEMORY_BUDGET);
    };
    let t = text.trim();
    let (digits, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| {
            NeonError::param(
                "NEON_MEMORY_LIMIT",
                format!("'{text}' is not a size (e.g. 16G, 512M, 1000000000)"),
            )
        })
}

/// Bytes as `12.3 GiB` / `456.0 MiB`.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Refuse to allocate `bytes` for `what` above the memory budget; `hint` says what to lower.
pub fn check_memory(what: &str, bytes: f64, hint: &str) -> Result<()> {
    let budget = memory_budget()?;
    if bytes > budget as f64 {
        return Err(NeonError::MemoryBudget {
            what: what.to_string(),
            needed: human_bytes(bytes),
            budget: human_bytes(budget as f64),
            hint: hint.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(options: ExplainOptions) -> OptionsError {
        let err = options.validate().expect_err("must fail");
        *err.check::<OptionsError>().expect("an OptionsError")
    }

    #[test]
    fn each_option_check_has_its_variant() {
        let ok = ExplainOptions::default();
        assert!(ok.validate().is_ok());
        assert_eq!(
            check(ExplainOptions {
                beta: Some(-1.0),
                ..ok
            }),
            OptionsError::Beta(-1.0)
        );
        assert_eq!(
            check(ExplainOptions {
                epsilon: f64::INFINITY,
                ..ok
            }),
            OptionsError::Epsilon(f64::INFINITY)
        );
        assert_eq!(
            check(ExplainOptions {
                n_features: 0,
                ..ok
            }),
            OptionsError::NoFeatures
        );
        assert_eq!(
            check(ExplainOptions { trials: 0, ..ok }),
            OptionsError::NoTrials
        );
        let err = ExplainOptions { trials: 0, ..ok }
            .validate()
            .expect_err("fails");
        assert_eq!(err.to_string(), "parameter trials: must be at least 1");
    }

    #[test]
    fn a_chosen_cluster_is_checked_against_target_and_model() {
        let chosen = ExplainOptions {
            cluster: Some(2),
            ..Default::default()
        };
        assert!(chosen.check_cluster(Target::Cluster, Some(3)).is_ok());
        assert!(ExplainOptions::default()
            .check_cluster(Target::Outlier, None)
            .is_ok());
        let err = chosen
            .check_cluster(Target::Cluster, Some(2))
            .expect_err("out of range");
        assert_eq!(
            err.to_string(),
            "parameter cluster: cluster 2 is out of range (the model has 2 clusters, 0..2)"
        );
        let err = chosen
            .check_cluster(Target::Outlier, Some(3))
            .expect_err("wrong target");
        assert!(err.to_string().contains("not to 'outlier'"), "{err}");
        let err = chosen
            .check_cluster(Target::Cluster, None)
            .expect_err("no clusters");
        assert!(err.to_string().contains("no clusters"), "{err}");
    }

    #[test]
    fn capability_tables_name_what_applies() {
        const TABLE: Capabilities = &[(Target::Cluster, &[RuleSet::Standard])];
        assert!(check_target_rule("m", TABLE, Target::Cluster, RuleSet::Standard).is_ok());
        let err =
            check_target_rule("m", TABLE, Target::Outlier, RuleSet::Standard).expect_err("target");
        assert!(matches!(err, NeonError::UnsupportedTarget { .. }), "{err}");
        let err =
            check_target_rule("m", TABLE, Target::Cluster, RuleSet::Midpoint).expect_err("rule");
        assert!(matches!(err, NeonError::UnsupportedRule { .. }), "{err}");
    }
}
