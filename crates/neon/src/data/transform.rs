//! Feature transforms applied before a model sees the data (§5.1: "each input feature is first
//! mapped to the logarithm and standardized"). A fitted transform is stored with the model so
//! new data is transformed identically.

use super::dataset::Dataset;
use crate::error::{NeonError, Result};
use crate::kernels::math::MAX_MAGNITUDE;
use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

/// One transform step, as the user asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransformStep {
    /// Natural logarithm; every value must be > 0.
    Log,
    /// `ln(1 + x)`; every value must be > −1.
    Log1p,
    /// Subtract the mean, divide by the population standard deviation (like scikit-learn's
    /// `StandardScaler`).
    Standardize,
    /// Subtract the minimum, divide by the range (maximum − minimum): the training data maps
    /// onto [0, 1] (like scikit-learn's `MinMaxScaler`).
    MinMax,
    /// Subtract the median, divide by the interquartile range (75th − 25th percentile, linearly
    /// interpolated as NumPy's default `np.percentile`; like scikit-learn's `RobustScaler`).
    Robust,
}

impl std::str::FromStr for TransformStep {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "log" => Ok(TransformStep::Log),
            "log1p" => Ok(TransformStep::Log1p),
            "standardize" => Ok(TransformStep::Standardize),
            "minmax" => Ok(TransformStep::MinMax),
            "robust" => Ok(TransformStep::Robust),
            other => Err(NeonError::param(
                "transform",
                format!(
                    "unknown transform '{other}' (expected log, log1p, standardize, minmax or robust)"
                ),
            )),
        }
    }
}

/// A transform step with its fitted state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum FittedStep {
    /// Natural logarithm.
    Log,
    /// `ln(1 + x)`.
    Log1p,
    /// Standardization with the fitted per-feature mean and population standard deviation.
    Standardize {
        /// Per-feature mean.
        mean: Vec<f64>,
        /// Per-feature population standard deviation.
        std: Vec<f64>,
    },
    /// Min-max scaling with the fitted per-feature minimum and maximum.
    MinMax {
        /// Per-feature minimum.
        min: Vec<f64>,
        /// Per-feature maximum.
        max: Vec<f64>,
    },
    /// Robust scaling with the fitted per-feature median and interquartile range.
    Robust {
        /// Per-feature median.
        median: Vec<f64>,
        /// Per-feature interquartile range (75th − 25th percentile).
        iqr: Vec<f64>,
    },
}

impl FittedStep {
    /// The step's name, as `--transform` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            FittedStep::Log => "log",
            FittedStep::Log1p => "log1p",
            FittedStep::Standardize { .. } => "standardize",
            FittedStep::MinMax { .. } => "minmax",
            FittedStep::Robust { .. } => "robust",
        }
    }

    /// The step's name and its per-feature `(shift, scale)` if it maps `x` to
    /// `(x − shift) / scale`; `None` for `log` and `log1p`.
    fn affine(&self) -> Option<(&'static str, Vec<(f64, f64)>)> {
        let pairs = |shift: &[f64], scale: &[f64]| -> Vec<(f64, f64)> {
            shift.iter().copied().zip(scale.iter().copied()).collect()
        };
        match self {
            FittedStep::Log | FittedStep::Log1p => None,
            FittedStep::Standardize { mean, std } => Some(("standardize", pairs(mean, std))),
            FittedStep::MinMax { min, max } => Some((
                "minmax",
                min.iter()
                    .zip(max)
                    .map(|(&lo, &hi)| (lo, hi - lo))
                    .collect(),
            )),
            FittedStep::Robust { median, iqr } => Some(("robust", pairs(median, iqr))),
        }
    }
}

/// A sequence of fitted steps, applied in order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FittedTransform {
    /// The steps, in application order.
    pub steps: Vec<FittedStep>,
}

impl FittedTransform {
    /// The identity transform.
    pub fn identity() -> Self {
        Self::default()
    }

