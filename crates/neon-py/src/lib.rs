//! `neon_xai._core`: the Python bindings of the neon-xai library. One class, [`Model`], wraps
//! a model file (feature names, stored transform, fitted model of any registry kind) and calls
//! the library's public API; the estimators of the Python package (`python/neon_xai`) are thin
//! scikit-learn-style classes over it. NumPy float64 arrays are read without copies (any
//! strides), float32 arrays are converted once; the GIL is released while the library computes,
//! in chunks of rows so that Ctrl-C interrupts a long call between chunks.

use ndarray::{Array1, Array2, ArrayView2};
use neon_xai::compare::{
    evaluate, explain_rows_with, EvaluationConfig, Method, MethodOptions, NeonVariant, Reference,
    MAX_EXACT_FEATURES,
};
use neon_xai::data::FittedTransform;
use neon_xai::kernels::Compute;
use neon_xai::models::{
    entry, BatchExplainer, FitParam, FitValues, ParamKind, ParamValue, Queries, REGISTRY,
};
use neon_xai::{Dataset, ExplainOptions, Explanation, ModelFile, RuleSet, Target};
use numpy::{IntoPyArray, PyReadonlyArray2};
use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

create_exception!(
    neon_xai,
    NeonError,
    PyValueError,
    "An error of neon: bad input, parameters or model file. The message names the parameter, \
     row or column and what is wrong."
);

/// Rows explained per call into the library between checks for Ctrl-C.
const CHUNK_ROWS: usize = 4096;

fn neon_err(e: impl std::fmt::Display) -> PyErr {
    NeonError::new_err(e.to_string())
}

/// Progress reports to an optional Python callable `callback(done, total)`: at most every
/// 100 ms from whichever thread finished work (the GIL is taken only for the call), and once at
/// the end. An exception raised by the callback is reported as unraisable and ignored.
struct Progress {
    callback: Option<Py<PyAny>>,
    total: usize,
    done: AtomicUsize,
    last: Mutex<Instant>,
}

impl Progress {
    fn new(callback: Option<Py<PyAny>>, total: usize) -> Self {
        Progress {
            callback,
            total,
            done: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        }
    }

    fn add(&self, n: usize) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        let Some(callback) = &self.callback else {
            return;
        };
        let due = match self.last.try_lock() {
            Ok(mut last) if last.elapsed() >= Duration::from_millis(100) => {
                *last = Instant::now();
                true
            }
            _ => false,
        };
        if due {
            Python::attach(|py| report(py, callback, done.min(self.total), self.total));
        }
    }

    fn finish(&self, py: Python<'_>) {
        if let Some(callback) = &self.callback {
            report(py, callback, self.total, self.total);
        }
    }
}

fn report(py: Python<'_>, callback: &Py<PyAny>, done: usize, total: usize) {
    if let Err(e) = callback.call1(py, (done, total)) {
        e.write_unraisable(py, Some(callback.bind(py)));
    }
}

/// A 2-D input matrix: a float64 NumPy array borrowed as it is, or a converted copy.
enum Matrix<'py> {
    Borrowed(PyReadonlyArray2<'py, f64>),
    Owned(Array2<f64>),
}

impl Matrix<'_> {
    fn view(&self) -> ArrayView2<'_, f64> {
        match self {
            Matrix::Borrowed(a) => a.as_array(),
            Matrix::Owned(a) => a.view(),
        }
    }
}

/// `x` as a matrix: float64 without a copy, float32 converted; anything else is a `TypeError`
/// naming what was given.
fn matrix<'py>(x: &Bound<'py, PyAny>) -> PyResult<Matrix<'py>> {
    if let Ok(a) = x.extract::<PyReadonlyArray2<'py, f64>>() {
        return Ok(Matrix::Borrowed(a));
    }
    if let Ok(a) = x.extract::<PyReadonlyArray2<'py, f32>>() {
        return Ok(Matrix::Owned(a.as_array().mapv(f64::from)));
    }
    let kind = x
        .getattr("dtype")
        .map(|d| d.to_string())
        .unwrap_or_else(|_| x.get_type().to_string());
    let ndim = x
        .getattr("ndim")
        .map(|d| format!(", {d}-D"))
        .unwrap_or_default();
    Err(PyTypeError::new_err(format!(
        "X must be a 2-D float64 or float32 array, got {kind}{ndim}"
    )))
}

