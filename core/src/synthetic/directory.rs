//! The organisations and clinicians of the synthetic network: two network hospitals and one
//! outside hospital, primary-care and specialist practices, post-acute providers, community
//! organisations and a payer.

use crate::model::{
    OrgIdx, OrgKind, Organization, PractIdx, Practitioner, PractitionerRole, Provenance,
};
use crate::network::Network;

/// Specialties with their own practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Specialty {
    Cardiology,
    Endocrinology,
    Nephrology,
    Pulmonology,
    Oncology,
    Psychiatry,
}

impl Specialty {
    pub const ALL: [Specialty; 6] = [
        Specialty::Cardiology,
        Specialty::Endocrinology,
        Specialty::Nephrology,
        Specialty::Pulmonology,
        Specialty::Oncology,
        Specialty::Psychiatry,
    ];
    fn key(self) -> &'static str {
        match self {
            Specialty::Cardiology => "cardiology",
            Specialty::Endocrinology => "endocrinology",
            Specialty::Nephrology => "nephrology",
            Specialty::Pulmonology => "pulmonology",
            Specialty::Oncology => "oncology",
            Specialty::Psychiatry => "psychiatry",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Specialty::Cardiology => "Heartland Cardiology Associates",
            Specialty::Endocrinology => "Valley Endocrinology & Diabetes Center",
            Specialty::Nephrology => "Riverbend Kidney Specialists",
            Specialty::Pulmonology => "Clearwater Pulmonary & Sleep",
            Specialty::Oncology => "Summit Cancer Care",
            Specialty::Psychiatry => "Harbor Behavioral Health",
        }
    }
}

/// A primary-care practice and the hospital its patients usually use.
pub struct Practice {
    pub org: OrgIdx,
    pub hospital: usize,
    pub pcps: Vec<PractIdx>,
    pub care_manager: PractIdx,
}

pub struct Hospital {
    pub org: OrgIdx,
    pub hospitalists: Vec<PractIdx>,
    pub ed_physicians: Vec<PractIdx>,
}

pub struct Facility {
    pub org: OrgIdx,
    pub clinicians: Vec<PractIdx>,
}

/// Everyone in the network, by role.
pub struct Directory {
    /// Index 0 and 1: the network's hospitals; index 2: the outside hospital.
    pub hospitals: Vec<Hospital>,
    pub practices: Vec<Practice>,
    /// Indexed by `Specialty as usize`.
    pub specialists: Vec<Facility>,
    pub snfs: Vec<Facility>,
    pub rehab: Facility,
    pub home_health: Vec<Facility>,
    pub hospice: Facility,
    pub community: Vec<Facility>,
    pub payer: OrgIdx,
}

/// The outside hospital (not part of the network's usual pair).
pub const OUTSIDE_HOSPITAL: usize = 2;

const HOSPITALS: [(&str, &str); 3] = [
    ("org-hosp-riverside", "Riverside Regional Medical Center"),
    ("org-hosp-stbrigid", "St. Brigid Community Hospital"),
    (
        "org-hosp-lakeshore",
        "Lakeshore University Hospital (out of network)",
    ),
];

const PRACTICES: [&str; 12] = [
    "Maple Street Family Medicine",
    "Northside Primary Care",
    "Oak Grove Internal Medicine",
    "Cedar Park Family Physicians",
    "Lakeview Community Clinic",
    "Pine Ridge Primary Care",
    "Westfield Family Health",
    "Elm Valley Internal Medicine",
    "Brookside Family Practice",
    "Hillcrest Primary Care",
    "Southgate Medical Group",
    "Riverside Family Medicine",
];

/// Patients per PCP panel used to size practices (*design*; a full-time PCP panel is commonly
/// quoted near 2,000 patients, AHRQ Primary Care Workforce Facts and Stats).
const PANEL_SIZE: usize = 2_000;

