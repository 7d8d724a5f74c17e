//! The LRP rules of [`Rule`] applied to one 3×3 convolution, in the "modified forward / gradient"
//! form: a denominator `d_j` per output, `s_j = R_j / d_j`, then the transposed convolution
//! `c_i = Σ_j w'_ij s_j` with the rule's modified weights, and `R_i = x'_i c_i`.

use ndarray::{Array3, Zip};

use super::rules::{add_product, safe_div, stabilize, Rule};
use crate::error::{CnnError, Result};
use crate::network::Conv;
use crate::ops::{conv3x3, Kernel, Post};

enum Kind {
    /// LRP-0 / ε: `R_i = a_i Σ_j w_ij R_j / stab(z_j)`.
    Basic { den: Array3<f32>, back: Kernel },
    /// γ (generalised); the branch for negative outputs is built on demand.
    Gamma {
        gamma: f32,
        eps: f32,
        den_pos: Array3<f32>,
        wp_t: Kernel,
        wn_t: Option<Kernel>,
        a_nonneg: bool,
    },
    /// z⁺: `R_i = a⁺_i Σ_j w⁺_ij s_j + a⁻_i Σ_j w⁻_ij s_j`.
    ZPlus {
        den: Array3<f32>,
        wpos_t: Kernel,
        wneg_t: Option<Kernel>,
        a_nonneg: bool,
    },
    /// z^B: `R_i = x_i c_i − l_i c⁺_i − h_i c⁻_i`.
    ZBox {
        den: Array3<f32>,
        w_t: Kernel,
        wpos_t: Kernel,
        wneg_t: Kernel,
        low: Vec<f32>,
        high: Vec<f32>,
    },
    /// Flat / w²: `R_i = Σ_j v_ij R_j / stab(Σ_i v_ij)` with inputs set to one.
    Ones { den: Array3<f32>, back: Kernel },
}

/// One convolution's rule, with everything that does not depend on the relevance precomputed.
pub struct PreparedConv {
    kind: Kind,
}

fn map_arr(a: &Array3<f32>, f: impl Fn(f32) -> f32 + Sync + Send) -> Array3<f32> {
    let mut out = a.clone();
    out.par_mapv_inplace(f);
    out
}

fn stabilized(mut d: Array3<f32>, eps: f32) -> Array3<f32> {
    d.par_mapv_inplace(|v| stabilize(v, eps));
    d
}

fn add_into(acc: &mut Array3<f32>, other: &Array3<f32>) {
    Zip::from(acc).and(other).par_for_each(|a, &b| *a += b);
}

fn check_eps(eps: f32) -> Result<()> {
    if eps.is_finite() && eps >= 0.0 {
        Ok(())
    } else {
        Err(CnnError::param(
            "epsilon",
            format!("{eps} must be finite and >= 0"),
        ))
    }
}

