//! Barnes-Hut t-SNE (van der Maaten, 2014, "Accelerating t-SNE using tree-based algorithms",
//! JMLR 15), for maps of 10⁴ rows and more.
//!
//! Input affinities come from the exact k = ⌊3 · perplexity⌋ nearest neighbours of each row
//! (brute force), with the bandwidth found by the same binary search as the exact method, then
//! symmetrised and normalised as a sparse matrix. The attractive forces run over those sparse
//! entries; the repulsive forces and the normalisation Z are summarised by a quadtree of the map
//! (a cell of width w at distance r from a point counts as one body when w / r < θ). The
//! optimiser, initial map and learning rate are those of the exact method.
//!
//! Determinism: every per-point quantity (neighbours, bandwidth, forces) is computed serially in
//! a fixed order, rayon only spreads whole points over threads and collects them in order, and
//! the global sums (ΣP, Z) run serially over the collected values. A seed therefore gives the
//! same map bit for bit whatever the number of threads.

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::tsne_schedule::{conditional_row, Schedule, INIT_STD, MACHINE_EPSILON, MIN_GAIN};

/// Deepest quadtree level; below it the remaining points share one leaf (summed exactly).
const MAX_DEPTH: usize = 48;
/// Marks a missing child.
const NO_CHILD: u32 = u32::MAX;

/// Barnes-Hut t-SNE of checked input (finite, n > 3 · perplexity): the n × 2 map.
pub(crate) fn fit(
    data: ArrayView2<f64>,
    schedule: &Schedule,
    theta: f64,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Array2<f64> {
    let n = data.nrows();
    let p = affinities(data, schedule.perplexity);

    let mut rng = ChaCha8Rng::seed_from_u64(schedule.seed);
    let mut draw = || -> f64 {
        let z: f64 = StandardNormal.sample(&mut rng);
        INIT_STD * z
    };
    let mut y: Vec<[f64; 2]> = (0..n).map(|_| [draw(), draw()]).collect();

    let mut update = vec![[0.0_f64; 2]; n];
    let mut gains = vec![[1.0_f64; 2]; n];
    let mut grad = vec![[0.0; 2]; n];
    let mut forces = Forces::default();
    for iter in 0..schedule.n_iter {
        let (exaggeration, momentum) = if iter < schedule.exaggeration_iter {
            (schedule.early_exaggeration, 0.5)
        } else {
            (1.0, 0.8)
        };
        forces.gradient(&p, &y, exaggeration, theta, &mut grad);
        for i in 0..n {
            for d in 0..2 {
                let g = grad[i][d];
                let gain = &mut gains[i][d];
                *gain = if update[i][d] * g < 0.0 {
                    *gain + 0.2
                } else {
                    (*gain * 0.8).max(MIN_GAIN)
                };
                update[i][d] = momentum * update[i][d] - schedule.learning_rate * *gain * g;
                y[i][d] += update[i][d];
            }
        }
        progress(iter + 1, schedule.n_iter);
    }
    Array2::from_shape_fn((n, 2), |(i, d)| y[i][d])
}

/// Symmetric sparse joint probabilities P in compressed-row form.
#[derive(Debug, Clone)]
pub(crate) struct SparseP {
    /// Row i's entries are `start[i]..start[i + 1]`.
    start: Vec<usize>,
    /// Column of each entry, increasing within a row.
    column: Vec<u32>,
    /// pᵢⱼ of each entry.
    value: Vec<f64>,
}

impl SparseP {
    /// The entries (j, pᵢⱼ) of row i.
    fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.start[i]..self.start[i + 1];
        self.column[range.clone()]
            .iter()
            .zip(&self.value[range])
            .map(|(&j, &v)| (j as usize, v))
    }
}

