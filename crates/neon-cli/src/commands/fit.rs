//! `neon fit MODEL`: fit (or import) any model of the registry and write its model file.

use crate::cli::{DataArgs, FitArgs};
use anyhow::Context;
use ndarray::Array2;
use neon::data::transform::parse_steps;
use neon::data::FittedTransform;
use neon::models::{entry, FitValues, Model};
use neon::{Dataset, ModelFile};

/// Load the data and fit its transform.
fn load(data: &DataArgs) -> anyhow::Result<(Dataset, FittedTransform, Array2<f64>)> {
    let steps = parse_steps(&data.transform)?;
    let dataset = Dataset::load(&data.data, data.columns.as_deref())?;
    let (transform, values) = FittedTransform::fit(&steps, &dataset)?;
    Ok((dataset, transform, values))
}

pub fn run(args: FitArgs) -> anyhow::Result<()> {
    let entry =
        entry(&args.model).ok_or_else(|| anyhow::anyhow!("unknown model '{}'", args.model))?;
    let (dataset, transform, values) = load(&args.data)?;
    let model = match (&args.import, entry.import) {
        (Some(path), Some(import)) => {
            let matrix = Dataset::load(path, Some(dataset.feature_names()))
                .with_context(|| format!("reading {} from {}", import.name, path.display()))?;
            (import.build)(matrix.values().to_owned(), values.view())?
        }
        _ => {
            let checked = FitValues::new(entry.params, &args.values, false)?;
            (entry.fit)(&checked, values.view())?
        }
    };
    eprintln!("fitted {}", model.summary());
    let file = ModelFile::new(dataset.feature_names().to_vec(), transform, model);
    file.save(&args.output)?;
    eprintln!("wrote {}", args.output.display());
    Ok(())
}
