//! Approximate KDE outlier explanation (§3.1) with a certified bound.
//!
//! Only training points whose kernel weight relative to the nearest one exceeds the tolerance
//! `τ`, `exp(−γ (h_k − h_min)) > τ`, i.e. `h_k < h_min + ln(1/τ)/γ`, take part. They are found
//! with a k-d tree ([`kiddo`]) for `d ≤` [`MAX_TREE_DIM`]; above that, the blocked exact path
//! of [`super::KdeBatch`] is used and the bound is 0.
//!
//! # The bound
//!
//! Let `S = Σ_used exp(−γ (h_k − h_min))` (at least 1: the nearest point is used) and `n` the
//! number of points used out of `N`. Every neglected point has relative weight at most `τ`, so
//! the neglected mass is at most `η = (N − n) τ / S` times the used mass, and
//!
//! - the fraction of `p̃(x)` neglected is at most `η / (1 + η)` ([`ApproxBound::neglected_mass`]);
//! - the exact outlierness satisfies `ô − ln(1 + η)/γ ≤ o(x) ≤ ô`, where `ô` is the reported
//!   score ([`ApproxBound::score_bound`] `= ln(1 + η)/γ`);
//! - with `η_β = (N − n) τ^{β/γ} / S_β` for the soft argmin, the L1 distance between the exact
//!   and the reported relevance vectors, dissipated part included, is at most
//!   `ln(1 + η)/γ + 2 ô η_β / (1 + η_β)` ([`ApproxBound::relevance_bound`]), because each
//!   training point's share `(x_i − u_ki)²/(ε + h_k)` sums to 1 over the features and `ε`.

use super::algorithm::Kde;
use super::batch::KdeBatch;
use crate::error::{NeonError, Result};
use crate::explain::Explanation;
use crate::kernels::math::{soft_argmin, squared_distance};
use crate::kernels::{Compute, Tiles};
use crate::rules::squared_distance_rule;
use kiddo::immutable::float::kdtree::ImmutableKdTree;
use kiddo::SquaredEuclidean;
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Largest dimension for which a k-d tree is built; above it the exact blocked path is used.
pub const MAX_TREE_DIM: usize = 16;

/// Relative safety margin on the search radius and on `τ` (covers the round-off of the tree's
/// distance computations).
const MARGIN: f64 = 1e-9;

pub use crate::engine::ApproxBound;

/// An approximate outlier explanation and its bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApproxOutlier {
    /// The explanation (score `ô`, relevance, dissipated part).
    pub explanation: Explanation,
    /// Its certified bound.
    pub bound: ApproxBound,
}

/// Neighbour queries on the training points.
trait NeighbourIndex: Send + Sync + std::fmt::Debug {
    /// Nearest training point other than `exclude`: (index, squared distance).
    fn nearest(&self, x: &[f64], exclude: Option<usize>) -> Option<(usize, f64)>;
    /// Indices of the training points with squared distance at most `radius2`.
    fn within(&self, x: &[f64], radius2: f64) -> Vec<usize>;
}

#[derive(Debug)]
struct Tree<const K: usize> {
    tree: ImmutableKdTree<f64, u64, K, 32>,
}

impl<const K: usize> Tree<K> {
    fn build(points: ArrayView2<f64>) -> Self {
        let source: Vec<[f64; K]> = points
            .rows()
            .into_iter()
            .map(|r| {
                let mut p = [0.0; K];
                for (slot, &v) in p.iter_mut().zip(r.iter()) {
                    *slot = v;
                }
                p
            })
            .collect();
        Tree {
            tree: ImmutableKdTree::new_from_slice(&source),
        }
    }

    fn query(x: &[f64]) -> [f64; K] {
        let mut q = [0.0; K];
        for (slot, &v) in q.iter_mut().zip(x) {
            *slot = v;
        }
        q
    }
}

impl<const K: usize> NeighbourIndex for Tree<K> {
    fn nearest(&self, x: &[f64], exclude: Option<usize>) -> Option<(usize, f64)> {
        let q = Self::query(x);
        let two = std::num::NonZeroUsize::new(2)?;
        let found = self.tree.nearest_n::<SquaredEuclidean>(&q, two);
        found
            .into_iter()
            .map(|nn| (nn.item as usize, nn.distance))
            .find(|&(k, _)| Some(k) != exclude)
    }

    fn within(&self, x: &[f64], radius2: f64) -> Vec<usize> {
        let q = Self::query(x);
        self.tree
            .within_unsorted::<SquaredEuclidean>(&q, radius2)
            .into_iter()
            .map(|nn| nn.item as usize)
            .collect()
    }
}

