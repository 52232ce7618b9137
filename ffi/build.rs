//! Regenerates `include/cin.h` from the ffi sources with cbindgen (written only when it changes,
//! so an unchanged header never dirties the tree), gives `libcin.so` its SONAME and writes a
//! pkg-config file `cin.pc` beside the libraries (`target/<profile>/`), so a C build can use
//! `PKG_CONFIG_PATH=target/release pkg-config --cflags --libs cin`.

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
    write_pkg_config(&dir);
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
        let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcin.so.{major}.{minor}");
    }
}

/// `cin.pc` for the libraries of this build: OUT_DIR is `<target>/<profile>/build/<pkg>/out`, the
/// libraries land in `<target>/<profile>`.
fn write_pkg_config(crate_dir: &std::path::Path) {
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let Some(libdir) = out_dir.ancestors().nth(3) else {
        return;
    };
    let include = crate_dir.join("..").join("include");
    let include = include.canonicalize().unwrap_or(include);
    let pc = format!(
        "prefix={prefix}\n\
         libdir=${{prefix}}\n\
         includedir={include}\n\
         \n\
         Name: cin\n\
         Description: cin_core, the embeddable engine of a clinically integrated network (C ABI)\n\
         Version: {version}\n\
         Cflags: -I${{includedir}}\n\
         Libs: -L${{libdir}} -lcin\n\
         Libs.private: -lpthread -ldl -lm\n",
        prefix = libdir.display(),
        include = include.display(),
        version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default(),
    );
    let target = libdir.join("cin.pc");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(pc.as_str()) {
        if let Err(e) = std::fs::write(&target, pc) {
            println!("cargo:warning=could not write {}: {e}", target.display());
        }
    }
}