/// Sparse P of van der Maaten (2014, §4.1): p(j|i) over the k = min(n − 1, ⌊3 · perplexity⌋)
/// nearest neighbours with the exact method's bandwidth search, P = (P + Pᵀ) / ΣP.
pub(crate) fn affinities(data: ArrayView2<f64>, perplexity: f64) -> SparseP {
    let n = data.nrows();
    let k = ((3.0 * perplexity).floor() as usize).clamp(1, n - 1);
    let (neighbours, distances) = nearest_neighbours(data, k);

    // conditional rows, one point at a time
    let mut conditional = vec![0.0; n * k];
    conditional
        .par_chunks_mut(k)
        .zip(distances.par_chunks(k))
        .for_each(|(row, dist)| conditional_row(dist, perplexity, row));

    // P + Pᵀ: row i holds its own neighbours (forward) and the points that have i as a
    // neighbour (backward, gathered in increasing order of that point)
    let mut backward: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    for i in 0..n {
        for (&j, &v) in neighbours[i * k..(i + 1) * k]
            .iter()
            .zip(&conditional[i * k..(i + 1) * k])
        {
            backward[j as usize].push((i as u32, v));
        }
    }
    let mut start = Vec::with_capacity(n + 1);
    let mut column = Vec::new();
    let mut value = Vec::new();
    start.push(0);
    let mut forward: Vec<(u32, f64)> = Vec::with_capacity(k);
    for (i, back) in backward.iter().enumerate() {
        forward.clear();
        forward.extend(
            neighbours[i * k..(i + 1) * k]
                .iter()
                .copied()
                .zip(conditional[i * k..(i + 1) * k].iter().copied()),
        );
        forward.sort_unstable_by_key(|&(j, _)| j);
        // merge two lists sorted by column (`back` is sorted by construction); a pair in both
        // gets p(j|i) + p(i|j), the same sum in either order, so P stays exactly symmetric
        let (mut a, mut b) = (0, 0);
        while a < forward.len() || b < back.len() {
            let fa = forward.get(a).map_or(u32::MAX, |e| e.0);
            let fb = back.get(b).map_or(u32::MAX, |e| e.0);
            if fa == fb {
                column.push(fa);
                value.push(forward[a].1 + back[b].1);
                a += 1;
                b += 1;
            } else if fa < fb {
                column.push(fa);
                value.push(forward[a].1);
                a += 1;
            } else {
                column.push(fb);
                value.push(back[b].1);
                b += 1;
            }
        }
        start.push(column.len());
    }
    let total = value.iter().sum::<f64>().max(MACHINE_EPSILON);
    for v in &mut value {
        *v /= total;
    }
    SparseP {
        start,
        column,
        value,
    }
}

/// The k nearest other rows of each row by squared Euclidean distance (ties to the lower
/// index), brute force: indices and distances, n × k row-major, nearest first.
fn nearest_neighbours(data: ArrayView2<f64>, k: usize) -> (Vec<u32>, Vec<f64>) {
    let (n, dim) = data.dim();
    let flat: Vec<f64> = data.iter().copied().collect();
    let mut indices = vec![0_u32; n * k];
    let mut distances = vec![0.0; n * k];
    indices
        .par_chunks_mut(k)
        .zip(distances.par_chunks_mut(k))
        .enumerate()
        .for_each_init(
            || Vec::with_capacity(n),
            |candidates: &mut Vec<(f64, u32)>, (i, (idx, dist))| {
                let xi = &flat[i * dim..(i + 1) * dim];
                candidates.clear();
                candidates.extend(
                    flat.chunks_exact(dim)
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(j, xj)| {
                            let d: f64 = xi.iter().zip(xj).map(|(a, b)| (a - b) * (a - b)).sum();
                            (d, j as u32)
                        }),
                );
                let by_distance =
                    |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if k < candidates.len() {
                    candidates.select_nth_unstable_by(k - 1, by_distance);
                }
                let nearest = &mut candidates[..k];
                nearest.sort_unstable_by(by_distance);
                for (slot, &(d, j)) in nearest.iter().enumerate() {
                    idx[slot] = j;
                    dist[slot] = d;
                }
            },
        );
    (indices, distances)
}

/// One quadtree cell.
#[derive(Debug, Clone, Copy)]
struct Cell {
    /// Centre of mass of the points inside.
    centre_of_mass: [f64; 2],
    /// Number of points inside.
    count: f64,
    /// Squared longest side of the cell.
    width_sq: f64,
    /// Child cells by quadrant, `NO_CHILD` where empty; all `NO_CHILD` for a leaf.
    children: [u32; 4],
    /// A leaf's points are `order[first..first + len]`.
    first: u32,
    /// Number of points of a leaf (0 for an inner cell).
    len: u32,
}

/// Quadtree of the map (Barnes & Hut, 1986), rebuilt at every step; buffers are reused.
#[derive(Debug, Default)]
struct QuadTree {
    cells: Vec<Cell>,
    /// Point indices, grouped by leaf.
    order: Vec<u32>,
    /// Scratch space for the partition by quadrant.
    scratch: Vec<u32>,
}

