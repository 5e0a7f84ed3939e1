//! Pages of a DynamoDB query: at most `limit` items read with `Limit` and
//! `ExclusiveStartKey`, and an opaque cursor (the last item's key attributes, base64 JSON)
//! to go on from. Every list that can grow without bound answers through here.

use crate::store::{from_item, s, sdk_error, Item, StoreError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use base64::Engine;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// How many reads one page may take to fill itself past items a filter dropped, so one
/// request stays bounded.
const READS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("cursor not recognised")]
    BadCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A page and the cursor to the next one (`None` on the last).
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// What a cursor of one list holds: the key attributes of the table and of the index read
/// (string attributes only, names in sorted order), and the partition it must stay in, so a
/// cursor of another list or another caisse is refused rather than sent to DynamoDB.
pub struct CursorKeys<'a> {
    pub names: &'a [&'a str],
    pub partition: (&'a str, &'a str),
}

impl CursorKeys<'_> {
    fn decode(&self, cursor: &str) -> Result<Item, PageError> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| PageError::BadCursor)?;
        let keys: BTreeMap<String, String> =
            serde_json::from_slice(&bytes).map_err(|_| PageError::BadCursor)?;
        let (attribute, value) = self.partition;
        if keys
            .keys()
            .map(String::as_str)
            .ne(self.names.iter().copied())
            || keys.get(attribute).map(String::as_str) != Some(value)
        {
            return Err(PageError::BadCursor);
        }
        Ok(keys.into_iter().map(|(k, v)| (k, s(v))).collect())
    }

    fn encode(&self, key: &Item) -> String {
        let plain: BTreeMap<&str, &str> = key
            .iter()
            .filter(|(k, _)| self.names.contains(&k.as_str()))
            .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.as_str(), v.as_str())))
            .collect();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&plain).unwrap_or_default())
    }
}

/// A page of `query` (its conditions, filter and order set), from `cursor` on.
///
/// One item more than the page is read, so the last page has no cursor even when it is
/// full. DynamoDB applies `Limit` before a filter, so a short read is read again from where
/// it stopped (at most `READS` times): a page with a cursor is full unless those reads ran
/// out, and never longer than `limit`.
pub async fn page<T: DeserializeOwned>(
    query: QueryFluentBuilder,
    keys: &CursorKeys<'_>,
    cursor: Option<&str>,
    limit: i32,
) -> Result<Page<T>, PageError> {
    // An empty cursor is none: the first page (a form's field sent as is).
    let mut from = cursor
        .filter(|c| !c.is_empty())
        .map(|c| keys.decode(c))
        .transpose()?;
    let wanted = usize::try_from(limit).unwrap_or(0).max(1);
    let mut raw = Vec::new();
    for _ in 0..READS {
        let out = query
            .clone()
            .set_exclusive_start_key(from)
            .limit(limit.max(1).saturating_add(1))
            .send()
            .await
            .map_err(|e| PageError::Store(sdk_error(e)))?;
        raw.extend(out.items.unwrap_or_default());
        from = out.last_evaluated_key;
        if raw.len() > wanted || from.is_none() {
            break;
        }
    }
    // More than a page: the next goes on after this one's last item; else after what was read.
    let resume = if raw.len() > wanted {
        raw.truncate(wanted);
        raw.last().cloned()
    } else {
        from
    };
    let items = raw
        .into_iter()
        .map(from_item::<T>)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        next: resume.map(|k| keys.encode(&k)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: CursorKeys<'static> = CursorKeys {
        names: &["pk", "queue", "sk"],
        partition: ("queue", "caisse-a"),
    };

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), s(*v)))
            .collect()
    }

    #[test]
    fn a_cursor_reads_back_as_the_key_it_was_made_of() {
        let key = item(&[("pk", "r#1"), ("sk", "renewal"), ("queue", "caisse-a")]);
        let mut whole = key.clone();
        whole.insert("status".into(), s("submitted"));
        let cursor = KEYS.encode(&whole);
        assert_eq!(KEYS.decode(&cursor).ok(), Some(key));
    }

    #[test]
    fn a_cursor_of_another_partition_or_list_or_garbage_is_refused() {
        let other = KEYS.encode(&item(&[("pk", "x"), ("sk", "y"), ("queue", "caisse-b")]));
        let shorter = KEYS.encode(&item(&[("pk", "x"), ("queue", "caisse-a")]));
        for bad in [other.as_str(), shorter.as_str(), "", "%%%", "bm90IGpzb24"] {
            assert!(
                matches!(KEYS.decode(bad), Err(PageError::BadCursor)),
                "{bad}"
            );
        }
    }
}
