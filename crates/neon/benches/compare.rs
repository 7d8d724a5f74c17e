//! NEON against the baselines of `neon_xai::compare`: explaining all 440 rows of the Wholesale data
//! (§5.1: Fresh, Milk, Grocery, Frozen, Detergents_Paper, Delicassen, log then standardized) for
//! the KDE outlier target (γ = 1, leave-one-out) and the k-means cluster target (K = 6), with
//! NEON, exact Shapley (64 coalitions), permutation-sampling Shapley (1000 orderings) and
//! integrated gradients (64 steps).
//!
//! `cargo bench -p neon-xai --bench compare`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;
use neon_xai::compare::{explain_rows_with, Method, MethodOptions};
use neon_xai::data::transform::{FittedTransform, TransformStep};
use neon_xai::models::{
    ExplainOptions, FittedModel, KMeans, KMeansParams, Kde, KdeParams, Queries,
};
use neon_xai::{Dataset, Target};
use std::path::PathBuf;
use std::time::Duration;

fn wholesale() -> Array2<f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/wholesale_customers.csv");
    let columns: Vec<String> = [
        "Fresh",
        "Milk",
        "Grocery",
        "Frozen",
        "Detergents_Paper",
        "Delicassen",
    ]
    .map(String::from)
    .to_vec();
    let data = Dataset::from_csv(&path, Some(&columns)).expect("wholesale data");
    FittedTransform::fit(&[TransformStep::Log, TransformStep::Standardize], &data)
        .expect("transform")
        .1
}

fn bench_compare(c: &mut Criterion) {
    let points = wholesale();
    let kde = FittedModel::Kde(Kde::fit(KdeParams::new(1.0), points.view()).expect("kde"));
    let kmeans = FittedModel::Kmeans(
        KMeans::fit(KMeansParams::new(6).seed(0), points.view()).expect("k-means"),
    );
    let method_options = MethodOptions {
        samples: 1000,
        ..Default::default()
    };
    let methods = [
        Method::Neon,
        Method::ShapleyExact,
        Method::ShapleySampling,
        Method::IntegratedGradients,
    ];
    for (model, target) in [(&kde, Target::Outlier), (&kmeans, Target::Cluster)] {
        let mut group = c.benchmark_group(format!("wholesale-440-{target}"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        for method in methods {
            group.bench_function(BenchmarkId::from_parameter(method), |b| {
                b.iter(|| {
                    explain_rows_with(
                        method,
                        model,
                        Queries::LeaveOneOut,
                        None,
                        target,
                        &ExplainOptions::default(),
                        &method_options,
                        &|| {},
                    )
                    .expect("explain")
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_compare);
criterion_main!(benches);
