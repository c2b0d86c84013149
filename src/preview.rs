/*!
Pictures of PDF pages, so that a producer can read each document inside the
signing page without a PDF plugin or a download (spec §7). Stored PDFs are
rasterised with hayro (pure Rust, no system tools); every document inkseal
shows embeds its fonts, so the picture is the document.
*/

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::{RenderCache, RenderSettings};

/// Pixels per PDF point: 2 gives a US Letter page 1224 px wide, sharp on
/// high-density phone screens and readable when scaled to a laptop column.
pub const SCALE: f32 = 2.0;

/// The most pages a preview is made for (inkseal's documents have a few).
pub const MAX_PAGES: usize = 64;

/// Why a page picture could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The bytes are not a PDF hayro can read.
    #[error("the document cannot be read for display")]
    Unreadable,
    /// No such page.
    #[error("the document has {pages} page(s); there is no page {asked}")]
    NoSuchPage {
        /// Pages in the document.
        pages: usize,
        /// The page asked for (1-based).
        asked: usize,
    },
    /// Encoding the picture failed.
    #[error("the page picture could not be encoded")]
    Encode,
}

/// How many pages `pdf` has.
///
/// # Errors
/// [`PreviewError::Unreadable`] when it cannot be parsed.
pub fn page_count(pdf: &[u8]) -> Result<usize, PreviewError> {
    let pdf = Pdf::new(pdf.to_vec()).map_err(|_| PreviewError::Unreadable)?;
    Ok(pdf.pages().len())
}

/// Page `page` (1-based) of `pdf` as a PNG on white.
///
/// # Errors
/// When the PDF cannot be read, has no such page (or more than
/// [`MAX_PAGES`]), or the PNG cannot be encoded.
pub fn page_png(pdf: &[u8], page: usize) -> Result<Vec<u8>, PreviewError> {
    let pdf = Pdf::new(pdf.to_vec()).map_err(|_| PreviewError::Unreadable)?;
    let pages = pdf.pages();
    if pages.len() > MAX_PAGES {
        return Err(PreviewError::Unreadable);
    }
    let target = page.checked_sub(1).and_then(|i| pages.get(i)).ok_or(PreviewError::NoSuchPage { pages: pages.len(), asked: page })?;
    let settings = RenderSettings { x_scale: SCALE, y_scale: SCALE, ..RenderSettings::default() };
    let pixmap = hayro::render(target, &RenderCache::new(), &InterpreterSettings::default(), &settings);
    pixmap.into_png().map_err(|_| PreviewError::Encode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::parse_case;
    use crate::documents::{DocumentKind, Renderer, SigningChoices};

    #[test]
    fn every_page_of_a_document_becomes_a_white_png() {
        let renderer = Renderer::embedded().unwrap();
        let as_of = crate::case::parse_date(crate::cli::EXAMPLE_AS_OF).unwrap();
        let case = parse_case(crate::cli::EXAMPLE_CASE.as_bytes(), as_of, renderer.reference()).unwrap();
        let doc = renderer.render(&case, DocumentKind::ProducerAgreement, &SigningChoices::default(), as_of).unwrap();
        assert_eq!(page_count(&doc.pdf).unwrap(), doc.page_count);
        for page in 1..=doc.page_count {
            let png = page_png(&doc.pdf, page).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
            // IHDR: width and height, big-endian, at bytes 16..24.
            let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
            let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
            assert_eq!((width, height), (1224, 1584), "US Letter at 2 px per point");
            if let Some(dir) = std::env::var_os("INKSEAL_KEEP_ARTEFACTS") {
                std::fs::write(std::path::Path::new(&dir).join(format!("agreement-page-{page}.png")), &png).unwrap();
            }
        }
        assert!(matches!(page_png(&doc.pdf, 0), Err(PreviewError::NoSuchPage { .. })));
        assert!(matches!(page_png(&doc.pdf, doc.page_count + 1), Err(PreviewError::NoSuchPage { .. })));
        assert!(matches!(page_png(b"%PDF-1.7 nonsense", 1), Err(PreviewError::Unreadable)));
    }
}
