//! Medication lists: guideline-style regimens per condition, switches (stopped orders for
//! washout logic) and, from different prescribers, the interacting pairs and same-class
//! duplicates a network's drug checks must find.
//!
//! Regimen shares are *design* values in the range of US prescribing (e.g. ACE inhibitors and
//! calcium-channel blockers are the most used antihypertensives, metformin is first-line in
//! type 2 diabetes, ADA Standards of Care 2024, 9.x). The interacting pairs come from the ONC
//! high-priority list (Phansalkar et al., JAMIA 2012) and FDA safety communications; their
//! frequencies are *design* choices for test coverage, not utilisation estimates.

use super::catalog::Rx;
use super::directory::Specialty;
use super::epidemiology::Cond;
use super::person::Person;
use super::rng::Rng;
use super::{END_DAY, Gen};
use crate::model::{OrgIdx, PractIdx};

/// Who prescribes: a clinician and their organisation.
type Prescriber = (PractIdx, OrgIdx);

impl Gen<'_> {
    fn pcp_prescriber(&self, p: &Person) -> Prescriber {
        let practice = &self.dir.practices[p.practice];
        (p.pcp.unwrap_or(practice.pcps[0]), practice.org)
    }

    /// The specialist if the patient sees one, else the PCP.
    fn specialist_or_pcp(&self, p: &Person, s: Specialty) -> Prescriber {
        if p.specialties & (1 << s as u8) != 0 {
            let f = self.dir.specialist(s);
            (f.clinicians[p.idx.idx() % f.clinicians.len()], f.org)
        } else {
            self.pcp_prescriber(p)
        }
    }

    /// A specialist who is not the PCP (for pairs that must come from two prescribers).
    fn other_specialist(&self, p: &Person, s: Specialty) -> Prescriber {
        let f = self.dir.specialist(s);
        (f.clinicians[p.idx.idx() % f.clinicians.len()], f.org)
    }

    /// An ED physician at the patient's usual hospital.
    fn ed_prescriber(&self, p: &Person, rng: &mut Rng) -> Prescriber {
        let h = &self.dir.hospitals[p.home_hospital];
        (rng.pick(&h.ed_physicians), h.org)
    }

    fn start_for(&self, p: &Person, rng: &mut Rng, c: Cond) -> i64 {
        (p.onset[c as usize] + rng.range(0, 60))
            .min(p.last_day - 1)
            .max(p.birth_day)
    }

    /// A day inside the window while the patient is alive.
    fn window_day(&self, p: &Person, rng: &mut Rng) -> i64 {
        rng.range(p.first_day, (p.last_day - 15).max(p.first_day))
    }

    fn order(&mut self, p: &Person, rx: Rx, start: i64, stop: Option<i64>, by: Prescriber) {
        self.medication(p, None, rx, start, stop, by.0, by.1);
    }

    /// A chronic order that is sometimes stopped inside the window (*design*: 10 %).
    fn chronic(&mut self, p: &Person, rng: &mut Rng, rx: Rx, start: i64, by: Prescriber) {
        let stop = if rng.chance(0.10) {
            Some(
                rng.range(start.max(p.first_day) + 30, END_DAY.max(start + 31))
                    .min(p.last_day),
            )
        } else {
            None
        };
        self.order(p, rx, start, stop.filter(|&s| s > start), by);
    }

    pub(super) fn medications(&mut self, p: &Person, rng: &mut Rng) {
        if !p.adult() {
            if p.has(Cond::Asthma) {
                let pcp = self.pcp_prescriber(p);
                let s = self.start_for(p, rng, Cond::Asthma);
                self.order(p, Rx::Albuterol, s, None, pcp);
            }
            return;
        }
        let pcp = self.pcp_prescriber(p);
        let mut on_lisinopril = false;
        if p.has(Cond::Hypertension) && rng.chance(0.8) {
            let s = self.start_for(p, rng, Cond::Hypertension);
            match rng.weighted(&[0.45, 0.20, 0.25, 0.10]) {
                0 => {
                    on_lisinopril = true;
                    // ACE-inhibitor cough: switch to an ARB in about 10 % (design).
                    if rng.chance(0.10) {
                        let switch = self.window_day(p, rng).max(s + 30);
                        self.order(p, Rx::Lisinopril, s, Some(switch), pcp);
                        self.order(p, Rx::Losartan, switch, None, pcp);
                        on_lisinopril = false;
                    } else {
                        self.chronic(p, rng, Rx::Lisinopril, s, pcp);
                    }
                }
                1 => self.chronic(p, rng, Rx::Losartan, s, pcp),
                2 => self.chronic(p, rng, Rx::Amlodipine, s, pcp),
                _ => self.chronic(p, rng, Rx::Hctz, s, pcp),
            }
            if rng.chance(0.4) {
                let second = if rng.chance(0.5) {
                    Rx::Amlodipine
                } else {
                    Rx::Hctz
                };
                {
                    let d = s + rng.range(90, 400);
                    self.chronic(p, rng, second, d, pcp);
                }
            }
        }
        // Same-class duplicate: a second ACE inhibitor from cardiology (design: 5 %).
        if on_lisinopril && rng.chance(0.05) {
            let card = self.other_specialist(p, Specialty::Cardiology);
            let d = self.window_day(p, rng);
            self.order(p, Rx::Enalapril, d, None, card);
        }
        if p.has(Cond::Diabetes) {
            let s = self.start_for(p, rng, Cond::Diabetes);
            let endo = self.specialist_or_pcp(p, Specialty::Endocrinology);
            if p.egfr >= 30.0 && rng.chance(0.85) {
                self.chronic(p, rng, Rx::Metformin, s, pcp);
            }
            if p.insulin {
                self.order(p, Rx::InsulinGlargine, s + rng.range(100, 900), None, endo);
            }
            if rng.chance(0.15) {
                {
                    let d = s + rng.range(60, 600);
                    self.chronic(p, rng, Rx::Glipizide, d, pcp);
                }
            }
            if rng.chance(0.15) {
                {
                    let d = s + rng.range(60, 600);
                    self.chronic(p, rng, Rx::Empagliflozin, d, endo);
                }
            }
        }
        let statin_indicated = p.has(Cond::Hyperlipidemia)
            || p.has(Cond::CoronaryDisease)
            || (p.has(Cond::Diabetes) && p.age >= 40);
        if statin_indicated && rng.chance(0.75) {
            let c = if p.has(Cond::Hyperlipidemia) {
                Cond::Hyperlipidemia
            } else if p.has(Cond::Diabetes) {
                Cond::Diabetes
            } else {
                Cond::CoronaryDisease
            };
            let s = self.start_for(p, rng, c);
            if rng.chance(0.7) {
                self.chronic(p, rng, Rx::Atorvastatin, s, pcp);
            } else {
                // The 80 mg simvastatin dose the FDA restricted in 2011 is still on some lists.
                let high = rng.chance(0.25);
                let simva = if high {
                    Rx::Simvastatin80
                } else {
                    Rx::Simvastatin
                };
                if rng.chance(0.15) {
                    let switch = self.window_day(p, rng).max(s + 30);
                    self.order(p, simva, s, Some(switch), pcp);
                    self.order(p, Rx::Atorvastatin, switch, None, pcp);
                } else {
                    self.order(p, simva, s, None, pcp);
                    // ONC high-priority: simvastatin + strong CYP3A4 inhibitor (clarithromycin)
                    // from the ED (design: a quarter of the 80 mg patients).
                    if high && rng.chance(0.25) {
                        let ed = self.ed_prescriber(p, rng);
                        let d = self.window_day(p, rng);
                        self.order(p, Rx::Clarithromycin, d, Some(d + 10), ed);
                    }
                }
            }
        }
        if p.has(Cond::HeartFailure) {
            let s = self.start_for(p, rng, Cond::HeartFailure);
            let card = self.specialist_or_pcp(p, Specialty::Cardiology);
            if rng.chance(0.8) {
                self.chronic(p, rng, Rx::Furosemide, s, card);
                if rng.chance(0.2) {
                    {
                        let d = s + rng.range(0, 90);
                        self.chronic(p, rng, Rx::PotassiumChloride, d, pcp);
                    }
                }
            }
            if rng.chance(0.6) {
                self.chronic(p, rng, Rx::Carvedilol, s, card);
            }
            if rng.chance(0.35) {
                let spiro = self.other_specialist(p, Specialty::Cardiology);
                self.order(p, Rx::Spironolactone, s + rng.range(30, 400), None, spiro);
                // Potassium-sparing diuretic + potassium supplement from the PCP (design: 25 %).
                if rng.chance(0.25) {
                    let d = self.window_day(p, rng);
                    self.order(p, Rx::PotassiumChloride, d, None, pcp);
                }
            }
        }
        if let Some(ac) = p.anticoagulant {
            let s = self.start_for(p, rng, Cond::AtrialFibrillation);
            let by = if rng.chance(0.5) {
                self.specialist_or_pcp(p, Specialty::Cardiology)
            } else {
                pcp
            };
            self.order(p, ac, s, None, by);
            // Warfarin + NSAID from another prescriber (ONC high-priority list; design: 15 %).
            if ac == Rx::Warfarin && rng.chance(0.15) {
                let ed = self.ed_prescriber(p, rng);
                let d = self.window_day(p, rng);
                let nsaid = if rng.chance(0.6) {
                    Rx::Ibuprofen
                } else {
                    Rx::Naproxen
                };
                self.order(
                    p,
                    nsaid,
                    d,
                    if rng.chance(0.7) { Some(d + 10) } else { None },
                    ed,
                );
            }
        }
        if p.has(Cond::AtrialFibrillation) && rng.chance(0.6) {
            let s = self.start_for(p, rng, Cond::AtrialFibrillation);
            self.chronic(p, rng, Rx::Metoprolol, s, pcp);
        }
        if p.has(Cond::CoronaryDisease) {
            let s = self.start_for(p, rng, Cond::CoronaryDisease);
            let card = self.other_specialist(p, Specialty::Cardiology);
            if rng.chance(0.7) {
                self.chronic(p, rng, Rx::Aspirin, s, pcp);
            }
            if rng.chance(0.3) {
                self.order(p, Rx::Clopidogrel, s, None, card);
                // Clopidogrel + omeprazole from the PCP (FDA 2009/2010 safety communication on
                // reduced clopidogrel activation; design: 35 %).
                if rng.chance(0.35) && !p.has(Cond::Gerd) {
                    let d = self.window_day(p, rng);
                    self.order(p, Rx::Omeprazole, d, None, pcp);
                }
            }
            let nitro = if p.has(Cond::ErectileDysfunction) {
                0.6
            } else {
                0.4
            };
            if rng.chance(nitro) {
                self.order(p, Rx::Nitroglycerin, s + rng.range(0, 200), None, card);
            }
        }
        if p.has(Cond::ErectileDysfunction) && rng.chance(0.6) {
            // Sildenafil from the PCP while cardiology prescribes nitrates: PDE5 inhibitor +
            // nitrate, contraindicated on both labels.
            let d = self.window_day(p, rng);
            self.order(p, Rx::Sildenafil, d, None, pcp);
        }
        if p.has(Cond::Copd) {
            let s = self.start_for(p, rng, Cond::Copd);
            let pulm = self.specialist_or_pcp(p, Specialty::Pulmonology);
            if rng.chance(0.6) {
                self.chronic(p, rng, Rx::Tiotropium, s, pulm);
            }
            if rng.chance(0.8) {
                self.order(p, Rx::Albuterol, s, None, pcp);
            }
        }
        if p.has(Cond::Asthma) {
            let s = self.start_for(p, rng, Cond::Asthma);
            self.order(p, Rx::Albuterol, s, None, pcp);
            if rng.chance(0.5) {
                self.chronic(p, rng, Rx::Fluticasone, s, pcp);
            }
        }
        if p.has(Cond::Depression) {
            self.antidepressants(p, rng, pcp);
        }
        if p.has(Cond::Gerd) && rng.chance(0.7) {
            let s = self.start_for(p, rng, Cond::Gerd);
            self.chronic(p, rng, Rx::Omeprazole, s, pcp);
        }
        if p.has(Cond::RheumatoidArthritis) && rng.chance(0.6) {
            let s = self.start_for(p, rng, Cond::RheumatoidArthritis);
            self.order(p, Rx::Methotrexate, s, None, pcp);
            self.order(p, Rx::FolicAcid, s, None, pcp);
            // Methotrexate + trimethoprim for a UTI from the ED (ONC list context; design: 20 %).
            if rng.chance(0.2) {
                let ed = self.ed_prescriber(p, rng);
                let d = self.window_day(p, rng);
                self.order(p, Rx::Trimethoprim, d, Some(d + 7), ed);
            }
        }
        if p.has(Cond::Dementia) && rng.chance(0.5) {
            let s = self.start_for(p, rng, Cond::Dementia);
            self.order(p, Rx::Donepezil, s, None, pcp);
        }
        if p.has(Cond::BreastCancer) && rng.chance(0.5) {
            let s = self.start_for(p, rng, Cond::BreastCancer);
            let onc = self.other_specialist(p, Specialty::Oncology);
            self.order(p, Rx::Anastrozole, s, None, onc);
        }
        // Chronic NSAID for osteoarthritis pain at 50+ (design: 5 %); with an ED NSAID course
        // later this makes a same-class duplicate from two prescribers.
        if p.age >= 50 && rng.chance(0.05) {
            let d = self.window_day(p, rng);
            self.chronic(p, rng, Rx::Naproxen, d, pcp);
            if rng.chance(0.3) {
                let ed = self.ed_prescriber(p, rng);
                let d2 = (d + rng.range(10, 200)).min(p.last_day - 1);
                self.order(p, Rx::Ibuprofen, d2, Some(d2 + 10), ed);
            }
        }
    }

    fn antidepressants(&mut self, p: &Person, rng: &mut Rng, pcp: Prescriber) {
        let s = self.start_for(p, rng, Cond::Depression);
        let psych = self.other_specialist(p, Specialty::Psychiatry);
        // MAOI for treatment-resistant depression (design: 3 % of treated patients), prescribed
        // by psychiatry; an SSRI from the PCP either overlaps it (contraindicated, ONC list), or
        // starts 7 days after it stopped (inside the 14-day washout), or 30 days after (clear).
        if rng.chance(0.03) {
            let d = self.window_day(p, rng);
            match rng.below(3) {
                0 => {
                    self.order(p, Rx::Phenelzine, d, None, psych);
                    self.order(p, Rx::Sertraline, d + rng.range(5, 60), None, pcp);
                }
                1 => {
                    let stop = d + 60;
                    self.order(p, Rx::Phenelzine, d, Some(stop), psych);
                    self.order(p, Rx::Sertraline, stop + 7, None, pcp);
                }
                _ => {
                    let stop = d + 60;
                    self.order(p, Rx::Phenelzine, d, Some(stop), psych);
                    self.order(p, Rx::Fluoxetine, stop + 30, None, pcp);
                }
            }
            return;
        }
        if !rng.chance(0.7) {
            return;
        }
        let first =
            [Rx::Sertraline, Rx::Fluoxetine, Rx::Escitalopram][rng.weighted(&[0.45, 0.25, 0.30])];
        let by = if p.specialties & (1 << Specialty::Psychiatry as u8) != 0 && rng.chance(0.5) {
            psych
        } else {
            pcp
        };
        if rng.chance(0.15) {
            // Switched after a poor response; the first order is stopped.
            let switch = self.window_day(p, rng).max(s + 42);
            self.order(p, first, s, Some(switch), by);
            let next = if first == Rx::Sertraline {
                Rx::Escitalopram
            } else {
                Rx::Sertraline
            };
            self.order(p, next, switch, None, by);
        } else {
            self.order(p, first, s, None, by);
            // A second SSRI from another prescriber (same-class duplicate; design: 4 %).
            if rng.chance(0.04) {
                let second = if first == Rx::Fluoxetine {
                    Rx::Sertraline
                } else {
                    Rx::Fluoxetine
                };
                let other = if by == pcp { psych } else { pcp };
                let d = self.window_day(p, rng);
                self.order(p, second, d, None, other);
            }
        }
    }
}
