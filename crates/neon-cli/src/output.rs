//! Rendering of scores and explanations as JSON, JSON lines, CSV, an aligned table, Parquet or
//! Arrow IPC, and the atomic output file.

use crate::cli::Format;
use neon_xai::data::{ColumnarWriter, OutputColumn};
use neon_xai::engine::ApproxBound;
use neon_xai::summary::{GroupSummary, RelevanceSummary};
use neon_xai::{Explanation, NeonError, Target};
use serde_json::json;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Rows a Parquet/Arrow batch holds before it is written.
const BATCH_ROWS: usize = 8192;

/// An in-memory pipe: the columnar writer writes into it, and its bytes are moved on to the
/// real output after each batch, so a file larger than memory streams through.
#[derive(Clone, Default)]
struct Pipe(Arc<Mutex<Vec<u8>>>);

impl Pipe {
    fn drain_into(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut bytes = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        out.write_all(&bytes)?;
        bytes.clear();
        Ok(())
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The columnar side of an [`ExplanationWriter`]: the writer, its pipe and the rows of the
/// batch being filled, one vector per column.
struct ColumnarState {
    writer: ColumnarWriter<Pipe>,
    pipe: Pipe,
    batch: Vec<Vec<f64>>,
}

impl ColumnarState {
    fn flush(&mut self, out: &mut dyn Write) -> anyhow::Result<()> {
        if self.batch.first().is_some_and(|c| !c.is_empty()) {
            let empty = vec![Vec::new(); self.batch.len()];
            self.writer
                .write(std::mem::replace(&mut self.batch, empty))?;
        }
        self.pipe.drain_into(out)?;
        Ok(())
    }
}

/// Which optional columns an explanation table has; fixed before the first row so that the
/// output can be written row by row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Columns {
    /// Spread per feature (random-feature trials, sampling standard errors).
    pub std: bool,
    /// Assigned cluster.
    pub cluster: bool,
    /// Exact score beside an estimate (random features).
    pub exact: bool,
    /// Certified bounds of the approximate mode.
    pub bound: bool,
}

/// Width of a number column of the table (the longest [`short`] number is 11 characters).
const NUMBER_WIDTH: usize = 11;

/// Writes explanations one at a time as JSON, JSON lines, CSV or an aligned table: the one
/// writer of `neon explain`, whether the rows come in one chunk or many, so the output is the
/// same byte for byte.
pub struct ExplanationWriter<'a> {
    format: Format,
    target: Target,
    features: &'a [String],
    columns: Columns,
    written: usize,
    widths: Vec<usize>,
    columnar: Option<ColumnarState>,
}

impl<'a> ExplanationWriter<'a> {
    /// A writer for `features` with the given optional columns.
    pub fn new(format: Format, target: Target, features: &'a [String], columns: Columns) -> Self {
        ExplanationWriter {
            format,
            target,
            features,
            columns,
            written: 0,
            widths: Vec::new(),
            columnar: None,
        }
    }

    /// The values of one explanation in the order of [`Self::csv_header`] (NaN for an empty
    /// cell).
    fn values(&self, e: &Explanation, bound: Option<&ApproxBound>) -> Vec<f64> {
        let mut v = vec![e.row as f64, e.score];
        v.extend(&e.relevance);
        v.extend([e.relevance_sum, e.dissipated]);
        if self.columns.std {
            match &e.relevance_std {
                Some(std) => v.extend(std),
                None => v.extend(std::iter::repeat_n(f64::NAN, self.features.len())),
            }
        }
        if self.columns.cluster {
            v.push(e.cluster.map_or(f64::NAN, |c| c as f64));
        }
        if self.columns.exact {
            v.push(e.exact_score.unwrap_or(f64::NAN));
        }
        if self.columns.bound {
            match bound {
                Some(b) => v.extend([
                    b.neglected_mass,
                    b.score_bound,
                    b.relevance_bound,
                    b.n_used as f64,
                ]),
                None => v.extend([f64::NAN; 4]),
            }
        }
        v
    }

    fn csv_header(&self) -> Vec<String> {
        let f = self.features;
        let mut header = vec!["row".to_string(), "score".to_string()];
        header.extend(f.iter().map(|f| format!("relevance_{f}")));
        header.extend(["relevance_sum".to_string(), "dissipated".to_string()]);
        if self.columns.std {
            header.extend(f.iter().map(|f| format!("std_{f}")));
        }
        if self.columns.cluster {
            header.push("cluster".into());
        }
        if self.columns.exact {
            header.push("exact_score".into());
        }
        if self.columns.bound {
            header.extend(
                ["neglected_mass", "score_bound", "relevance_bound", "n_used"].map(String::from),
            );
        }
        header
    }

