//! Every rule against a slow, plain matrix-form implementation of the same rule, and LRP-0 against
//! gradient × input by central finite differences.

use super::*;
use crate::network::{Conv, Network, VggConfig};
use crate::ops::Kernel;
use ndarray::Array3;
use rand::{Rng, SeedableRng};

/// Dense form of a 3×3 / pad 1 convolution on an `h × w` grid: `w_ij` for input `i = (y, x, ci)`
/// and output `j = (y', x', co)`, plus the connectivity mask (for the flat rule).
fn dense(conv: &Conv, h: usize, w: usize) -> (Vec<Vec<f64>>, Vec<Vec<bool>>) {
    let (ci_n, co_n) = (conv.kernel.c_in, conv.kernel.c_out);
    let n_in = h * w * ci_n;
    let n_out = h * w * co_n;
    let mut m = vec![vec![0.0; n_out]; n_in];
    let mut conn = vec![vec![false; n_out]; n_in];
    for y in 0..h {
        for x in 0..w {
            for co in 0..co_n {
                let j = (y * w + x) * co_n + co;
                for ky in 0..3 {
                    for kx in 0..3 {
                        let (iy, ix) = (y as isize + ky as isize - 1, x as isize + kx as isize - 1);
                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                            continue;
                        }
                        for ci in 0..ci_n {
                            let i = (iy as usize * w + ix as usize) * ci_n + ci;
                            m[i][j] = conv.kernel.at(ky, kx, ci, co) as f64;
                            conn[i][j] = true;
                        }
                    }
                }
            }
        }
    }
    (m, conn)
}

fn stab(d: f64, e: f64) -> f64 {
    if d > 0.0 {
        d + e
    } else if d < 0.0 {
        d - e
    } else {
        e
    }
}

/// Textbook formula of each rule: `R_i = Σ_j contrib_ij / den_j · R_j`.
fn slow_rule(conv: &Conv, x: &Array3<f32>, r: &Array3<f32>, rule: &Rule) -> Vec<f64> {
    let (h, w, ci_n) = x.dim();
    let co_n = conv.kernel.c_out;
    let (m_owned, conn) = dense(conv, h, w);
    let xs_owned: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let (m, xs) = (&m_owned, &xs_owned);
    let rs: Vec<f64> = r.iter().map(|&v| v as f64).collect();
    let b = |j: usize| conv.bias[j % co_n] as f64;
    let n_in = xs.len();
    let n_out = rs.len();
    let z: Vec<f64> = (0..n_out)
        .map(|j| (0..n_in).map(|i| xs[i] * m[i][j]).sum::<f64>() + b(j))
        .collect();
    let pos = |v: f64| v.max(0.0);
    let neg = |v: f64| v.min(0.0);
    // contrib(i, j, branch) and bias term per branch
    let mut out = vec![0.0; n_in];
    for j in 0..n_out {
        let (contrib, den): (Box<dyn Fn(usize) -> f64>, f64) = match rule {
            Rule::Zero => (Box::new(|i| xs[i] * m[i][j]), z[j]),
            Rule::Epsilon { epsilon } => {
                (Box::new(|i| xs[i] * m[i][j]), stab(z[j], *epsilon as f64))
            }
            Rule::Gamma { gamma, epsilon } => {
                let g = *gamma as f64;
                if z[j] > 0.0 {
                    let c = move |i: usize| {
                        pos(xs[i]) * (m[i][j] + g * pos(m[i][j]))
                            + neg(xs[i]) * (m[i][j] + g * neg(m[i][j]))
                    };
                    let d = (0..n_in).map(&c).sum::<f64>() + b(j) + g * pos(b(j));
                    (Box::new(c), stab(d, *epsilon as f64))
                } else if z[j] < 0.0 {
                    let c = move |i: usize| {
                        pos(xs[i]) * (m[i][j] + g * neg(m[i][j]))
                            + neg(xs[i]) * (m[i][j] + g * pos(m[i][j]))
                    };
                    let d = (0..n_in).map(&c).sum::<f64>() + b(j) + g * neg(b(j));
                    (Box::new(c), stab(d, *epsilon as f64))
                } else {
                    (Box::new(|_| 0.0), 1.0)
                }
            }
            Rule::ZPlus { epsilon } => {
                let c = move |i: usize| pos(xs[i]) * pos(m[i][j]) + neg(xs[i]) * neg(m[i][j]);
                let d = (0..n_in).map(&c).sum::<f64>() + pos(b(j));
                (Box::new(c), stab(d, *epsilon as f64))
            }
            Rule::ZBox { low, high, epsilon } => {
                let c = move |i: usize| {
                    xs[i] * m[i][j]
                        - low[i % ci_n] as f64 * pos(m[i][j])
                        - high[i % ci_n] as f64 * neg(m[i][j])
                };
                let d = (0..n_in).map(&c).sum::<f64>();
                (Box::new(c), stab(d, *epsilon as f64))
            }
            Rule::Flat { epsilon } => {
                let conn = &conn;
                let c = move |i: usize| if conn[i][j] { 1.0 } else { 0.0 };
                let d = (0..n_in).map(&c).sum::<f64>();
                (Box::new(c), stab(d, *epsilon as f64))
            }
            Rule::WSquare { epsilon } => {
                let c = move |i: usize| m[i][j] * m[i][j];
                let d = (0..n_in).map(&c).sum::<f64>() + b(j) * b(j);
                (Box::new(c), stab(d, *epsilon as f64))
            }
        };
        if den == 0.0 {
            continue;
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o += contrib(i) / den * rs[j];
        }
    }
    out
}

