//! The Wholesale customers study (§5.1): [`analysis`] computes every number, [`report`] draws
//! the figures and writes `report.html`, `results.json` and the figure files.

pub mod analysis;
pub mod chapter;
pub mod figures;
pub mod report;

pub use analysis::{
    run_analysis, Discrepancy, DiscrepancySource, WholesaleParams, WholesaleResults,
};
pub use report::{summary, write_report, ReportFiles};
