//! A reader's own labelled points for the MLP (`dataset=own`): a CSV of `x, y, label` rows (a
//! header row optional; `,`, `;` or tab between cells), two classes. Each axis is scaled to
//! [−1, 1] by its own range (`x' = (x − mid)/half`, stated in the report), as the toy sets lie
//! there; the two labels become the targets +1 and −1 — numeric labels the larger +1, others
//! the one that comes first +1 — fit by regression on the MSE loss like the toy sets.
//!
//! Shapes: `x` is `[n, 2]`, `y` is `[n, 1]`, 8 ≤ n ≤ [`DATASET_SIZE`]; mini-batches are drawn
//! from them as from a generated set ([`Dataset::sample_batch`]).

use super::csv_table::{number, CsvError, Table};
use super::data::{Dataset, DATASET_SIZE};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// The fewest points taken.
pub const MIN_POINTS: usize = 8;

/// Why points were refused (the run and any points in use are untouched).
#[derive(Clone, Debug, PartialEq)]
pub enum PointsError {
    /// Empty, too large or binary.
    Csv(CsvError),
    /// A row with fewer than three cells.
    TooFewCells {
        /// Its line, 1-based.
        line: usize,
    },
    /// A coordinate that is not a finite number.
    NotNumeric {
        /// Its line, 1-based.
        line: usize,
        /// Its column, 1-based (1 = x, 2 = y).
        column: usize,
        /// The cell as written (at most 24 characters of it).
        cell: String,
    },
    /// Not exactly two labels.
    Classes {
        /// The labels found (at most 4 of them).
        found: Vec<String>,
    },
    /// Fewer than [`MIN_POINTS`].
    TooFew {
        /// The points read.
        points: usize,
    },
    /// More than [`DATASET_SIZE`].
    TooMany {
        /// The points read.
        points: usize,
    },
}

impl std::fmt::Display for PointsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Csv(e) => e.fmt(f),
            Self::TooFewCells { line } => {
                write!(f, "line {line} has fewer than three cells (x, y, label)")
            }
            Self::NotNumeric { line, column, cell } => write!(
                f,
                "line {line}, column {column} is {cell:?}, not a number (x and y must be)"
            ),
            Self::Classes { found } if found.len() < 2 => {
                write!(f, "every point has the same label: two classes are needed")
            }
            Self::Classes { found } => write!(
                f,
                "the labels are {} and more: exactly two classes are needed",
                found
                    .iter()
                    .map(|l| format!("{l:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::TooFew { points } => {
                write!(f, "{points} points; at least {MIN_POINTS} are needed")
            }
            Self::TooMany { points } => {
                write!(f, "{points} points; at most {DATASET_SIZE} are taken")
            }
        }
    }
}

impl std::error::Error for PointsError {}

/// What was read, for the reader.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PointsReport {
    /// Points read.
    pub points: usize,
    /// The label that became +1, and its count.
    pub positive: (String, usize),
    /// The label that became −1, and its count.
    pub negative: (String, usize),
    /// Each axis' `(min, max)` as written, mapped to [−1, 1].
    pub ranges: [(f64, f64); 2],
}

