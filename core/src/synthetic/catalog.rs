//! The codes the synthetic network uses, interned once per network so that the hot loops only
//! copy 8-byte `Code`s and 4-byte display symbols.
//!
//! Code systems: ICD-10-CM (CMS/NCHS, public domain), LOINC (Regenstrief, free with notice),
//! RxNorm ingredient RxCUIs (NLM, public domain; displays are written in the RxNorm SCD style),
//! CPT/HCPCS numbers as the task specifies them for procedures and visit types (CPT © AMA: only
//! the bare numbers and our own short descriptions are used).

use crate::code::CodeSystem;
use crate::intern::Sym;
use crate::model::Code;
use crate::network::Network;

macro_rules! code_table {
    ($(#[$m:meta])* $name:ident, $system:expr, { $($id:ident = $code:literal, $display:literal;)* }) => {
        $(#[$m])*
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($id),* }
        impl $name {
            pub const SYSTEM: CodeSystem = $system;
            /// `(code, display)` in declaration order.
            pub const TABLE: &'static [(&'static str, &'static str)] = &[$(($code, $display)),*];
        }
    };
}

code_table!(
    /// ICD-10-CM diagnoses (problem list, encounter diagnoses, admission principal diagnoses).
    Dx, CodeSystem::Icd10Cm, {
    I10 = "I10", "Essential (primary) hypertension";
    I11_0 = "I11.0", "Hypertensive heart disease with heart failure";
    I12_9 = "I12.9", "Hypertensive chronic kidney disease with stage 1 through stage 4 chronic kidney disease, or unspecified chronic kidney disease";
    I12_0 = "I12.0", "Hypertensive chronic kidney disease with stage 5 chronic kidney disease or end stage renal disease";
    I13_0 = "I13.0", "Hypertensive heart and chronic kidney disease with heart failure and stage 1 through stage 4 chronic kidney disease";
    I13_2 = "I13.2", "Hypertensive heart and chronic kidney disease with heart failure and with stage 5 chronic kidney disease";
    E11_9 = "E11.9", "Type 2 diabetes mellitus without complications";
    E11_22 = "E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease";
    E11_40 = "E11.40", "Type 2 diabetes mellitus with diabetic neuropathy, unspecified";
    E11_65 = "E11.65", "Type 2 diabetes mellitus with hyperglycemia";
    Z79_4 = "Z79.4", "Long term (current) use of insulin";
    E78_5 = "E78.5", "Hyperlipidemia, unspecified";
    E78_00 = "E78.00", "Pure hypercholesterolemia, unspecified";
    I50_22 = "I50.22", "Chronic systolic (congestive) heart failure";
    I50_32 = "I50.32", "Chronic diastolic (congestive) heart failure";
    I50_9 = "I50.9", "Heart failure, unspecified";
    I50_23 = "I50.23", "Acute on chronic systolic (congestive) heart failure";
    J44_9 = "J44.9", "Chronic obstructive pulmonary disease, unspecified";
    J44_1 = "J44.1", "Chronic obstructive pulmonary disease with (acute) exacerbation";
    J45_909 = "J45.909", "Unspecified asthma, uncomplicated";
    J45_40 = "J45.40", "Moderate persistent asthma, uncomplicated";
    J45_901 = "J45.901", "Unspecified asthma with (acute) exacerbation";
    N18_30 = "N18.30", "Chronic kidney disease, stage 3 unspecified";
    N18_31 = "N18.31", "Chronic kidney disease, stage 3a";
    N18_32 = "N18.32", "Chronic kidney disease, stage 3b";
    N18_4 = "N18.4", "Chronic kidney disease, stage 4 (severe)";
    N18_5 = "N18.5", "Chronic kidney disease, stage 5";
    F32_9 = "F32.9", "Major depressive disorder, single episode, unspecified";
    F33_1 = "F33.1", "Major depressive disorder, recurrent, moderate";
    I48_91 = "I48.91", "Unspecified atrial fibrillation";
    I48_20 = "I48.20", "Chronic atrial fibrillation, unspecified";
    I25_10 = "I25.10", "Atherosclerotic heart disease of native coronary artery without angina pectoris";
    C50_911 = "C50.911", "Malignant neoplasm of unspecified site of right female breast";
    C50_912 = "C50.912", "Malignant neoplasm of unspecified site of left female breast";
    C18_9 = "C18.9", "Malignant neoplasm of colon, unspecified";
    C20 = "C20", "Malignant neoplasm of rectum";
    C34_90 = "C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung";
    C34_11 = "C34.11", "Malignant neoplasm of upper lobe, right bronchus or lung";
    C78_00 = "C78.00", "Secondary malignant neoplasm of unspecified lung";
    C78_7 = "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct";
    C79_51 = "C79.51", "Secondary malignant neoplasm of bone";
    C79_31 = "C79.31", "Secondary malignant neoplasm of brain";
    F03_90 = "F03.90", "Unspecified dementia, unspecified severity, without behavioral disturbance, psychotic disturbance, mood disturbance, and anxiety";
    G30_9 = "G30.9", "Alzheimer's disease, unspecified";
    E66_9 = "E66.9", "Obesity, unspecified";
    E66_01 = "E66.01", "Morbid (severe) obesity due to excess calories";
    M06_9 = "M06.9", "Rheumatoid arthritis, unspecified";
    K21_9 = "K21.9", "Gastro-esophageal reflux disease without esophagitis";
    N52_9 = "N52.9", "Male erectile dysfunction, unspecified";
    Z00_00 = "Z00.00", "Encounter for general adult medical examination without abnormal findings";
    Z00_129 = "Z00.129", "Encounter for routine child health examination without abnormal findings";
    Z09 = "Z09", "Encounter for follow-up examination after completed treatment for conditions other than malignant neoplasm";
    Z51_11 = "Z51.11", "Encounter for antineoplastic chemotherapy";
    Z12_31 = "Z12.31", "Encounter for screening mammogram for malignant neoplasm of breast";
    Z12_11 = "Z12.11", "Encounter for screening for malignant neoplasm of colon";
    A41_9 = "A41.9", "Sepsis, unspecified organism";
    N17_9 = "N17.9", "Acute kidney failure, unspecified";
    J18_9 = "J18.9", "Pneumonia, unspecified organism";
    N39_0 = "N39.0", "Urinary tract infection, site not specified";
    I63_9 = "I63.9", "Cerebral infarction, unspecified";
    I21_4 = "I21.4", "Non-ST elevation (NSTEMI) myocardial infarction";
    S72_001A = "S72.001A", "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture";
    L03_115 = "L03.115", "Cellulitis of right lower limb";
    K92_2 = "K92.2", "Gastrointestinal hemorrhage, unspecified";
    M17_11 = "M17.11", "Unilateral primary osteoarthritis, right knee";
    R07_9 = "R07.9", "Chest pain, unspecified";
    R55 = "R55", "Syncope and collapse";
    R10_9 = "R10.9", "Unspecified abdominal pain";
    S09_90XA = "S09.90XA", "Unspecified injury of head, initial encounter";
    R51_9 = "R51.9", "Headache, unspecified";
    J06_9 = "J06.9", "Acute upper respiratory infection, unspecified";
    M54_50 = "M54.50", "Low back pain, unspecified";
    R06_02 = "R06.02", "Shortness of breath";
    S93_401A = "S93.401A", "Sprain of unspecified ligament of right ankle, initial encounter";
    J20_9 = "J20.9", "Acute bronchitis, unspecified";
});

code_table!(
    /// LOINC observation codes (lab components and vital signs).
    Obs, CodeSystem::Loinc, {
    Hba1c = "4548-4", "%";
    TotalChol = "2093-3", "mg/dL";
    Ldl = "13457-7", "mg/dL";
    Hdl = "2085-9", "mg/dL";
    Trig = "2571-8", "mg/dL";
    Sodium = "2951-2", "mmol/L";
    Potassium = "2823-3", "mmol/L";
    Creatinine = "2160-0", "mg/dL";
    Glucose = "2345-7", "mg/dL";
    Egfr = "33914-3", "mL/min/{1.73_m2}";
    Alt = "1742-6", "U/L";
    Albumin = "1751-7", "g/dL";
    Hgb = "718-7", "g/dL";
    Wbc = "6690-2", "10*3/uL";
    Platelets = "777-3", "10*3/uL";
    Tsh = "3016-3", "m[IU]/L";
    Uacr = "9318-7", "mg/g{creat}";
    Inr = "6301-6", "{INR}";
    Systolic = "8480-6", "mm[Hg]";
    Diastolic = "8462-4", "mm[Hg]";
    Bmi = "39156-5", "kg/m2";
});

code_table!(
    /// LOINC panel codes, recorded as diagnostic reports (`ProcedureKind::Report`).
    Panel, CodeSystem::Loinc, {
    Bmp = "51990-0", "Basic metabolic panel - Blood";
    Cmp = "24323-8", "Comprehensive metabolic 2000 panel - Serum or Plasma";
    Cbc = "58410-2", "CBC panel - Blood by Automated count";
    Lipid = "57698-3", "Lipid panel with direct LDL - Serum or Plasma";
});

code_table!(
    /// CPT/HCPCS procedures, screenings, imaging and visit types.
    Cpt, CodeSystem::CptHcpcs, {
    CtHead = "70450", "CT head or brain without contrast";
    CtChest = "71250", "CT chest without contrast";
    ChestXray = "71046", "Radiologic examination, chest; 2 views";
    MriLumbar = "72148", "MRI lumbar spine without contrast";
    Mammogram = "77067", "Screening mammography, bilateral";
    Colonoscopy = "45378", "Colonoscopy, diagnostic";
    Fit = "82274", "Fecal immunochemical test for blood";
    CtColonography = "74263", "CT colonography, screening";
    KneeReplacement = "27447", "Total knee arthroplasty";
    Office3 = "99213", "Office visit, established patient, low complexity";
    Office4 = "99214", "Office visit, established patient, moderate complexity";
    Preventive = "99396", "Periodic preventive medicine visit, established patient";
    PreventiveChild = "99392", "Periodic preventive medicine visit, established patient, early childhood";
    Awv = "G0439", "Annual wellness visit, subsequent";
    Ed4 = "99284", "Emergency department visit, moderate complexity";
    Ed5 = "99285", "Emergency department visit, high complexity";
    Inpatient = "99223", "Initial hospital inpatient care, high complexity";
    ObsStay = "99222", "Initial hospital inpatient or observation care, moderate complexity";
    Tcm7 = "99496", "Transitional care management, face-to-face visit within 7 days";
    Tcm14 = "99495", "Transitional care management, face-to-face visit within 14 days";
    Snf = "99306", "Initial nursing facility care, high complexity";
});

code_table!(
    /// RxNorm ingredient RxCUIs with the SCD-style product display the order carries.
    Rx, CodeSystem::RxNorm, {
    Metformin = "6809", "metformin hydrochloride 500 MG Oral Tablet";
    Glipizide = "4821", "glipizide 5 MG Oral Tablet";
    InsulinGlargine = "274783", "insulin glargine 100 UNT/ML Injectable Solution";
    Empagliflozin = "1545653", "empagliflozin 10 MG Oral Tablet";
    Lisinopril = "29046", "lisinopril 10 MG Oral Tablet";
    Enalapril = "3827", "enalapril maleate 10 MG Oral Tablet";
    Losartan = "52175", "losartan potassium 50 MG Oral Tablet";
    Amlodipine = "17767", "amlodipine 5 MG Oral Tablet";
    Hctz = "5487", "hydrochlorothiazide 25 MG Oral Tablet";
    Metoprolol = "6918", "metoprolol succinate 50 MG Extended Release Oral Tablet";
    Carvedilol = "20352", "carvedilol 12.5 MG Oral Tablet";
    Furosemide = "4603", "furosemide 40 MG Oral Tablet";
    Spironolactone = "9997", "spironolactone 25 MG Oral Tablet";
    PotassiumChloride = "8591", "potassium chloride 20 MEQ Extended Release Oral Tablet";
    Atorvastatin = "83367", "atorvastatin 40 MG Oral Tablet";
    Simvastatin = "36567", "simvastatin 40 MG Oral Tablet";
    Simvastatin80 = "36567", "simvastatin 80 MG Oral Tablet";
    Warfarin = "11289", "warfarin sodium 5 MG Oral Tablet";
    Apixaban = "1364430", "apixaban 5 MG Oral Tablet";
    Clopidogrel = "32968", "clopidogrel 75 MG Oral Tablet";
    Aspirin = "1191", "aspirin 81 MG Delayed Release Oral Tablet";
    Nitroglycerin = "4917", "nitroglycerin 0.4 MG Sublingual Tablet";
    Albuterol = "435", "albuterol 0.09 MG/ACTUAT Metered Dose Inhaler";
    Tiotropium = "69120", "tiotropium 0.018 MG Inhalation Powder";
    Fluticasone = "41126", "fluticasone propionate 0.11 MG/ACTUAT Metered Dose Inhaler";
    Sertraline = "36437", "sertraline 50 MG Oral Tablet";
    Fluoxetine = "4493", "fluoxetine 20 MG Oral Capsule";
    Escitalopram = "321988", "escitalopram 10 MG Oral Tablet";
    Phenelzine = "8123", "phenelzine 15 MG Oral Tablet";
    Omeprazole = "7646", "omeprazole 20 MG Delayed Release Oral Capsule";
    Methotrexate = "6851", "methotrexate 2.5 MG Oral Tablet";
    FolicAcid = "4511", "folic acid 1 MG Oral Tablet";
    Sildenafil = "136411", "sildenafil 50 MG Oral Tablet";
    Ibuprofen = "5640", "ibuprofen 600 MG Oral Tablet";
    Naproxen = "7258", "naproxen 500 MG Oral Tablet";
    Clarithromycin = "21212", "clarithromycin 500 MG Oral Tablet";
    Trimethoprim = "10829", "trimethoprim 100 MG Oral Tablet";
    Amoxicillin = "723", "amoxicillin 500 MG Oral Capsule";
    Nitrofurantoin = "7454", "nitrofurantoin 100 MG Oral Capsule";
    Donepezil = "135447", "donepezil hydrochloride 10 MG Oral Tablet";
    Anastrozole = "84857", "anastrozole 1 MG Oral Tablet";
});

/// Interned codes of every table, indexed by the enum discriminant.
pub struct Catalog {
    dx: Vec<(Code, Sym)>,
    obs: Vec<(Code, Sym)>,
    panel: Vec<(Code, Sym)>,
    cpt: Vec<(Code, Sym)>,
    rx: Vec<(Code, Sym)>,
}

fn intern_table(net: &mut Network, system: CodeSystem, table: &[(&str, &str)]) -> Vec<(Code, Sym)> {
    table
        .iter()
        .map(|&(code, second)| {
            let value = system.normalize(code).unwrap_or_default();
            let c = Code {
                system,
                value: net.intern(&value),
            };
            (c, net.intern(second))
        })
        .collect()
}

impl Catalog {
    pub fn new(net: &mut Network) -> Catalog {
        Catalog {
            dx: intern_table(net, Dx::SYSTEM, Dx::TABLE),
            obs: intern_table(net, Obs::SYSTEM, Obs::TABLE),
            panel: intern_table(net, Panel::SYSTEM, Panel::TABLE),
            cpt: intern_table(net, Cpt::SYSTEM, Cpt::TABLE),
            rx: intern_table(net, Rx::SYSTEM, Rx::TABLE),
        }
    }
    pub fn dx(&self, d: Dx) -> Code {
        self.dx[d as usize].0
    }
    pub fn dx_display(&self, d: Dx) -> Sym {
        self.dx[d as usize].1
    }
    pub fn obs(&self, o: Obs) -> Code {
        self.obs[o as usize].0
    }
    /// The UCUM unit of an observation code.
    pub fn unit(&self, o: Obs) -> Sym {
        self.obs[o as usize].1
    }
    pub fn panel(&self, p: Panel) -> (Code, Sym) {
        self.panel[p as usize]
    }
    pub fn cpt(&self, c: Cpt) -> (Code, Sym) {
        self.cpt[c as usize]
    }
    pub fn rx(&self, r: Rx) -> (Code, Sym) {
        self.rx[r as usize]
    }
}
