//! `parameters/c2s.toml` read at build time and handed to the crate as JSON (which every
//! function parses already), so that no TOML parser is linked into the functions. The
//! amounts are checked when the crate first reads them, and by its tests.

use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let source = "parameters/c2s.toml";
    println!("cargo:rerun-if-changed={source}");
    let table: toml::Table =
        toml::from_str(&std::fs::read_to_string(source)?).map_err(|e| format!("{source}: {e}"))?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("c2s.json");
    std::fs::write(out, serde_json::to_string(&table)?)?;
    Ok(())
}
