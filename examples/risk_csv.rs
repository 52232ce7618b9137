//! Scores a long diagnosis CSV and writes one row per patient, for checking cin_core against
//! other implementations.
//!
//! `risk_csv charlson|charlson1987|elixhauser|hcc_v24|hcc_v28 IN.csv OUT.csv`
//! IN.csv has a header and columns `patient_id,code[,age,sex]` (age/sex needed for HCC scores).
//! OUT.csv: `patient_id,score,<categories>` for the comorbidity indices, `patient_id,hccs,score`
//! (HCCs space-separated) for CMS-HCC. The code report goes to stderr.

use cin_core::risk::{
    CharlsonOptions, CharlsonWeights, ElixhauserOptions, HccOptions, HccVersion,
    charlson_with_report, cms_hcc_with_report, elixhauser_with_report,
};
use cin_core::{Column, Table};
use std::io::Write;

fn main() {
    if let Err(e) = run() {
        eprintln!("risk_csv: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        return Err(
            "usage: risk_csv charlson|charlson1987|elixhauser|hcc_v24|hcc_v28 IN.csv OUT.csv"
                .into(),
        );
    }
    let mut rdr = csv::Reader::from_path(&args[2])?;
    let (mut ids, mut codes, mut ages, mut sexes) = (vec![], vec![], vec![], vec![]);
    for rec in rdr.records() {
        let rec = rec?;
        ids.push(rec.get(0).unwrap_or("").to_string());
        codes.push(rec.get(1).unwrap_or("").to_string());
        ages.push(rec.get(2).and_then(|a| a.trim().parse::<i64>().ok()));
        sexes.push(rec.get(3).unwrap_or("").to_string());
    }
    let (table, report) = match args[1].as_str() {
        "charlson" => charlson_with_report(&ids, &codes, &CharlsonOptions::default())?,
        "charlson1987" => charlson_with_report(
            &ids,
            &codes,
            &CharlsonOptions {
                weights: CharlsonWeights::Charlson1987,
                ..CharlsonOptions::default()
            },
        )?,
        "elixhauser" => elixhauser_with_report(&ids, &codes, &ElixhauserOptions::default())?,
        "hcc_v24" | "hcc_v28" => {
            let version = if args[1] == "hcc_v24" {
                HccVersion::V24
            } else {
                HccVersion::V28
            };
            let opts = HccOptions {
                version,
                ..HccOptions::default()
            };
            cms_hcc_with_report(&ids, &codes, &ages, &sexes, &opts)?
        }
        other => return Err(format!("unknown score {other}").into()),
    };
    eprintln!("{}", serde_json::to_string(&report)?);
    write_csv(&table, &args[3])
}

fn write_csv(t: &Table, path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "{}", t.column_names().join(","))?;
    let cols: Vec<&Column> = t.columns().map(|(_, c)| c).collect();
    for r in 0..t.len() {
        let cells: Vec<String> = cols
            .iter()
            .map(|c| match c {
                Column::Str(v) => v[r].clone().unwrap_or_default(),
                Column::Int(v) => v[r].map_or(String::new(), |x| x.to_string()),
                Column::Float(v) => v[r].map_or(String::new(), |x| format!("{x:.6}")),
                Column::StrList(v) => v[r].join(" "),
                Column::Text(v) => v.get(r).unwrap_or_default().to_string(),
                Column::Bool(v) => v[r].map_or(String::new(), |x| x.to_string()),
                Column::Flag(v) => v[r].to_string(),
                Column::Time(v) => v[r].map_or(String::new(), |x| x.to_string()),
            })
            .collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}
