//! A reader's own time series for the next-step prediction task (`task=series`, `series=own`):
//! one numeric column of a CSV text (a header row is optional; `,`, `;` or tab between cells; a
//! plain list of numbers, one a line, is a one-column CSV), z-score normalised with its own
//! mean μ and standard deviation σ — the model sees `(v − μ)/σ`, and the report states both.
//!
//! Shapes: the series is `[N]`; a batch draws windows of T + 1 consecutive values, input
//! `x_t = z[s + t]` and target `y_t = z[s + t + 1]`, time-major as every task's
//! ([`Task::batch_of`](super::sequence::Task::batch_of)). A series shorter than T + 1 cannot
//! fill a window: the run then uses the generated series, and the page says why.

use super::csv_table::{number, CsvError, Table, MAX_CSV_BYTES};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The largest series text taken, in bytes.
pub const MAX_SERIES_BYTES: usize = MAX_CSV_BYTES;
/// The fewest values a series must have.
pub const MIN_SERIES_VALUES: usize = 20;

/// Which series the next-step prediction task learns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesSource {
    /// A noisy sum of three sines, drawn from the run's seed.
    #[default]
    Sines,
    /// The reader's own series, kept in their browser (a link says `series=own` without it).
    Own,
}

impl SeriesSource {
    /// Every source, in the order controls list them.
    pub const ALL: [SeriesSource; 2] = [Self::Sines, Self::Own];
    /// The names accepted by [`SeriesSource::from_name`].
    pub const NAMES: &'static [&'static str] = &["sines", "own"];

    /// The name used in links, flags and JSON.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Parses a name of [`SeriesSource::NAMES`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Why a series was refused (the run and any series in use are untouched).
#[derive(Clone, Debug, PartialEq)]
pub enum SeriesError {
    /// Empty, too large or binary.
    Csv(CsvError),
    /// The chosen column (1-based) does not exist.
    NoSuchColumn {
        /// The column asked for.
        column: usize,
        /// Columns in the widest row.
        columns: usize,
    },
    /// A cell of the column is not a finite number.
    NotNumeric {
        /// Its line, 1-based.
        line: usize,
        /// Its column, 1-based.
        column: usize,
        /// The cell as written (at most 24 characters of it).
        cell: String,
    },
    /// No column is numeric in every data row.
    NoNumericColumn,
    /// Fewer than [`MIN_SERIES_VALUES`] values.
    TooShort {
        /// The values found.
        values: usize,
    },
    /// Every value the same: nothing to predict, and σ = 0 cannot normalise it.
    Constant,
}

impl std::fmt::Display for SeriesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Csv(e) => e.fmt(f),
            Self::NoSuchColumn { column, columns } => {
                write!(f, "there is no column {column}: the rows have {columns}")
            }
            Self::NotNumeric { line, column, cell } => write!(
                f,
                "line {line}, column {column} is {cell:?}, not a number (every row of the \
                 column must hold one)"
            ),
            Self::NoNumericColumn => write!(
                f,
                "no column holds a number in every row (a header row is fine; empty cells, \
                 NaN and text are not)"
            ),
            Self::TooShort { values } => write!(
                f,
                "the series has {values} values; it needs at least {MIN_SERIES_VALUES}"
            ),
            Self::Constant => write!(f, "every value is the same: there is nothing to predict"),
        }
    }
}

impl std::error::Error for SeriesError {}

/// What was read, for the reader.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesReport {
    /// The column used, 1-based.
    pub column: usize,
    /// Its header, if the text has a header row.
    pub name: Option<String>,
    /// Values read.
    pub values: usize,
    /// μ, the mean subtracted.
    pub mean: f64,
    /// σ, the (population) standard deviation divided by.
    pub std: f64,
    /// The smallest and largest value, as written.
    pub range: (f64, f64),
}

/// A normalised series. Cheap to clone (shared).
#[derive(Clone, Debug, PartialEq)]
pub struct OwnSeries {
    values: Arc<[f32]>,
}

