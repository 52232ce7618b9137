//! Code systems and the one place codes are normalised.
//!
//! ICD codes lose their dot and are upper-cased (`e11.9` → `E119`); leading zeros are kept
//! everywhere (`0331` is a different ICD-9 code from `331`). NDCs are kept as digits in the
//! 11-digit 5-4-2 form when the hyphenated layout tells how to pad them (FDA NDC directory
//! conventions: 4-4-2, 5-3-2 and 5-4-1 are padded with a leading zero in the short segment).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum CodeSystem {
    Icd10Cm,
    Icd9Cm,
    Icd10Pcs,
    Snomed,
    Loinc,
    /// CPT and HCPCS Level II share one namespace of 5-character codes.
    CptHcpcs,
    RxNorm,
    Ndc,
    Cvx,
    /// NUBC revenue codes (claims).
    Revenue,
    /// MS-DRG / APR-DRG.
    Drg,
    Other,
}

impl CodeSystem {
    /// Recognises FHIR system URIs, HL7 v2 coding-system names (table 0396) and plain names as
    /// they appear in Synthea, Tuva and HL7 feeds. Unknown strings give `Other`.
    pub fn from_name(s: &str) -> CodeSystem {
        crate::ascii_case::with_lower(s.trim(), Self::from_folded_name)
    }

    /// [`CodeSystem::from_name`] of trimmed, lower-case text.
    fn from_folded_name(l: &str) -> CodeSystem {
        match l {
            "http://hl7.org/fhir/sid/icd-10-cm"
            | "icd-10-cm"
            | "icd10cm"
            | "icd-10"
            | "icd10"
            | "i10"
            | "i10c"
            | "icd10-cm"
            | "2.16.840.1.113883.6.90"
            | "urn:oid:2.16.840.1.113883.6.90"
            | "http://hl7.org/fhir/sid/icd-10"
            | "icd-10-cm-dx" => CodeSystem::Icd10Cm,
            "http://hl7.org/fhir/sid/icd-9-cm"
            | "icd-9-cm"
            | "icd9cm"
            | "icd-9"
            | "icd9"
            | "i9"
            | "i9c"
            | "i9cdx"
            | "2.16.840.1.113883.6.103"
            | "urn:oid:2.16.840.1.113883.6.103" => CodeSystem::Icd9Cm,
            "http://www.cms.gov/medicare/coding/icd10" | "icd-10-pcs" | "icd10pcs" | "i10p" => {
                CodeSystem::Icd10Pcs
            }
            "http://snomed.info/sct"
            | "snomed"
            | "snomed-ct"
            | "snomedct"
            | "sct"
            | "sno"
            | "snm"
            | "99sct"
            | "2.16.840.1.113883.6.96"
            | "urn:oid:2.16.840.1.113883.6.96" => CodeSystem::Snomed,
            "http://loinc.org"
            | "loinc"
            | "ln"
            | "2.16.840.1.113883.6.1"
            | "urn:oid:2.16.840.1.113883.6.1" => CodeSystem::Loinc,
            "http://www.ama-assn.org/go/cpt"
            | "cpt"
            | "cpt4"
            | "cpt-4"
            | "c4"
            | "hcpcs"
            | "hc"
            | "hcpcs-ii"
            | "urn:oid:2.16.840.1.113883.6.12"
            | "urn:oid:2.16.840.1.113883.6.285"
            | "https://www.cms.gov/medicare/coding/hcpcsreleasecodesets" => CodeSystem::CptHcpcs,
            "http://www.nlm.nih.gov/research/umls/rxnorm"
            | "rxnorm"
            | "rxn"
            | "rx"
            | "urn:oid:2.16.840.1.113883.6.88" => CodeSystem::RxNorm,
            "http://hl7.org/fhir/sid/ndc" | "ndc" | "urn:oid:2.16.840.1.113883.6.69" => {
                CodeSystem::Ndc
            }
            "http://hl7.org/fhir/sid/cvx" | "cvx" | "urn:oid:2.16.840.1.113883.12.292" => {
                CodeSystem::Cvx
            }
            "https://www.nubc.org/codesystem/revenuecodes" | "revenue" | "rev" => {
                CodeSystem::Revenue
            }
            "drg"
            | "ms-drg"
            | "apr-drg"
            | "https://www.cms.gov/medicare/payment/prospective-payment-systems/acute-inpatient-pps/ms-drg-classifications-and-software" => {
                CodeSystem::Drg
            }
            _ => CodeSystem::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CodeSystem::Icd10Cm => "ICD-10-CM",
            CodeSystem::Icd9Cm => "ICD-9-CM",
            CodeSystem::Icd10Pcs => "ICD-10-PCS",
            CodeSystem::Snomed => "SNOMED",
            CodeSystem::Loinc => "LOINC",
            CodeSystem::CptHcpcs => "CPT/HCPCS",
            CodeSystem::RxNorm => "RxNorm",
            CodeSystem::Ndc => "NDC",
            CodeSystem::Cvx => "CVX",
            CodeSystem::Revenue => "revenue",
            CodeSystem::Drg => "DRG",
            CodeSystem::Other => "other",
        }
    }

    /// Normalises a code of this system; `None` when nothing usable is left.
    pub fn normalize(self, raw: &str) -> Option<String> {
        self.with_normalized(raw, str::to_string)
    }

