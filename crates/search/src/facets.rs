//! Facet counting.
//!
//! All facet fields share one tantivy facet field, each value stored as the
//! path /<field>/<value>, so a field's values are a contiguous range of the
//! facet dictionary's ordinals. This collector counts per ordinal in those
//! ranges and turns ordinals into values once, at the end, in one ordered
//! pass over the dictionary. (tantivy's `FacetCollector` looks each counted
//! value up separately, which was a measurable share of a faceted query's
//! time at a million documents.)

use std::collections::BTreeMap;
use std::ops::Bound;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::FacetReader;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Name of the facet field in the schema.
pub(crate) const FIELD: &str = "facet";

/// Value counts per requested field, field by field in request order.
pub(crate) type Counts = Vec<BTreeMap<String, u64>>;

/// Counts the documents per value of each requested facet field.
pub(crate) struct FacetCounter {
    fields: Vec<String>,
}

impl FacetCounter {
    /// `fields` must be distinct.
    pub(crate) fn new(fields: Vec<String>) -> Self {
        FacetCounter { fields }
    }
}

/// The ordinals `lo..lo + counts.len()` of one field's values, and their
/// counts so far.
struct OrdRange {
    lo: u64,
    counts: Vec<u64>,
}

pub(crate) struct SegmentFacetCounter {
    reader: FacetReader,
    /// Byte length of each field's path prefix ("<field>\0").
    prefix_lens: Vec<usize>,
    ranges: Vec<OrdRange>,
}

/// First ordinal in the bound, and the one past the last.
fn ord_range(dict: &tantivy::columnar::Dictionary, field: &str) -> std::io::Result<(u64, u64)> {
    let mut lo = field.as_bytes().to_vec();
    lo.push(0);
    let mut hi = field.as_bytes().to_vec();
    hi.push(1);
    let (lo, hi) = dict.term_bounds_to_ord(Bound::Included(&lo), Bound::Excluded(&hi))?;
    let lo = match lo {
        Bound::Included(o) => o,
        Bound::Excluded(o) => o + 1,
        Bound::Unbounded => 0,
    };
    let hi = match hi {
        Bound::Included(o) => o + 1,
        Bound::Excluded(o) => o,
        Bound::Unbounded => dict.num_terms() as u64,
    };
    Ok((lo, hi.max(lo)))
}

impl Collector for FacetCounter {
    type Fruit = Counts;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let facet_reader = reader.facet_reader(FIELD)?;
        let mut ranges = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            let (lo, hi) = ord_range(facet_reader.facet_dict(), field)?;
            ranges.push(OrdRange {
                lo,
                counts: vec![0; (hi - lo) as usize],
            });
        }
        Ok(SegmentFacetCounter {
            reader: facet_reader,
            prefix_lens: self.fields.iter().map(|f| f.len() + 1).collect(),
            ranges,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut total: Counts = vec![BTreeMap::new(); self.fields.len()];
        for segment in segments {
            for (into, from) in total.iter_mut().zip(segment) {
                if into.is_empty() {
                    *into = from;
                    continue;
                }
                for (value, n) in from {
                    *into.entry(value).or_default() += n;
                }
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let mut previous = u64::MAX;
        for ord in self.reader.facet_ords(doc) {
            // A value given twice to a document counts once.
            if ord == previous {
                continue;
            }
            previous = ord;
            for r in &mut self.ranges {
                if let Some(n) = ord
                    .checked_sub(r.lo)
                    .and_then(|i| r.counts.get_mut(i as usize))
                {
                    *n += 1;
                    break;
                }
            }
        }
    }

    fn harvest(self) -> Counts {
        let dict = self.reader.facet_dict();
        self.ranges
            .iter()
            .zip(&self.prefix_lens)
            .map(|(r, &prefix)| {
                let (ords, counts): (Vec<u64>, Vec<u64>) = r
                    .counts
                    .iter()
                    .enumerate()
                    .filter(|(_, &n)| n > 0)
                    .map(|(i, &n)| (r.lo + i as u64, n))
                    .unzip();
                let mut values = BTreeMap::new();
                let mut counts = counts.into_iter();
                // Ordinals come from this dictionary, so the look-up cannot
                // miss; were it to fail, the field would come back empty.
                let _ = dict.sorted_ords_to_term_cb(&ords, |bytes| {
                    if let (Some(n), Some(value)) = (counts.next(), bytes.get(prefix..)) {
                        values.insert(String::from_utf8_lossy(value).into_owned(), n);
                    }
                });
                values
            })
            .collect()
    }
}
