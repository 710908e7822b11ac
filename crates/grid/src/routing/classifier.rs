//! A dispatch classifier: which department past dispatchers sent reports
//! like this one to. It only suggests; the rules and the dispatcher decide.
//!
//! Features are the words of the description, cut by the same jieba
//! instance and normalisation as the search (`egov_search::query_words`), plus
//! the service code and its class as tokens of their own (`service:e0504`,
//! `class:e05`), so that a sub-class's usual department is learnt even from a
//! description that says little. Each is weighed by TF-IDF: sublinear term
//! frequency (1 + ln tf), smoothed idf (ln((1 + n) / (1 + df)) + 1), the
//! vector scaled to unit length. Only terms in at least [`MIN_DOCUMENT_FREQUENCY`]
//! examples are kept (a word seen once teaches nothing that generalises), at
//! most [`MAX_TERMS`] of them.
//!
//! The model is multinomial logistic regression (softmax) trained by
//! mini-batch stochastic gradient descent with L2 regularisation. Training
//! is deterministic: the examples are visited in an order drawn from a fixed
//! seed and the arithmetic runs on one thread, so training twice on the same
//! examples gives the same weights.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// Terms seen in fewer examples than this are left out of the vocabulary.
pub const MIN_DOCUMENT_FREQUENCY: u32 = 2;
/// At most this many terms are kept, the most frequent first.
pub const MAX_TERMS: usize = 50_000;

/// Passes over the training examples.
const EPOCHS: usize = 12;
/// A small training set still gets at least this many updates.
const MIN_UPDATES: usize = 600;
const BATCH: usize = 16;
/// The step size at the start; it falls to a fifth by the end.
const LEARNING_RATE: f32 = 1.0;
/// The L2 penalty's strength (per update, on the weights, not the biases).
const L2: f32 = 1e-5;
/// The order the examples are visited in is drawn from this seed.
const SHUFFLE_SEED: u64 = 0x6772_6964; // "grid"
/// Changed whenever the stored form changes.
const FORMAT: u32 = 1;

/// A past dispatch decision: a report and the department it went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// The report's description.
    pub text: String,
    /// Its service code (`e0504`).
    pub service_code: String,
    /// The abbreviation of the department it was dispatched to (`GAJ`).
    pub department: String,
}

/// The department the classifier would send a report to.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub department: String,
    /// The model's probability for it, 0 to 1.
    pub confidence: f32,
}

/// How many of a set of examples the classifier got right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Accuracy {
    pub correct: usize,
    pub total: usize,
}

