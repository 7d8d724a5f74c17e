//! `neon fit kde|kmeans`.

use crate::cli::{DataArgs, FitCommand};
use anyhow::Context;
use ndarray::Array2;
use neon::data::transform::parse_steps;
use neon::data::FittedTransform;
use neon::models::{FittedModel, KMeans, KMeansParams, Kde, KdeParams};
use neon::{Dataset, ModelFile};

/// Load the data and fit its transform.
fn load(data: &DataArgs) -> anyhow::Result<(Dataset, FittedTransform, Array2<f64>)> {
    let steps = parse_steps(&data.transform)?;
    let dataset = Dataset::load(&data.data, data.columns.as_deref())?;
    let (transform, values) = FittedTransform::fit(&steps, &dataset)?;
    Ok((dataset, transform, values))
}

pub fn run(command: FitCommand) -> anyhow::Result<()> {
    let (file, output) = match command {
        FitCommand::Kde {
            data,
            gamma,
            output,
        } => {
            let (dataset, transform, values) = load(&data)?;
            let kde = Kde::fit(KdeParams::new(gamma), values.view())?;
            eprintln!(
                "fitted KDE: {} points, {} features, gamma = {gamma}",
                values.nrows(),
                values.ncols()
            );
            let names = dataset.feature_names().to_vec();
            (
                ModelFile::new(names, transform, FittedModel::Kde(kde)),
                output,
            )
        }
        FitCommand::Kmeans {
            data,
            n_clusters,
            n_init,
            max_iter,
            tol,
            seed,
            centroids,
            output,
        } => {
            let (dataset, transform, values) = load(&data)?;
            let model = match (centroids, n_clusters) {
                (Some(path), _) => {
                    let c = Dataset::load(&path, Some(dataset.feature_names()))
                        .with_context(|| format!("reading centroids from {}", path.display()))?;
                    KMeans::from_centroids(c.values().to_owned(), values.view())?
                }
                (None, Some(k)) => {
                    let params = KMeansParams::new(k)
                        .n_init(n_init)
                        .max_iter(max_iter)
                        .tol(tol)
                        .seed(seed);
                    KMeans::fit(params, values.view())?
                }
                (None, None) => anyhow::bail!("give --n-clusters or --centroids"),
            };
            eprintln!(
                "fitted k-means: {} clusters, inertia = {:.6}, iterations = {}, beta_auto = {:.6}",
                model.n_clusters(),
                model.inertia,
                model.n_iter,
                model.beta_auto
            );
            let names = dataset.feature_names().to_vec();
            (
                ModelFile::new(names, transform, FittedModel::Kmeans(model)),
                output,
            )
        }
    };
    file.save(&output)?;
    eprintln!("wrote {}", output.display());
    Ok(())
}
