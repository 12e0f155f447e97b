//! Rewrites `fuzz/dict/commands.dict` from the engine's command table:
//! `cargo run -p harness --example gen-dict`. A test fails while the committed file differs.

use hashcheck::fuzz::libfuzzer::dict;

fn main() -> std::io::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dict::PATH);
    std::fs::write(&path, dict::commands_dict())?;
    println!("wrote {}", path.display());
    Ok(())
}
