//! Any bytes through the FHIR loader (`Network::load_fhir_bytes`): as given (Bundle, single
//! resource or detected ndjson), again into the same network (a second load merges into what the
//! first one made), and reshaped to look like bulk ndjson so the per-line path runs on every input.
//! None may panic, hang or overflow the stack, and the good first ndjson line always loads.
#![no_main]

use cin_core::Network;
use libfuzzer_sys::fuzz_target;

/// A valid first line, so the loader's ndjson detection accepts the rest.
const NDJSON_HEAD: &[u8] = b"{\"resourceType\":\"Patient\",\"id\":\"fuzz-head\"}\n";

/// `data` with each non-blank line made to start with `{`, after a valid resource line.
fn as_ndjson(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(NDJSON_HEAD.len() + data.len() + 16);
    out.extend_from_slice(NDJSON_HEAD);
    for line in data.split(|&b| b == b'\n') {
        if !line.trim_ascii().is_empty() && line.trim_ascii_start().first() != Some(&b'{') {
            out.push(b'{');
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut net = Network::new();
    let _ = net.load_fhir_bytes(data, "fuzz.json");
    let _ = net.load_fhir_bytes(data, "fuzz-again.json");
    let _ = net.counts();
    // One good line first: whatever follows, the input is ndjson and that line loads.
    let mut net = Network::new();
    let rep = net.load_fhir_bytes(&as_ndjson(data), "fuzz.ndjson");
    assert!(rep.is_ok(), "ndjson with a good first line is read");
    assert!(
        net.patient_by_id("fuzz-head").is_some(),
        "a bad line never drops its neighbours"
    );
    let _ = net.patient_list();
});