    /// Fit the steps on `data` and return the fitted transform with the transformed matrix.
    pub fn fit(steps: &[TransformStep], data: &Dataset) -> Result<(Self, Array2<f64>)> {
        let mut values = data.values().to_owned();
        let mut fitted = Vec::with_capacity(steps.len());
        for step in steps {
            let fitted_step = match step {
                TransformStep::Log => FittedStep::Log,
                TransformStep::Log1p => FittedStep::Log1p,
                TransformStep::Standardize => {
                    let n = values.nrows() as f64;
                    let mean: Vec<f64> = (0..values.ncols())
                        .map(|c| values.column(c).sum() / n)
                        .collect();
                    let std: Vec<f64> = (0..values.ncols())
                        .map(|c| {
                            let m = mean[c];
                            (values
                                .column(c)
                                .iter()
                                .map(|v| (v - m) * (v - m))
                                .sum::<f64>()
                                / n)
                                .sqrt()
                        })
                        .collect();
                    for (c, s) in std.iter().enumerate() {
                        if !(s.is_finite() && mean[c].is_finite()) {
                            return Err(NeonError::Overflow {
                                file: data.source().to_string(),
                                column: data.feature_names()[c].clone(),
                                what: "its mean or standard deviation".into(),
                                transform: "standardize".into(),
                            });
                        }
                        if *s <= 1e-12 * (1.0 + mean[c].abs()) {
                            return Err(NeonError::ZeroVariance {
                                file: data.source().to_string(),
                                column: data.feature_names()[c].clone(),
                            });
                        }
                    }
                    FittedStep::Standardize { mean, std }
                }
                TransformStep::MinMax => {
                    let (min, max): (Vec<f64>, Vec<f64>) = values
                        .axis_iter(Axis(1))
                        .map(|col| {
                            col.iter()
                                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                                    (lo.min(v), hi.max(v))
                                })
                        })
                        .unzip();
                    for (c, (lo, hi)) in min.iter().zip(&max).enumerate() {
                        let range = hi - lo;
                        if !range.is_finite() {
                            return Err(NeonError::Overflow {
                                file: data.source().to_string(),
                                column: data.feature_names()[c].clone(),
                                what: "its range (maximum − minimum)".into(),
                                transform: "min-max scale".into(),
                            });
                        }
                        if range <= 1e-12 * (1.0 + lo.abs().max(hi.abs())) {
                            return Err(NeonError::ZeroRange {
                                file: data.source().to_string(),
                                column: data.feature_names()[c].clone(),
                            });
                        }
                    }
                    FittedStep::MinMax { min, max }
                }
                TransformStep::Robust => {
                    let mut median = Vec::with_capacity(values.ncols());
                    let mut iqr = Vec::with_capacity(values.ncols());
                    for (c, col) in values.axis_iter(Axis(1)).enumerate() {
                        let mut sorted = col.to_vec();
                        sorted.sort_by(f64::total_cmp);
                        let m = median_sorted(&sorted);
                        let r = percentile_sorted(&sorted, 0.75) - percentile_sorted(&sorted, 0.25);
                        if !(r.is_finite() && m.is_finite()) {
                            return Err(NeonError::Overflow {
                                file: data.source().to_string(),
                                column: data.feature_names()[c].clone(),
                                what: "its median or interquartile range".into(),
                                transform: "robust-scale".into(),
                            });
                        }
                        if r <= 1e-12 * (1.0 + m.abs()) {
                            return Err(NeonError::ZeroIqr {
                                file: data.source().to_string(),
                                column: data.feature_names()[c].clone(),
                            });
                        }
                        median.push(m);
                        iqr.push(r);
                    }
                    FittedStep::Robust { median, iqr }
                }
            };
            apply_step(&fitted_step, &mut values, data)?;
            fitted.push(fitted_step);
        }
        check_magnitude(&values, data)?;
        Ok((FittedTransform { steps: fitted }, values))
    }

    /// Apply the fitted steps to new data (raw values, same columns as at fit time).
    pub fn apply(&self, data: &Dataset) -> Result<Array2<f64>> {
        let mut values = data.values().to_owned();
        for step in &self.steps {
            apply_step(step, &mut values, data)?;
        }
        check_magnitude(&values, data)?;
        Ok(values)
    }

    /// Check stored values (a model file): standardize means finite, deviations finite and
    /// positive; minmax minima and maxima finite, ranges (maximum − minimum) finite and
    /// positive; robust medians finite, interquartile ranges finite and positive. The error
    /// says which.
    pub fn validate(&self) -> Result<()> {
        for step in &self.steps {
            match step {
                FittedStep::Log | FittedStep::Log1p => {}
                FittedStep::Standardize { mean, std } => {
                    check_finite("standardize mean", mean)?;
                    check_positive("standardize deviation", std)?;
                }
                FittedStep::MinMax { min, max } => {
                    check_finite("minmax minimum", min)?;
                    check_finite("minmax maximum", max)?;
                    let range: Vec<f64> = min.iter().zip(max).map(|(lo, hi)| hi - lo).collect();
                    check_positive("minmax range (maximum − minimum)", &range)?;
                }
                FittedStep::Robust { median, iqr } => {
                    check_finite("robust median", median)?;
                    check_positive("robust interquartile range", iqr)?;
                }
            }
        }
        Ok(())
    }

    /// Map transformed values back to raw units (inverse of every step, in reverse order).
    pub fn invert(&self, values: &Array2<f64>) -> Array2<f64> {
        let mut out = values.clone();
        for step in self.steps.iter().rev() {
            match step {
                FittedStep::Log => out.mapv_inplace(f64::exp),
                FittedStep::Log1p => out.mapv_inplace(f64::exp_m1),
                FittedStep::Standardize { .. }
                | FittedStep::MinMax { .. }
                | FittedStep::Robust { .. } => {
                    let (_, affine) = step.affine().unwrap_or_default();
                    for ((shift, scale), mut col) in
                        affine.into_iter().zip(out.axis_iter_mut(Axis(1)))
                    {
                        col.mapv_inplace(|v| v * scale + shift);
                    }
                }
            }
        }
        out
    }

    /// Check that the transform fits data with `n_features` columns.
    pub fn check_width(&self, n_features: usize) -> Result<()> {
        for step in &self.steps {
            let (name, (a, a_what), (b, b_what)) = match step {
                FittedStep::Log | FittedStep::Log1p => continue,
                FittedStep::Standardize { mean, std } => (
                    "standardize",
                    (mean.len(), "means"),
                    (std.len(), "deviations"),
                ),
                FittedStep::MinMax { min, max } => {
                    ("minmax", (min.len(), "minima"), (max.len(), "maxima"))
                }
                FittedStep::Robust { median, iqr } => (
                    "robust",
                    (median.len(), "medians"),
                    (iqr.len(), "interquartile ranges"),
                ),
            };
            if a != n_features || b != n_features {
                return Err(NeonError::ShapeMismatch {
                    what: format!("{name} transform"),
                    expected: format!("{n_features} features"),
                    found: format!("{a} {a_what}, {b} {b_what}"),
                });
            }
        }
        Ok(())
    }
}