impl OwnSeries {
    /// Reads column `column` (1-based; `None`: the first column numeric in every data row) of
    /// the CSV `text`, and normalises it.
    pub fn from_csv(
        text: &str,
        column: Option<usize>,
    ) -> Result<(OwnSeries, SeriesReport), SeriesError> {
        let table = Table::read(text).map_err(SeriesError::Csv)?;
        let columns = table.columns;
        let chosen = match column {
            Some(c) if c == 0 || c > columns => {
                return Err(SeriesError::NoSuchColumn { column: c, columns })
            }
            Some(c) => c - 1,
            None => (0..columns)
                .find(|&c| table.numeric(c))
                .ok_or(SeriesError::NoNumericColumn)?,
        };
        let mut values = Vec::with_capacity(table.rows.len());
        for (line, row) in &table.rows {
            let cell = row.get(chosen).map_or("", String::as_str);
            match number(cell) {
                Some(v) => values.push(v),
                None => {
                    return Err(SeriesError::NotNumeric {
                        line: *line,
                        column: chosen + 1,
                        cell: cell.chars().take(24).collect(),
                    })
                }
            }
        }
        if values.len() < MIN_SERIES_VALUES {
            return Err(SeriesError::TooShort {
                values: values.len(),
            });
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        if !(std > 0.0 && std.is_finite() && mean.is_finite()) {
            return Err(SeriesError::Constant);
        }
        let range = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let report = SeriesReport {
            column: chosen + 1,
            name: table.header.as_ref().and_then(|h| h.get(chosen).cloned()),
            values: values.len(),
            mean,
            std,
            range,
        };
        let values = values.iter().map(|v| ((v - mean) / std) as f32).collect();
        Ok((OwnSeries { values }, report))
    }

    /// The normalised values, in order.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Whether windows of `steps` inputs and their next values fit.
    pub fn fits(&self, steps: usize) -> bool {
        self.values.len() > steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header, a date column, `;` between cells: the first numeric column is taken and
    /// normalised. Values 1..=20: μ = 10.5, σ = √((20² − 1)/12) = √33.25 (numpy.std).
    #[test]
    fn reads_and_normalises_a_column() {
        let mut csv = String::from("date;close\n");
        for i in 1..=20 {
            csv.push_str(&format!("2024-01-{i:02};{i}\n"));
        }
        let (series, report) = OwnSeries::from_csv(&csv, None).unwrap();
        assert_eq!((report.column, report.name.as_deref()), (2, Some("close")));
        assert_eq!(report.values, 20);
        assert!((report.mean - 10.5).abs() < 1e-12);
        assert!((report.std - 33.25f64.sqrt()).abs() < 1e-12);
        assert_eq!(report.range, (1.0, 20.0));
        let z0 = ((1.0 - 10.5) / 33.25f64.sqrt()) as f32;
        assert_eq!(series.values()[0], z0);
        assert!(series.fits(19) && !series.fits(20));
        // A plain list of numbers is a one-column CSV.
        let list: String = (0..30).map(|i| format!("{}\n", (i as f64).sin())).collect();
        assert_eq!(OwnSeries::from_csv(&list, None).unwrap().1.column, 1);
    }

    #[test]
    fn bad_series_are_refused() {
        let ok: String = (0..25).map(|i| format!("{i},{}\n", i * i)).collect();
        assert_eq!(
            OwnSeries::from_csv("", None).unwrap_err(),
            SeriesError::Csv(CsvError::Empty)
        );
        assert_eq!(
            OwnSeries::from_csv(&ok, Some(3)).unwrap_err(),
            SeriesError::NoSuchColumn {
                column: 3,
                columns: 2
            }
        );
        let holed = ok.replace("7,49", "7,");
        assert_eq!(
            OwnSeries::from_csv(&holed, Some(2)).unwrap_err(),
            SeriesError::NotNumeric {
                line: 8,
                column: 2,
                cell: String::new()
            }
        );
        assert_eq!(
            OwnSeries::from_csv("a,b\nx,y\n", None).unwrap_err(),
            SeriesError::NoNumericColumn
        );
        assert_eq!(
            OwnSeries::from_csv("1\n2\n3\n", None).unwrap_err(),
            SeriesError::TooShort { values: 3 }
        );
        assert_eq!(
            OwnSeries::from_csv(&"5\n".repeat(30), None).unwrap_err(),
            SeriesError::Constant
        );
        assert_eq!(
            OwnSeries::from_csv("1\nNaN\n".repeat(20).as_str(), Some(1)).unwrap_err(),
            SeriesError::NotNumeric {
                line: 2,
                column: 1,
                cell: "NaN".into()
            }
        );
        assert_eq!(
            OwnSeries::from_csv("\u{0}\u{1}PNG", None).unwrap_err(),
            SeriesError::Csv(CsvError::Binary)
        );
    }
}