    /// Write what comes before the first explanation.
    pub fn header(
        &mut self,
        out: &mut dyn Write,
        parameters: serde_json::Value,
    ) -> anyhow::Result<()> {
        match self.format {
            Format::Parquet | Format::Arrow => {
                let columns: Vec<OutputColumn> = self
                    .csv_header()
                    .into_iter()
                    .map(|name| OutputColumn {
                        integer: matches!(name.as_str(), "row" | "cluster" | "n_used"),
                        name,
                    })
                    .collect();
                let metadata = vec![
                    ("neon:target".to_string(), self.target.to_string()),
                    ("neon:parameters".to_string(), parameters.to_string()),
                ];
                let pipe = Pipe::default();
                let format = self
                    .format
                    .columnar()
                    .unwrap_or(neon_xai::data::Columnar::Parquet);
                let writer =
                    ColumnarWriter::new(pipe.clone(), format, &columns, metadata, "output")?;
                self.columnar = Some(ColumnarState {
                    writer,
                    pipe,
                    batch: vec![Vec::new(); columns.len()],
                });
            }
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(self.csv_header())?;
                out.write_all(&w.into_inner()?)?;
            }
            Format::Json => {
                let head = json!({
                    "target": self.target.to_string(),
                    "features": self.features,
                    "parameters": parameters,
                });
                let text = serde_json::to_string_pretty(&head)?;
                // reopen the object to append the explanations array
                let open = text.strip_suffix("\n}").unwrap_or(&text);
                write!(out, "{open},\n  \"explanations\": [")?;
            }
            Format::Jsonl => {}
            Format::Table => {
                let mut header = vec!["row".to_string()];
                if self.columns.cluster {
                    header.push("cluster".into());
                }
                header.push("score".into());
                header.extend(self.features.iter().cloned());
                header.extend(["sum".to_string(), "dissipated".to_string()]);
                if self.columns.exact {
                    header.push("exact".into());
                }
                if self.columns.bound {
                    header.extend(["neglected".to_string(), "score_bound".to_string()]);
                }
                let n_features = self.features.len();
                let first_feature = 2 + usize::from(self.columns.cluster);
                self.widths = header
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let is_feature = (first_feature..first_feature + n_features).contains(&i);
                        let cell = match (i, self.columns.cluster) {
                            (0, _) | (1, true) => 6,
                            _ if is_feature && self.columns.std => 2 * NUMBER_WIDTH + 1,
                            _ => NUMBER_WIDTH,
                        };
                        h.chars().count().max(cell)
                    })
                    .collect();
                writeln!(out, "{}", table_line(&header, &self.widths))?;
            }
        }
        Ok(())
    }

    /// Write one explanation (with the approximate mode's bound, if any).
    pub fn explanation(
        &mut self,
        out: &mut dyn Write,
        e: &Explanation,
        bound: Option<&ApproxBound>,
    ) -> anyhow::Result<()> {
        match self.format {
            Format::Parquet | Format::Arrow => {
                let values = self.values(e, bound);
                if let Some(state) = &mut self.columnar {
                    for (column, v) in state.batch.iter_mut().zip(values) {
                        column.push(v);
                    }
                    if state.batch.first().map_or(0, Vec::len) >= BATCH_ROWS {
                        state.flush(out)?;
                    }
                }
            }
            Format::Csv => {
                let mut record = vec![e.row.to_string(), num(e.score)];
                record.extend(e.relevance.iter().map(|v| num(*v)));
                record.extend([num(e.relevance_sum), num(e.dissipated)]);
                if self.columns.std {
                    let std = e.relevance_std.clone().unwrap_or_default();
                    record.extend(std.iter().map(|v| num(*v)));
                }
                if self.columns.cluster {
                    record.push(e.cluster.map(|c| c.to_string()).unwrap_or_default());
                }
                if self.columns.exact {
                    record.push(e.exact_score.map(num).unwrap_or_default());
                }
                if self.columns.bound {
                    match bound {
                        Some(b) => record.extend([
                            num(b.neglected_mass),
                            num(b.score_bound),
                            num(b.relevance_bound),
                            b.n_used.to_string(),
                        ]),
                        None => record.extend(std::iter::repeat_n(String::new(), 4)),
                    }
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
                    let sep = if self.written == 0 { "" } else { "," };
                    write!(out, "{sep}\n    {text}")?;
                } else {
                    writeln!(out, "{text}")?;
                }
            }
            Format::Table => {
                let mut cells = vec![e.row.to_string()];
                if self.columns.cluster {
                    cells.push(e.cluster.map(|c| c.to_string()).unwrap_or_default());
                }
                cells.push(short(e.score));
                match (&e.relevance_std, self.columns.std) {
                    (Some(std), true) => cells.extend(
                        e.relevance
                            .iter()
                            .zip(std)
                            .map(|(r, s)| format!("{}±{}", short(*r), short(*s))),
                    ),
                    _ => cells.extend(e.relevance.iter().map(|r| short(*r))),
                }
                cells.extend([short(e.relevance_sum), short(e.dissipated)]);
                if self.columns.exact {
                    cells.push(e.exact_score.map(short).unwrap_or_default());
                }
                if self.columns.bound {
                    match bound {
                        Some(b) => cells.extend([short(b.neglected_mass), short(b.score_bound)]),
                        None => cells.extend([String::new(), String::new()]),
                    }
                }
                writeln!(out, "{}", table_line(&cells, &self.widths))?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Write what comes after the last explanation.
    pub fn footer(&mut self, out: &mut dyn Write) -> anyhow::Result<()> {
        if self.format == Format::Json {
            writeln!(out, "\n  ]\n}}")?;
        }
        if let Some(mut state) = self.columnar.take() {
            state.flush(out)?;
            let pipe = state.pipe.clone();
            state.writer.finish()?;
            pipe.drain_into(out)?;
        }
        Ok(())
    }
}

fn table_line(cells: &[String], widths: &[usize]) -> String {
    cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{c:>w$}",
                w = widths.get(i).copied().unwrap_or(NUMBER_WIDTH)
            )
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// Output written to a temporary sibling and renamed into place at the end, or stdout.
pub enum Sink {
    /// A file, committed by rename.
    File {
        /// Buffered temporary file.
        writer: BufWriter<File>,
        /// The temporary path.
        tmp: PathBuf,
        /// The final path.
        path: PathBuf,
    },
    /// Standard output.
    Stdout(BufWriter<std::io::Stdout>),
}

impl Sink {
    /// Open `path` (through a temporary sibling) or stdout.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Self> {
        Ok(match path {
            Some(path) => {
                let tmp = neon_xai::io::temp_sibling(path);
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

    /// Flush, and move a file into place.
    pub fn commit(self) -> anyhow::Result<()> {
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

    /// Drop a partly written file.
    pub fn abandon(self) {
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

/// Render scores in the chosen format.
pub fn scores(
    format: Format,
    target: Target,
    rows: &[usize],
    scores: &[f64],
    clusters: Option<&[usize]>,
) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        Format::Parquet | Format::Arrow => {
            return scores_columnar(format, target, rows, scores, clusters)
        }
        Format::Json => {
            let items: Vec<_> = rows
                .iter()
                .zip(scores)
                .enumerate()
                .map(|(i, (row, score))| {
                    let mut item = json!({"row": row, "score": score});
                    if let Some(c) = clusters {
                        item["cluster"] = json!(c[i]);
                    }
                    item
                })
                .collect();
            serde_json::to_string_pretty(&json!({"target": target.to_string(), "scores": items}))?
                + "\n"
        }
        Format::Jsonl => {
            let mut out = String::new();
            for (i, (row, score)) in rows.iter().zip(scores).enumerate() {
                let mut item = json!({"row": row, "score": score});
                if let Some(c) = clusters {
                    item["cluster"] = json!(c[i]);
                }
                out += &serde_json::to_string(&item)?;
                out.push('\n');
            }
            out
        }
        Format::Csv => {
            let mut out = String::from(if clusters.is_some() {
                "row,score,cluster\n"
            } else {
                "row,score\n"
            });
            for (i, (row, score)) in rows.iter().zip(scores).enumerate() {
                match clusters {
                    Some(c) => out += &format!("{row},{},{}\n", num(*score), c[i]),
                    None => out += &format!("{row},{}\n", num(*score)),
                }
            }
            out
        }
        Format::Table => {
            let mut header = vec!["row".to_string(), target.to_string()];
            if clusters.is_some() {
                header.push("cluster".into());
            }
            let body: Vec<Vec<String>> = rows
                .iter()
                .zip(scores)
                .enumerate()
                .map(|(i, (row, score))| {
                    let mut r = vec![row.to_string(), short(*score)];
                    if let Some(c) = clusters {
                        r.push(c[i].to_string());
                    }
                    r
                })
                .collect();
            table(&header, &body)
        }
    }
    .into_bytes())
}

/// Scores as a Parquet or Arrow IPC file: columns row, score (and cluster).
fn scores_columnar(
    format: Format,
    target: Target,
    rows: &[usize],
    scores: &[f64],
    clusters: Option<&[usize]>,
) -> anyhow::Result<Vec<u8>> {
    let columnar = format
        .columnar()
        .ok_or_else(|| anyhow::anyhow!("not a columnar format"))?;
    let mut columns = vec![
        OutputColumn {
            name: "row".into(),
            integer: true,
        },
        OutputColumn {
            name: "score".into(),
            integer: false,
        },
    ];
    let mut values = vec![
        rows.iter().map(|&r| r as f64).collect::<Vec<_>>(),
        scores.to_vec(),
    ];
    if let Some(c) = clusters {
        columns.push(OutputColumn {
            name: "cluster".into(),
            integer: true,
        });
        values.push(c.iter().map(|&c| c as f64).collect());
    }
    let metadata = vec![("neon:target".to_string(), target.to_string())];
    let mut writer = ColumnarWriter::new(Vec::new(), columnar, &columns, metadata, "output")?;
    writer.write(values)?;
    Ok(writer.finish()?)
}

/// A number in full precision (CSV, JSON lines).
pub(crate) fn num(v: f64) -> String {
    v.to_string()
}

/// A number shortened for an aligned table.
pub(crate) fn short(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e-3 && v.abs() < 1e5 {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

/// Render a [`RelevanceSummary`] (`neon explain --summary`): in CSV and table form one line per
/// statistic — mean |R| and mean R over all rows, then mean R per cluster — with the group's
/// size, mean score and mean dissipated part; in JSON the summary as the library returns it.
pub fn summary(
    format: Format,
    target: Target,
    features: &[String],
    parameters: serde_json::Value,
    summary: &RelevanceSummary,
) -> anyhow::Result<Vec<u8>> {
    let mut header: Vec<String> = ["group", "rows", "statistic", "score", "dissipated"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(features.iter().cloned());
    let number: fn(f64) -> String = if format == Format::Table { short } else { num };
    let line = |group: String, g: &GroupSummary, statistic: &str, values: &[f64]| {
        let mut cells = vec![
            group,
            g.size.to_string(),
            statistic.to_string(),
            number(g.mean_score),
            number(g.mean_dissipated),
        ];
        cells.extend(values.iter().map(|v| number(*v)));
        cells
    };
    let o = &summary.overall;
    let mut rows = vec![
        line("all".into(), o, "mean |R|", &o.mean_abs_relevance),
        line("all".into(), o, "mean R", &o.mean_relevance),
    ];
    for c in &summary.clusters {
        let g = &c.means;
        rows.push(line(
            format!("cluster {}", c.cluster),
            g,
            "mean R",
            &g.mean_relevance,
        ));
    }
    Ok(match format {
        Format::Parquet | Format::Arrow => {
            anyhow::bail!("--summary writes json, jsonl, csv or table, not a columnar file")
        }
        Format::Json | Format::Jsonl => {
            let doc = json!({
                "target": target.to_string(),
                "features": features,
                "parameters": parameters,
                "summary": summary,
            });
            if format == Format::Json {
                serde_json::to_string_pretty(&doc)? + "\n"
            } else {
                serde_json::to_string(&doc)? + "\n"
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(&header)?;
            for r in &rows {
                w.write_record(r)?;
            }
            w.flush()?;
            return w.into_inner().map_err(|e| anyhow::anyhow!("{e}"));
        }
        Format::Table => {
            let mut text = table(&header, &rows);
            text += &format!(
                "{} rows; largest |score - (sum R + dissipated)| = {}\n",
                o.size,
                short(summary.max_conservation_gap)
            );
            text
        }
    }
    .into_bytes())
}

fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = table_line(header, &widths) + "\n";
    for row in rows {
        out += &table_line(row, &widths);
        out.push('\n');
    }
    out
}

/// Print `text` to stdout, or write it atomically to `path`.
pub fn emit(text: &str, path: Option<&std::path::Path>) -> anyhow::Result<()> {
    emit_bytes(text.as_bytes(), path)
}

/// Print `bytes` to stdout, or write them atomically to `path`.
pub fn emit_bytes(bytes: &[u8], path: Option<&std::path::Path>) -> anyhow::Result<()> {
    match path {
        Some(path) => {
            neon_xai::io::write_atomic(path, bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
        }
    }
    Ok(())
}
