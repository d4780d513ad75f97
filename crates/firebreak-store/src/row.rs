//! Reading rows: one way to turn a column into a field. The stored forms
//! (integer milliseconds for times, 0/1 for flags, JSON as text, enums as
//! their words) are converted here, once, by [`Column`]; [`from_row!`]
//! fills a struct from the columns named like its fields.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, time};

/// A field's type as read from one column of a row.
pub(crate) trait Column: Sized {
    fn column(row: &AnyRow, name: &str) -> Result<Self>;
}

/// Types sqlx decodes as they are.
macro_rules! decoded {
    ($($t:ty),*) => {$(
        impl Column for $t {
            fn column(row: &AnyRow, name: &str) -> Result<Self> {
                Ok(row.try_get(name)?)
            }
        }
    )*};
}

decoded!(i64, String, Option<i64>, Option<String>);

/// A flag, stored as 0 or 1.
impl Column for bool {
    fn column(row: &AnyRow, name: &str) -> Result<Self> {
        Ok(row.try_get::<i64, _>(name)? != 0)
    }
}

/// A time, stored as milliseconds since the epoch.
impl Column for DateTime<Utc> {
    fn column(row: &AnyRow, name: &str) -> Result<Self> {
        Ok(time(row.try_get(name)?))
    }
}

impl Column for Option<DateTime<Utc>> {
    fn column(row: &AnyRow, name: &str) -> Result<Self> {
        Ok(row.try_get::<Option<i64>, _>(name)?.map(time))
    }
}

/// JSON stored as text; text that does not parse reads as `null`.
impl Column for serde_json::Value {
    fn column(row: &AnyRow, name: &str) -> Result<Self> {
        let text: String = row.try_get(name)?;
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }
}

/// A stored word that does not name a value of its type.
pub(crate) fn bad_word(name: &str, word: &str) -> StoreError {
    StoreError::Other(format!("stored {name} `{word}` is not valid"))
}

/// A word that may be NULL.
macro_rules! optional {
    ($t:ty) => {
        impl Column for Option<$t> {
            fn column(row: &AnyRow, name: &str) -> Result<Self> {
                match row.try_get::<Option<String>, _>(name)? {
                    None => Ok(None),
                    Some(_) => <$t>::column(row, name).map(Some),
                }
            }
        }
    };
}

/// Enums stored as their words, read back with `parse` (returning an
/// `Option`) or `FromStr`.
macro_rules! words {
    (parse: $($t:ty),*) => {$(
        impl Column for $t {
            fn column(row: &AnyRow, name: &str) -> Result<Self> {
                let word: String = row.try_get(name)?;
                <$t>::parse(&word).ok_or_else(|| bad_word(name, &word))
            }
        }
        optional!($t);
    )*};
    (from_str: $($t:ty),*) => {$(
        impl Column for $t {
            fn column(row: &AnyRow, name: &str) -> Result<Self> {
                let word: String = row.try_get(name)?;
                word.parse().map_err(|_| bad_word(name, &word))
            }
        }
        optional!($t);
    )*};
}

words!(parse: firebreak_api::ReportSource, firebreak_api::ReportStatus,
    firebreak_intake::AlertStatus, firebreak_intake::dedup::Disposition);
words!(from_str: firebreak_api::Role, firebreak_api::Kind, firebreak_api::Severity,
    firebreak_api::SeverityRule, firebreak_api::Phase, firebreak_api::GateItem,
    firebreak_api::ItemStatus, firebreak_core::disclosure::DisclosureState,
    firebreak_core::disclosure::TriageOutcome, firebreak_core::disclosure::DisclosureChannel);

/// `Type { field, field: "column", field = expr, … }` read from `row`: a
/// field alone comes from the column of its name, `field: "column"` from
/// the column named, both through [`Column`]; `field = expr` is computed.
/// Evaluates to `Result<Type>`.
macro_rules! from_row {
    ($row:expr, $ty:ident { $($field:ident $(: $col:literal)? $(= $value:expr)?),* $(,)? }) => {
        (|| -> $crate::Result<$ty> {
            Ok($ty {
                $($field: from_row!(@field $row, $field $(: $col)? $(= $value)?),)*
            })
        })()
    };
    (@field $row:expr, $field:ident) => {
        $crate::row::Column::column($row, stringify!($field))?
    };
    (@field $row:expr, $field:ident : $col:literal) => {
        $crate::row::Column::column($row, $col)?
    };
    (@field $row:expr, $field:ident = $value:expr) => {
        $value
    };
}

/// A reference to a user from a nullable id and name column.
pub(crate) fn user_ref(id: Option<i64>, name: Option<String>) -> Option<firebreak_api::UserRef> {
    id.zip(name)
        .map(|(id, name)| firebreak_api::UserRef { id, name })
}

/// The column `name` of `row`, through [`Column`].
pub(crate) fn col<T: Column>(row: &AnyRow, name: &str) -> Result<T> {
    T::column(row, name)
}
