//! Streaming `neon explain`: the data is read, explained and written chunk by chunk, so a CSV
//! file larger than memory is explained in bounded memory, and results appear as they are
//! ready. Used when `--chunk-rows`, `--tolerance` or `--precision f32` is given, or
//! automatically for `--data` files larger than [`AUTO_STREAM_BYTES`].

use crate::cli::{ExplainArgs, Format};
use crate::output::{num, short};
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ndarray::Array2;
use neon::data::is_npy;
use neon::kernels::{ApproxKde, ApproxOutlier, BatchExplainer, Compute, Precision};
use neon::models::{FittedModel, Queries, Target};
use neon::{Dataset, Explanation, ModelFile, NeonError};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// `--data` files larger than this are streamed even without `--chunk-rows`.
pub const AUTO_STREAM_BYTES: u64 = 256 << 20;

/// Rows per chunk when streaming without `--chunk-rows`.
pub const DEFAULT_CHUNK_ROWS: usize = 65_536;

/// Scale options of `neon explain`.
#[derive(Debug, Clone, Args)]
pub struct ScaleArgs {
    /// Explain the data in chunks of this many rows, writing each chunk's results before
    /// reading the next (memory bounded by the chunk, for files larger than memory). Automatic,
    /// with 65536 rows, for --data files over 256 MiB. Output appears in file order.
    #[arg(long)]
    pub chunk_rows: Option<usize>,
    /// Approximate KDE outlier explanation: leave out training points whose kernel weight
    /// relative to the nearest one is below this (0 < τ < 1). Each row reports certified
    /// bounds: neglected_mass, score_bound (ô − o ≤ it), relevance_bound (L1).
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Precision of the blocked kernels: f64, or f32 (faster; within 1e-3 of f64 on
    /// standardized data; KDE only, random features and k-means stay f64).
    #[arg(long, default_value = "f64")]
    pub precision: Precision,
}

/// Whether `neon explain` should stream (an error for scale options with another method).
pub fn wanted(args: &ExplainArgs) -> anyhow::Result<bool> {
    let scale = &args.scale;
    let explicit = scale.chunk_rows.is_some()
        || scale.tolerance.is_some()
        || scale.precision != Precision::F64;
    if args.method != "neon" {
        if explicit {
            anyhow::bail!("--chunk-rows, --tolerance and --precision apply to --method neon only");
        }
        return Ok(false);
    }
    let big = args.query.data.as_deref().is_some_and(|path| {
        !is_npy(path) && std::fs::metadata(path).is_ok_and(|m| m.len() > AUTO_STREAM_BYTES)
    });
    Ok(explicit || big)
}

/// Stream `neon explain`.
pub fn explain(args: ExplainArgs, show_progress: bool) -> anyhow::Result<()> {
    let target: Target = args.target.parse()?;
    let options = super::explain::options(&args)?;
    let chunk_rows = args.scale.chunk_rows.unwrap_or(DEFAULT_CHUNK_ROWS);
    if chunk_rows == 0 {
        anyhow::bail!("--chunk-rows must be at least 1");
    }
    let file = ModelFile::load(&args.query.model)?;
    let model = &file.model;
    let compute = Compute {
        precision: args.scale.precision,
        ..Compute::default()
    };
    let engine = match args.scale.tolerance {
        Some(tolerance) => match (model, target) {
            (FittedModel::Kde(kde), Target::Outlier) => Engine::Approx {
                approx: ApproxKde::new(kde, tolerance, compute.tiles)?,
                beta: args.beta.unwrap_or(kde.gamma),
                epsilon: args.epsilon,
            },
            _ => anyhow::bail!("--tolerance applies to KDE models with --target outlier"),
        },
        None => Engine::Exact(BatchExplainer::new(model, target, &options, &compute)?),
    };
    let mut source = Source::open(&args, &file)?;
    let wanted_rows: Option<BTreeSet<usize>> = args
        .query
        .rows
        .as_ref()
        .map(|r| r.iter().copied().collect());
    if let (Some(rows), Some(total)) = (&wanted_rows, source.total_rows()) {
        if let Some(&row) = rows.iter().find(|&&r| r >= total) {
            return Err(NeonError::RowOutOfRange { row, n_rows: total }.into());
        }
    }

    let beta_used = match (model, args.beta) {
        (_, Some(b)) => b,
        (FittedModel::Kde(k), None) => k.gamma,
        (FittedModel::Kmeans(k), None) => k.beta_auto,
    };
    let parameters = serde_json::json!({
        "model": model.name(),
        "beta": beta_used,
        "epsilon": args.epsilon,
        "n_features": args.n_features,
        "trials": args.trials,
        "seed": args.seed,
        "leave_one_out": args.query.data.is_none(),
        "precision": args.scale.precision.to_string(),
        "tolerance": args.scale.tolerance,
        "chunk_rows": chunk_rows,
    });
    let mut sink = Sink::open(args.query.output.as_deref())?;
    let mut writer = RowWriter::new(
        args.query.format,
        target,
        &file.feature_names,
        args.scale.tolerance.is_some(),
    );
    writer.header(&mut sink, parameters)?;

    let bar = progress_bar(show_progress, source.total_rows());
    let mut seen = 0usize;
    let result = (|| -> anyhow::Result<()> {
        while let Some(chunk) = source.next_chunk(chunk_rows)? {
            if let Some(estimate) = source.estimated_total(chunk.start + chunk.len) {
                bar.set_length(estimate.max(bar.position()));
            }
            let start = chunk.start;
            let local: Vec<usize> = (0..chunk.len)
                .filter(|i| {
                    wanted_rows
                        .as_ref()
                        .is_none_or(|w| w.contains(&(start + i)))
                })
                .collect();
            seen = start + chunk.len;
            let tick = |n: usize| bar.inc(n as u64);
            let (queries, rows): (Queries<'_>, Vec<usize>) = match &chunk.points {
                Some(points) => (Queries::Points(points.view()), local),
                None => (
                    Queries::LeaveOneOut,
                    local.iter().map(|i| start + i).collect(),
                ),
            };
            let offset = if chunk.points.is_some() { start } else { 0 };
            match &engine {
                Engine::Exact(batch) => {
                    for mut e in batch.explain(queries, &rows, &tick) {
                        e.row += offset;
                        writer.explanation(&mut sink, &e, None)?;
                    }
                }
                Engine::Approx {
                    approx,
                    beta,
                    epsilon,
                } => {
                    let (points, loo) = match queries {
                        Queries::Points(p) => (p, false),
                        Queries::LeaveOneOut => (model.training_points(), true),
                    };
                    for ApproxOutlier {
                        mut explanation,
                        bound,
                    } in approx.explain_outlier(points, &rows, loo, *beta, *epsilon, &tick)
                    {
                        explanation.row += offset;
                        writer.explanation(&mut sink, &explanation, Some(&bound))?;
                    }
                }
            }
            sink.flush()?;
        }
        if let Some(&row) = wanted_rows
            .as_ref()
            .and_then(|w| w.iter().find(|&&r| r >= seen))
        {
            return Err(NeonError::RowOutOfRange { row, n_rows: seen }.into());
        }
        writer.footer(&mut sink)?;
        Ok(())
    })();
    bar.finish_and_clear();
    match result {
        Ok(()) => sink.commit(),
        Err(e) => {
            sink.abandon();
            Err(e)
        }
    }
}

/// The exact (blocked) or approximate engine, prepared once for all chunks.
enum Engine<'a> {
    Exact(BatchExplainer<'a>),
    Approx {
        approx: ApproxKde<'a>,
        beta: f64,
        epsilon: f64,
    },
}

fn progress_bar(show: bool, total: Option<usize>) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(
        Some(total.unwrap_or(0) as u64),
        ProgressDrawTarget::stderr(),
    );
    let style = ProgressStyle::with_template(
        "{msg} [{bar:20}] {human_pos}/{human_len} rows, {per_sec}, eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message("explaining");
    bar
}

/// One chunk of rows: model-space points (`None`: leave-one-out on training rows
/// `start..start + len`).
struct Chunk {
    start: usize,
    len: usize,
    points: Option<Array2<f64>>,
}

/// Where rows come from.
enum Source<'a> {
    LeaveOneOut { n: usize, next: usize },
    Memory { points: Array2<f64>, next: usize },
    Csv(Box<CsvChunks<'a>>),
}

impl<'a> Source<'a> {
    fn open(args: &ExplainArgs, file: &'a ModelFile) -> anyhow::Result<Self> {
        match &args.query.data {
            None if args.query.leave_one_out => Ok(Source::LeaveOneOut {
                n: file.model.training_points().nrows(),
                next: 0,
            }),
            None => anyhow::bail!(
                "give --data FILE (new points) or --leave-one-out (the model's own training rows)"
            ),
            Some(path) if is_npy(path) => {
                let data = Dataset::load(path, Some(&file.feature_names))?;
                Ok(Source::Memory {
                    points: file.transform.apply(&data)?,
                    next: 0,
                })
            }
            Some(path) => Ok(Source::Csv(Box::new(CsvChunks::open(path, file)?))),
        }
    }