/// Every value finite and within the library's magnitude limit; the error names the row and
/// the column.
fn check_values(x: ArrayView2<f64>, names: &[String]) -> PyResult<()> {
    let limit = neon_xai::kernels::math::MAX_MAGNITUDE;
    if let Some(((row, col), v)) = x
        .indexed_iter()
        .find(|(_, v)| !v.is_finite() || v.abs() > limit)
    {
        let column = names.get(col).cloned().unwrap_or_else(|| col.to_string());
        let what = if v.is_finite() {
            format!("value {v:e} is beyond ±{limit:e}")
        } else {
            format!("value {v} is not a finite number")
        };
        return Err(neon_err(format!("X, row {row}, column {column}: {what}")));
    }
    Ok(())
}

/// A Python value for a fit parameter of kind `kind`.
fn param_value(p: &FitParam, value: &Bound<'_, PyAny>) -> PyResult<ParamValue> {
    let wrong = |what: &str| neon_err(format!("parameter {}: {what}, got {value}", p.name));
    match p.kind {
        ParamKind::Real => value
            .extract::<f64>()
            .map(ParamValue::Real)
            .map_err(|_| wrong("must be a number")),
        ParamKind::Count | ParamKind::Seed => {
            if value.is_instance_of::<pyo3::types::PyBool>() {
                return Err(wrong("must be a non-negative integer"));
            }
            value
                .extract::<u64>()
                .map(ParamValue::Integer)
                .map_err(|_| wrong("must be a non-negative integer"))
        }
        ParamKind::Choice(names) => {
            let text: String = value.extract().map_err(|_| wrong("must be a string"))?;
            names
                .iter()
                .find(|n| **n == text)
                .map(|n| ParamValue::Choice(n))
                .ok_or_else(|| wrong(&format!("must be one of {}", names.join(", "))))
        }
    }
}

/// Checked fit values of `params` (a dict; `None` values are left at their defaults).
fn fit_values(params: &[FitParam], given: &Bound<'_, PyDict>) -> PyResult<FitValues> {
    let mut values: Vec<(&'static str, ParamValue)> = Vec::new();
    for (key, value) in given.iter() {
        let key: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        let p = params.iter().find(|p| p.name == key).ok_or_else(|| {
            let known: Vec<&str> = params.iter().map(|p| p.name).collect();
            neon_err(format!(
                "parameter {key}: unknown parameter (this model takes: {})",
                known.join(", ")
            ))
        })?;
        values.push((p.name, param_value(p, &value)?));
    }
    FitValues::new(params, &values, false).map_err(neon_err)
}

/// A fitted model with its feature names and transform (the model files of `neon fit`).
#[pyclass(frozen, module = "neon_xai._core")]
pub struct Model {
    file: ModelFile,
}

impl Model {
    /// The query points in model space: the stored transform applied to `x` (no copy when the
    /// transform is the identity and `x` is float64), or the training rows (`None`).
    fn points<'py>(&self, x: Option<&Bound<'py, PyAny>>) -> PyResult<Option<Matrix<'py>>> {
        let Some(x) = x else {
            return Ok(None);
        };
        let m = matrix(x)?;
        let d = self.file.feature_names.len();
        if m.view().ncols() != d {
            return Err(neon_err(format!(
                "X has {} columns, the model has {d} features ({})",
                m.view().ncols(),
                self.file.feature_names.join(", ")
            )));
        }
        check_values(m.view(), &self.file.feature_names)?;
        if self.file.transform == FittedTransform::identity() {
            return Ok(Some(m));
        }
        let data = Dataset::new(self.file.feature_names.clone(), m.view().to_owned())
            .map_err(neon_err)?
            .with_source("X", 0);
        let values = self.file.transform.apply(&data).map_err(neon_err)?;
        Ok(Some(Matrix::Owned(values)))
    }

    fn target(&self, target: Option<&str>) -> PyResult<Target> {
        match target {
            Some(t) => t.parse().map_err(neon_err),
            None => Ok(self.file.model.default_target()),
        }
    }
}