impl PreparedConv {
    /// Precompute denominators and transposed (modified) kernels for input `a` and pre-activation `z`.
    pub fn new(conv: &Conv, a: &Array3<f32>, z: &Array3<f32>, rule: &Rule) -> Result<Self> {
        let a_nonneg = a.iter().all(|&v| v >= 0.0);
        let bias = &conv.bias;
        let kind = match rule {
            Rule::Zero => Kind::Basic {
                den: z.clone(),
                back: conv.kernel.transposed(),
            },
            Rule::Epsilon { epsilon } => {
                check_eps(*epsilon)?;
                Kind::Basic {
                    den: stabilized(z.clone(), *epsilon),
                    back: conv.kernel.transposed(),
                }
            }
            Rule::Gamma { gamma, epsilon } => {
                check_eps(*epsilon)?;
                if !(gamma.is_finite() && *gamma >= 0.0) {
                    return Err(CnnError::param(
                        "gamma",
                        format!("{gamma} must be finite and >= 0"),
                    ));
                }
                let g = *gamma;
                let wp = conv.kernel.map(|w| w + g * w.max(0.0));
                let wn = conv.kernel.map(|w| w + g * w.min(0.0));
                let bp: Vec<f32> = bias.iter().map(|&b| b + g * b.max(0.0)).collect();
                let mut den = conv3x3(&map_arr(a, |v| v.max(0.0)).view(), &wp, Post::Bias(&bp));
                if !a_nonneg {
                    add_into(
                        &mut den,
                        &conv3x3(&map_arr(a, |v| v.min(0.0)).view(), &wn, Post::None),
                    );
                }
                Kind::Gamma {
                    gamma: g,
                    eps: *epsilon,
                    den_pos: stabilized(den, *epsilon),
                    wp_t: wp.transposed(),
                    wn_t: if a_nonneg {
                        None
                    } else {
                        Some(wn.transposed())
                    },
                    a_nonneg,
                }
            }
            Rule::ZPlus { epsilon } => {
                check_eps(*epsilon)?;
                let wpos = conv.kernel.map(|w| w.max(0.0));
                let bp: Vec<f32> = bias.iter().map(|&b| b.max(0.0)).collect();
                let mut den = conv3x3(&map_arr(a, |v| v.max(0.0)).view(), &wpos, Post::Bias(&bp));
                let mut wneg_t = None;
                if !a_nonneg {
                    let wneg = conv.kernel.map(|w| w.min(0.0));
                    add_into(
                        &mut den,
                        &conv3x3(&map_arr(a, |v| v.min(0.0)).view(), &wneg, Post::None),
                    );
                    wneg_t = Some(wneg.transposed());
                }
                Kind::ZPlus {
                    den: stabilized(den, *epsilon),
                    wpos_t: wpos.transposed(),
                    wneg_t,
                    a_nonneg,
                }
            }
            Rule::ZBox { low, high, epsilon } => {
                check_eps(*epsilon)?;
                let c = conv.kernel.c_in;
                if low.len() != c || high.len() != c {
                    return Err(CnnError::param(
                        "zbox bounds",
                        format!(
                            "{} / {} bounds for {c} input channels",
                            low.len(),
                            high.len()
                        ),
                    ));
                }
                let wpos = conv.kernel.map(|w| w.max(0.0));
                let wneg = conv.kernel.map(|w| w.min(0.0));
                let (h, w, _) = a.dim();
                let l_img = Array3::from_shape_fn((h, w, c), |(_, _, ch)| low[ch]);
                let h_img = Array3::from_shape_fn((h, w, c), |(_, _, ch)| high[ch]);
                // z_x − z_l − z_h: the biases b − b⁺ − b⁻ cancel.
                let mut den = conv3x3(&a.view(), &conv.kernel, Post::None);
                let zl = conv3x3(&l_img.view(), &wpos, Post::None);
                let zh = conv3x3(&h_img.view(), &wneg, Post::None);
                Zip::from(&mut den)
                    .and(&zl)
                    .and(&zh)
                    .par_for_each(|d, &l, &hh| *d = stabilize(*d - l - hh, *epsilon));
                Kind::ZBox {
                    den,
                    w_t: conv.kernel.transposed(),
                    wpos_t: wpos.transposed(),
                    wneg_t: wneg.transposed(),
                    low: low.clone(),
                    high: high.clone(),
                }
            }
            Rule::Flat { epsilon } => {
                check_eps(*epsilon)?;
                let ones = conv.kernel.map(|_| 1.0);
                let den = conv3x3(&map_arr(a, |_| 1.0).view(), &ones, Post::None);
                Kind::Ones {
                    den: stabilized(den, *epsilon),
                    back: ones.transposed(),
                }
            }
            Rule::WSquare { epsilon } => {
                check_eps(*epsilon)?;
                let sq = conv.kernel.map(|w| w * w);
                let b2: Vec<f32> = bias.iter().map(|&b| b * b).collect();
                let den = conv3x3(&map_arr(a, |_| 1.0).view(), &sq, Post::Bias(&b2));
                Kind::Ones {
                    den: stabilized(den, *epsilon),
                    back: sq.transposed(),
                }
            }
        };
        Ok(PreparedConv { kind })
    }