/// Reads labelled points from a CSV text.
pub fn points_from_csv(text: &str) -> Result<(Dataset, PointsReport), PointsError> {
    let table = Table::read(text).map_err(PointsError::Csv)?;
    let mut coords = Vec::with_capacity(table.rows.len());
    let mut labels: Vec<String> = Vec::new();
    let mut label_of = Vec::with_capacity(table.rows.len());
    for (line, row) in &table.rows {
        if row.len() < 3 {
            return Err(PointsError::TooFewCells { line: *line });
        }
        let mut point = [0.0; 2];
        for (column, slot) in point.iter_mut().enumerate() {
            *slot = number(&row[column]).ok_or_else(|| PointsError::NotNumeric {
                line: *line,
                column: column + 1,
                cell: row[column].chars().take(24).collect(),
            })?;
        }
        let label = row[2].trim().to_string();
        let index = match labels.iter().position(|l| *l == label) {
            Some(i) => i,
            None => {
                labels.push(label);
                labels.len() - 1
            }
        };
        coords.push(point);
        label_of.push(index);
    }
    if labels.len() != 2 {
        labels.truncate(4);
        return Err(PointsError::Classes { found: labels });
    }
    let n = coords.len();
    if n < MIN_POINTS {
        return Err(PointsError::TooFew { points: n });
    }
    if n > DATASET_SIZE {
        return Err(PointsError::TooMany { points: n });
    }
    // Numeric labels: the larger is +1; others: the first seen.
    let positive = match (number(&labels[0]), number(&labels[1])) {
        (Some(a), Some(b)) if b > a => 1,
        _ => 0,
    };
    let mut ranges = [(f64::INFINITY, f64::NEG_INFINITY); 2];
    for p in &coords {
        for (axis, range) in ranges.iter_mut().enumerate() {
            *range = (range.0.min(p[axis]), range.1.max(p[axis]));
        }
    }
    let mut x = Array2::<f32>::zeros((n, 2));
    let mut y = Array2::<f32>::zeros((n, 1));
    for (i, (p, &label)) in coords.iter().zip(&label_of).enumerate() {
        for (axis, &(lo, hi)) in ranges.iter().enumerate() {
            let half = (hi - lo) / 2.0;
            // A flat axis (every point on one line) sits at 0.
            x[[i, axis]] = if half > 0.0 {
                ((p[axis] - (lo + hi) / 2.0) / half) as f32
            } else {
                0.0
            };
        }
        y[[i, 0]] = if label == positive { 1.0 } else { -1.0 };
    }
    let count = |class: usize| label_of.iter().filter(|&&l| l == class).count();
    let report = PointsReport {
        points: n,
        positive: (labels[positive].clone(), count(positive)),
        negative: (labels[1 - positive].clone(), count(1 - positive)),
        ranges,
    };
    Ok((Dataset { x, y }, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight points with a header, labels 0/1: 1 is +1 (the larger); x from 0 to 4 and y from
    /// −2 to 2 map to [−1, 1] (x = 1 → −0.5, y = 1 → 0.5).
    #[test]
    fn reads_scales_and_labels_points() {
        let csv = "x;y;class\n0;-2;0\n4;2;1\n1;1;1\n2;0;0\n3;1;1\n1;-1;0\n2;2;1\n3;-2;0\n";
        let (data, report) = points_from_csv(csv).unwrap();
        assert_eq!(report.points, 8);
        assert_eq!(report.positive, ("1".to_string(), 4));
        assert_eq!(report.negative, ("0".to_string(), 4));
        assert_eq!(report.ranges, [(0.0, 4.0), (-2.0, 2.0)]);
        assert_eq!(data.x.row(2).to_vec(), vec![-0.5, 0.5]);
        assert_eq!(
            data.y.column(0).to_vec(),
            vec![-1.0, 1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0]
        );
        // Text labels: the first seen is +1.
        let named = "1,1,cat\n2,2,dog\n3,3,cat\n4,4,dog\n5,5,cat\n6,6,dog\n7,7,cat\n8,8,dog\n";
        assert_eq!(points_from_csv(named).unwrap().1.positive.0, "cat");
    }

    #[test]
    fn bad_points_are_refused() {
        let rows = |n: usize| -> String {
            (0..n)
                .map(|i| format!("{i},{},{}\n", i * 2, i % 2))
                .collect()
        };
        assert_eq!(
            points_from_csv(" ").unwrap_err(),
            PointsError::Csv(CsvError::Empty)
        );
        assert_eq!(
            points_from_csv("1,2\n3,4\n").unwrap_err(),
            PointsError::TooFewCells { line: 1 }
        );
        assert_eq!(
            points_from_csv(&rows(10).replace("4,8,0", "4,eight,0")).unwrap_err(),
            PointsError::NotNumeric {
                line: 5,
                column: 2,
                cell: "eight".into()
            }
        );
        assert!(matches!(
            points_from_csv(&rows(10).replace(",1\n", ",0\n")),
            Err(PointsError::Classes { found }) if found == ["0"]
        ));
        assert!(matches!(
            points_from_csv("1,1,a\n2,2,b\n3,3,c\n"),
            Err(PointsError::Classes { found }) if found.len() == 3
        ));
        assert_eq!(
            points_from_csv(&rows(6)).unwrap_err(),
            PointsError::TooFew { points: 6 }
        );
        assert_eq!(
            points_from_csv(&rows(DATASET_SIZE + 1)).unwrap_err(),
            PointsError::TooMany {
                points: DATASET_SIZE + 1
            }
        );
    }
}