impl Directory {
    pub fn build(net: &mut Network, prov: Provenance, patients: usize) -> Directory {
        let org = |net: &mut Network, key: &str, name: &str, kind: OrgKind| {
            let id = net.intern(key);
            let name = net.intern(name);
            net.upsert_organization(
                key,
                Organization {
                    id,
                    name: Some(name),
                    kind,
                    identifiers: Vec::new(),
                    provenance: prov,
                },
            )
        };
        let pract = |net: &mut Network,
                     key: &str,
                     role: PractitionerRole,
                     specialty: &str,
                     org: OrgIdx|
         -> PractIdx {
            let id = net.intern(key);
            let specialty = net.intern(specialty);
            net.upsert_practitioner(
                key,
                Practitioner {
                    id,
                    role,
                    specialty: Some(specialty),
                    org: Some(org),
                    identifiers: Vec::new(),
                    provenance: Provenance {
                        org: Some(org),
                        feed: prov.feed,
                    },
                },
            )
        };
        let scale = patients.div_ceil(PRACTICES.len() * PANEL_SIZE).max(1);

        let mut hospitals = Vec::new();
        for (h, (key, name)) in HOSPITALS.iter().enumerate() {
            let o = org(net, key, name, OrgKind::Hospital);
            let n = 2 + scale.min(40);
            let hospitalists = (0..n)
                .map(|i| {
                    let k = format!("prac-h{h}-hospitalist-{i}");
                    pract(net, &k, PractitionerRole::Other, "hospital medicine", o)
                })
                .collect();
            let ed_physicians = (0..n)
                .map(|i| {
                    let k = format!("prac-h{h}-ed-{i}");
                    pract(net, &k, PractitionerRole::Other, "emergency medicine", o)
                })
                .collect();
            hospitals.push(Hospital {
                org: o,
                hospitalists,
                ed_physicians,
            });
        }

        let mut practices = Vec::new();
        for (i, name) in PRACTICES.iter().enumerate() {
            let key = format!("org-pcp-{i:02}");
            let o = org(net, &key, name, OrgKind::Practice);
            let pcps = (0..2 + scale)
                .map(|j| {
                    let k = format!("prac-pcp-{i:02}-{j}");
                    let specialty = if j % 3 == 2 {
                        "internal medicine"
                    } else {
                        "family medicine"
                    };
                    pract(net, &k, PractitionerRole::Pcp, specialty, o)
                })
                .collect();
            let k = format!("prac-pcp-{i:02}-care-manager");
            let care_manager = pract(net, &k, PractitionerRole::CareManager, "nursing", o);
            practices.push(Practice {
                org: o,
                hospital: i % 2,
                pcps,
                care_manager,
            });
        }

        let specialists = Specialty::ALL
            .iter()
            .map(|s| {
                let o = org(
                    net,
                    &format!("org-spec-{}", s.key()),
                    s.name(),
                    OrgKind::SpecialistPractice,
                );
                let clinicians = (0..2 + scale.min(30))
                    .map(|j| {
                        let k = format!("prac-{}-{j}", s.key());
                        pract(net, &k, PractitionerRole::Specialist, s.key(), o)
                    })
                    .collect();
                Facility { org: o, clinicians }
            })
            .collect();

        let facility = |net: &mut Network,
                        key: &str,
                        name: &str,
                        kind: OrgKind,
                        role: PractitionerRole,
                        specialty: &str,
                        n: usize| {
            let o = org(net, key, name, kind);
            let clinicians = (0..n)
                .map(|j| pract(net, &format!("prac-{key}-{j}"), role, specialty, o))
                .collect();
            Facility { org: o, clinicians }
        };
        let snfs = vec![
            facility(
                net,
                "org-snf-willow",
                "Willow Creek Skilled Nursing",
                OrgKind::Snf,
                PractitionerRole::Other,
                "geriatric medicine",
                2,
            ),
            facility(
                net,
                "org-snf-meadow",
                "Meadowbrook Care Center",
                OrgKind::Snf,
                PractitionerRole::Other,
                "geriatric medicine",
                2,
            ),
        ];
        let rehab = facility(
            net,
            "org-rehab",
            "Riverside Inpatient Rehabilitation Hospital",
            OrgKind::Rehab,
            PractitionerRole::Other,
            "physical medicine and rehabilitation",
            2,
        );
        let home_health = vec![
            facility(
                net,
                "org-hha-visiting",
                "Visiting Nurses of the Valley",
                OrgKind::HomeHealth,
                PractitionerRole::Other,
                "home health nursing",
                3,
            ),
            facility(
                net,
                "org-hha-careathome",
                "CareAtHome Health Services",
                OrgKind::HomeHealth,
                PractitionerRole::Other,
                "home health nursing",
                3,
            ),
        ];
        let hospice = facility(
            net,
            "org-hospice",
            "Serenity Hospice",
            OrgKind::Hospice,
            PractitionerRole::Other,
            "hospice and palliative medicine",
            2,
        );
        let community = vec![
            facility(
                net,
                "org-cbo-foodbank",
                "Valley Food Bank & Nutrition Services",
                OrgKind::Community,
                PractitionerRole::CommunityHealthWorker,
                "community health worker",
                2,
            ),
            facility(
                net,
                "org-cbo-neighbors",
                "Neighbors Community Health Workers",
                OrgKind::Community,
                PractitionerRole::CommunityHealthWorker,
                "community health worker",
                3,
            ),
        ];
        let payer = org(net, "org-payer", "Heartland Health Plan", OrgKind::Payer);
        Directory {
            hospitals,
            practices,
            specialists,
            snfs,
            rehab,
            home_health,
            hospice,
            community,
            payer,
        }
    }

    pub fn specialist(&self, s: Specialty) -> &Facility {
        &self.specialists[s as usize]
    }
}
