/*!
The authored files behind every document: Typst templates, shared parts and
reference data (fee table, background questions).

The binary embeds the `document-templates/` folder it was built with, so it
renders the same from any directory; template authors can point it at another
folder instead (`--templates DIR`). Everything downstream reads files only
through a [`TemplateSet`], never from the file system directly.
*/

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub(crate) use embedded::FONT_FILES;

/// Files larger than this are refused when loading a template folder: a
/// template set is text and small images, never this big.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Errors from loading a template folder.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The folder or one of its files could not be read.
    #[error("cannot read template file {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A file is larger than any template should be.
    #[error("template file {path} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// A required file is missing from the set.
    #[error("the template set has no file `{0}`")]
    Missing(String),
}

/// An immutable set of template files keyed by their path relative to the
/// template root, using `/` separators (e.g. `reference/states.json`).
#[derive(Clone, Debug)]
pub struct TemplateSet {
    files: Arc<BTreeMap<String, Arc<[u8]>>>,
    origin: String,
}

impl TemplateSet {
    /// The templates compiled into this binary.
    pub fn embedded() -> Self {
        let files = embedded::TEMPLATE_FILES
            .iter()
            .map(|(path, bytes)| ((*path).to_owned(), Arc::<[u8]>::from(*bytes)))
            .collect();
        Self { files: Arc::new(files), origin: "embedded".to_owned() }
    }

    /// Loads every file under `dir` (template authors' option).
    ///
    /// # Errors
    /// When the folder or a file cannot be read, or a file is implausibly big.
    pub fn from_dir(dir: &Path) -> Result<Self, TemplateError> {
        let mut files = BTreeMap::new();
        load_dir(dir, dir, &mut files)?;
        Ok(Self { files: Arc::new(files), origin: dir.display().to_string() })
    }

    /// Where the files came from: `embedded` or the folder's path.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The bytes of one file, if present.
    pub fn get(&self, path: &str) -> Option<&Arc<[u8]>> {
        self.files.get(path.trim_start_matches('/'))
    }

    /// The bytes of one file that must be present.
    ///
    /// # Errors
    /// [`TemplateError::Missing`] when the set lacks it.
    pub fn require(&self, path: &str) -> Result<&Arc<[u8]>, TemplateError> {
        self.get(path).ok_or_else(|| TemplateError::Missing(path.to_owned()))
    }

    /// All file paths in the set, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

fn load_dir(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, Arc<[u8]>>,
) -> Result<(), TemplateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TemplateError::Io { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let meta = entry.metadata().map_err(io(&path))?;
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        if meta.is_dir() {
            load_dir(root, &path, files)?;
        } else if meta.is_file() {
            if meta.len() > MAX_FILE_BYTES {
                return Err(TemplateError::TooLarge { path });
            }
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.insert(rel, Arc::from(bytes));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_set_matches_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("document-templates");
        let from_dir = TemplateSet::from_dir(&dir).expect("read document-templates");
        let embedded = TemplateSet::embedded();
        assert_eq!(embedded.paths().collect::<Vec<_>>(), from_dir.paths().collect::<Vec<_>>());
        for path in embedded.paths() {
            assert_eq!(embedded.get(path), from_dir.get(path), "{path}");
        }
    }
}
