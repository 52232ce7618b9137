//! Drug identity: RxCUIs (ingredient or product), NDCs and free-text names to ingredients.
//!
//! RxNorm normalises every prescribable concept to its ingredients (NLM RxNorm documentation,
//! "RxNorm Current Prescribable Content"): a salt (PIN) maps to its base ingredient and a
//! combination product splits into its ingredients. Free text is read the way RxNorm writes
//! clinical-drug names (`[strength] [unit] / [ingredient] ... [dose form] [brand]`): components are
//! split on ` / `, each component's longest known ingredient name or synonym wins, salt words
//! ("hydrochloride", "sodium"...) are simply not names and fall away, and the number before `MG`
//! (or `MCG`) is the strength. Concentrations (`MG/ML`) give no per-unit strength.

use crate::intern::FxHashMap;

/// Route group, from the dose form in the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Oral,
    Injection,
    Topical,
    Ophthalmic,
    Otic,
    Inhaled,
    Nasal,
    Mucosal,
    Transdermal,
    Rectal,
    Vaginal,
    Unknown,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Oral => "oral",
            Route::Injection => "injection",
            Route::Topical => "topical",
            Route::Ophthalmic => "ophthalmic",
            Route::Otic => "otic",
            Route::Inhaled => "inhaled",
            Route::Nasal => "nasal",
            Route::Mucosal => "mucosal",
            Route::Transdermal => "transdermal",
            Route::Rectal => "rectal",
            Route::Vaginal => "vaginal",
            Route::Unknown => "unknown",
        }
    }
    pub fn parse(s: &str) -> Option<Route> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "oral" => Route::Oral,
            "injection" => Route::Injection,
            "topical" => Route::Topical,
            "ophthalmic" => Route::Ophthalmic,
            "otic" => Route::Otic,
            "inhaled" => Route::Inhaled,
            "nasal" => Route::Nasal,
            "mucosal" => Route::Mucosal,
            "transdermal" => Route::Transdermal,
            "rectal" => Route::Rectal,
            "vaginal" => Route::Vaginal,
            "unknown" => Route::Unknown,
            _ => return None,
        })
    }
    /// Reaches the circulation in meaningful amounts (unknown counts as systemic: the safe side).
    pub fn is_systemic(self) -> bool {
        matches!(
            self,
            Route::Oral
                | Route::Injection
                | Route::Mucosal
                | Route::Transdermal
                | Route::Rectal
                | Route::Unknown
        )
    }
    fn from_word(w: &str) -> Option<Route> {
        Some(match w {
            "oral" | "tablet" | "capsule" | "chewable" | "syrup" | "elixir" => Route::Oral,
            "injection" | "injectable" | "intravenous" | "subcutaneous" | "intramuscular"
            | "auto-injector" | "prefilled" => Route::Injection,
            "topical" | "cream" | "ointment" | "gel" | "lotion" => Route::Topical,
            "ophthalmic" => Route::Ophthalmic,
            "otic" => Route::Otic,
            "inhalation" | "inhaler" | "inhalant" => Route::Inhaled,
            "nasal" => Route::Nasal,
            "mucosal" | "sublingual" | "buccal" => Route::Mucosal,
            "transdermal" | "patch" => Route::Transdermal,
            "rectal" | "suppository" => Route::Rectal,
            "vaginal" | "intrauterine" => Route::Vaginal,
            _ => return None,
        })
    }
}

/// How a drug reference was mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappedVia {
    IngredientCode,
    ProductCode,
    Ndc,
    Name,
}

/// A drug reduced to ingredients (dense KB ids) with per-ingredient strengths.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedDrug {
    /// `(dense ingredient id, strength in mg per unit when the name gives it)`.
    pub ingredients: Vec<(u32, Option<f64>)>,
    pub route: Route,
    /// "PRN" / "as needed" in the name.
    pub prn: bool,
    pub via: MappedVia,
}

impl ResolvedDrug {
    pub fn strength_of(&self, ingredient: u32) -> Option<f64> {
        self.ingredients
            .iter()
            .find(|(i, _)| *i == ingredient)
            .and_then(|(_, s)| *s)
    }
}