    fn total_rows(&self) -> Option<usize> {
        match self {
            Source::LeaveOneOut { n, .. } => Some(*n),
            Source::Memory { points, .. } => Some(points.nrows()),
            Source::Csv(_) => None,
        }
    }

    /// Estimated number of rows, from the bytes read so far (CSV only).
    fn estimated_total(&self, rows_read: usize) -> Option<u64> {
        match self {
            Source::Csv(csv) => {
                let read = csv.reader.position().byte().max(1);
                let per_row = read as f64 / rows_read.max(1) as f64;
                let rest = csv.size.saturating_sub(read) as f64 / per_row.max(1.0);
                Some(rows_read as u64 + rest.round() as u64)
            }
            _ => None,
        }
    }

    fn next_chunk(&mut self, max: usize) -> anyhow::Result<Option<Chunk>> {
        Ok(match self {
            Source::LeaveOneOut { n, next } => (*next < *n).then(|| {
                let start = *next;
                let len = max.min(*n - start);
                *next += len;
                Chunk {
                    start,
                    len,
                    points: None,
                }
            }),
            Source::Memory { points, next } => {
                let n = points.nrows();
                (*next < n).then(|| {
                    let start = *next;
                    let len = max.min(n - start);
                    *next += len;
                    Chunk {
                        start,
                        len,
                        points: Some(
                            points
                                .slice_axis(
                                    ndarray::Axis(0),
                                    ndarray::Slice::from(start..start + len),
                                )
                                .to_owned(),
                        ),
                    }
                })
            }
            Source::Csv(csv) => csv.next_chunk(max)?,
        })
    }
}

/// A CSV file read `max` rows at a time, with the model's columns picked by name and its
/// transform applied; errors name the file, spreadsheet row and column.
struct CsvChunks<'a> {
    reader: csv::Reader<File>,
    name: String,
    size: u64,
    header: Vec<String>,
    columns: Vec<usize>,
    model: &'a ModelFile,
    record: csv::StringRecord,
    /// Data rows read so far.
    rows: usize,
    /// Records read so far (blank lines included), for spreadsheet row numbers.
    records: usize,
}