impl Accuracy {
    /// The share right, 0 to 1 (0 of nothing).
    pub fn share(self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

/// Why stored bytes are not a classifier.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a stored classifier: {0}")]
    Format(#[from] serde_json::Error),
    #[error("a stored classifier of format {0}; this build reads format {FORMAT}")]
    Version(u32),
    #[error("the stored classifier is inconsistent: {0}")]
    Inconsistent(&'static str),
}

/// What is stored: the vocabulary with its idf, the departments, and per
/// department a row of weights and a bias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Model {
    format: u32,
    /// Sorted, unique.
    terms: Vec<String>,
    idf: Vec<f32>,
    /// Sorted, unique.
    departments: Vec<String>,
    /// `departments.len()` rows of `terms.len()` weights.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

/// A trained classifier.
#[derive(Debug, Clone)]
pub struct Classifier {
    model: Model,
    /// Each term's position in `model.terms`.
    index: HashMap<String, u32>,
}

/// A TF-IDF vector: (term, weight) by term, unit length.
type Features = Vec<(u32, f32)>;

/// The tokens of a report: its words, its service code and its class.
fn tokens(service_code: &str, text: &str) -> Vec<String> {
    // Search words are cut at punctuation, so none contains ':' and none can
    // be mistaken for the service tokens.
    let mut tokens = egov_search::query_words(text);
    tokens.push(format!("service:{service_code}"));
    if let Some(class) = service_code.get(..3) {
        tokens.push(format!("class:{class}"));
    }
    tokens
}

impl Classifier {
    /// Learns from past decisions. With no examples the classifier knows no
    /// department and suggests none.
    pub fn train(examples: &[Example]) -> Classifier {
        let documents: Vec<Vec<String>> = examples
            .iter()
            .map(|e| tokens(&e.service_code, &e.text))
            .collect();

        let mut document_frequency: HashMap<&str, u32> = HashMap::new();
        for document in &documents {
            let mut distinct: Vec<&str> = document.iter().map(String::as_str).collect();
            distinct.sort_unstable();
            distinct.dedup();
            for term in distinct {
                *document_frequency.entry(term).or_default() += 1;
            }
        }
        let mut kept: Vec<(&str, u32)> = document_frequency
            .into_iter()
            .filter(|&(_, df)| df >= MIN_DOCUMENT_FREQUENCY)
            .collect();
        kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kept.truncate(MAX_TERMS);
        kept.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let n = examples.len() as f32;
        let terms: Vec<String> = kept.iter().map(|(t, _)| (*t).to_owned()).collect();
        let idf: Vec<f32> = kept
            .iter()
            .map(|&(_, df)| ((1.0 + n) / (1.0 + df as f32)).ln() + 1.0)
            .collect();

        let mut departments: Vec<String> = examples.iter().map(|e| e.department.clone()).collect();
        departments.sort_unstable();
        departments.dedup();

        let mut classifier = Classifier::from_model(Model {
            format: FORMAT,
            weights: vec![0.0; departments.len() * terms.len()],
            bias: vec![0.0; departments.len()],
            terms,
            idf,
            departments,
        });
        let labelled: Vec<(Features, usize)> = documents
            .iter()
            .zip(examples)
            .map(|(document, example)| {
                let label = classifier
                    .model
                    .departments
                    .binary_search(&example.department)
                    .unwrap_or_default();
                (classifier.features(document), label)
            })
            .collect();
        classifier.fit(&labelled);
        classifier
    }

    /// Mini-batch SGD on the softmax cross-entropy. The L2 penalty shrinks
    /// every weight at every step; instead of touching them all, the weights
    /// are kept divided by a common `scale` that the shrinking multiplies.
    fn fit(&mut self, labelled: &[(Features, usize)]) {
        let classes = self.model.departments.len();
        let width = self.model.terms.len();
        if labelled.is_empty() || classes == 0 {
            return;
        }
        let batches_per_epoch = labelled.len().div_ceil(BATCH);
        let epochs = EPOCHS.max(MIN_UPDATES.div_ceil(batches_per_epoch));
        let total_updates = (epochs * batches_per_epoch) as f32;
        let mut order: Vec<usize> = (0..labelled.len()).collect();
        let mut rng = StdRng::seed_from_u64(SHUFFLE_SEED);
        let Model { weights, bias, .. } = &mut self.model;
        let mut scale = 1.0f32;
        let mut probabilities = vec![0.0f32; classes];
        // The batch's gradients with respect to the logits, example by example.
        let mut gradients = vec![0.0f32; BATCH * classes];
        let mut update = 0usize;
        for _ in 0..epochs {
            order.shuffle(&mut rng);
            for batch in order.chunks(BATCH) {
                let rate = LEARNING_RATE / (1.0 + 4.0 * update as f32 / total_updates);
                for (slot, &i) in batch.iter().enumerate() {
                    let (x, label) = &labelled[i];
                    softmax_into(weights, bias, scale, width, x, &mut probabilities);
                    let g = &mut gradients[slot * classes..(slot + 1) * classes];
                    g.copy_from_slice(&probabilities);
                    g[*label] -= 1.0;
                }
                let step = rate / batch.len() as f32;
                for (slot, &i) in batch.iter().enumerate() {
                    let (x, _) = &labelled[i];
                    let g = &gradients[slot * classes..(slot + 1) * classes];
                    for (k, &gk) in g.iter().enumerate() {
                        let row = &mut weights[k * width..(k + 1) * width];
                        for &(j, value) in x {
                            row[j as usize] -= step * gk * value / scale;
                        }
                        bias[k] -= step * gk;
                    }
                }
                scale *= 1.0 - rate * L2;
                if scale < 1e-3 {
                    weights.iter_mut().for_each(|w| *w *= scale);
                    scale = 1.0;
                }
                update += 1;
            }
        }
        weights.iter_mut().for_each(|w| *w *= scale);
    }

    fn from_model(model: Model) -> Classifier {
        let index = model
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Classifier { model, index }
    }

    /// The TF-IDF vector of a report's tokens; terms outside the vocabulary
    /// are dropped.
    fn features(&self, tokens: &[String]) -> Features {
        let mut ids: Vec<u32> = tokens
            .iter()
            .filter_map(|t| self.index.get(t).copied())
            .collect();
        ids.sort_unstable();
        let mut features: Features = Vec::with_capacity(ids.len());
        for id in ids {
            match features.last_mut() {
                Some((last, count)) if *last == id => *count += 1.0,
                _ => features.push((id, 1.0)),
            }
        }
        for (id, value) in &mut features {
            *value = (1.0 + value.ln()) * self.model.idf[*id as usize];
        }
        let norm = features.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            features.iter_mut().for_each(|(_, v)| *v /= norm);
        }
        features
    }

    /// The department most like the ones reports like this went to, with its
    /// probability. `None` when nothing in the report is known to the model
    /// (no word of its vocabulary, a service it never saw), since the
    /// suggestion would then be only the commonest department.
    pub fn predict(&self, service_code: &str, text: &str) -> Option<Suggestion> {
        let features = self.features(&tokens(service_code, text));
        if features.is_empty() || self.model.departments.is_empty() {
            return None;
        }
        let mut probabilities = vec![0.0; self.model.departments.len()];
        softmax_into(
            &self.model.weights,
            &self.model.bias,
            1.0,
            self.model.terms.len(),
            &features,
            &mut probabilities,
        );
        // The first of equals, so that a tie is decided the same every time.
        let (best, confidence) =
            probabilities
                .iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f32::MIN),
                    |best, (k, p)| if p > best.1 { (k, p) } else { best },
                );
        Some(Suggestion {
            department: self.model.departments[best].clone(),
            confidence,
        })
    }