impl QuadTree {
    fn rebuild(&mut self, y: &[[f64; 2]]) {
        self.cells.clear();
        self.order.clear();
        self.order.extend(0..y.len() as u32);
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for p in y {
            for d in 0..2 {
                lo[d] = lo[d].min(p[d]);
                hi[d] = hi[d].max(p[d]);
            }
        }
        let centre = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])];
        let half = [0.5 * (hi[0] - lo[0]), 0.5 * (hi[1] - lo[1])];
        self.build(y, 0, y.len(), centre, half, 0);
    }

    /// Build the cell of `order[start..end]`, whose box has the given centre and half sides;
    /// returns its index.
    fn build(
        &mut self,
        y: &[[f64; 2]],
        start: usize,
        end: usize,
        centre: [f64; 2],
        half: [f64; 2],
        depth: usize,
    ) -> u32 {
        let id = self.cells.len() as u32;
        let points = &self.order[start..end];
        let (mut sx, mut sy) = (0.0, 0.0);
        let first = y[points[0] as usize];
        let mut all_same = true;
        for &j in points {
            let p = y[j as usize];
            sx += p[0];
            sy += p[1];
            all_same &= p == first;
        }
        let count = (end - start) as f64;
        let width = 2.0 * half[0].max(half[1]);
        self.cells.push(Cell {
            centre_of_mass: [sx / count, sy / count],
            count,
            width_sq: width * width,
            children: [NO_CHILD; 4],
            first: start as u32,
            len: (end - start) as u32,
        });
        if end - start == 1 || all_same || depth >= MAX_DEPTH {
            return id;
        }
        // stable partition into quadrants: bit 0 for x above the centre, bit 1 for y
        let quadrant =
            |p: [f64; 2]| usize::from(p[0] > centre[0]) | usize::from(p[1] > centre[1]) << 1;
        let mut sizes = [0_usize; 4];
        for &j in &self.order[start..end] {
            sizes[quadrant(y[j as usize])] += 1;
        }
        let mut offsets = [0_usize; 4];
        for q in 1..4 {
            offsets[q] = offsets[q - 1] + sizes[q - 1];
        }
        self.scratch.clear();
        self.scratch.resize(end - start, 0);
        let mut next = offsets;
        for &j in &self.order[start..end] {
            let q = quadrant(y[j as usize]);
            self.scratch[next[q]] = j;
            next[q] += 1;
        }
        self.order[start..end].copy_from_slice(&self.scratch);
        let child_half = [0.5 * half[0], 0.5 * half[1]];
        for q in 0..4 {
            if sizes[q] == 0 {
                continue;
            }
            let child_centre = [
                centre[0]
                    + if q & 1 == 1 {
                        child_half[0]
                    } else {
                        -child_half[0]
                    },
                centre[1]
                    + if q & 2 == 2 {
                        child_half[1]
                    } else {
                        -child_half[1]
                    },
            ];
            let from = start + offsets[q];
            let child = self.build(
                y,
                from,
                from + sizes[q],
                child_centre,
                child_half,
                depth + 1,
            );
            self.cells[id as usize].children[q] = child;
        }
        self.cells[id as usize].len = 0;
        id
    }

    /// Unnormalised repulsion on point i: (Σⱼ wᵢⱼ² (yᵢ − yⱼ), Σⱼ wᵢⱼ) with wᵢⱼ = (1 + ‖yᵢ − yⱼ‖²)⁻¹,
    /// cells with width² < θ² · distance² taken as one body at their centre of mass.
    fn repulsion(&self, i: usize, y: &[[f64; 2]], theta_sq: f64) -> ([f64; 2], f64) {
        let mut force = [0.0; 2];
        let mut sum_w = 0.0;
        self.visit(0, i, y, theta_sq, &mut force, &mut sum_w);
        (force, sum_w)
    }

    fn visit(
        &self,
        cell: u32,
        i: usize,
        y: &[[f64; 2]],
        theta_sq: f64,
        force: &mut [f64; 2],
        sum_w: &mut f64,
    ) {
        let c = &self.cells[cell as usize];
        let yi = y[i];
        if c.len > 0 {
            let first = c.first as usize;
            for &j in &self.order[first..first + c.len as usize] {
                let j = j as usize;
                if j == i {
                    continue;
                }
                let dx = yi[0] - y[j][0];
                let dy = yi[1] - y[j][1];
                let w = 1.0 / (1.0 + dx * dx + dy * dy);
                *sum_w += w;
                let w2 = w * w;
                force[0] += w2 * dx;
                force[1] += w2 * dy;
            }
            return;
        }
        let dx = yi[0] - c.centre_of_mass[0];
        let dy = yi[1] - c.centre_of_mass[1];
        let dist_sq = dx * dx + dy * dy;
        if c.width_sq < theta_sq * dist_sq {
            let w = 1.0 / (1.0 + dist_sq);
            let mult = c.count * w;
            *sum_w += mult;
            let mult = mult * w;
            force[0] += mult * dx;
            force[1] += mult * dy;
        } else {
            for &child in &c.children {
                if child != NO_CHILD {
                    self.visit(child, i, y, theta_sq, force, sum_w);
                }
            }
        }
    }
}