fn random_layer(
    seed: u64,
    ci: usize,
    co: usize,
    h: usize,
    w: usize,
    signed_input: bool,
) -> (Conv, Array3<f32>, Array3<f32>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let kernel = Kernel::from_hwio(
        ci,
        co,
        (0..9 * ci * co).map(|_| rng.gen_range(-1.0..1.0)).collect(),
    );
    let bias = (0..co).map(|_| rng.gen_range(-0.5..0.5)).collect();
    let x = Array3::from_shape_fn((h, w, ci), |_| {
        if signed_input {
            rng.gen_range(-1.0..1.0)
        } else {
            rng.gen_range(0.0f32..1.0).max(0.3) - 0.3
        }
    });
    let r = Array3::from_shape_fn((h, w, co), |_| rng.gen_range(-1.0..1.0));
    (
        Conv {
            name: "conv1_1".into(),
            kernel,
            bias,
        },
        x,
        r,
    )
}

fn all_rules(c: usize) -> Vec<Rule> {
    vec![
        Rule::Zero,
        Rule::Epsilon { epsilon: 0.1 },
        Rule::Gamma {
            gamma: 0.25,
            epsilon: 1e-6,
        },
        Rule::ZPlus { epsilon: 1e-6 },
        Rule::ZBox {
            low: vec![-1.0; c],
            high: vec![1.0; c],
            epsilon: 1e-6,
        },
        Rule::Flat { epsilon: 1e-6 },
        Rule::WSquare { epsilon: 1e-6 },
    ]
}

#[test]
fn every_rule_matches_its_matrix_form() {
    for signed in [false, true] {
        for (seed, (ci, co, h, w)) in [(2, 3, 4, 5), (3, 2, 3, 3), (1, 4, 2, 6)]
            .into_iter()
            .enumerate()
        {
            let (conv, x, r) = random_layer(seed as u64 + 10, ci, co, h, w, signed);
            let z =
                crate::ops::conv3x3(&x.view(), &conv.kernel, crate::ops::Post::Bias(&conv.bias));
            for rule in all_rules(ci) {
                let fast = PreparedConv::new(&conv, &x, &z, &rule)
                    .map(|p| p.backward_with(&conv, &x, &z, &r));
                let fast = match fast {
                    Ok(f) => f,
                    Err(e) => panic!("{}: {e}", rule.name()),
                };
                let slow = slow_rule(&conv, &x, &r, &rule);
                let scale = slow.iter().fold(0f64, |a, v| a.max(v.abs())).max(1e-3);
                for (f, s) in fast.iter().zip(&slow) {
                    assert!(
                        ((*f as f64) - s).abs() <= 1e-4 * scale,
                        "{} signed={signed}: {f} vs {s}",
                        rule.name()
                    );
                }
            }
        }
    }
}

#[test]
fn pool_winner_take_all_splits_ties_and_proportional_is_proportional() {
    let a = Array3::from_shape_vec((2, 2, 1), vec![1.0, 3.0, 3.0, 2.0]).unwrap_or_default();
    let r = Array3::from_elem((1, 1, 1), 1.0f32);
    let wta = pool_backward(&a, &r, PoolRule::WinnerTakeAll);
    assert_eq!(
        wta.iter().cloned().collect::<Vec<_>>(),
        vec![0.0, 0.5, 0.5, 0.0]
    );
    let prop = pool_backward(&a, &r, PoolRule::Proportional);
    let expect = [1.0 / 9.0, 3.0 / 9.0, 3.0 / 9.0, 2.0 / 9.0];
    for (p, e) in prop.iter().zip(expect) {
        assert!((p - e).abs() < 1e-6);
    }
}

fn tiny_net(with_bias: bool, seed: u64) -> Network {
    Network::random(
        &VggConfig {
            in_channels: 3,
            blocks: vec![vec![4, 5], vec![6]],
        },
        seed,
        with_bias,
    )
}