    /// How many of `examples` the classifier sends where they went.
    pub fn evaluate(&self, examples: &[Example]) -> Accuracy {
        let correct = examples
            .iter()
            .filter(|e| {
                self.predict(&e.service_code, &e.text)
                    .is_some_and(|s| s.department == e.department)
            })
            .count();
        Accuracy {
            correct,
            total: examples.len(),
        }
    }

    /// The departments it knows, sorted.
    pub fn departments(&self) -> &[String] {
        &self.model.departments
    }

    /// The classifier as bytes to store (JSON; floats written so that they
    /// read back exactly).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.model).expect("a model of strings and numbers serialises")
    }

    /// A stored classifier, checked for consistency.
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier, ModelError> {
        let model: Model = serde_json::from_slice(bytes)?;
        if model.format != FORMAT {
            return Err(ModelError::Version(model.format));
        }
        let sorted_unique = |v: &[String]| v.windows(2).all(|w| w[0] < w[1]);
        if !sorted_unique(&model.terms) || !sorted_unique(&model.departments) {
            return Err(ModelError::Inconsistent(
                "terms and departments must be sorted and unique",
            ));
        }
        if model.idf.len() != model.terms.len()
            || model.bias.len() != model.departments.len()
            || model.weights.len() != model.terms.len() * model.departments.len()
        {
            return Err(ModelError::Inconsistent(
                "the numbers of weights do not match the terms and departments",
            ));
        }
        Ok(Classifier::from_model(model))
    }
}

