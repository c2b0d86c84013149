//! Embeds `document-templates/` and `fonts/` into the binary, so that it
//! renders the same from any directory (spec §2).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut code = String::new();
    for (name, dir, filter) in [
        ("TEMPLATE_FILES", "document-templates", &(|_: &Path| true) as &dyn Fn(&Path) -> bool),
        ("FONT_FILES", "fonts", &|p: &Path| {
            matches!(p.extension().and_then(|e| e.to_str()), Some("ttf" | "otf"))
        }),
    ] {
        let base = root.join(dir);
        println!("cargo:rerun-if-changed={}", base.display());
        let mut files = Vec::new();
        collect(&base, &mut files);
        files.retain(|p| filter(p));
        files.sort();
        writeln!(code, "pub(crate) static {name}: &[(&str, &[u8])] = &[").expect("write to string");
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let rel = file.strip_prefix(&base).expect("file under base").to_string_lossy().replace('\\', "/");
            writeln!(code, "    ({rel:?}, include_bytes!({:?})),", file.display().to_string()).expect("write to string");
        }
        code.push_str("];\n");
    }
    std::fs::write(out.join("embedded.rs"), code).expect("write embedded.rs");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files);
        } else if !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            files.push(path);
        }
    }
}
