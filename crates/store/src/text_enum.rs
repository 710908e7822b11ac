//! Statuses and other closed sets of words, as enums stored as text: one
//! declaration gives the enum, its stored words, and the column type on
//! both engines, so no status is compared as a bare string.

/// Declares an enum whose variants are stored as the given words.
///
/// ```text
/// egov_store::text_enum! {
///     /// Where an order stands.
///     pub enum OrderStatus { Open = "open", Answered = "answered" }
/// }
/// ```
///
/// A stored word the enum does not know fails the row's decoding (a data
/// error, reported with the word), never a silent default.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The variant stored as `word`.
            pub fn parse(word: &str) -> Option<$name> {
                match word {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl $crate::Column for $name {
            fn from_sqlite(
                value: $crate::write::SqliteValue<'_>,
            ) -> Result<Self, $crate::sqlx::error::BoxDynError> {
                let word = $crate::write::sqlite_text(value)?;
                $name::parse(word).ok_or_else(|| {
                    format!("{:?} is not a {}", word, stringify!($name)).into()
                })
            }
        }

        $crate::text_enum!(@engine $name, $crate::sqlx::Sqlite, $crate::sqlx::sqlite::SqliteValueRef<'r>);
        $crate::text_enum!(@engine $name, $crate::sqlx::Postgres, $crate::sqlx::postgres::PgValueRef<'r>);
    };
    (@engine $name:ident, $db:ty, $value:ty) => {
        impl $crate::sqlx::Type<$db> for $name {
            fn type_info() -> <$db as $crate::sqlx::Database>::TypeInfo {
                <&str as $crate::sqlx::Type<$db>>::type_info()
            }
            fn compatible(ty: &<$db as $crate::sqlx::Database>::TypeInfo) -> bool {
                <&str as $crate::sqlx::Type<$db>>::compatible(ty)
            }
        }

        impl<'r> $crate::sqlx::Decode<'r, $db> for $name {
            fn decode(value: $value) -> Result<Self, $crate::sqlx::error::BoxDynError> {
                let word = <&str as $crate::sqlx::Decode<'r, $db>>::decode(value)?;
                $name::parse(word).ok_or_else(|| {
                    format!("{:?} is not a {}", word, stringify!($name)).into()
                })
            }
        }

        impl<'q> $crate::sqlx::Encode<'q, $db> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as $crate::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<$crate::sqlx::encode::IsNull, $crate::sqlx::error::BoxDynError> {
                <&str as $crate::sqlx::Encode<'q, $db>>::encode_by_ref(&self.as_str(), buf)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::text_enum! {
        /// A test's statuses.
        pub enum Light { Green = "green", Red = "red_card" }
    }

    #[test]
    fn words_read_back() {
        for l in Light::ALL {
            assert_eq!(Light::parse(l.as_str()), Some(*l));
        }
        assert_eq!(Light::Red.to_string(), "red_card");
        assert_eq!(Light::parse("amber"), None);
        assert_eq!(serde_json::to_string(&Light::Red).unwrap(), "\"red_card\"");
    }
}