/// The explanations of `rows` as NumPy arrays in a dict.
fn explanation_dict<'py>(
    py: Python<'py>,
    explanations: &[Explanation],
    d: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let n = explanations.len();
    let mut relevance = Array2::zeros((n, d));
    let mut std = explanations
        .iter()
        .any(|e| e.relevance_std.is_some())
        .then(|| Array2::from_elem((n, d), f64::NAN));
    for (i, e) in explanations.iter().enumerate() {
        relevance
            .row_mut(i)
            .assign(&ndarray::ArrayView1::from(&e.relevance));
        if let (Some(s), Some(values)) = (std.as_mut(), e.relevance_std.as_ref()) {
            s.row_mut(i).assign(&ndarray::ArrayView1::from(values));
        }
    }
    let column =
        |f: &dyn Fn(&Explanation) -> f64| -> Array1<f64> { explanations.iter().map(f).collect() };
    let dict = PyDict::new(py);
    dict.set_item("score", column(&|e| e.score).into_pyarray(py))?;
    dict.set_item("relevance", relevance.into_pyarray(py))?;
    dict.set_item(
        "relevance_sum",
        column(&|e| e.relevance_sum).into_pyarray(py),
    )?;
    dict.set_item("dissipated", column(&|e| e.dissipated).into_pyarray(py))?;
    match std {
        Some(s) => dict.set_item("std", s.into_pyarray(py))?,
        None => dict.set_item("std", py.None())?,
    }
    let clusters: Option<Vec<i64>> = explanations
        .iter()
        .map(|e| e.cluster.map(|c| c as i64))
        .collect();
    match clusters {
        Some(c) => dict.set_item("cluster", Array1::from(c).into_pyarray(py))?,
        None => dict.set_item("cluster", py.None())?,
    }
    let exact: Option<Vec<f64>> = explanations.iter().map(|e| e.exact_score).collect();
    match exact {
        Some(v) => dict.set_item("exact_score", Array1::from(v).into_pyarray(py))?,
        None => dict.set_item("exact_score", py.None())?,
    }
    Ok(dict)
}

#[pymethods]
impl Model {
    /// Fit a model of registry kind `name` on `x` (model space) with `params` (a dict of fit
    /// parameters; `None` values are left at their defaults).
    #[staticmethod]
    #[pyo3(signature = (name, x, params, feature_names=None))]
    fn fit(
        py: Python<'_>,
        name: &str,
        x: &Bound<'_, PyAny>,
        params: &Bound<'_, PyDict>,
        feature_names: Option<Vec<String>>,
    ) -> PyResult<Model> {
        let entry = entry(name).ok_or_else(|| {
            let names: Vec<&str> = REGISTRY.iter().map(|e| e.name).collect();
            neon_err(format!(
                "unknown model '{name}' (expected {})",
                names.join(", ")
            ))
        })?;
        let m = matrix(x)?;
        let d = m.view().ncols();
        let names = feature_names.unwrap_or_else(|| (0..d).map(|i| format!("x{i}")).collect());
        if names.len() != d {
            return Err(neon_err(format!(
                "{} feature names for {d} columns",
                names.len()
            )));
        }
        check_values(m.view(), &names)?;
        let values = fit_values(entry.params, params)?;
        let view = m.view();
        let model = py.detach(|| (entry.fit)(&values, view)).map_err(neon_err)?;
        Ok(Model {
            file: ModelFile::new(names, FittedTransform::identity(), model),
        })
    }

    /// Import a model fitted elsewhere from its matrix (the registry's import: k-means
    /// centroids; one-class SVM support vectors with their dual coefficients as a last column),
    /// the parameters the import reads (a one-class SVM's `gamma` and `rho`) and the training
    /// points `x` (model space).
    #[staticmethod]
    #[pyo3(signature = (name, matrix, params, x, feature_names=None))]
    fn import_matrix(
        name: &str,
        matrix: &Bound<'_, PyAny>,
        params: &Bound<'_, PyDict>,
        x: &Bound<'_, PyAny>,
        feature_names: Option<Vec<String>>,
    ) -> PyResult<Model> {
        let entry = entry(name).ok_or_else(|| neon_err(format!("unknown model '{name}'")))?;
        let import = entry
            .import
            .ok_or_else(|| neon_err(format!("model '{name}' is not imported from a matrix")))?;
        let points = self::matrix(x)?;
        let d = points.view().ncols();
        let names = feature_names.unwrap_or_else(|| (0..d).map(|i| format!("x{i}")).collect());
        check_values(points.view(), &names)?;
        let items = self::matrix(matrix)?.view().to_owned();
        let values = fit_values(&entry.import_params().unwrap_or_default(), params)?;
        let model = (import.build)(items, &values, points.view()).map_err(neon_err)?;
        Ok(Model {
            file: ModelFile::new(names, FittedTransform::identity(), model),
        })
    }

