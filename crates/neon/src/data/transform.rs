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
}

impl std::str::FromStr for TransformStep {
    type Err = NeonError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "log" => Ok(TransformStep::Log),
            "log1p" => Ok(TransformStep::Log1p),
            "standardize" => Ok(TransformStep::Standardize),
            other => Err(NeonError::param(
                "transform",
                format!("unknown transform '{other}' (expected log, log1p or standardize)"),
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
    /// positive; the error says which.
    pub fn validate(&self) -> Result<()> {
        for step in &self.steps {
            if let FittedStep::Standardize { mean, std } = step {
                if let Some((c, v)) = mean.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                    return Err(NeonError::param(
                        "transform",
                        format!("standardize mean of feature {c} is {v}, not a finite number"),
                    ));
                }
                if let Some((c, v)) = std
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !(v.is_finite() && **v > 0.0))
                {
                    return Err(NeonError::param(
                        "transform",
                        format!(
                            "standardize deviation of feature {c} is {v}, not a finite number > 0"
                        ),
                    ));
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
                FittedStep::Standardize { mean, std } => {
                    for (c, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
                        col.mapv_inplace(|v| v * std[c] + mean[c]);
                    }
                }
            }
        }
        out
    }

    /// Check that the transform fits data with `n_features` columns.
    pub fn check_width(&self, n_features: usize) -> Result<()> {
        for step in &self.steps {
            if let FittedStep::Standardize { mean, std } = step {
                if mean.len() != n_features || std.len() != n_features {
                    return Err(NeonError::ShapeMismatch {
                        what: "standardize transform".into(),
                        expected: format!("{n_features} features"),
                        found: format!("{} means, {} deviations", mean.len(), std.len()),
                    });
                }
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
        FittedStep::Standardize { mean, std } => {
            if mean.len() != values.ncols() {
                return Err(NeonError::ShapeMismatch {
                    what: "standardize transform".into(),
                    expected: format!("{} features", mean.len()),
                    found: format!("{} features", values.ncols()),
                });
            }
            for (c, mut col) in values.axis_iter_mut(Axis(1)).enumerate() {
                col.mapv_inplace(|v| (v - mean[c]) / std[c]);
            }
        }
    }
    Ok(())
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
}