#[test]
fn lrp0_on_bias_free_relu_net_is_gradient_times_input() {
    let net = tiny_net(false, 5);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let x = Array3::from_shape_fn((8, 8, 3), |_| rng.gen_range(-1.0f32..1.0));
    let cut = net.layers.len() - 1;
    let f = |x: &Array3<f32>| -> f64 {
        net.forward(x, cut)
            .map(|r| sum64(&r.output))
            .unwrap_or(f64::NAN)
    };
    let rec = net.forward(&x, cut).unwrap_or_else(|e| panic!("{e}"));
    let rules = presets::assign(
        &net,
        cut,
        presets::preset("lrp-0").unwrap_or_else(|e| panic!("{e}")),
        &InputBounds {
            low: vec![0.0; 3],
            high: vec![1.0; 3],
        },
        PoolRule::WinnerTakeAll,
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ctx = LrpContext::new(&net, &rec, rules).unwrap_or_else(|e| panic!("{e}"));
    // Relevance at the top = the output itself, i.e. explaining f(x) = Σ output.
    let lrp = ctx.propagate(&rec.output).unwrap_or_else(|e| panic!("{e}"));
    let h = 1e-3f32;
    let mut max_err = 0f64;
    let scale = lrp.input_relevance.iter().fold(0f32, |a, v| a.max(v.abs())) as f64;
    for idx in 0..x.len() {
        let (i, j, k) = (idx / 24, (idx / 3) % 8, idx % 3);
        let mut xp = x.clone();
        xp[[i, j, k]] += h;
        let mut xm = x.clone();
        xm[[i, j, k]] -= h;
        let grad = (f(&xp) - f(&xm)) / (2.0 * h as f64);
        let gxi = grad * x[[i, j, k]] as f64;
        max_err = max_err.max((gxi - lrp.input_relevance[[i, j, k]] as f64).abs());
    }
    assert!(
        max_err < 2e-3 * scale.max(1.0),
        "max |LRP-0 − grad×input| = {max_err} (scale {scale})"
    );
    // And it is conservative: nothing absorbed without biases.
    for l in &lrp.layers {
        assert!(
            l.absorbed.abs() < 1e-3 * l.relevance_out.abs().max(1.0),
            "{l:?}"
        );
    }
}

#[test]
fn presets_cover_every_layer_and_overrides_apply() {
    let net = tiny_net(true, 1);
    let bounds = InputBounds {
        low: vec![-2.0; 3],
        high: vec![2.0; 3],
    };
    let cut = net.layer_index("pool2").unwrap_or(0);
    for p in PRESETS {
        let rules = presets::assign(&net, cut, p, &bounds, PoolRule::WinnerTakeAll, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rules.len(), cut + 1);
        let rec = net
            .forward(&Array3::from_elem((8, 8, 3), 0.3), cut)
            .unwrap_or_else(|e| panic!("{e}"));
        let ctx = LrpContext::new(&net, &rec, rules).unwrap_or_else(|e| panic!("{e}"));
        let res = ctx.propagate(&rec.output).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(res.layers.len(), cut + 1);
        assert!(
            res.input_relevance.iter().all(|v| v.is_finite()),
            "{}",
            p.name
        );
    }
    let p = presets::preset("epsilon-gamma-box").unwrap_or_else(|e| panic!("{e}"));
    let rules = presets::assign(
        &net,
        cut,
        p,
        &bounds,
        PoolRule::Proportional,
        &[("conv1_2".into(), Rule::Epsilon { epsilon: 0.5 })],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rules[1], LayerRule::Conv(Rule::Epsilon { epsilon: 0.5 }));
    assert!(matches!(rules[0], LayerRule::Conv(Rule::ZBox { .. })));
    assert_eq!(rules[2], LayerRule::Pool(PoolRule::Proportional));
    assert!(presets::assign(
        &net,
        cut,
        p,
        &bounds,
        PoolRule::Proportional,
        &[("conv9_9".into(), Rule::Zero)]
    )
    .is_err());
    assert!(presets::assign(
        &net,
        cut,
        p,
        &bounds,
        PoolRule::Proportional,
        &[("pool1".into(), Rule::Zero)]
    )
    .is_err());
    assert!(presets::preset("nope").is_err());
}

#[test]
fn rule_parse_reads_values_and_rejects_junk() {
    let b = InputBounds {
        low: vec![0.0; 3],
        high: vec![1.0; 3],
    };
    assert_eq!(
        Rule::parse("gamma=0.5", &b).ok(),
        Some(Rule::Gamma {
            gamma: 0.5,
            epsilon: DEFAULT_EPSILON
        })
    );
    assert_eq!(
        Rule::parse("epsilon", &b).ok(),
        Some(Rule::Epsilon {
            epsilon: DEFAULT_EPSILON
        })
    );
    assert!(Rule::parse("gamma=-1", &b).is_err());
    assert!(Rule::parse("gamma=x", &b).is_err());
    assert!(Rule::parse("magic", &b).is_err());
}
