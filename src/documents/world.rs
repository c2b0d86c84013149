//! The Typst world inkseal compiles in: templates only from the
//! [`TemplateSet`], fonts only from `fonts/` (embedded), the document's data
//! as one JSON file, and "today" fixed to the case's as-of date. No system
//! fonts, no network, no package downloads: the same inputs give the same
//! bytes on every machine.
//!
//! [`Fonts`] and the parsed template sources live as long as the renderer;
//! a [`DocumentWorld`] is a cheap per-render view that adds the data file.
//! Keeping the data in a file (rather than `sys.inputs`) lets Typst's
//! memoisation reuse everything that does not depend on it.

use std::collections::HashMap;
use std::path::PathBuf;

use time::Date;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::templates::{FONT_FILES, TemplateSet};

/// The fonts shipped in `fonts/`, parsed once.
pub(crate) struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

impl Fonts {
    /// Parses the embedded fonts.
    pub(crate) fn embedded() -> Self {
        let fonts: Vec<Font> =
            FONT_FILES.iter().flat_map(|(_, bytes)| Font::iter(Bytes::new(*bytes))).collect();
        Self { book: LazyHash::new(FontBook::from_fonts(&fonts)), fonts }
    }

    /// Family names available, for diagnostics.
    pub(crate) fn families(&self) -> Vec<String> {
        let mut names: Vec<String> = self.fonts.iter().map(|f| f.info().family.clone()).collect();
        names.dedup();
        names
    }
}

/// Everything that stays the same across renders.
pub(crate) struct TemplateWorld {
    library: LazyHash<Library>,
    fonts: Fonts,
    sources: HashMap<FileId, Source>,
    files: HashMap<FileId, Bytes>,
    data_id: FileId,
}

/// A file id in the project root.
pub(crate) fn project_file(path: &str) -> Option<FileId> {
    VirtualPath::new(path).ok().map(|vpath| RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl TemplateWorld {
    /// Indexes a template set: `.typ` files become sources, the rest bytes.
    pub(crate) fn new(templates: &TemplateSet, fonts: Fonts) -> Self {
        let mut sources = HashMap::new();
        let mut files = HashMap::new();
        for path in templates.paths() {
            let (Some(id), Some(bytes)) = (project_file(&format!("/{path}")), templates.get(path)) else {
                continue;
            };
            if path.ends_with(".typ")
                && let Ok(text) = std::str::from_utf8(bytes) {
                    sources.insert(id, Source::new(id, text.to_owned()));
                }
            files.insert(id, Bytes::new(bytes.to_vec()));
        }
        let data_id = project_file(super::data::DATA_PATH).expect("DATA_PATH is a constant, valid virtual path");
        Self { library: LazyHash::new(Library::builder().build()), fonts, sources, files, data_id }
    }

    /// The font families available to templates.
    pub(crate) fn font_families(&self) -> Vec<String> {
        self.fonts.families()
    }

    /// A world for one render.
    pub(crate) fn with_document(&self, main: FileId, data: Vec<u8>, today: Date) -> DocumentWorld<'_> {
        DocumentWorld { base: self, main, data_id: self.data_id, data: Bytes::new(data), today }
    }

    /// A world whose data file lives at another path (the stamp's).
    pub(crate) fn with_data(&self, main: FileId, path: &str, data: Vec<u8>, today: Date) -> DocumentWorld<'_> {
        let data_id = project_file(path).unwrap_or(self.data_id);
        DocumentWorld { base: self, main, data_id, data: Bytes::new(data), today }
    }

    /// Whether the set has a source at `id`.
    pub(crate) fn has_source(&self, id: FileId) -> bool {
        self.sources.contains_key(&id)
    }
}

/// One render's world: the shared templates plus this document's data.
pub(crate) struct DocumentWorld<'a> {
    base: &'a TemplateWorld,
    main: FileId,
    data_id: FileId,
    data: Bytes,
    today: Date,
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(PathBuf::from(id.vpath().get_with_slash()))
}

impl World for DocumentWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.base.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.base.fonts.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if !matches!(id.root(), VirtualRoot::Project) {
            return Err(FileError::Other(Some("Typst packages are not available to inkseal templates".into())));
        }
        self.base.sources.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            return Ok(self.data.clone());
        }
        if !matches!(id.root(), VirtualRoot::Project) {
            return Err(FileError::Other(Some("Typst packages are not available to inkseal templates".into())));
        }
        self.base.files.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.base.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Datetime::from_ymd(self.today.year(), self.today.month() as u8, self.today.day())
    }
}