    /// Relevance at the layer input for relevance `r` at its output (`conv`, `a` and `z` as in [`PreparedConv::new`]).
    pub fn backward_with(
        &self,
        conv: &Conv,
        a: &Array3<f32>,
        z: &Array3<f32>,
        r: &Array3<f32>,
    ) -> Array3<f32> {
        let div = |den: &Array3<f32>| {
            let mut s = r.clone();
            Zip::from(&mut s)
                .and(den)
                .par_for_each(|s, &d| *s = safe_div(*s, d));
            s
        };
        match &self.kind {
            Kind::Basic { den, back } => {
                let c = conv3x3(&div(den).view(), back, Post::None);
                let mut out = Array3::zeros(a.dim());
                add_product(&mut out, a, &c, 1.0);
                out
            }
            Kind::Ones { den, back } => conv3x3(&div(den).view(), back, Post::None),
            Kind::ZPlus {
                den,
                wpos_t,
                wneg_t,
                a_nonneg,
            } => {
                let s = div(den);
                let mut out = Array3::zeros(a.dim());
                let c = conv3x3(&s.view(), wpos_t, Post::None);
                add_product(&mut out, &map_arr(a, |v| v.max(0.0)), &c, 1.0);
                if let (false, Some(wn)) = (a_nonneg, wneg_t) {
                    let c = conv3x3(&s.view(), wn, Post::None);
                    add_product(&mut out, &map_arr(a, |v| v.min(0.0)), &c, 1.0);
                }
                out
            }
            Kind::ZBox {
                den,
                w_t,
                wpos_t,
                wneg_t,
                low,
                high,
            } => {
                let s = div(den);
                let (h, w, ch) = a.dim();
                let l_img = Array3::from_shape_fn((h, w, ch), |(_, _, k)| low[k]);
                let h_img = Array3::from_shape_fn((h, w, ch), |(_, _, k)| high[k]);
                let mut out = Array3::zeros(a.dim());
                add_product(&mut out, a, &conv3x3(&s.view(), w_t, Post::None), 1.0);
                add_product(
                    &mut out,
                    &l_img,
                    &conv3x3(&s.view(), wpos_t, Post::None),
                    -1.0,
                );
                add_product(
                    &mut out,
                    &h_img,
                    &conv3x3(&s.view(), wneg_t, Post::None),
                    -1.0,
                );
                out
            }
            Kind::Gamma {
                gamma,
                eps,
                den_pos,
                wp_t,
                wn_t,
                a_nonneg,
            } => {
                let a_pos = if *a_nonneg {
                    a.clone()
                } else {
                    map_arr(a, |v| v.max(0.0))
                };
                let a_neg = if *a_nonneg {
                    None
                } else {
                    Some(map_arr(a, |v| v.min(0.0)))
                };
                // Outputs with z > 0.
                let mut s_pos = r.clone();
                Zip::from(&mut s_pos)
                    .and(den_pos)
                    .and(z)
                    .par_for_each(|s, &d, &zz| *s = if zz > 0.0 { safe_div(*s, d) } else { 0.0 });
                let mut out = Array3::zeros(a.dim());
                add_product(
                    &mut out,
                    &a_pos,
                    &conv3x3(&s_pos.view(), wp_t, Post::None),
                    1.0,
                );
                if let (Some(an), Some(wn)) = (&a_neg, wn_t) {
                    add_product(&mut out, an, &conv3x3(&s_pos.view(), wn, Post::None), 1.0);
                }
                // Outputs with z < 0: only built when relevance arrives there (never in a ReLU
                // network whose relevance comes from activations).
                let neg_needed = Zip::from(r).and(z).par_fold(
                    || false,
                    |acc, &rv, &zz| acc || (zz < 0.0 && rv != 0.0),
                    |x, y| x || y,
                );
                if neg_needed {
                    let g = *gamma;
                    let wp = conv.kernel.map(|w| w + g * w.max(0.0));
                    let wn = conv.kernel.map(|w| w + g * w.min(0.0));
                    let bn: Vec<f32> = conv.bias.iter().map(|&b| b + g * b.min(0.0)).collect();
                    let mut den = conv3x3(&a_pos.view(), &wn, Post::Bias(&bn));
                    if let Some(an) = &a_neg {
                        add_into(&mut den, &conv3x3(&an.view(), &wp, Post::None));
                    }
                    let mut s_neg = r.clone();
                    Zip::from(&mut s_neg)
                        .and(&den)
                        .and(z)
                        .par_for_each(|s, &d, &zz| {
                            *s = if zz < 0.0 {
                                safe_div(*s, stabilize(d, *eps))
                            } else {
                                0.0
                            }
                        });
                    add_product(
                        &mut out,
                        &a_pos,
                        &conv3x3(&s_neg.view(), &wn.transposed(), Post::None),
                        1.0,
                    );
                    if let Some(an) = &a_neg {
                        add_product(
                            &mut out,
                            an,
                            &conv3x3(&s_neg.view(), &wp.transposed(), Post::None),
                            1.0,
                        );
                    }
                }
                out
            }
        }
    }
}