fn apply_step(step: &FittedStep, values: &mut Array2<f64>, data: &Dataset) -> Result<()> {
    let domain_error =
        |row: usize, col: usize, value: f64, name: &str| NeonError::TransformDomain {
            file: data.source().to_string(),
            row: data.display_row(row),
            column: data.feature_names()[col].clone(),
            value,
            transform: name.to_string(),
        };
    match step {
        FittedStep::Log | FittedStep::Log1p => {
            let (name, lower) = if matches!(step, FittedStep::Log) {
                ("log", 0.0)
            } else {
                ("log1p", -1.0)
            };
            if let Some(((row, col), &value)) = values.indexed_iter().find(|(_, &v)| v <= lower) {
                return Err(domain_error(row, col, value, name));
            }
            if matches!(step, FittedStep::Log) {
                values.mapv_inplace(f64::ln);
            } else {
                values.mapv_inplace(f64::ln_1p);
            }
        }
        FittedStep::Standardize { .. } | FittedStep::MinMax { .. } | FittedStep::Robust { .. } => {
            let (name, affine) = step.affine().unwrap_or_default();
            if affine.len() != values.ncols() {
                return Err(NeonError::ShapeMismatch {
                    what: format!("{name} transform"),
                    expected: format!("{} features", affine.len()),
                    found: format!("{} features", values.ncols()),
                });
            }
            for ((shift, scale), mut col) in affine.into_iter().zip(values.axis_iter_mut(Axis(1))) {
                col.mapv_inplace(|v| (v - shift) / scale);
            }
        }
    }
    Ok(())
}

