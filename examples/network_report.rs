//! The main job: build or load a network and print its report.
//!
//! ```text
//! cargo run --release --example network_report                  # built-in synthetic network
//! cargo run --release --example network_report -- --json         # one JSON object on stdout
//!     --synthea-csv DIR | --fhir PATH | --hl7 PATH | --claims-tuva DIR   (repeatable)
//!     --patients N --seed S                                         (synthetic size and seed)
//! ```

use cin_core::{IngestReport, Network, NetworkReport};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: network_report [--json] [--strict] [--patients N] [--seed S] \
[--synthea-csv DIR]... [--fhir PATH]... [--hl7 PATH]... [--claims-tuva DIR]...";

enum Source {
    SyntheaCsv(PathBuf),
    Fhir(PathBuf),
    Hl7(PathBuf),
    ClaimsTuva(PathBuf),
}

struct Args {
    json: bool,
    strict: bool,
    patients: usize,
    seed: u64,
    sources: Vec<Source>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { json: false, strict: false, patients: 10_000, seed: 42, sources: Vec::new() };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--json" => args.json = true,
            "--strict" => args.strict = true,
            "--patients" => {
                args.patients = value("--patients")?.parse().map_err(|_| "--patients takes a whole number")?
            }
            "--seed" => args.seed = value("--seed")?.parse().map_err(|_| "--seed takes a whole number")?,
            "--synthea-csv" => args.sources.push(Source::SyntheaCsv(value("--synthea-csv")?.into())),
            "--fhir" => args.sources.push(Source::Fhir(value("--fhir")?.into())),
            "--hl7" => args.sources.push(Source::Hl7(value("--hl7")?.into())),
            "--claims-tuva" => args.sources.push(Source::ClaimsTuva(value("--claims-tuva")?.into())),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    let mut loads: Vec<(String, IngestReport)> = Vec::new();
    let net = if args.sources.is_empty() {
        Network::synthetic(args.patients, args.seed)
    } else {
        let mut net = Network::new();
        for src in &args.sources {
            let (kind, result) = match src {
                Source::SyntheaCsv(d) => ("synthea_csv", net.load_synthea_csv(d)),
                Source::Fhir(p) => ("fhir", net.load_fhir_path(p)),
                Source::Hl7(p) => ("hl7v2", net.load_hl7_path(p)),
                Source::ClaimsTuva(d) => ("claims_tuva", net.load_claims_tuva(d)),
            };
            match result {
                Ok(rep) => loads.push((kind.to_string(), rep)),
                Err(e) => {
                    eprintln!("error: {e}");
                    failed = true;
                    let mut rep = IngestReport::default();
                    rep.issue(kind, cin_core::Location::new(kind), e.to_string());
                    loads.push((kind.to_string(), rep));
                }
            }
        }
        net
    };
    let report = NetworkReport::build(&net, &loads);
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    if failed && args.strict { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