impl<'a> CsvChunks<'a> {
    fn open(path: &Path, model: &'a ModelFile) -> anyhow::Result<Self> {
        let name = path.display().to_string();
        let handle = File::open(path).map_err(|e| NeonError::io(path, e))?;
        let size = handle.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(handle);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| NeonError::Csv {
                file: name.clone(),
                row: 1,
                message: e.to_string(),
            })?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let columns = model
            .feature_names
            .iter()
            .map(|f| {
                header
                    .iter()
                    .position(|h| h == f)
                    .ok_or_else(|| NeonError::UnknownColumn {
                        file: name.clone(),
                        column: f.clone(),
                        available: header.join(","),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CsvChunks {
            reader,
            name,
            size,
            header,
            columns,
            model,
            record: csv::StringRecord::new(),
            rows: 0,
            records: 0,
        })
    }

    fn next_chunk(&mut self, max: usize) -> anyhow::Result<Option<Chunk>> {
        let d = self.columns.len();
        let start = self.rows;
        let mut values: Vec<f64> = Vec::with_capacity(max.min(1 << 20) * d);
        let mut len = 0;
        while len < max {
            let row = self.records + 2;
            let more = self
                .reader
                .read_record(&mut self.record)
                .map_err(|e| NeonError::Csv {
                    file: self.name.clone(),
                    row,
                    message: e.to_string(),
                })?;
            if !more {
                break;
            }
            self.records += 1;
            let record = &self.record;
            if record.len() == 1 && record.get(0).is_some_and(|c| c.trim().is_empty()) {
                continue;
            }
            if record.len() != self.header.len() {
                return Err(NeonError::RaggedRow {
                    file: self.name.clone(),
                    row,
                    expected: self.header.len(),
                    found: record.len(),
                }
                .into());
            }
            for &c in &self.columns {
                let cell = record.get(c).unwrap_or("");
                let value: f64 = cell.trim().parse().map_err(|_| NeonError::NonNumeric {
                    file: self.name.clone(),
                    row,
                    column: self.header[c].clone(),
                    value: cell.to_string(),
                })?;
                if !value.is_finite() {
                    return Err(NeonError::NonFinite {
                        file: self.name.clone(),
                        row,
                        column: self.header[c].clone(),
                        value: cell.trim().to_string(),
                    }
                    .into());
                }
                values.push(value);
            }
            len += 1;
        }
        if len == 0 {
            if start == 0 {
                return Err(NeonError::EmptyFile {
                    file: self.name.clone(),
                }
                .into());
            }
            return Ok(None);
        }
        self.rows += len;
        let raw = Array2::from_shape_vec((len, d), values)?;
        // spreadsheet row of data row i of this chunk: i + 2 + start (no blank lines before)
        let data = Dataset::new(self.model.feature_names.clone(), raw)?
            .with_source(self.name.clone(), 1 + start);
        let points =
            self.model.transform.apply(&data).with_context(|| {
                format!("{}: rows {}..{}", self.name, start + 2, start + len + 1)
            })?;
        Ok(Some(Chunk {
            start,
            len,
            points: Some(points),
        }))
    }
}

/// Output file written to a temporary sibling and renamed into place at the end, or stdout.
enum Sink {
    File {
        writer: BufWriter<File>,
        tmp: PathBuf,
        path: PathBuf,
    },
    Stdout(BufWriter<std::io::Stdout>),
}

impl Sink {
    fn open(path: Option<&Path>) -> anyhow::Result<Self> {
        Ok(match path {
            Some(path) => {
                let tmp = neon::io::temp_sibling(path);
                let file = File::create(&tmp).map_err(|e| NeonError::io(path, e))?;
                Sink::File {
                    writer: BufWriter::new(file),
                    tmp,
                    path: path.to_path_buf(),
                }
            }
            None => Sink::Stdout(BufWriter::new(std::io::stdout())),
        })
    }

    fn commit(self) -> anyhow::Result<()> {
        match self {
            Sink::File { writer, tmp, path } => {
                let file = writer
                    .into_inner()
                    .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.error()))?;
                file.sync_all()
                    .and_then(|_| std::fs::rename(&tmp, &path))
                    .map_err(|e| {
                        let _ = std::fs::remove_file(&tmp);
                        NeonError::io(&path, e)
                    })?;
                eprintln!("wrote {}", path.display());
                Ok(())
            }
            Sink::Stdout(mut w) => Ok(w.flush()?),
        }
    }

