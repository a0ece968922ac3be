#![allow(clippy::expect_used)] // a build script fails the build by panicking
                               // Turns on the PostgreSQL half of the test suite when a server is named.
                               // Without it those tests are listed as ignored, with the reason, so a plain
                               // `cargo test` says clearly that the PostgreSQL suite was skipped.
                               //
                               // Also lists the message catalogs under `locales/<tag>/*.ftl` for
                               // `src/i18n`, which embeds them: adding a language is adding its folder.
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-env-changed=TIPDESK_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(tipdesk_pg)");
    let configured = std::env::var("TIPDESK_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty());
    let built_in = std::env::var_os("CARGO_FEATURE_POSTGRES").is_some();
    if configured && built_in {
        println!("cargo::rustc-cfg=tipdesk_pg");
    }
    embed_locales();
}

/// Writes `$OUT_DIR/locales.rs`: `(tag, [(file name, text)])` for every
/// folder of `locales/`, sorted, each file included with `include_str!`.
fn embed_locales() {
    // A directory here makes cargo rerun this script when anything inside
    // it changes, a new language's folder included.
    println!("cargo::rerun-if-changed=locales");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut tags: Vec<_> = std::fs::read_dir(&root)
        .expect("locales/ exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .collect();
    tags.sort_by_key(|e| e.file_name());
    let mut out = String::from("&[\n");
    for dir in tags {
        let tag = dir.file_name().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(dir.path())
            .expect("a locale folder can be read")
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "ftl"))
            .collect();
        files.sort_by_key(|e| e.file_name());
        let _ = writeln!(out, "    ({tag:?}, &[");
        for f in files {
            let name = f.file_name().to_string_lossy().into_owned();
            // Included by its path inside the package being compiled, so a
            // build directory copied from another checkout never embeds
            // that checkout's files.
            let rel = format!("/locales/{tag}/{name}");
            let _ = writeln!(
                out,
                "        ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {rel:?}))),"
            );
        }
        out.push_str("    ]),\n");
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("locales.rs");
    std::fs::write(dest, out).expect("write locales.rs");
}
