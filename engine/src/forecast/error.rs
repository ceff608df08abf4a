//! [`ForecastError`]: why a series could not be built, a model could not forecast or a metric
//! could not be computed. Bad input is always an error here, never a panic.

use crate::ids::JobId;

/// Why a forecasting step failed. Each variant names the input at fault, what was expected and
/// what was found.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ForecastError {
    /// A model was given fewer history points than it needs.
    #[error("{model}: history has {found} points, needs at least {needed}")]
    HistoryTooShort {
        /// The model's [`name`](crate::forecast::Forecaster::name), or the metric.
        model: String,
        /// The fewest points it can work with.
        needed: usize,
        /// How many it was given.
        found: usize,
    },
    /// Two inputs that must be aligned point by point have different lengths.
    #[error("{what}: expected {expected} values (the length of the actuals), found {found}")]
    LengthMismatch {
        /// The input that does not match.
        what: &'static str,
        /// The length it should have.
        expected: usize,
        /// The length it has.
        found: usize,
    },
    /// An input that needs at least one value has none.
    #[error("{what}: expected at least one value, found none")]
    Empty {
        /// The empty input.
        what: &'static str,
    },
    /// An input holds NaN or an infinity.
    #[error("{what}[{index}]: expected a finite number, found {value}")]
    NonFinite {
        /// The input.
        what: &'static str,
        /// The position of the first bad value.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// A parameter (period, bucket, quantile level, window) is out of its range.
    #[error("{name}: expected {expected}, found {found}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Its valid range.
        expected: &'static str,
        /// The value given.
        found: String,
    },
    /// MASE is undefined: the seasonal naive makes no in-sample error on the training part.
    #[error(
        "MASE scale is zero: the training part repeats exactly every {season} steps, so the \
         seasonal naive has no in-sample error to scale by"
    )]
    ZeroScale {
        /// The season used for the scale.
        season: usize,
    },
    /// A prediction interval whose lower bound is above its upper bound.
    #[error("interval[{index}]: expected lower <= upper, found lower {lower} > upper {upper}")]
    CrossedInterval {
        /// The position of the first crossed interval.
        index: usize,
        /// Its lower bound.
        lower: f64,
        /// Its upper bound.
        upper: f64,
    },
    /// A job's submit time plus its runtime does not fit in a [`SimTime`](crate::SimTime).
    #[error("{job}: submit + runtime overflows the simulated clock")]
    TimeOverflow {
        /// The job.
        job: JobId,
    },
    /// The requested series would be too long to hold in memory.
    #[error("series window needs {buckets} buckets, more than the limit of {limit}")]
    TooManyBuckets {
        /// Buckets the window needs.
        buckets: u64,
        /// The limit ([`MAX_BUCKETS`](crate::forecast::MAX_BUCKETS)).
        limit: u64,
    },
    /// A model's numerical fit failed (e.g. a least-squares solve on a singular system).
    #[error("{model}: fit failed: {message}")]
    FitFailed {
        /// The model's name.
        model: String,
        /// The solver's message.
        message: String,
    },
    /// Accumulated demand in one bucket overflowed its integer accumulator.
    #[error("demand in bucket {bucket} overflows a 128-bit accumulator")]
    Overflow {
        /// The bucket index.
        bucket: usize,
    },
}

/// Checks that every value of `values` is finite.
pub(crate) fn check_finite(what: &'static str, values: &[f64]) -> Result<(), ForecastError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(ForecastError::NonFinite { what, index, value: values[index] }),
        None => Ok(()),
    }
}