    /// A model from the JSON text of a model file.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Model> {
        Ok(Model {
            file: ModelFile::from_json(text, "<string>").map_err(neon_err)?,
        })
    }

    /// The model file as JSON text.
    fn to_json(&self) -> PyResult<String> {
        self.file.to_json().map_err(neon_err)
    }

    /// Pickling (and `copy.deepcopy`): the model travels as its model file, which round-trips
    /// every number exactly.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let rebuild = py.get_type::<Model>().getattr("from_json")?;
        Ok((rebuild, (self.to_json()?,)))
    }

    /// Read a model file (as `neon fit` writes it).
    #[staticmethod]
    fn load(path: std::path::PathBuf) -> PyResult<Model> {
        Ok(Model {
            file: ModelFile::load(&path).map_err(neon_err)?,
        })
    }

    /// Write the model file atomically.
    fn save(&self, path: std::path::PathBuf) -> PyResult<()> {
        self.file.save(&path).map_err(neon_err)
    }

    /// Registry name of the model.
    #[getter]
    fn name(&self) -> &'static str {
        self.file.model.name()
    }

    /// Feature names, in model order.
    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.file.feature_names.clone()
    }

    /// Number of features.
    #[getter]
    fn n_features(&self) -> usize {
        self.file.model.n_features()
    }

    /// Number of training rows.
    #[getter]
    fn n_training_rows(&self) -> usize {
        self.file.model.training_points().nrows()
    }

    /// The default target.
    #[getter]
    fn default_target(&self) -> String {
        self.file.model.default_target().to_string()
    }

    /// One line describing the fitted model.
    #[getter]
    fn summary(&self) -> String {
        self.file.model.model().summary()
    }

    /// Scores of the rows of `x` (raw values; `None`: the training rows, leave-one-out).
    #[pyo3(signature = (x=None, target=None))]
    fn score<'py>(
        &self,
        py: Python<'py>,
        x: Option<&Bound<'py, PyAny>>,
        target: Option<&str>,
    ) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
        let target = self.target(target)?;
        let points = self.points(x)?;
        let model = &self.file.model;
        let queries = match &points {
            Some(p) => Queries::Points(p.view()),
            None => Queries::LeaveOneOut,
        };
        let options = ExplainOptions::default();
        let scores = py
            .detach(|| model.score_rows(queries, None, target, &options))
            .map_err(neon_err)?;
        Ok(Array1::from(scores).into_pyarray(py))
    }

    /// The cluster of each row of `x` (clustering models), else `None`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, numpy::PyArray1<i64>>>> {
        let points = self.points(Some(x))?;
        let Some(p) = points else {
            return Ok(None);
        };
        let rows: Vec<usize> = (0..p.view().nrows()).collect();
        let clusters = self.file.model.clusters(Queries::Points(p.view()), &rows);
        Ok(clusters.map(|c| Array1::from_iter(c.into_iter().map(|v| v as i64)).into_pyarray(py)))
    }

    /// Explanations of the rows of `x` (raw values; `None`: the training rows,
    /// leave-one-out): a dict of NumPy arrays `score`, `relevance` (n × d), `relevance_sum`,
    /// `dissipated`, `std`, `cluster`, `exact_score` (the last three `None` where they do not
    /// apply). `method` is `neon` or a baseline (`shapley-exact`, `shapley-sampling`,
    /// `integrated-gradients`, `occlusion`).
    #[pyo3(signature = (
        x=None, target=None, rule=None, beta=None, epsilon=neon_xai::options::DEFAULT_EPSILON,
        n_features=2500, trials=1, seed=0, cluster=None, method="neon", samples=1000,
        steps=neon_xai::compare::DEFAULT_STEPS, progress=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        x: Option<&Bound<'py, PyAny>>,
        target: Option<&str>,
        rule: Option<&str>,
        beta: Option<f64>,
        epsilon: f64,
        n_features: usize,
        trials: usize,
        seed: u64,
        cluster: Option<usize>,
        method: &str,
        samples: usize,
        steps: usize,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let target = self.target(target)?;
        let options = ExplainOptions {
            beta,
            epsilon,
            n_features,
            trials,
            seed,
            rule: rule.map(str::parse).transpose().map_err(neon_err)?,
            cluster,
        };
        options.validate().map_err(neon_err)?;
        let method: Method = method.parse().map_err(neon_err)?;
        let points = self.points(x)?;
        let model = &self.file.model;
        let (queries, n_rows) = match &points {
            Some(p) => (Queries::Points(p.view()), p.view().nrows()),
            None => (Queries::LeaveOneOut, model.training_points().nrows()),
        };
        let rows: Vec<usize> = (0..n_rows).collect();
        let mut explanations: Vec<Explanation> = Vec::with_capacity(n_rows);
        let progress = Progress::new(progress, n_rows);
        // wall time inside the library (the cost without this layer's checks and copies)
        let mut library = Duration::ZERO;
        if method == Method::Neon {
            let start = Instant::now();
            let batch = BatchExplainer::new(model, target, &options, &Compute::default(), n_rows)
                .map_err(neon_err)?;
            library += start.elapsed();
            for chunk in rows.chunks(CHUNK_ROWS) {
                let start = Instant::now();
                let part = py.detach(|| batch.explain(queries, chunk, &|n| progress.add(n)));
                library += start.elapsed();
                explanations.extend(part);
                interrupted(py)?;
            }
        } else {
            let method_options = MethodOptions {
                samples,
                steps,
                seed,
                reference: Reference::TrainingMean,
            };
            method_options.validate().map_err(neon_err)?;
            for chunk in rows.chunks(CHUNK_ROWS) {
                let start = Instant::now();
                let part = py
                    .detach(|| {
                        explain_rows_with(
                            method,
                            model,
                            queries,
                            Some(chunk),
                            target,
                            &options,
                            &method_options,
                            &|| progress.add(1),
                        )
                    })
                    .map_err(neon_err)?;
                library += start.elapsed();
                explanations.extend(part.into_iter().map(|e| e.explanation));
                interrupted(py)?;
            }
        }
        progress.finish(py);
        for e in &explanations {
            e.check_finite().map_err(neon_err)?;
        }
        let dict = explanation_dict(py, &explanations, model.n_features())?;
        dict.set_item("target", target.to_string())?;
        dict.set_item(
            "rule",
            options
                .rule_for(model.model().capabilities(), target)
                .to_string(),
        )?;
        dict.set_item("beta", beta.unwrap_or_else(|| model.model().default_beta()))?;
        dict.set_item("method", method.to_string())?;
        dict.set_item("seconds", library.as_secs_f64())?;
        Ok(dict)
    }

    /// Faithfulness, agreement and cost of explanation methods on the rows of `x` (or the
    /// training rows, leave-one-out, when `x` is `None`), as `neon evaluate` computes them: the
    /// report as JSON text. `methods` defaults to every method (exact Shapley values only up to
    /// 20 features); `rules` (names or `["all"]`) and `beta_factors` add NEON variants;
    /// `rows` selects rows; `reference_row` replaces the training mean as the reference.
    #[pyo3(signature = (
        x=None, target=None, methods=None, rules=None, beta_factors=None, rows=None, rule=None,
        beta=None, n_features=2500, seed=0, cluster=None, samples=1000,
        steps=neon_xai::compare::DEFAULT_STEPS, reference_row=None, random_orders=10,
        marginal_draws=16, progress=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &self,
        py: Python<'_>,
        x: Option<&Bound<'_, PyAny>>,
        target: Option<&str>,
        methods: Option<Vec<String>>,
        rules: Option<Vec<String>>,
        beta_factors: Option<Vec<f64>>,
        rows: Option<Vec<usize>>,
        rule: Option<&str>,
        beta: Option<f64>,
        n_features: usize,
        seed: u64,
        cluster: Option<usize>,
        samples: usize,
        steps: usize,
        reference_row: Option<usize>,
        random_orders: usize,
        marginal_draws: usize,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        let target = self.target(target)?;
        let model = &self.file.model;
        let options = ExplainOptions {
            beta,
            n_features,
            seed,
            rule: rule.map(str::parse).transpose().map_err(neon_err)?,
            cluster,
            ..Default::default()
        };
        options.validate().map_err(neon_err)?;
        let variants =
            match (&rules, &beta_factors) {
                (None, None) => Vec::new(),
                (None, Some(_)) => return Err(neon_err(
                    "parameter beta_factors: applies with rules (give rules=[\"all\"] or names)",
                )),
                (Some(names), factors) => {
                    let factors = factors.clone().unwrap_or_else(|| vec![1.0]);
                    let all = NeonVariant::grid(model, target, &factors);
                    if names.iter().any(|n| n == "all") {
                        all
                    } else {
                        let chosen: Vec<RuleSet> = names
                            .iter()
                            .map(|n| n.parse())
                            .collect::<Result<_, _>>()
                            .map_err(neon_err)?;
                        for r in &chosen {
                            if let Some(e) = model.entry() {
                                e.check(target, *r).map_err(neon_err)?;
                            }
                        }
                        all.into_iter()
                            .filter(|v| chosen.contains(&v.rule))
                            .collect()
                    }
                }
            };
        let d = model.n_features();
        let methods: Vec<Method> = match methods {
            Some(names) => names
                .iter()
                .map(|n| n.parse::<Method>())
                .collect::<Result<_, _>>()
                .map_err(neon_err)?,
            None => Method::ALL
                .into_iter()
                .filter(|&m| m != Method::ShapleyExact || d <= MAX_EXACT_FEATURES)
                .collect(),
        };
        let config = EvaluationConfig {
            methods,
            method_options: MethodOptions {
                samples,
                steps,
                seed,
                reference: reference_row.map_or(Reference::TrainingMean, Reference::TrainingRow),
            },
            random_orders,
            marginal_draws,
            variants,
        };
        config.validate().map_err(neon_err)?;
        let points = self.points(x)?;
        let (queries, n_rows) = match &points {
            Some(p) => (Queries::Points(p.view()), p.view().nrows()),
            None => (Queries::LeaveOneOut, model.training_points().nrows()),
        };
        let rows = neon_xai::models::resolve_rows(rows.as_deref(), n_rows).map_err(neon_err)?;
        let total = rows.len() * (config.methods.len() + config.variants.len() + 1);
        let progress = Progress::new(progress, total);
        let report = py
            .detach(|| {
                evaluate(
                    model,
                    queries,
                    Some(&rows),
                    target,
                    &options,
                    &config,
                    &|| progress.add(1),
                )
            })
            .map_err(neon_err)?;
        progress.finish(py);
        serde_json::to_string(&report).map_err(neon_err)
    }
}