fn build_index(points: ArrayView2<f64>) -> Option<Box<dyn NeighbourIndex>> {
    Some(match points.ncols() {
        1 => Box::new(Tree::<1>::build(points)),
        2 => Box::new(Tree::<2>::build(points)),
        3 => Box::new(Tree::<3>::build(points)),
        4 => Box::new(Tree::<4>::build(points)),
        5 => Box::new(Tree::<5>::build(points)),
        6 => Box::new(Tree::<6>::build(points)),
        7 => Box::new(Tree::<7>::build(points)),
        8 => Box::new(Tree::<8>::build(points)),
        9 => Box::new(Tree::<9>::build(points)),
        10 => Box::new(Tree::<10>::build(points)),
        11 => Box::new(Tree::<11>::build(points)),
        12 => Box::new(Tree::<12>::build(points)),
        13 => Box::new(Tree::<13>::build(points)),
        14 => Box::new(Tree::<14>::build(points)),
        15 => Box::new(Tree::<15>::build(points)),
        16 => Box::new(Tree::<16>::build(points)),
        _ => return None,
    })
}

/// When [`ApproxKde`] searches its k-d tree instead of running the exact blocked path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TreeChoice {
    /// The tree where it pays: when leave-one-out queries of a sample of
    /// [`CHOICE_SAMPLE_POINTS`] training points use at most [`TREE_MAX_USED_FRACTION`] of the
    /// training points on average (the choice depends on the model and `τ` only, so every
    /// chunk of a file is explained the same way).
    #[default]
    Auto,
    /// Always the tree (for `d ≤` [`MAX_TREE_DIM`]).
    Always,
    /// Never: the exact blocked path, bound 0.
    Never,
}

/// [`TreeChoice::Auto`] searches the tree when the sampled queries use at most this fraction of
/// the training points. Measured break-even at `N = 20 000`, `d = 16`: about 4 % (the tree
/// was 3.6× faster at 0.05 % used and 8× slower at 89 %); the threshold keeps a margin.
pub const TREE_MAX_USED_FRACTION: f64 = 0.02;

/// Training points queried by [`TreeChoice::Auto`] (evenly spaced).
pub const CHOICE_SAMPLE_POINTS: usize = 32;

/// A KDE prepared for approximate outlier explanation with tolerance `τ`.
#[derive(Debug)]
pub struct ApproxKde<'a> {
    kde: &'a Kde,
    tolerance: f64,
    index: Option<Box<dyn NeighbourIndex>>,
    tiles: Tiles,
}

impl<'a> ApproxKde<'a> {
    /// Build the index for `kde` (a k-d tree for `d ≤` [`MAX_TREE_DIM`]). `tolerance` is the
    /// relative kernel weight `τ ∈ (0, 1)` below which training points are neglected.
    /// The tree is searched only where it pays ([`TreeChoice::Auto`]).
    pub fn new(kde: &'a Kde, tolerance: f64, tiles: Tiles) -> Result<Self> {
        Self::with_tree_choice(kde, tolerance, tiles, TreeChoice::Auto)
    }

    /// [`ApproxKde::new`] with an explicit [`TreeChoice`].
    pub fn with_tree_choice(
        kde: &'a Kde,
        tolerance: f64,
        tiles: Tiles,
        choice: TreeChoice,
    ) -> Result<Self> {
        if !(tolerance > 0.0 && tolerance < 1.0) {
            return Err(NeonError::param(
                "tolerance",
                format!("must be in (0, 1), got {tolerance}"),
            ));
        }
        let mut approx = ApproxKde {
            kde,
            tolerance,
            index: match choice {
                TreeChoice::Never => None,
                _ => build_index(kde.points.view()),
            },
            tiles,
        };
        if choice == TreeChoice::Auto && approx.sampled_used_fraction() > TREE_MAX_USED_FRACTION {
            approx.index = None;
        }
        Ok(approx)
    }

    /// Mean fraction of the training points that leave-one-out queries of
    /// [`CHOICE_SAMPLE_POINTS`] evenly spaced training points use (0 without a tree).
    pub fn sampled_used_fraction(&self) -> f64 {
        let Some(index) = &self.index else {
            return 0.0;
        };
        let n = self.kde.points.nrows();
        if n < 2 {
            return 0.0;
        }
        let step = n.div_ceil(CHOICE_SAMPLE_POINTS).max(1);
        let sample: Vec<usize> = (0..n).step_by(step).collect();
        let used: usize = sample
            .iter()
            .map(|&k| {
                self.used_points(index.as_ref(), self.kde.points.row(k), Some(k))
                    .len()
            })
            .sum();
        used as f64 / (sample.len() as f64 * (n - 1) as f64)
    }

