//! Lists filtered by what the caller asked: a `SELECT` whose conditions,
//! order and limit are appended one by one, each with its parameter, so
//! that the placeholders' numbers and the bound values never drift apart.

use crate::{AnyQuery, BindReader, Reader};

/// A parameter of a [`Filtered`] query.
pub(crate) enum Param {
    Int(i64),
    Text(String),
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(v.to_owned())
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(v)
    }
}

impl crate::Store {
    /// The rows of `sql` with `$1` bound to `arg`, from the read pool.
    pub(crate) async fn rows_with(
        &self,
        sql: &'static str,
        arg: i64,
    ) -> crate::Result<Vec<sqlx::any::AnyRow>> {
        Ok(sqlx::query(sql).bind(arg).fetch_all(&self.read).await?)
    }

    /// The row of `sql` (a `SELECT … WHERE <visibility>`) whose `column` is
    /// `id`, if `reader` may see it.
    pub(crate) async fn visible_one(
        &self,
        sql: String,
        column: &str,
        id: i64,
        reader: &Reader,
    ) -> crate::Result<Option<sqlx::any::AnyRow>> {
        let mut q = Filtered::visible_to(sql, reader);
        q.param(&format!(" AND {column} = ?"), id);
        Ok(q.query().fetch_optional(&self.read).await?)
    }
}

/// A query being assembled: SQL text and the parameters it numbers.
pub(crate) struct Filtered<'r> {
    sql: String,
    reader: Option<&'r Reader>,
    params: Vec<Param>,
}

impl<'r> Filtered<'r> {
    /// `sql` for `reader`, whose two parameters are `$1` and `$2` (see
    /// [`BindReader`]).
    pub(crate) fn visible_to(sql: String, reader: &'r Reader) -> Self {
        Filtered {
            sql,
            reader: Some(reader),
            params: Vec::new(),
        }
    }

    /// `sql` with no parameter yet.
    pub(crate) fn new(sql: String) -> Self {
        Filtered {
            sql,
            reader: None,
            params: Vec::new(),
        }
    }

    /// Appends `text` as it is.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    /// Appends `text`, whose `?` stands for `value`'s placeholder.
    pub(crate) fn param(&mut self, text: &str, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        let n = self.params.len() + if self.reader.is_some() { 2 } else { 0 };
        self.sql.push_str(&text.replace('?', &format!("${n}")));
        self
    }

    /// Appends ` AND <condition>` where `value` is given.
    pub(crate) fn and<T: Into<Param>>(&mut self, condition: &str, value: Option<T>) -> &mut Self {
        if let Some(value) = value {
            self.param(&format!(" AND {condition}"), value);
        }
        self
    }

    /// The query with every parameter bound.
    pub(crate) fn query(self) -> AnyQuery<'static> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.sql));
        if let Some(reader) = self.reader {
            q = q.bind_reader(reader);
        }
        for p in self.params {
            q = match p {
                Param::Int(v) => q.bind(v),
                Param::Text(v) => q.bind(v),
            };
        }
        q
    }
}