/// The class probabilities of a feature vector under `scale × weights`.
fn softmax_into(
    weights: &[f32],
    bias: &[f32],
    scale: f32,
    width: usize,
    x: &[(u32, f32)],
    out: &mut [f32],
) {
    for (k, logit) in out.iter_mut().enumerate() {
        let row = &weights[k * width..(k + 1) * width];
        let dot: f32 = x.iter().map(|&(j, v)| row[j as usize] * v).sum();
        *logit = scale * dot + bias[k];
    }
    let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for p in out.iter_mut() {
        *p = (*p - max).exp();
        sum += *p;
    }
    out.iter_mut().for_each(|p| *p /= sum);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::history::demo_history;

    fn example(service_code: &str, text: &str, department: &str) -> Example {
        Example {
            text: text.into(),
            service_code: service_code.into(),
            department: department.into(),
        }
    }

    /// Two departments told apart by words alone: every report is filed
    /// under the same service.
    fn separable() -> Vec<Example> {
        vec![
            example("e0601", "路口有人摆摊卖水果", "CGZFJ"),
            example("e0601", "小区门口摆摊卖水果", "CGZFJ"),
            example("e0601", "胡同里有人摆摊", "CGZFJ"),
            example("e0601", "地铁口卖水果的小贩", "CGZFJ"),
            example("e0601", "路口汽车违章停车", "GAJ"),
            example("e0601", "小区门口汽车违章停车", "GAJ"),
            example("e0601", "胡同里汽车挡路", "GAJ"),
            example("e0601", "地铁口汽车挡路", "GAJ"),
        ]
    }

    #[test]
    fn a_tiny_separable_set_is_learnt_exactly() {
        let examples = separable();
        let classifier = Classifier::train(&examples);
        assert_eq!(classifier.departments(), ["CGZFJ", "GAJ"]);
        let accuracy = classifier.evaluate(&examples);
        assert_eq!(accuracy.correct, accuracy.total);
        let stall = classifier.predict("e0601", "学校门口有人摆摊").unwrap();
        assert_eq!(stall.department, "CGZFJ");
        assert!(stall.confidence > 0.5 && stall.confidence <= 1.0);
        assert!(classifier.predict("c0101", "完全无关").is_none());
    }

    #[test]
    fn nothing_learnt_suggests_nothing() {
        let classifier = Classifier::train(&[]);
        assert!(classifier.predict("e0601", "路口有人摆摊").is_none());
        assert_eq!(classifier.evaluate(&separable()).correct, 0);
    }

    #[test]
    fn training_twice_gives_the_same_model() {
        let examples = demo_history(600, 7);
        let a = Classifier::train(&examples);
        let b = Classifier::train(&examples);
        assert_eq!(a.model, b.model);
        for e in demo_history(50, 8) {
            assert_eq!(
                a.predict(&e.service_code, &e.text),
                b.predict(&e.service_code, &e.text)
            );
        }
    }

    #[test]
    fn a_stored_classifier_reads_back_the_same() {
        let examples = demo_history(400, 3);
        let classifier = Classifier::train(&examples);
        let restored = Classifier::from_bytes(&classifier.to_bytes()).unwrap();
        assert_eq!(restored.model, classifier.model);
        for e in &examples {
            assert_eq!(
                restored.predict(&e.service_code, &e.text),
                classifier.predict(&e.service_code, &e.text)
            );
        }
        assert!(matches!(
            Classifier::from_bytes(b"{\"format\": 1}"),
            Err(ModelError::Format(_))
        ));
        let mut other = classifier.model.clone();
        other.format = FORMAT + 1;
        assert!(matches!(
            Classifier::from_bytes(&serde_json::to_vec(&other).unwrap()),
            Err(ModelError::Version(_))
        ));
        let mut short = classifier.model.clone();
        short.weights.pop();
        assert!(matches!(
            Classifier::from_bytes(&serde_json::to_vec(&short).unwrap()),
            Err(ModelError::Inconsistent(_))
        ));
    }

    #[test]
    fn the_demo_history_is_learnt_well_above_the_commonest_department() {
        let e = crate::routing::evaluate_demo(5000, 2026);
        assert_eq!((e.trained_on, e.accuracy.total), (4000, 1000));
        let accuracy = e.accuracy.share();
        assert!(accuracy > e.commonest_share + 0.25, "{e}");
        assert!(accuracy > 0.85, "{e}");
    }
}
