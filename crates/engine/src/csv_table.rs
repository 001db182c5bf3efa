//! A reader's CSV text as rows of cells — what the own series and own points read from. One
//! place checks size and binary content, guesses the delimiter (`,`, `;` or tab, whichever the
//! first line has most of), skips blank rows and tells a header row from data.

/// The largest CSV text taken, in bytes.
pub const MAX_CSV_BYTES: usize = 1 << 20;

/// Why a CSV text was refused before its cells were read.
#[derive(Clone, Debug, PartialEq)]
pub enum CsvError {
    /// Nothing but whitespace.
    Empty,
    /// More than [`MAX_CSV_BYTES`].
    TooLarge {
        /// Its size in bytes.
        bytes: usize,
    },
    /// Control characters or undecodable bytes: a binary file read as text.
    Binary,
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => write!(f, "it is empty"),
            Self::TooLarge { bytes } => write!(
                f,
                "the file is {:.1} MB; at most {} MB is taken",
                *bytes as f64 / (1 << 20) as f64,
                MAX_CSV_BYTES >> 20
            ),
            Self::Binary => write!(f, "this looks like a binary file, not a CSV text"),
        }
    }
}

/// The rows of a CSV text.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The header row's cells, if the first row is one: it has a cell that is no number where
    /// the second row has one.
    pub header: Option<Vec<String>>,
    /// `(line, cells)` of every non-blank data row, lines 1-based.
    pub rows: Vec<(usize, Vec<String>)>,
    /// Cells in the widest row.
    pub columns: usize,
}

/// A cell as a finite number (surrounding spaces allowed); `None` for text, blanks, NaN, ±∞.
pub fn number(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

impl Table {
    /// Reads `text`.
    pub fn read(text: &str) -> Result<Table, CsvError> {
        if text.len() > MAX_CSV_BYTES {
            return Err(CsvError::TooLarge { bytes: text.len() });
        }
        if text.trim().is_empty() {
            return Err(CsvError::Empty);
        }
        if text
            .chars()
            .any(|c| c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
        {
            return Err(CsvError::Binary);
        }
        let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let delimiter = [b',', b';', b'\t']
            .into_iter()
            .max_by_key(|&d| first_line.matches(d as char).count())
            .unwrap_or(b',');
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|_| CsvError::Binary)?;
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let line = record
                .position()
                .map_or(rows.len() + 1, |p| p.line() as usize);
            rows.push((line, record.iter().map(str::to_string).collect()));
        }
        let columns = rows.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
        let header = rows.len() > 1
            && rows[0]
                .1
                .iter()
                .zip(&rows[1].1)
                .any(|(a, b)| number(a).is_none() && number(b).is_some());
        let header = header.then(|| rows.remove(0).1);
        Ok(Table {
            header,
            rows,
            columns,
        })
    }

    /// Whether column `c` (0-based) holds a number in every data row.
    pub fn numeric(&self, c: usize) -> bool {
        self.rows
            .iter()
            .all(|(_, r)| r.get(c).and_then(|v| number(v)).is_some())
    }
}
