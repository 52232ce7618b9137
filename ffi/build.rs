//! Regenerates `include/cin.h` from the ffi sources with cbindgen (written only when it changes,
//! so an unchanged header never dirties the tree), and gives `libcin.so` its SONAME.

use std::path::PathBuf;

fn main() {
    let dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("ffi/cbindgen.toml is valid");
    let header = match cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            let mut out = Vec::new();
            bindings.write(&mut out);
            out
        }
        Err(e) => {
            // A half-written source file must not stop `cargo check`; the committed header stays.
            println!("cargo:warning=cbindgen could not generate include/cin.h: {e}");
            return;
        }
    };
    let target = dir.join("..").join("include").join("cin.h");
    if std::fs::read(&target).ok().as_deref() != Some(header.as_slice()) {
        if let Some(parent) = target.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(&target, &header).expect("include/cin.h is writable");
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
        let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcin.so.{major}.{minor}");
    }
}