/// Parses a free-text drug name against the KB's lower-case name table.
pub(crate) fn parse_name(
    text: &str,
    names: &FxHashMap<String, u32>,
    max_words: usize,
) -> Option<ResolvedDrug> {
    let lower = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.to_lowercase()
    };
    let mut ingredients: Vec<(u32, Option<f64>)> = Vec::new();
    let mut route = Route::Unknown;
    let mut prn = false;
    let mut key = String::new();
    // Token start offsets and slices of one component (names are short: no heap needed).
    const MAX_TOKENS: usize = 48;
    let mut tokens: [&str; MAX_TOKENS] = [""; MAX_TOKENS];
    let mut starts = [0usize; MAX_TOKENS];
    for component in lower.split(" / ") {
        let base = component.as_ptr() as usize;
        let mut n_tok = 0;
        for t in component
            .split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')' | ','))
            .filter(|t| !t.is_empty())
            .take(MAX_TOKENS)
        {
            tokens[n_tok] = t;
            starts[n_tok] = t.as_ptr() as usize - base;
            n_tok += 1;
        }
        let tokens = &tokens[..n_tok];
        let mut found: Option<u32> = None;
        let mut i = 0;
        while i < tokens.len() && found.is_none() {
            // Names start with a letter: skip strengths, volumes and pack counts.
            if !tokens[i].starts_with(|c: char| c.is_alphabetic()) {
                i += 1;
                continue;
            }
            let longest = max_words.min(tokens.len() - i);
            for n in (1..=longest).rev() {
                let last = i + n - 1;
                if n > 1 && !tokens[last].starts_with(|c: char| c.is_alphabetic()) {
                    continue;
                }
                let span_end = starts[last] + tokens[last].len();
                let joined_len: usize =
                    tokens[i..=last].iter().map(|t| t.len()).sum::<usize>() + n - 1;
                // Words separated by single spaces are already the key inside the text.
                let candidate: &str = if span_end - starts[i] == joined_len {
                    &component[starts[i]..span_end]
                } else {
                    key.clear();
                    for (k, t) in tokens[i..=last].iter().enumerate() {
                        if k > 0 {
                            key.push(' ');
                        }
                        key.push_str(t);
                    }
                    key.as_str()
                };
                if let Some(&id) = names.get(candidate) {
                    found = Some(id);
                    break;
                }
            }
            i += 1;
        }
        let mut strength = None;
        for (j, t) in tokens.iter().enumerate() {
            if route == Route::Unknown
                && let Some(r) = Route::from_word(t)
            {
                route = r;
            }
            if *t == "prn" || (*t == "needed" && j > 0 && tokens[j - 1] == "as") {
                prn = true;
            }
            if strength.is_none() {
                strength = strength_at(tokens, j);
            }
        }
        if let Some(id) = found
            && !ingredients.iter().any(|(x, _)| *x == id)
        {
            ingredients.push((id, strength));
        }
    }
    if ingredients.is_empty() {
        return None;
    }
    Some(ResolvedDrug {
        ingredients,
        route,
        prn,
        via: MappedVia::Name,
    })
}

/// Strength in mg if token `j` is a mass unit (`mg`, `mcg`, or glued like `40mg`).
fn strength_at(tokens: &[&str], j: usize) -> Option<f64> {
    let t = tokens[j];
    let prev = || j.checked_sub(1).and_then(|p| tokens[p].parse::<f64>().ok());
    match t {
        "mg" => prev(),
        "mcg" | "µg" => prev().map(|v| v / 1000.0),
        _ => {
            if let Some(num) = t.strip_suffix("mg") {
                num.parse::<f64>().ok()
            } else if let Some(num) = t.strip_suffix("mcg") {
                num.parse::<f64>().ok().map(|v| v / 1000.0)
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> FxHashMap<String, u32> {
        let mut m = FxHashMap::default();
        for (i, n) in [
            "metformin",
            "lisinopril",
            "hydrochlorothiazide",
            "potassium chloride",
        ]
        .iter()
        .enumerate()
        {
            m.insert(n.to_string(), i as u32);
        }
        m
    }

    #[test]
    fn parses_rxnorm_style_names() {
        let n = names();
        let d = parse_name(
            "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet",
            &n,
            2,
        )
        .unwrap();
        assert_eq!(d.ingredients, vec![(0, Some(500.0))]);
        assert_eq!(d.route, Route::Oral);
        let d = parse_name(
            "Hydrochlorothiazide 25 MG / Lisinopril 10 MG Oral Tablet",
            &n,
            2,
        )
        .unwrap();
        assert_eq!(d.ingredients, vec![(2, Some(25.0)), (1, Some(10.0))]);
        let d = parse_name(
            "Potassium Chloride 20 MEQ Extended Release Oral Tablet",
            &n,
            2,
        )
        .unwrap();
        assert_eq!(d.ingredients, vec![(3, None)]);
        let d = parse_name("lisinopril 2 MG/ML Oral Solution PRN", &n, 2).unwrap();
        assert_eq!(d.ingredients, vec![(1, None)]);
        assert!(d.prn);
        assert!(parse_name("Jolivette 28 Day Pack", &n, 2).is_none());
    }
}