/// Per-point forces of one gradient evaluation, with the buffers reused between steps.
#[derive(Debug, Default)]
struct Forces {
    tree: QuadTree,
    /// (attraction, repulsion, Σⱼ wᵢⱼ) of each point.
    per_point: Vec<([f64; 2], [f64; 2], f64)>,
}

impl Forces {
    /// Gradient of KL(P ‖ Q) (van der Maaten, 2014, eq. 5 split as F_attr − F_rep / Z):
    /// ∂C/∂yᵢ = 4 (e Σⱼ pᵢⱼ wᵢⱼ (yᵢ − yⱼ) − Σⱼ wᵢⱼ² (yᵢ − yⱼ) / Z), Z = Σᵢ≠ⱼ wᵢⱼ, with the
    /// repulsion and Z from the quadtree.
    fn gradient(
        &mut self,
        p: &SparseP,
        y: &[[f64; 2]],
        exaggeration: f64,
        theta: f64,
        grad: &mut [[f64; 2]],
    ) {
        self.tree.rebuild(y);
        let tree = &self.tree;
        let theta_sq = theta * theta;
        (0..y.len())
            .into_par_iter()
            .map(|i| {
                let yi = y[i];
                let mut attraction = [0.0; 2];
                for (j, pij) in p.row(i) {
                    let dx = yi[0] - y[j][0];
                    let dy = yi[1] - y[j][1];
                    let pw = pij / (1.0 + dx * dx + dy * dy);
                    attraction[0] += pw * dx;
                    attraction[1] += pw * dy;
                }
                let (repulsion, sum_w) = tree.repulsion(i, y, theta_sq);
                (attraction, repulsion, sum_w)
            })
            .collect_into_vec(&mut self.per_point);
        let z = self
            .per_point
            .iter()
            .map(|f| f.2)
            .sum::<f64>()
            .max(MACHINE_EPSILON);
        for (g, (attraction, repulsion, _)) in grad.iter_mut().zip(&self.per_point) {
            for d in 0..2 {
                g[d] = 4.0 * (exaggeration * attraction[d] - repulsion[d] / z);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsne::{gradient, joint_probabilities, squared_distances};
    use crate::tsne_schedule::blobs;
    use crate::{TsneMethod, TsneParams};
    use rand_distr::Normal;

    /// KL(P ‖ Q) of a map, with the exact method's dense P.
    fn kl_divergence(p: &[f64], map: &Array2<f64>) -> f64 {
        let n = map.nrows();
        let mut w = vec![0.0; n * n];
        let mut z = 0.0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    let d = (&map.row(i) - &map.row(j)).mapv(|v| v * v).sum();
                    w[i * n + j] = 1.0 / (1.0 + d);
                    z += w[i * n + j];
                }
            }
        }
        (0..n * n)
            .filter(|&k| k / n != k % n)
            .map(|k| p[k] * (p[k] / (w[k] / z)).ln())
            .sum()
    }

