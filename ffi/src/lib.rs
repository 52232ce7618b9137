//! The C ABI of cin_core (`include/cin.h`, `libcin.so` / `libcin.a`).
//!
//! A thin translation layer: every function checks its pointers, lengths and UTF-8, runs inside
//! [`status::guard`] (no panic crosses into the host) and calls one core function of
//! [`cin_core::Session`]. Thread safety: a `CinNetwork` may be queried (`check_*`, reports,
//! tables, patient ids) from many threads at once; loaders (`cin_network_load_*`) and
//! `cin_network_ingest_hl7` need exclusive access (no other call on that handle meanwhile).

mod check;
mod hl7;
mod load;
mod network;
mod report;
mod risk;
mod status;

pub use check::*;
pub use hl7::*;
pub use load::*;
pub use network::*;
pub use report::*;
pub use risk::*;
pub use status::*;

use std::ffi::c_char;

/// The library version as "MAJOR.MINOR.PATCH" (static string).
#[unsafe(no_mangle)]
pub extern "C" fn cin_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The library version as MAJOR*10000 + MINOR*100 + PATCH, to compare with CIN_VERSION_NUMBER.
#[unsafe(no_mangle)]
pub extern "C" fn cin_version_number() -> u32 {
    let n = |s: &str| s.parse::<u32>().unwrap_or(0);
    n(env!("CARGO_PKG_VERSION_MAJOR")) * 10_000
        + n(env!("CARGO_PKG_VERSION_MINOR")) * 100
        + n(env!("CARGO_PKG_VERSION_PATCH"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_version_macros_match_the_crate() {
        let header = include_str!("../../include/cin.h");
        for (name, value) in [
            ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
            ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
            ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
        ] {
            let line = format!("#define CIN_VERSION_{name} {value}");
            assert!(header.contains(&line), "include/cin.h lacks `{line}`");
        }
        assert_eq!(super::cin_version_number(), 100);
    }
}
