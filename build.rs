// Turns on the PostgreSQL half of the test suite when a server is named.
// Without it those tests are listed as ignored, with the reason, so a plain
// `cargo test` says clearly that the PostgreSQL suite was skipped.
fn main() {
    println!("cargo::rerun-if-env-changed=TIPDESK_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(tipdesk_pg)");
    let configured = std::env::var("TIPDESK_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty());
    let built_in = std::env::var_os("CARGO_FEATURE_POSTGRES").is_some();
    if configured && built_in {
        println!("cargo::rustc-cfg=tipdesk_pg");
    }
}