    /// Share of each point's `k` nearest map neighbours that carry its label, over all points.
    fn neighbour_agreement(map: &Array2<f64>, labels: &[usize], k: usize) -> f64 {
        let n = map.nrows();
        let mut agree = 0;
        for i in 0..n {
            let mut others: Vec<(f64, usize)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| ((&map.row(i) - &map.row(j)).mapv(|v| v * v).sum(), j))
                .collect();
            others.sort_by(|a, b| a.0.total_cmp(&b.0));
            agree += others[..k]
                .iter()
                .filter(|&&(_, j)| labels[j] == labels[i])
                .count();
        }
        agree as f64 / (n * k) as f64
    }

    fn dense(p: &SparseP, n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for (j, v) in p.row(i) {
                out[i * n + j] = v;
            }
        }
        out
    }

    fn random_map(n: usize, seed: u64, spread: f64) -> Vec<[f64; 2]> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let normal = Normal::new(0.0, spread).expect("normal");
        (0..n)
            .map(|_| [normal.sample(&mut rng), normal.sample(&mut rng)])
            .collect()
    }

    #[test]
    fn barnes_hut_separates_blobs_and_matches_exact_kl() {
        let (data, labels) = blobs(200, 7);
        let n = data.nrows();
        let perplexity = 30.0;
        let bh = TsneParams::new(perplexity)
            .seed(3)
            .method(TsneMethod::barnes_hut())
            .fit(data.view())
            .expect("Barnes-Hut t-SNE");
        assert_eq!(bh.dim(), (n, 2));
        assert!(bh.iter().all(|v| v.is_finite()));
        let agreement = neighbour_agreement(&bh, &labels, 10);
        assert!(agreement > 0.95, "10-NN label agreement {agreement}");

        let exact = TsneParams::new(perplexity)
            .seed(3)
            .fit(data.view())
            .expect("exact t-SNE");
        let p = joint_probabilities(&squared_distances(data.view()), n, perplexity);
        let kl_bh = kl_divergence(&p, &bh);
        let kl_exact = kl_divergence(&p, &exact);
        assert!(
            (kl_bh - kl_exact).abs() <= 0.1 * kl_exact,
            "KL Barnes-Hut {kl_bh} vs exact {kl_exact}"
        );
    }

    #[test]
    fn sparse_affinities_are_symmetric_normalised_and_local() {
        let (data, _) = blobs(30, 2);
        let n = data.nrows();
        let perplexity = 5.0;
        let p = affinities(data.view(), perplexity);
        let dense_p = dense(&p, n);
        let total: f64 = dense_p.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "ΣP = {total}");
        let k = 15;
        let (neighbours, _) = nearest_neighbours(data.view(), k);
        let d = squared_distances(data.view());
        for i in 0..n {
            assert_eq!(dense_p[i * n + i], 0.0);
            // the neighbours are the k nearest, nearest first
            let mut by_distance: Vec<usize> = (0..n).filter(|&j| j != i).collect();
            by_distance.sort_by(|&a, &b| d[i * n + a].total_cmp(&d[i * n + b]).then(a.cmp(&b)));
            let found: Vec<usize> = neighbours[i * k..(i + 1) * k]
                .iter()
                .map(|&j| j as usize)
                .collect();
            assert_eq!(found, by_distance[..k]);
            for j in 0..n {
                assert_eq!(dense_p[i * n + j], dense_p[j * n + i]);
                let linked =
                    found.contains(&j) || neighbours[j * k..(j + 1) * k].contains(&(i as u32));
                assert_eq!(dense_p[i * n + j] > 0.0, linked, "entry ({i}, {j})");
            }
        }
        // each conditional row has the requested perplexity
        let mut row = vec![0.0; k];
        let (_, dist) = nearest_neighbours(data.view(), k);
        conditional_row(&dist[..k], perplexity, &mut row);
        let entropy: f64 = -row
            .iter()
            .filter(|&&q| q > 0.0)
            .map(|q| q * q.ln())
            .sum::<f64>();
        assert!(
            (entropy - perplexity.ln()).abs() < 1e-4,
            "entropy {entropy}"
        );
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn theta_zero_gradient_equals_direct_summation() {
        let (data, _) = blobs(10, 4);
        let n = data.nrows();
        let p = affinities(data.view(), 4.0);
        let dense_p = dense(&p, n);
        // includes two coincident points, which share a leaf
        let mut y = random_map(n, 9, 3.0);
        y[5] = y[17];
        for exaggeration in [12.0, 1.0] {
            let mut bh = vec![[0.0; 2]; n];
            Forces::default().gradient(&p, &y, exaggeration, 0.0, &mut bh);
            let mut direct = vec![[0.0; 2]; n];
            let mut w = vec![0.0; n * n];
            gradient(&dense_p, &y, exaggeration, &mut w, &mut direct);
            let scale = direct
                .iter()
                .flat_map(|g| g.iter())
                .fold(0.0_f64, |m, v| m.max(v.abs()));
            for (a, b) in bh.iter().zip(&direct) {
                for d in 0..2 {
                    assert!(
                        (a[d] - b[d]).abs() <= 1e-12 * scale,
                        "{} vs {} (scale {scale})",
                        a[d],
                        b[d]
                    );
                }
            }
        }
    }

    #[test]
    fn theta_half_gradient_is_close_to_exact() {
        let (data, _) = blobs(100, 5);
        let n = data.nrows();
        let p = affinities(data.view(), 10.0);
        let dense_p = dense(&p, n);
        let y = random_map(n, 1, 10.0);
        let mut bh = vec![[0.0; 2]; n];
        Forces::default().gradient(&p, &y, 1.0, 0.5, &mut bh);
        let mut direct = vec![[0.0; 2]; n];
        let mut w = vec![0.0; n * n];
        gradient(&dense_p, &y, 1.0, &mut w, &mut direct);
        let norm = |g: &[[f64; 2]]| {
            g.iter()
                .map(|v| v[0] * v[0] + v[1] * v[1])
                .sum::<f64>()
                .sqrt()
        };
        let diff: Vec<[f64; 2]> = bh
            .iter()
            .zip(&direct)
            .map(|(a, b)| [a[0] - b[0], a[1] - b[1]])
            .collect();
        let relative = norm(&diff) / norm(&direct);
        assert!(relative < 0.05, "relative gradient error {relative}");
        assert!(relative > 0.0, "θ = 0.5 should approximate");
    }

    #[test]
    fn same_seed_same_map_for_one_and_two_threads() {
        let (data, _) = blobs(100, 11);
        let params = TsneParams::new(10.0)
            .seed(5)
            .n_iter(300)
            .method(TsneMethod::barnes_hut());
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool")
                .install(|| params.fit(data.view()).expect("Barnes-Hut t-SNE"))
        };
        let bits = |m: &Array2<f64>| m.iter().map(|v| v.to_bits()).collect::<Vec<u64>>();
        let one = run(1);
        let two = run(2);
        assert_eq!(bits(&one), bits(&two));
        assert_eq!(bits(&one), bits(&run(1)));
        let other = params
            .clone()
            .seed(6)
            .fit(data.view())
            .expect("Barnes-Hut t-SNE");
        assert_ne!(bits(&one), bits(&other));
    }

    #[test]
    fn progress_counts_every_iteration() {
        let (data, _) = blobs(20, 1);
        for method in [TsneMethod::Exact, TsneMethod::barnes_hut()] {
            let calls = std::sync::Mutex::new(Vec::new());
            let params = TsneParams::new(5.0).n_iter(40).method(method);
            let map = params
                .fit_with_progress(data.view(), &|done, total| {
                    calls.lock().expect("lock").push((done, total));
                })
                .expect("t-SNE");
            let calls = calls.into_inner().expect("lock");
            assert_eq!(calls, (1..=40).map(|i| (i, 40)).collect::<Vec<_>>());
            assert_eq!(map, params.fit(data.view()).expect("t-SNE"));
        }
    }

    #[test]
    fn method_choice_and_checks() {
        assert_eq!(TsneMethod::auto(1000), TsneMethod::Exact);
        assert_eq!(TsneMethod::auto(1001), TsneMethod::BarnesHut { theta: 0.5 });
        assert_eq!(
            TsneParams::new(5.0),
            TsneParams::new(5.0).method(TsneMethod::Exact)
        );
        let (data, _) = blobs(10, 1);
        for theta in [-0.1, 1.5, f64::NAN] {
            assert!(matches!(
                TsneParams::new(5.0)
                    .method(TsneMethod::BarnesHut { theta })
                    .fit(data.view()),
                Err(crate::ReportError::OutOfRange {
                    what: "Barnes-Hut theta",
                    ..
                })
            ));
        }
        let bh = TsneParams::new(5.0).method(TsneMethod::barnes_hut());
        assert!(matches!(
            bh.clone().fit(data.view()).map(|m| m.dim()),
            Ok((30, 2))
        ));
        assert!(matches!(
            TsneParams::new(10.0)
                .method(TsneMethod::barnes_hut())
                .fit(data.view()),
            Err(crate::ReportError::PerplexityTooLarge { n_samples: 30, .. })
        ));
        let mut bad = data.clone();
        bad[[2, 4]] = f64::NAN;
        assert!(matches!(
            bh.fit(bad.view()),
            Err(crate::ReportError::NonFinite { index: 14, .. })
        ));
        let empty = Array2::<f64>::zeros((0, 5));
        assert!(matches!(
            bh.fit(empty.view()),
            Err(crate::ReportError::Empty { .. })
        ));
    }
}
