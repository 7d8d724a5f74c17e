//! Values printed in the chapter's tables (§5.1), kept only to compare them with the shipped
//! data; no result of neon is taken from here.

/// The six spending categories, in the data file's column names.
pub const FEATURES: [&str; 6] = [
    "Fresh",
    "Milk",
    "Grocery",
    "Frozen",
    "Detergents_Paper",
    "Delicassen",
];

/// Readable names for figures, in the chapter's wording.
pub const LABELS: [&str; 6] = [
    "fresh",
    "milk",
    "grocery",
    "frozen",
    "detergents/paper",
    "delicatessen",
];

/// The chapter's instances 338 and 339 are 0-based rows 337 and 338.
pub const INSTANCES: [usize; 2] = [337, 338];

/// Table 1, row "338" (m.u.).
pub const TABLE1_338: [f64; 6] = [9351.0, 1347.0, 2611.0, 8170.0, 442.0, 868.0];
/// Table 1, row "339" (m.u.).
pub const TABLE1_339: [f64; 6] = [3.0, 333.0, 7201.0, 15601.0, 15.0, 550.0];
/// Table 1, row "AVG" (m.u.).
pub const TABLE1_AVG: [f64; 6] = [12000.0, 5796.0, 7951.0, 3072.0, 2881.0, 1525.0];
/// Table 2: average spending of the cluster of instance 339 ("Yellow"), m.u.
pub const TABLE2: [f64; 6] = [616.0, 3176.0, 6965.0, 1523.0, 1414.0, 135.0];
