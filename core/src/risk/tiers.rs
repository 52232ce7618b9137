//! Risk pyramid: patients ranked by a chosen score and cut at configurable percentiles, plus a
//! "rising risk" tier for patients whose score grew over a look-back window.
//!
//! Default cut-points top 1 % / 5 % / 20 % follow the concentration of spending (MEPS Statistical
//! Brief #560: the top 1 % of people account for about a fifth of spending, the top 5 % about
//! half) and the AAFP risk-stratified care-management pyramid (top 20 % need more support).

use crate::error::{CinError, Result};

/// Which score ranks patients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TierScore {
    /// CMS-HCC V28 raw score (default).
    #[default]
    HccV28,
    /// Charlson (Quan 2011 weights).
    Charlson,
    /// Elixhauser (van Walraven).
    Elixhauser,
}

impl TierScore {
    pub fn from_name(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hcc_v28" | "hcc" => Ok(TierScore::HccV28),
            "charlson" => Ok(TierScore::Charlson),
            "elixhauser" => Ok(TierScore::Elixhauser),
            _ => Err(CinError::invalid(
                "tier score must be hcc_v28, charlson or elixhauser",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TierScore::HccV28 => "hcc_v28",
            TierScore::Charlson => "charlson",
            TierScore::Elixhauser => "elixhauser",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TierPolicy {
    pub score: TierScore,
    /// `(tier name, cumulative top fraction)`, most severe first, fractions increasing.
    pub cut_points: Vec<(String, f64)>,
    /// Tier of everyone else.
    pub base_tier: String,
    /// Name of the rising-risk tier (given to patients below the cut-points only).
    pub rising_tier: String,
    /// Look-back window for rising risk, days.
    pub rising_window_days: i64,
    /// Minimum score increase over the window that makes a patient rising risk.
    pub rising_min_increase: f64,
}

impl Default for TierPolicy {
    fn default() -> Self {
        TierPolicy {
            score: TierScore::HccV28,
            cut_points: vec![
                ("very_high".into(), 0.01),
                ("high".into(), 0.05),
                ("moderate".into(), 0.20),
            ],
            base_tier: "low".into(),
            rising_tier: "rising".into(),
            rising_window_days: 365,
            rising_min_increase: 0.5,
        }
    }
}

impl TierPolicy {
    pub fn validate(&self) -> Result<()> {
        let mut last = 0.0;
        for (name, f) in &self.cut_points {
            if !(*f > last && *f <= 1.0) {
                return Err(CinError::invalid(format!(
                    "tier {name}: cut-points must increase within (0, 1]"
                )));
            }
            last = *f;
        }
        Ok(())
    }

    /// Every tier name, most severe first.
    pub fn tier_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.cut_points.iter().map(|(n, _)| n.as_str()).collect();
        v.push(&self.rising_tier);
        v.push(&self.base_tier);
        v
    }
}

/// Assigns tiers. `scores[i]` is patient i's current score, `previous[i]` the score at the start
/// of the rising-risk window (`None`: not known then). Ranking is by score, highest first, ties
/// in input order; with `n` patients the top `ceil(f * n)` ranks of positive scores get the tier
/// of cut-point `f`. A patient with no or a zero score is never in a top tier.
pub fn assign_tiers(
    scores: &[Option<f64>],
    previous: &[Option<f64>],
    policy: &TierPolicy,
) -> Result<Vec<String>> {
    policy.validate()?;
    if previous.len() != scores.len() {
        return Err(CinError::invalid(format!(
            "previous has {} rows but scores has {}",
            previous.len(),
            scores.len()
        )));
    }
    let n = scores.len();
    let mut order: Vec<usize> = (0..n)
        .filter(|&i| scores[i].is_some_and(|s| s > 0.0))
        .collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (scores[a].unwrap_or(0.0), scores[b].unwrap_or(0.0));
        y.total_cmp(&x)
    });
    let mut tier: Vec<Option<usize>> = vec![None; n];
    for (rank, &i) in order.iter().enumerate() {
        tier[i] = policy
            .cut_points
            .iter()
            .position(|(_, f)| (rank as f64) < (f * n as f64 - 1e-9).ceil());
    }
    Ok((0..n)
        .map(|i| match tier[i] {
            Some(t) => policy.cut_points[t].0.clone(),
            None => {
                let rising = match (scores[i], previous[i]) {
                    (Some(now), Some(then)) => now - then >= policy.rising_min_increase,
                    _ => false,
                };
                if rising {
                    policy.rising_tier.clone()
                } else {
                    policy.base_tier.clone()
                }
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyramid_cuts_by_rank() {
        // 100 patients scored 100, 99, ..., 1: top 1 = very_high, next 4 high, next 15 moderate.
        let scores: Vec<Option<f64>> = (0..100).map(|i| Some(100.0 - i as f64)).collect();
        let prev = vec![None; 100];
        let t = assign_tiers(&scores, &prev, &TierPolicy::default()).unwrap();
        let count = |name: &str| t.iter().filter(|x| *x == name).count();
        assert_eq!(t[0], "very_high");
        assert_eq!(
            (
                count("very_high"),
                count("high"),
                count("moderate"),
                count("low")
            ),
            (1, 4, 15, 80)
        );
        assert_eq!(t[19], "moderate");
        assert_eq!(t[20], "low");
    }

    #[test]
    fn zero_scores_and_rising() {
        // 10 patients: ceil(0.01*10)=1, ceil(0.05*10)=1, ceil(0.2*10)=2.
        let scores = [
            Some(3.0),
            Some(0.0),
            None,
            Some(1.0),
            Some(0.9),
            Some(0.8),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
        ];
        let prev = [
            Some(0.0),
            None,
            None,
            Some(0.2),
            Some(0.1),
            Some(0.5),
            None,
            None,
            None,
            None,
        ];
        let t = assign_tiers(&scores, &prev, &TierPolicy::default()).unwrap();
        assert_eq!(t[0], "very_high");
        assert_eq!(t[3], "moderate");
        assert_eq!(t[4], "rising"); // 0.9 - 0.1 = 0.8 >= 0.5
        assert_eq!(t[5], "low"); // 0.3 increase only
        assert_eq!(t[1], "low");
        assert_eq!(t[2], "low");
    }

    #[test]
    fn bad_policy_is_rejected() {
        let p = TierPolicy {
            cut_points: vec![("a".into(), 0.2), ("b".into(), 0.1)],
            ..TierPolicy::default()
        };
        assert!(assign_tiers(&[Some(1.0)], &[None], &p).is_err());
        assert!(assign_tiers(&[Some(1.0)], &[], &TierPolicy::default()).is_err());
    }
}
