//! Weights of the parts of a whole (the signals of a composite warning
//! light, the components of a composite index): each a share, 0 or more,
//! together one.

/// How far the sum may miss one: decimal shares such as 0.1 do not add up
/// exactly in binary.
const TOLERANCE: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightError {
    #[error("part {position} has weight {weight}; a weight is a finite share, 0 or more")]
    Weight { position: usize, weight: f64 },
    #[error("the weights sum to {}, not 1", shown(*.sum))]
    Sum { sum: f64 },
}

impl WeightError {
    /// The message in Chinese, for the pages and problem documents.
    pub fn zh(&self) -> String {
        match self {
            WeightError::Weight { position, weight } => {
                format!("第 {position} 项的权重为 {weight}，权重须为不小于 0 的有限数")
            }
            WeightError::Sum { sum } => format!("各项权重之和为 {}，应为 1", shown(*sum)),
        }
    }
}

/// A sum as people wrote its parts: 0.6 + 0.3 is 0.9, not 0.8999999999999999.
fn shown(sum: f64) -> f64 {
    (sum * 1e9).round() / 1e9
}

/// Checks that the weights are shares of one.
pub fn check(weights: impl IntoIterator<Item = f64>) -> Result<(), WeightError> {
    let mut sum = 0.0;
    for (i, weight) in weights.into_iter().enumerate() {
        if !weight.is_finite() || weight < 0.0 {
            return Err(WeightError::Weight {
                position: i + 1,
                weight,
            });
        }
        sum += weight;
    }
    if (sum - 1.0).abs() > TOLERANCE {
        return Err(WeightError::Sum { sum });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_shares_that_sum_to_one() {
        let short = check([0.5, 0.4]).unwrap_err();
        assert!(matches!(short, WeightError::Sum { sum } if (sum - 0.9).abs() < 1e-12));
        assert!(short.to_string().contains("0.9") && short.zh().contains("0.9"));
        assert_eq!(check([]), Err(WeightError::Sum { sum: 0.0 }));
        assert_eq!(
            check([1.5, -0.5]),
            Err(WeightError::Weight {
                position: 2,
                weight: -0.5
            })
        );
        // Tenths that do not add up exactly in binary are still one.
        assert!(check([0.1; 10]).is_ok());
        assert!(check([0.6, 0.3]).unwrap_err().zh().contains("为 0.9，"));
    }
}
