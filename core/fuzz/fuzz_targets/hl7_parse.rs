//! Any bytes through the HL7 v2 parser (lenient and strict), the batch loader and the real-time
//! path with its ACK: none may panic, hang or overflow the stack.
#![no_main]

use cin_core::Network;
use cin_core::hl7::{Hl7Options, ParseOptions, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = parse(data, ParseOptions::default()) {
        for m in &p.messages {
            for s in &m.segments {
                for f in s.fields() {
                    for r in f.repetitions() {
                        for c in r.components() {
                            let _ = c.sub(2).text();
                        }
                    }
                }
            }
        }
    }
    let _ = parse(data, ParseOptions { strict: true, check_escapes: true });
    let mut net = Network::new();
    let _ = net.load_hl7_bytes(data, "fuzz");
    let r = net.ingest_hl7_with(data, &Hl7Options::default());
    assert!(r.ack.contains("MSA"));
});
