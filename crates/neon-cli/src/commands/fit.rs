//! `neon fit MODEL`: fit (or import) any model of the registry and write its model file.

use crate::cli::{DataArgs, FitArgs};
use ndarray::Array2;
use neon_xai::data::transform::parse_steps;
use neon_xai::data::{FittedTransform, MissingValues};
use neon_xai::models::{entry, FitValues, Model};
use neon_xai::{Dataset, ModelFile};

/// Load the data and fit its transform.
fn load(data: &DataArgs) -> anyhow::Result<(Dataset, FittedTransform, Array2<f64>)> {
    let steps = parse_steps(&data.transform)?;
    let policy: MissingValues = data.missing.parse()?;
    let (dataset, report) =
        Dataset::load_with_missing(&data.data, data.columns.as_deref(), policy)?;
    if !report.is_empty() {
        eprintln!("{}: {report}", data.data.display());
    }
    let (transform, values) = FittedTransform::fit(&steps, &dataset)?;
    Ok((dataset, transform, values))
}

pub fn run(args: FitArgs) -> anyhow::Result<()> {
    let entry =
        entry(&args.model).ok_or_else(|| anyhow::anyhow!("unknown model '{}'", args.model))?;
    let (dataset, transform, values) = load(&args.data)?;
    let model = match (&args.import, entry.import) {
        (Some(path), Some(import)) => {
            // the library's error names the file; say which option it came from
            let mut columns = dataset.feature_names().to_vec();
            columns.extend(import.extra_columns.iter().map(|c| c.to_string()));
            let matrix = Dataset::load(path, Some(&columns))
                .map_err(|e| anyhow::anyhow!("--{}: {e}", import.name.replace('_', "-")))?;
            let params = entry.import_params().unwrap_or_default();
            let checked = FitValues::new(&params, &args.values, false)?;
            (import.build)(matrix.values().to_owned(), &checked, values.view())?
        }
        _ => {
            for p in entry.params {
                let is_given = |name: &str| args.values.iter().any(|(n, _)| *n == name);
                let given = is_given(p.name) || p.alternative.is_some_and(is_given);
                if let (None, Some(rule), false) = (p.default, p.rule_of_thumb, given) {
                    let flag = format!("--{}", p.name.replace('_', "-"));
                    let suggestion = match (rule.compute)(values.view()) {
                        Some(v) => format!("; on this data that is {flag} {v:.4}"),
                        None => String::new(),
                    };
                    let or = p.alternative.map_or(String::new(), |a| {
                        format!(", or --{} to choose it from the data", a.replace('_', "-"))
                    });
                    anyhow::bail!("give {flag} (rule of thumb: {}{suggestion}{or})", rule.text);
                }
            }
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