    /// True if the k-d tree is searched (false: the exact blocked path, bound 0; for
    /// `d >` [`MAX_TREE_DIM`], [`TreeChoice::Never`], or where [`TreeChoice::Auto`] found that
    /// the tree does not pay).
    pub fn uses_tree(&self) -> bool {
        self.index.is_some()
    }

    /// The training points within the search radius of `x` (without `exclude`), in index
    /// order: every point whose kernel weight relative to the nearest exceeds `τ`.
    fn used_points(
        &self,
        index: &dyn NeighbourIndex,
        x: ArrayView1<f64>,
        exclude: Option<usize>,
    ) -> Vec<usize> {
        let x_vec = x.to_vec();
        let radius = (1.0 / self.tolerance).ln() / self.kde.gamma;
        let nearest = index
            .nearest(&x_vec, exclude)
            .map(|(k, _)| squared_distance(x, self.kde.points.row(k)));
        let mut used: Vec<usize> = match nearest {
            Some(h_min) => index
                .within(
                    &x_vec,
                    (h_min + radius) * (1.0 + MARGIN) + f64::MIN_POSITIVE,
                )
                .into_iter()
                .filter(|&k| Some(k) != exclude)
                .collect(),
            None => Vec::new(),
        };
        if used.is_empty() {
            // degenerate tree answer: use every point
            used = (0..self.kde.points.nrows())
                .filter(|&k| Some(k) != exclude)
                .collect();
        }
        used.sort_unstable();
        used
    }

    /// Approximate outlier explanations of `rows` of `points` (§3.1), each with its bound.
    pub fn explain_outlier(
        &self,
        points: ArrayView2<f64>,
        rows: &[usize],
        leave_one_out: bool,
        beta: f64,
        epsilon: f64,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Vec<ApproxOutlier> {
        let Some(index) = &self.index else {
            let batch = KdeBatch::new(
                self.kde,
                &Compute {
                    tiles: self.tiles,
                    ..Compute::default()
                },
            );
            let n_used = self.kde.points.nrows() - usize::from(leave_one_out);
            return batch
                .explain_outlier(points, rows, leave_one_out, beta, epsilon, progress)
                .into_iter()
                .map(|explanation| ApproxOutlier {
                    explanation,
                    bound: ApproxBound {
                        neglected_mass: 0.0,
                        score_bound: 0.0,
                        relevance_bound: 0.0,
                        n_used,
                    },
                })
                .collect();
        };
        rows.par_chunks(self.tiles.rows)
            .flat_map_iter(|chunk| {
                let out: Vec<ApproxOutlier> = chunk
                    .iter()
                    .map(|&row| {
                        let exclude =
                            (leave_one_out && row < self.kde.points.nrows()).then_some(row);
                        self.explain_one(
                            index.as_ref(),
                            points.row(row),
                            exclude,
                            row,
                            beta,
                            epsilon,
                        )
                    })
                    .collect();
                progress(chunk.len());
                out.into_iter()
            })
            .collect()
    }

    fn explain_one(
        &self,
        index: &dyn NeighbourIndex,
        x: ArrayView1<f64>,
        exclude: Option<usize>,
        row: usize,
        beta: f64,
        epsilon: f64,
    ) -> ApproxOutlier {
        let gamma = self.kde.gamma;
        let n_active = self.kde.points.nrows() - usize::from(exclude.is_some());
        let used = self.used_points(index, x, exclude);
        let h: Vec<f64> = used
            .iter()
            .map(|&k| squared_distance(x, self.kde.points.row(k)))
            .collect();
        let h_min = h.iter().copied().fold(f64::INFINITY, f64::min);
        let s_gamma: f64 = h.iter().map(|v| (-gamma * (v - h_min)).exp()).sum();
        let s_beta: f64 = h.iter().map(|v| (-beta * (v - h_min)).exp()).sum();
        let score = h_min - (s_gamma.ln() - (n_active as f64).ln()) / gamma;
        let r_k: Vec<f64> = soft_argmin(&h, beta)
            .into_iter()
            .map(|p| p * score)
            .collect();
        let (relevance, dissipated) = squared_distance_rule(
            x,
            self.kde.points.view(),
            used.iter().copied(),
            &r_k,
            epsilon,
        );
        let neglected = (n_active - used.len()) as f64;
        let tau = self.tolerance * (1.0 + MARGIN);
        let eta = neglected * tau / s_gamma;
        let eta_beta = neglected * tau.powf(beta / gamma) / s_beta;
        let score_bound = eta.ln_1p() / gamma;
        ApproxOutlier {
            explanation: Explanation::new(row, score, relevance, dissipated),
            bound: ApproxBound {
                neglected_mass: eta / (1.0 + eta),
                score_bound,
                relevance_bound: score_bound + 2.0 * score.abs() * eta_beta / (1.0 + eta_beta),
                n_used: used.len(),
            },
        }
    }
}