/// The first stored value that is not finite, as an error naming `what` and the feature.
fn check_finite(what: &str, values: &[f64]) -> Result<()> {
    if let Some((c, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(NeonError::param(
            "transform",
            format!("{what} of feature {c} is {v}, not a finite number"),
        ));
    }
    Ok(())
}

/// The first stored value that is not finite and > 0, as an error naming `what` and the
/// feature.
fn check_positive(what: &str, values: &[f64]) -> Result<()> {
    if let Some((c, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v > 0.0))
    {
        return Err(NeonError::param(
            "transform",
            format!("{what} of feature {c} is {v}, not a finite number > 0"),
        ));
    }
    Ok(())
}

/// Percentile `q` ∈ [0, 1] of `sorted` (ascending) by linear interpolation between the values
/// at ranks ⌊(n − 1)q⌋ and ⌊(n − 1)q⌋ + 1, computed as NumPy's default
/// `np.percentile(…, method="linear")` does (same formula, same rounding); NaN if empty.
fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let index = last as f64 * q;
    let below = index.floor();
    let t = index - below;
    let lo = (below as usize).min(last);
    let (a, b) = (sorted[lo], sorted[(lo + 1).min(last)]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Median of `sorted` (ascending): the middle value, or the mean of the two middle ones, as
/// NumPy's `np.median`; NaN if empty.
fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Every model-space value within ±[`MAX_MAGNITUDE`], else an error naming the file, row and
/// column (squared distances would overflow).
fn check_magnitude(values: &Array2<f64>, data: &Dataset) -> Result<()> {
    if let Some(((row, col), &value)) = values
        .indexed_iter()
        .find(|(_, v)| v.is_nan() || v.abs() > MAX_MAGNITUDE)
    {
        return Err(NeonError::OutOfRange {
            file: data.source().to_string(),
            row: data.display_row(row),
            column: data.feature_names()[col].clone(),
            value,
            limit: MAX_MAGNITUDE,
        });
    }
    Ok(())
}

/// Parse a comma-separated list such as `log,standardize`.
pub fn parse_steps(list: &str) -> Result<Vec<TransformStep>> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn dataset(values: Array2<f64>) -> Dataset {
        let names = (0..values.ncols()).map(|i| format!("f{i}")).collect();
        Dataset::new(names, values).expect("valid")
    }

    #[test]
    fn standardize_uses_population_variance() {
        let d = dataset(array![[1.0], [3.0]]);
        let (t, z) = FittedTransform::fit(&[TransformStep::Standardize], &d).expect("fit");
        assert_eq!(z, array![[-1.0], [1.0]]);
        assert_eq!(t.invert(&z), array![[1.0], [3.0]]);
    }

    #[test]
    fn log_then_standardize_applies_in_order_and_reapplies() {
        let d = dataset(array![
            [1.0, 10.0],
            [std::f64::consts::E, 100.0],
            [7.0, 3.0]
        ]);
        let steps = [TransformStep::Log, TransformStep::Standardize];
        let (t, z) = FittedTransform::fit(&steps, &d).expect("fit");
        let again = t.apply(&d).expect("apply");
        assert!((&z - &again).iter().all(|v| v.abs() < 1e-15));
        let col0: f64 = z.column(0).sum();
        assert!(col0.abs() < 1e-12);
    }

    #[test]
    fn log_of_zero_names_column_and_row() {
        let d = dataset(array![[1.0, 2.0], [0.0, 1.0]]).with_source("w.csv", 1);
        let err = FittedTransform::fit(&[TransformStep::Log], &d).expect_err("domain");
        assert_eq!(
            err.to_string(),
            "w.csv, column f0, row 3: value 0 cannot be log-transformed"
        );
    }

    #[test]
    fn log1p_rejects_minus_one() {
        let d = dataset(array![[-1.0]]);
        assert!(matches!(
            FittedTransform::fit(&[TransformStep::Log1p], &d),
            Err(NeonError::TransformDomain { .. })
        ));
    }

    #[test]
    fn zero_variance_column_is_rejected() {
        let d = dataset(array![[1.0, 5.0], [2.0, 5.0]]);
        let err = FittedTransform::fit(&[TransformStep::Standardize], &d).expect_err("constant");
        assert!(matches!(err, NeonError::ZeroVariance { ref column, .. } if column == "f1"));
    }

    #[test]
    fn unknown_step_is_rejected() {
        assert!(parse_steps("log,sqrt").is_err());
        assert_eq!(
            parse_steps("log, standardize").expect("valid"),
            vec![TransformStep::Log, TransformStep::Standardize]
        );
    }

    #[test]
    fn minmax_and_robust_parse_and_the_error_lists_every_step() {
        assert_eq!(
            parse_steps("log,minmax, robust").expect("valid"),
            vec![
                TransformStep::Log,
                TransformStep::MinMax,
                TransformStep::Robust
            ]
        );
        assert_eq!(
            parse_steps("min-max").expect_err("unknown").to_string(),
            "parameter transform: unknown transform 'min-max' \
             (expected log, log1p, standardize, minmax or robust)"
        );
    }

    #[test]
    fn minmax_maps_the_training_range_onto_the_unit_interval() {
        let d = dataset(array![
            [1.0, -4.0],
            [2.0, 0.0],
            [3.0, 4.0],
            [4.0, -2.0],
            [5.0, 2.0]
        ]);
        let (t, z) = FittedTransform::fit(&[TransformStep::MinMax], &d).expect("fit");
        assert_eq!(
            t.steps,
            vec![FittedStep::MinMax {
                min: vec![1.0, -4.0],
                max: vec![5.0, 4.0]
            }]
        );
        assert_eq!(
            z,
            array![
                [0.0, 0.0],
                [0.25, 0.5],
                [0.5, 1.0],
                [0.75, 0.25],
                [1.0, 0.75]
            ]
        );
        assert_eq!(t.invert(&z), d.values());
        let new = dataset(array![[0.0, 8.0]]);
        assert_eq!(t.apply(&new).expect("apply"), array![[-0.25, 1.5]]);
    }

    #[test]
    fn robust_centres_on_the_median_and_divides_by_the_interquartile_range() {
        let d = dataset(array![[1.0], [2.0], [3.0], [4.0], [100.0]]);
        let (t, z) = FittedTransform::fit(&[TransformStep::Robust], &d).expect("fit");
        assert_eq!(
            t.steps,
            vec![FittedStep::Robust {
                median: vec![3.0],
                iqr: vec![2.0]
            }]
        );
        assert_eq!(z, array![[-1.0], [-0.5], [0.0], [0.5], [48.5]]);
        assert_eq!(t.invert(&z), d.values());
    }

    #[test]
    fn robust_interpolates_percentiles_linearly_as_numpy() {
        assert_eq!(percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.25), 1.75);
        assert_eq!(percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.75), 3.25);
        assert_eq!(percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.0), 1.0);
        assert_eq!(percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 1.0), 4.0);
        assert_eq!(percentile_sorted(&[7.0], 0.25), 7.0);
        assert_eq!(median_sorted(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert!(percentile_sorted(&[], 0.5).is_nan());
        // unsorted input, even length: median 2.5, q25 1.75, q75 3.25, IQR 1.5
        let d = dataset(array![[4.0], [1.0], [3.0], [2.0]]);
        let (t, z) = FittedTransform::fit(&[TransformStep::Robust], &d).expect("fit");
        assert_eq!(
            t.steps,
            vec![FittedStep::Robust {
                median: vec![2.5],
                iqr: vec![1.5]
            }]
        );
        assert_eq!(z, array![[1.0], [-1.0], [1.0 / 3.0], [-1.0 / 3.0]]);
    }

    #[test]
    fn constant_column_is_rejected_by_minmax_with_its_name() {
        let d = dataset(array![[1.0, 5.0], [2.0, 5.0]]).with_source("w.csv", 1);
        let err = FittedTransform::fit(&[TransformStep::MinMax], &d).expect_err("constant");
        assert!(matches!(err, NeonError::ZeroRange { ref column, .. } if column == "f1"));
        assert_eq!(
            err.to_string(),
            "w.csv, column f1: zero range, cannot be min-max scaled"
        );
    }

    #[test]
    fn zero_interquartile_range_is_rejected_by_robust_with_its_name() {
        // not constant, but the 25th and 75th percentiles are both 5
        let d = dataset(array![
            [1.0, 1.0],
            [5.0, 2.0],
            [5.0, 3.0],
            [5.0, 4.0],
            [9.0, 5.0]
        ])
        .with_source("w.csv", 1);
        let err = FittedTransform::fit(&[TransformStep::Robust], &d).expect_err("zero IQR");
        assert!(matches!(err, NeonError::ZeroIqr { ref column, .. } if column == "f0"));
        assert_eq!(
            err.to_string(),
            "w.csv, column f0: zero interquartile range, cannot be robust-scaled"
        );
    }

    #[test]
    fn minmax_and_robust_statistics_that_overflow_are_named() {
        let d = dataset(array![[-1e308], [1e308], [1e308], [-1e308]]).with_source("w.csv", 1);
        let err = FittedTransform::fit(&[TransformStep::MinMax], &d).expect_err("overflow");
        assert_eq!(
            err.to_string(),
            "w.csv, column f0: its range (maximum − minimum) overflows; \
             the values are too large to min-max scale — rescale them"
        );
        let err = FittedTransform::fit(&[TransformStep::Robust], &d).expect_err("overflow");
        assert_eq!(
            err.to_string(),
            "w.csv, column f0: its median or interquartile range overflows; \
             the values are too large to robust-scale — rescale them"
        );
    }

    #[test]
    fn log_then_robust_applies_in_order_and_reapplies() {
        let e = std::f64::consts::E;
        let d = dataset(array![
            [1.0, 3.0],
            [e, 1.0],
            [e * e, 4.0],
            [e * e * e, 1.5],
            [e * e * e * e, 9.0]
        ]);
        let steps = [TransformStep::Log, TransformStep::Robust];
        let (t, z) = FittedTransform::fit(&steps, &d).expect("fit");
        // ln of column 0 is 0, 1, 2, 3, 4: median 2, q25 1, q75 3
        let expected = [-1.0, -0.5, 0.0, 0.5, 1.0];
        assert!(z
            .column(0)
            .iter()
            .zip(expected)
            .all(|(v, w)| (v - w).abs() < 1e-12));
        let again = t.apply(&d).expect("apply");
        assert_eq!(z, again);
        let back = t.invert(&z);
        assert!((&back - &d.values()).iter().all(|v| v.abs() < 1e-12));
        assert!(matches!(
            t.steps.as_slice(),
            [FittedStep::Log, FittedStep::Robust { .. }]
        ));
    }

    #[test]
    fn fitted_minmax_and_robust_round_trip_through_serde() {
        let d = dataset(array![[1.0, 10.0], [2.0, 30.0], [4.0, 20.0], [8.0, 50.0]]);
        let steps = parse_steps("log,minmax,robust").expect("steps");
        let (t, _) = FittedTransform::fit(&steps, &d).expect("fit");
        let json = serde_json::to_value(&t).expect("serialize");
        assert_eq!(json["steps"][0], serde_json::json!({"step": "log"}));
        assert_eq!(json["steps"][1]["step"], "minmax");
        assert_eq!(json["steps"][1]["min"].as_array().map(Vec::len), Some(2));
        assert_eq!(json["steps"][1]["max"].as_array().map(Vec::len), Some(2));
        assert_eq!(json["steps"][2]["step"], "robust");
        assert_eq!(json["steps"][2]["median"].as_array().map(Vec::len), Some(2));
        assert_eq!(json["steps"][2]["iqr"].as_array().map(Vec::len), Some(2));
        let text = serde_json::to_string(&t).expect("serialize");
        let back: FittedTransform = serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back, t);
        assert_eq!(back.apply(&d).expect("apply"), t.apply(&d).expect("apply"));
        back.validate().expect("valid");
        back.check_width(2).expect("width");
        let hand: FittedTransform = serde_json::from_str(
            r#"{"steps": [{"step": "minmax", "min": [0.0], "max": [2.0]},
                          {"step": "robust", "median": [1.0], "iqr": [4.0]}]}"#,
        )
        .expect("hand-written");
        assert_eq!(
            hand.steps,
            vec![
                FittedStep::MinMax {
                    min: vec![0.0],
                    max: vec![2.0]
                },
                FittedStep::Robust {
                    median: vec![1.0],
                    iqr: vec![4.0]
                }
            ]
        );
    }

    #[test]
    fn stored_minmax_and_robust_values_are_checked() {
        let refused = |step: FittedStep| {
            FittedTransform { steps: vec![step] }
                .validate()
                .expect_err("invalid")
                .to_string()
        };
        assert_eq!(
            refused(FittedStep::MinMax {
                min: vec![0.0, 1.0],
                max: vec![1.0, 1.0]
            }),
            "parameter transform: minmax range (maximum − minimum) of feature 1 is 0, \
             not a finite number > 0"
        );
        assert_eq!(
            refused(FittedStep::MinMax {
                min: vec![2.0],
                max: vec![1.0]
            }),
            "parameter transform: minmax range (maximum − minimum) of feature 0 is -1, \
             not a finite number > 0"
        );
        assert_eq!(
            refused(FittedStep::MinMax {
                min: vec![f64::NAN],
                max: vec![1.0]
            }),
            "parameter transform: minmax minimum of feature 0 is NaN, not a finite number"
        );
        assert_eq!(
            refused(FittedStep::MinMax {
                min: vec![0.0],
                max: vec![f64::INFINITY]
            }),
            "parameter transform: minmax maximum of feature 0 is inf, not a finite number"
        );
        assert_eq!(
            refused(FittedStep::MinMax {
                min: vec![-1e308],
                max: vec![1e308]
            }),
            "parameter transform: minmax range (maximum − minimum) of feature 0 is inf, \
             not a finite number > 0"
        );
        assert_eq!(
            refused(FittedStep::Robust {
                median: vec![0.0, f64::INFINITY],
                iqr: vec![1.0, 1.0]
            }),
            "parameter transform: robust median of feature 1 is inf, not a finite number"
        );
        assert_eq!(
            refused(FittedStep::Robust {
                median: vec![0.0],
                iqr: vec![0.0]
            }),
            "parameter transform: robust interquartile range of feature 0 is 0, \
             not a finite number > 0"
        );
        let width = FittedTransform {
            steps: vec![FittedStep::Robust {
                median: vec![0.0, 0.0],
                iqr: vec![1.0],
            }],
        };
        assert_eq!(
            width.check_width(2).expect_err("width").to_string(),
            "robust transform: expected 2 features, found 2 medians, 1 interquartile ranges"
        );
        let narrow = FittedTransform {
            steps: vec![FittedStep::MinMax {
                min: vec![0.0],
                max: vec![1.0],
            }],
        };
        assert!(matches!(
            narrow.apply(&dataset(array![[1.0, 2.0]])),
            Err(NeonError::ShapeMismatch { .. })
        ));
    }
}
