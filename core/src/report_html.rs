//! The network report as one self-contained HTML page with inline SVG charts: no scripts, no
//! external files, viewable offline and printable. Everything shown is in the JSON report too.

use crate::report::NetworkReport;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart: one labelled bar per row, value printed at the bar's end.
/// `max` fixes the scale (e.g. 1.0 for rates); `None` scales to the largest value.
pub fn bar_chart(title: &str, rows: &[(String, f64)], max: Option<f64>, percent: bool) -> String {
    let bar_h = 18.0;
    let gap = 6.0;
    let label_w = 260.0;
    let chart_w = 420.0;
    let height = 30.0 + rows.len() as f64 * (bar_h + gap);
    let top = max
        .unwrap_or_else(|| rows.iter().map(|r| r.1).fold(0.0, f64::max))
        .max(f64::MIN_POSITIVE);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{w}" height="{height}" viewBox="0 0 {w} {height}"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        w = label_w + chart_w + 80.0,
        t = escape(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 28.0 + i as f64 * (bar_h + gap);
        let w = (value / top).clamp(0.0, 1.0) * chart_w;
        let shown = if percent {
            format!("{:.1}%", value * 100.0)
        } else {
            format!("{value:.0}")
        };
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end">{l}</text><rect x="{label_w}" y="{y}" width="{w:.1}" height="{bar_h}" class="bar"/><text x="{vx:.1}" y="{ty}">{v}</text>"#,
            lx = label_w - 6.0,
            ty = y + bar_h - 4.0,
            l = escape(label),
            vx = label_w + w + 4.0,
            v = shown
        );
    }
    s.push_str("</svg>");
    s
}

/// A risk pyramid: tiers from the top (smallest) down, widths by count (square-root scaled so the
/// apex stays visible).
pub fn pyramid(title: &str, tiers: &[(String, usize)]) -> String {
    let width = 520.0;
    let row_h = 34.0;
    let height = 30.0 + tiers.len() as f64 * (row_h + 4.0);
    let max = tiers.iter().map(|t| t.1).max().unwrap_or(1).max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = escape(title)
    );
    for (i, (label, n)) in tiers.iter().enumerate() {
        let w = 60.0 + (*n as f64 / max).sqrt() * (width - 80.0);
        let x = (width - w) / 2.0;
        let y = 26.0 + i as f64 * (row_h + 4.0);
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{y}" width="{w:.1}" height="{row_h}" class="tier{i}"/><text x="{cx}" y="{ty}" text-anchor="middle">{l}: {n}</text>"#,
            cx = width / 2.0,
            ty = y + row_h / 2.0 + 5.0,
            l = escape(label)
        );
    }
    s.push_str("</svg>");
    s
}