    fn abandon(self) {
        if let Sink::File { tmp, .. } = self {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::File { writer, .. } => writer.write(buf),
            Sink::Stdout(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::File { writer, .. } => writer.flush(),
            Sink::Stdout(w) => w.flush(),
        }
    }
}

/// Writes explanations one at a time in the chosen format. The columns depend only on the
/// target (and approximate mode), so the header can be written before the first row.
struct RowWriter<'a> {
    format: Format,
    features: &'a [String],
    target: Target,
    approx: bool,
    written: usize,
    widths: Vec<usize>,
}

const TABLE_WIDTH: usize = 11;

impl<'a> RowWriter<'a> {
    fn new(format: Format, target: Target, features: &'a [String], approx: bool) -> Self {
        RowWriter {
            format,
            features,
            target,
            approx,
            written: 0,
            widths: Vec::new(),
        }
    }

    fn columns(&self) -> Vec<String> {
        let f = self.features;
        let mut header = vec!["row".to_string(), "score".to_string()];
        header.extend(f.iter().map(|f| format!("relevance_{f}")));
        header.extend(["relevance_sum".to_string(), "dissipated".to_string()]);
        if self.target == Target::InlierRff {
            header.extend(f.iter().map(|f| format!("std_{f}")));
        }
        if self.target == Target::Cluster {
            header.push("cluster".into());
        }
        if self.target == Target::InlierRff {
            header.push("exact_score".into());
        }
        if self.approx {
            header.extend(
                ["neglected_mass", "score_bound", "relevance_bound", "n_used"].map(String::from),
            );
        }
        header
    }

