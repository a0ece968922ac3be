//! Rust types in the rows: enums stored as their text name and id
//! newtypes stored as `BIGINT`, the same on both engines (vaultwarden's
//! and lemmy's recipe: a value type with diesel's `FromSql`/`ToSql` over a
//! plain SQL type, so the schema keeps portable column types).
//!
//! Declared here, used where the types live:
//!
//! - [`text_enum_sql!`](crate::text_enum_sql) for an enum with
//!   `fn as_str(self) -> &'static str` and
//!   `fn parse(&str) -> Result<Self, _>` that derives
//!   `diesel::AsExpression` and `diesel::FromSqlRow` with
//!   `#[diesel(sql_type = diesel::sql_types::Text)]`. A stored name the
//!   enum does not know fails the row's read.
//! - [`id_type!`](crate::id_type) for a row id: a newtype over `i64` that
//!   cannot be mistaken for another table's id.

/// Stores an enum as its text name (see the module doc).
#[macro_export]
macro_rules! text_enum_sql {
    ($ty:ty) => {
        impl<DB> ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB> for $ty
        where
            DB: ::diesel::backend::Backend,
            str: ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut ::diesel::serialize::Output<'b, '_, DB>,
            ) -> ::diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB> for $ty
        where
            DB: ::diesel::backend::Backend,
            String: ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> ::diesel::deserialize::Result<Self> {
                let name = <String as ::diesel::deserialize::FromSql<
                    ::diesel::sql_types::Text,
                    DB,
                >>::from_sql(bytes)?;
                Self::parse(&name)
                    .map_err(|_| format!("`{name}` is not a {}", stringify!($ty)).into())
            }
        }
    };
}

/// Declares a row id: `id_type!(/// docs TipId)` makes `pub struct
/// TipId(pub i64)`, stored as `BIGINT`, shown and parsed (in paths and
/// forms) as the plain number.
#[macro_export]
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            ::serde::Serialize,
            ::serde::Deserialize,
            ::diesel::AsExpression,
            ::diesel::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = ::diesel::sql_types::BigInt)]
        pub struct $name(pub i64);

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl<DB> ::diesel::serialize::ToSql<::diesel::sql_types::BigInt, DB> for $name
        where
            DB: ::diesel::backend::Backend,
            i64: ::diesel::serialize::ToSql<::diesel::sql_types::BigInt, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut ::diesel::serialize::Output<'b, '_, DB>,
            ) -> ::diesel::serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB> ::diesel::deserialize::FromSql<::diesel::sql_types::BigInt, DB> for $name
        where
            DB: ::diesel::backend::Backend,
            i64: ::diesel::deserialize::FromSql<::diesel::sql_types::BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> ::diesel::deserialize::Result<Self> {
                <i64 as ::diesel::deserialize::FromSql<::diesel::sql_types::BigInt, DB>>::from_sql(
                    bytes,
                )
                .map(Self)
            }
        }
    };
}