fn table(s: &mut String, head: &[&str], rows: &[Vec<String>]) {
    s.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{}</td>", escape(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}\
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}\
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}svg{display:block;margin:.6em 0;font-size:12px}\
.ct{font-weight:bold;font-size:13px}.bar{fill:#3b7dd8}.tier0{fill:#c0392b}.tier1{fill:#e67e22}.tier2{fill:#f1c40f}\
.tier3{fill:#27ae60}.tier4{fill:#2980b9}.kpi{display:inline-block;margin:.3em 1.2em .3em 0}.kpi b{font-size:1.4em;display:block}";

impl NetworkReport {
    /// One self-contained HTML page (inline CSS and SVG, no scripts).
    pub fn to_html(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cin_core network report</title><style>{STYLE}</style></head><body><h1>Network report</h1>"
        );
        let c = &self.counts;
        s.push_str("<section id=\"counts\">");
        for (label, n) in [
            ("patients", c.patients),
            ("organizations", c.organizations),
            ("encounters", c.encounters),
            ("conditions", c.conditions),
            ("observations", c.observations),
            ("medications", c.medications),
            ("procedures", c.procedures),
        ] {
            let _ = write!(s, "<span class=\"kpi\"><b>{n}</b>{label}</span>");
        }
        s.push_str("</section>");
        self.html_sections(&mut s);
        s.push_str("</body></html>\n");
        s
    }

    fn html_sections(&self, s: &mut String) {
        let r = &self.readmissions_30d;
        let _ = write!(
            s,
            "<h2>30-day readmissions</h2><p>{} readmissions after {} index stays: {:.1}% ({} to another organisation).</p>",
            r.readmissions,
            r.index_stays,
            r.rate * 100.0,
            r.cross_org
        );
        let rows: Vec<(String, f64)> = self
            .readmissions_by_hospital
            .iter()
            .map(|h| (h.name.clone().unwrap_or_else(|| h.org_id.clone()), h.rate))
            .collect();
        if !rows.is_empty() {
            s.push_str(&bar_chart(
                "Readmission rate by discharging hospital",
                &rows,
                None,
                true,
            ));
        }
        s.push_str("<h2>Follow-up after discharge</h2>");
        table(
            s,
            &["window", "discharges", "followed up", "rate", "missed"],
            &[
                ("7 days", &self.followup_7d),
                ("30 days", &self.followup_30d),
            ]
            .iter()
            .map(|(w, f)| {
                vec![
                    w.to_string(),
                    f.discharges.to_string(),
                    f.followed_up.to_string(),
                    format!("{:.1}%", f.rate * 100.0),
                    (f.discharges - f.followed_up).to_string(),
                ]
            })
            .collect::<Vec<_>>(),
        );
        let u = &self.utilisation;
        let rows: Vec<(String, f64)> = u
            .encounters_by_setting
            .iter()
            .map(|(k, v)| (k.clone(), *v as f64))
            .collect();
        s.push_str("<h2>Utilisation</h2>");
        let _ = write!(
            s,
            "<p>ED visits per 1,000 per year: {:.0}; admissions per 1,000 per year: {:.0} (over {:.1} years).</p>",
            u.ed_visits_per_1000_per_year, u.admissions_per_1000_per_year, u.period_years
        );
        s.push_str(&bar_chart("Encounters by setting", &rows, None, false));
        let mut t: Vec<(&String, &usize)> = self.transitions.counts.iter().collect();
        t.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        s.push_str("<h2>Transitions between settings</h2>");
        table(
            s,
            &["transition", "count"],
            &t.iter()
                .take(15)
                .map(|(k, v)| vec![k.to_string(), v.to_string()])
                .collect::<Vec<_>>(),
        );
        self.html_risk_and_safety(s);
    }

    fn html_risk_and_safety(&self, s: &mut String) {
        let r = &self.risk;
        let _ = write!(
            s,
            "<h2>Risk</h2><p>Tiers cut on {}. HCC V28 mean {} over {} patients; {} of {} stays with LACE &ge; 10.</p>",
            escape(&r.tier_score),
            r.mean_hcc_v28
                .map_or("-".to_string(), |m| format!("{m:.3}")),
            r.with_hcc_score,
            r.lace_high,
            r.stays_scored
        );
        // Most severe tier on top; names outside the default policy follow in their order.
        let order = crate::risk::TierPolicy::default();
        let mut tiers: Vec<(String, usize)> = order
            .tier_names()
            .iter()
            .filter_map(|t| r.tiers.get(*t).map(|n| (t.to_string(), *n)))
            .collect();
        for (k, v) in &r.tiers {
            if !tiers.iter().any(|(t, _)| t == k) {
                tiers.push((k.clone(), *v));
            }
        }
        s.push_str(&pyramid("Risk pyramid", &tiers));
        let rows: Vec<(String, f64)> = r
            .registries
            .iter()
            .map(|(k, v)| (k.clone(), *v as f64))
            .collect();
        if !rows.is_empty() {
            s.push_str(&bar_chart("Chronic-disease registries", &rows, None, false));
        }

        let d = &self.duplicate_tests;
        let _ = write!(
            s,
            "<h2>Duplicate tests</h2><p>{} tests repeated inside their minimum retest interval ({} across organisations); estimated avoidable cost {:.0} {}.</p>",
            d.count,
            d.cross_org,
            d.estimated_avoidable_cost,
            escape(&d.currency)
        );
        let top = |m: &std::collections::BTreeMap<String, usize>| {
            let mut v: Vec<(String, f64)> = m.iter().map(|(k, v)| (k.clone(), *v as f64)).collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(12);
            v
        };
        if !d.by_family.is_empty() {
            s.push_str(&bar_chart(
                "Duplicates by test family",
                &top(&d.by_family),
                None,
                false,
            ));
            s.push_str(&bar_chart(
                "Duplicates by ordering organisation",
                &top(&d.by_ordering_org),
                None,
                false,
            ));
        }

        let i = &self.drug_interactions;
        let _ = write!(
            s,
            "<h2>Drug interactions</h2><p>{} interacting pairs in {} patients ({} across organisations); {} therapeutic duplications. Knowledge base: {}.</p>",
            i.count,
            i.patients_with_interaction,
            i.cross_org,
            i.therapeutic_duplications,
            escape(&i.kb_version)
        );
        if !i.by_severity.is_empty() {
            s.push_str(&bar_chart(
                "Interactions by severity",
                &top(&i.by_severity),
                None,
                false,
            ));
        }

        s.push_str("<h2>Quality measures</h2>");
        if let Some((a, b)) = &self.measures_period {
            let _ = write!(s, "<p>Network level, {} to {}.</p>", escape(a), escape(b));
        }
        table(
            s,
            &["measure", "denominator", "numerator", "rate"],
            &self
                .measures
                .iter()
                .map(|m| {
                    vec![
                        m.id.clone(),
                        m.denominator.to_string(),
                        m.numerator.to_string(),
                        m.rate.map_or("-".to_string(), |r| format!("{r:.3}")),
                    ]
                })
                .collect::<Vec<_>>(),
        );
        // Rates by practice, one chart per measure (rates over 1 are per-1,000 counts).
        for m in &self.measures {
            let rows: Vec<(String, f64)> = self
                .measures_by_practice
                .iter()
                .filter(|p| p.measure_id == m.id)
                .filter_map(|p| {
                    let name = p
                        .practice_name
                        .clone()
                        .unwrap_or_else(|| p.practice_id.clone());
                    let rank = p.rank.map_or(String::new(), |r| format!(" (#{r})"));
                    Some((format!("{name}{rank}"), p.rate?))
                })
                .collect();
            if rows.len() >= 2 {
                let percent = rows.iter().all(|r| r.1 <= 1.0);
                s.push_str(&bar_chart(
                    &format!("{} by practice", m.id),
                    &rows,
                    percent.then_some(1.0),
                    percent,
                ));
            }
        }
        if !self.care_gaps.is_empty() {
            s.push_str("<h2>Open care gaps</h2>");
            table(
                s,
                &["measure", "open gaps"],
                &self
                    .care_gaps
                    .iter()
                    .map(|g| vec![g.measure_id.clone(), g.gaps.to_string()])
                    .collect::<Vec<_>>(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_draws() {
        assert_eq!(escape("<a&'\">"), "&lt;a&amp;&#39;&quot;&gt;");
        let svg = bar_chart(
            "t",
            &[("a<b".into(), 0.5), ("c".into(), 1.0)],
            Some(1.0),
            true,
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("a&lt;b") && svg.contains("50.0%"));
        assert_eq!(svg.matches("<rect").count(), 2);
        let p = pyramid("risk", &[("top 1%".into(), 10), ("rest".into(), 990)]);
        assert_eq!(p.matches("<rect").count(), 2);
    }

    #[test]
    fn the_page_has_every_section() {
        let html = crate::Session::synthetic(200, 3).report().to_html();
        for h in [
            "30-day readmissions",
            "Risk pyramid",
            "Duplicate tests",
            "Drug interactions",
            "Quality measures",
            "hba1c_poor_control",
            "bp_controlled by practice",
            "Open care gaps",
        ] {
            assert!(html.contains(h), "{h}");
        }
        assert!(html.ends_with("</html>\n"));
        assert_eq!(unbalanced_tag(&html), None);
    }

    /// The first element that is closed out of order or never closed (void and self-closing
    /// elements aside): a structural check of the page and its inline SVG.
    fn unbalanced_tag(html: &str) -> Option<String> {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = html;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            let end = rest.find('>')?;
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if tag.starts_with('!') || tag.ends_with('/') {
                continue;
            }
            let name = tag
                .trim_start_matches('/')
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or("");
            if name == "meta" {
                continue;
            }
            if tag.starts_with('/') {
                if stack.pop() != Some(name) {
                    return Some(name.to_string());
                }
            } else {
                stack.push(name);
            }
        }
        stack.pop().map(str::to_string)
    }

    #[test]
    fn the_checker_catches_a_broken_page() {
        assert_eq!(unbalanced_tag("<p><b>x</p></b>"), Some("p".to_string()));
        assert_eq!(
            unbalanced_tag("<svg><rect/></svg><table>"),
            Some("table".to_string())
        );
    }
}