    fn header(&mut self, out: &mut dyn Write, parameters: serde_json::Value) -> anyhow::Result<()> {
        match self.format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(self.columns())?;
                out.write_all(&w.into_inner()?)?;
            }
            Format::Json => {
                let head = serde_json::json!({
                    "target": self.target.to_string(),
                    "features": self.features,
                    "parameters": parameters,
                });
                let text = serde_json::to_string(&head)?;
                // reopen the object to append the explanations array
                let open = text.strip_suffix('}').unwrap_or(&text);
                write!(out, "{open},\"explanations\":[")?;
            }
            Format::Jsonl => {}
            Format::Table => {
                let mut header = vec!["row".to_string(), "score".to_string()];
                header.extend(self.features.iter().cloned());
                header.extend(["sum".to_string(), "dissipated".to_string()]);
                if self.target == Target::Cluster {
                    header.push("cluster".into());
                }
                if self.approx {
                    header.extend(["neglected".to_string(), "score_bound".to_string()]);
                }
                self.widths = header
                    .iter()
                    .map(|h| h.chars().count().max(TABLE_WIDTH))
                    .collect();
                writeln!(out, "{}", table_line(&header, &self.widths))?;
            }
        }
        Ok(())
    }

    fn explanation(
        &mut self,
        out: &mut dyn Write,
        e: &Explanation,
        bound: Option<&neon::kernels::ApproxBound>,
    ) -> anyhow::Result<()> {
        match self.format {
            Format::Csv => {
                let mut record = vec![e.row.to_string(), num(e.score)];
                record.extend(e.relevance.iter().map(|v| num(*v)));
                record.extend([num(e.relevance_sum), num(e.dissipated)]);
                if self.target == Target::InlierRff {
                    let std = e.relevance_std.clone().unwrap_or_default();
                    record.extend(std.iter().map(|v| num(*v)));
                }
                if self.target == Target::Cluster {
                    record.push(e.cluster.map(|c| c.to_string()).unwrap_or_default());
                }
                if self.target == Target::InlierRff {
                    record.push(e.exact_score.map(num).unwrap_or_default());
                }
                if let Some(b) = bound {
                    record.extend([
                        num(b.neglected_mass),
                        num(b.score_bound),
                        num(b.relevance_bound),
                        b.n_used.to_string(),
                    ]);
                }
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(&record)?;
                out.write_all(&w.into_inner()?)?;
            }
            Format::Json | Format::Jsonl => {
                let mut value = serde_json::to_value(e)?;
                if let (Some(b), Some(map)) = (bound, value.as_object_mut()) {
                    map.insert("bound".into(), serde_json::to_value(b)?);
                }
                let text = serde_json::to_string(&value)?;
                if self.format == Format::Json {
                    let sep = if self.written == 0 { "\n" } else { ",\n" };
                    write!(out, "{sep}{text}")?;
                } else {
                    writeln!(out, "{text}")?;
                }
            }
            Format::Table => {
                let mut cells = vec![e.row.to_string(), short(e.score)];
                cells.extend(e.relevance.iter().map(|r| short(*r)));
                cells.extend([short(e.relevance_sum), short(e.dissipated)]);
                if self.target == Target::Cluster {
                    cells.push(e.cluster.map(|c| c.to_string()).unwrap_or_default());
                }
                if let Some(b) = bound {
                    cells.extend([short(b.neglected_mass), short(b.score_bound)]);
                }
                writeln!(out, "{}", table_line(&cells, &self.widths))?;
            }
        }
        self.written += 1;
        Ok(())
    }

    fn footer(&mut self, out: &mut dyn Write) -> anyhow::Result<()> {
        if self.format == Format::Json {
            writeln!(out, "\n]}}")?;
        }
        Ok(())
    }
}

fn table_line(cells: &[String], widths: &[usize]) -> String {
    cells
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c:>w$}", w = widths.get(i).copied().unwrap_or(TABLE_WIDTH)))
        .collect::<Vec<_>>()
        .join(" ")
}
