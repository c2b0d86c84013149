/*!
inkseal turns an insurance producer's onboarding case into a packet of PDFs,
walks the producer through reviewing and signing them, seals each document
with a PDF digital signature, and verifies stored PDFs later.

The pipeline, one module per step (data flows one way):

1. [`templates`] and [`reference`]: the authored files (Typst templates, fee
   table, background questions), embedded or from a folder.
2. [`case`]: the portal's JSON contract, parsed into types that cannot hold
   bad values, with every rule of the spec.
3. [`documents`]: which documents a case gets and rendering them to PDF/A
   with Typst in a sealed-off world.
4. [`cli`]: the `inkseal` command.
*/

pub mod case;
pub mod cli;
pub mod documents;
pub mod money;
pub mod packet;
pub mod pdf;
pub mod pki;
pub mod reference;
pub mod signing;
pub mod templates;
pub mod verify;
