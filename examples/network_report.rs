//! The main job: build or load a network and print its report.
//!
//! ```text
//! cargo run --release --example network_report                  # built-in synthetic network
//! cargo run --release --example network_report -- --json         # one JSON object on stdout
//!     --synthea-csv DIR | --fhir PATH | --hl7 PATH | --claims-tuva DIR   (repeatable)
//!     --patients N --seed S                                         (synthetic size and seed)
//!     --html FILE                                                   (also write the HTML page)
//!     --strict                                                      (exit 1 when a source failed)
//! ```

use cin_core::{IngestReport, Session};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: network_report [--json] [--strict] [--html FILE] [--patients N] [--seed S] \
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
    html: Option<PathBuf>,
    patients: usize,
    seed: u64,
    sources: Vec<Source>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        json: false,
        strict: false,
        html: None,
        patients: 10_000,
        seed: 42,
        sources: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--json" => args.json = true,
            "--strict" => args.strict = true,
            "--html" => args.html = Some(value("--html")?.into()),
            "--patients" => {
                args.patients = value("--patients")?
                    .parse()
                    .map_err(|_| "--patients takes a whole number")?
            }
            "--seed" => {
                args.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed takes a whole number")?
            }
            "--synthea-csv" => args
                .sources
                .push(Source::SyntheaCsv(value("--synthea-csv")?.into())),
            "--fhir" => args.sources.push(Source::Fhir(value("--fhir")?.into())),
            "--hl7" => args.sources.push(Source::Hl7(value("--hl7")?.into())),
            "--claims-tuva" => args
                .sources
                .push(Source::ClaimsTuva(value("--claims-tuva")?.into())),
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
    let mut failed_loads: Vec<(String, IngestReport)> = Vec::new();
    let session = if args.sources.is_empty() {
        Session::synthetic(args.patients, args.seed)
    } else {
        let mut session = Session::new();
        for src in &args.sources {
            let (kind, result) = match src {
                Source::SyntheaCsv(d) => ("synthea_csv", session.load_synthea_csv(d).map(|_| ())),
                Source::Fhir(p) => ("fhir", session.load_fhir_path(p).map(|_| ())),
                Source::Hl7(p) => ("hl7v2", session.load_hl7_path(p).map(|_| ())),
                Source::ClaimsTuva(d) => ("claims_tuva", session.load_claims_tuva(d).map(|_| ())),
            };
            if let Err(e) = result {
                // The source could not be read at all: say so and keep the others.
                eprintln!("error: {e}");
                failed = true;
                let mut rep = IngestReport::default();
                rep.issue(kind, cin_core::Location::new(kind), e.to_string());
                failed_loads.push((kind.to_string(), rep));
            }
        }
        session
    };
    let mut report = session.report();
    for (kind, rep) in &failed_loads {
        let s = report.ingest.entry(kind.clone()).or_default();
        s.errors += rep.issues.len();
    }
    if let Some(path) = &args.html {
        if let Err(e) = std::fs::write(path, report.to_html()) {
            eprintln!("error: writing {}: {e}", path.display());
            failed = true;
        }
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    if failed && args.strict {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