    /// Calls `f` with the normalised code (see [`CodeSystem::normalize`]), built on the stack
    /// or borrowed when it can be: a feed interns every code of every message, and the code
    /// only needs storing the first time.
    pub fn with_normalized<R>(self, raw: &str, f: impl FnOnce(&str) -> R) -> Option<R> {
        let t = raw.trim();
        if t.is_empty() || t == "\"\"" {
            return None;
        }
        let nonempty = |s: &str| (!s.is_empty()).then_some(());
        match self {
            CodeSystem::Icd10Cm | CodeSystem::Icd9Cm | CodeSystem::Icd10Pcs if t.len() <= 32 => {
                let mut buf = [0u8; 32];
                let mut n = 0;
                for &b in t.as_bytes() {
                    if b != b'.' && !char::from(b).is_whitespace() {
                        buf[n] = b.to_ascii_uppercase();
                        n += 1;
                    }
                }
                match std::str::from_utf8(&buf[..n]) {
                    // Non-ASCII text keeps the general path below (Unicode whitespace).
                    Ok(s) if t.is_ascii() => nonempty(s).map(|()| f(s)),
                    _ => self.normalize_owned(t).map(|s| f(&s)),
                }
            }
            CodeSystem::Icd10Cm
            | CodeSystem::Icd9Cm
            | CodeSystem::Icd10Pcs
            | CodeSystem::CptHcpcs
            | CodeSystem::Drg
            | CodeSystem::Revenue
            | CodeSystem::Ndc => self.normalize_owned(t).map(|s| f(&s)),
            _ => Some(f(t)),
        }
    }

    /// The general normalisation of a trimmed, non-empty code, into a new string.
    fn normalize_owned(self, t: &str) -> Option<String> {
        let out = match self {
            CodeSystem::Icd10Cm | CodeSystem::Icd9Cm | CodeSystem::Icd10Pcs => t
                .chars()
                .filter(|c| *c != '.' && !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect(),
            CodeSystem::CptHcpcs | CodeSystem::Drg | CodeSystem::Revenue => t.to_ascii_uppercase(),
            CodeSystem::Ndc => normalize_ndc(t),
            _ => t.to_string(),
        };
        if out.is_empty() { None } else { Some(out) }
    }
}

/// NDC to 11 digits (5-4-2). Hyphenated 10-digit layouts are padded in the short segment;
/// an unhyphenated 10-digit NDC is ambiguous and kept as given.
pub fn normalize_ndc(raw: &str) -> String {
    let parts: Vec<&str> = raw.trim().split('-').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let (a, b, c) = (parts[0], parts[1], parts[2]);
        return format!("{a:0>5}{b:0>4}{c:0>2}");
    }
    raw.trim().chars().filter(|c| c.is_ascii_digit()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_normalisation_matches_the_general_one() {
        let raws = [
            "e11.9",
            " I50.9 ",
            "I10",
            "s72.001a",
            "E11 .65",
            "e\u{b}11",
            "\"\"",
            "",
            " . ",
            "i50.9\u{a0}",
            "é11",
            "z99.89",
            "x".repeat(40).as_str(),
            "99213",
            "0001-0002-03",
        ]
        .map(str::to_string);
        for system in [
            CodeSystem::Icd10Cm,
            CodeSystem::Icd9Cm,
            CodeSystem::Icd10Pcs,
            CodeSystem::CptHcpcs,
            CodeSystem::Ndc,
            CodeSystem::Snomed,
        ] {
            for raw in &raws {
                let t = raw.trim();
                let general = (!t.is_empty() && t != "\"\"")
                    .then(|| system.normalize_owned(t))
                    .flatten();
                assert_eq!(system.normalize(raw), general, "{system:?} {raw:?}");
            }
        }
    }

    #[test]
    fn systems_from_the_wild() {
        for n in [
            "I10",
            "I10C",
            "ICD-10",
            "http://hl7.org/fhir/sid/icd-10-cm",
            "icd-10-cm",
        ] {
            assert_eq!(CodeSystem::from_name(n), CodeSystem::Icd10Cm, "{n}");
        }
        for n in ["I9", "I9C", "ICD-9", "ICD9"] {
            assert_eq!(CodeSystem::from_name(n), CodeSystem::Icd9Cm, "{n}");
        }
        assert_eq!(CodeSystem::from_name("SCT"), CodeSystem::Snomed);
        assert_eq!(CodeSystem::from_name("LN"), CodeSystem::Loinc);
        assert_eq!(
            CodeSystem::from_name("http://www.nlm.nih.gov/research/umls/rxnorm"),
            CodeSystem::RxNorm
        );
        assert_eq!(CodeSystem::from_name("ABC"), CodeSystem::Other);
    }

    #[test]
    fn icd_normalisation_keeps_leading_zeros() {
        assert_eq!(CodeSystem::Icd10Cm.normalize(" e11.9 ").unwrap(), "E119");
        assert_eq!(CodeSystem::Icd9Cm.normalize("033.1").unwrap(), "0331");
        assert_eq!(CodeSystem::Icd9Cm.normalize("V45.81").unwrap(), "V4581");
        assert!(CodeSystem::Icd10Cm.normalize("  ").is_none());
        assert!(CodeSystem::Icd10Cm.normalize("\"\"").is_none());
    }

    #[test]
    fn ndc_padding() {
        assert_eq!(normalize_ndc("0002-3227-30"), "00002322730");
        assert_eq!(normalize_ndc("50090-347-0"), "50090034700");
        assert_eq!(normalize_ndc("12345-678-90"), "12345067890");
        assert_eq!(normalize_ndc("00002322730"), "00002322730");
    }
}