/// A pending Ctrl-C as `KeyboardInterrupt`.
fn interrupted(py: Python<'_>) -> PyResult<()> {
    py.check_signals().map_err(|e| {
        if e.is_instance_of::<PyKeyboardInterrupt>(py) {
            e
        } else {
            PyKeyboardInterrupt::new_err(e.to_string())
        }
    })
}

/// The registry: one dict per model kind with its name, description, targets (each with its
/// rule sets, the first the default) and fit parameters (name, kind, default, choices, help).
#[pyfunction]
fn registry(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for e in REGISTRY {
        let item = PyDict::new(py);
        item.set_item("name", e.name)?;
        item.set_item("about", e.about)?;
        let targets = PyDict::new(py);
        for (t, rules) in e.capabilities {
            let names: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
            targets.set_item(t.to_string(), names)?;
        }
        item.set_item("targets", targets)?;
        let params = PyList::empty(py);
        for p in e.params {
            let d = PyDict::new(py);
            d.set_item("name", p.name)?;
            d.set_item("help", p.help)?;
            let (kind, choices): (&str, Vec<&str>) = match p.kind {
                ParamKind::Real => ("real", vec![]),
                ParamKind::Count => ("count", vec![]),
                ParamKind::Seed => ("seed", vec![]),
                ParamKind::Choice(names) => ("choice", names.to_vec()),
            };
            d.set_item("kind", kind)?;
            d.set_item("choices", choices)?;
            match p.default {
                Some(ParamValue::Real(v)) => d.set_item("default", v)?,
                Some(ParamValue::Integer(v)) => d.set_item("default", v)?,
                Some(ParamValue::Choice(v)) => d.set_item("default", v)?,
                None => d.set_item("default", py.None())?,
            }
            d.set_item("alternative", p.alternative)?;
            params.append(d)?;
        }
        item.set_item("params", params)?;
        list.append(item)?;
    }
    Ok(list)
}

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(registry, m)?)?;
    m.add("NeonError", m.py().get_type::<NeonError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
