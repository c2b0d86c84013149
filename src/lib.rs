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
4. [`packet`]: the steps and their rules (the packet's life cycle, the
   signature-name rule), pure.
5. [`signing`] (with [`pki`] and [`pdf`]): keys, the signature field, the
   seal as one incremental update, the CMS, the visible stamp.
6. [`verify`]: the compliance check of any PDF, for untrusted input.
7. [`audit`] and [`uploads`]: the hash-chained audit trail and the upload
   rules, pure, for the packet service.
8. [`store`]: packets, PDFs, audit records, links and sessions in SQLite or
   PostgreSQL.
9. [`service`] and [`letters`]: the packet service that puts rendering,
   sealing and storage together, and the letters it produces.
10. [`http`]: the portal's JSON API and the producer's endpoints.
11. [`cli`]: the `inkseal` command.
*/

pub mod audit;
pub mod case;
pub mod cli;
pub mod documents;
pub mod http;
pub mod letters;
pub mod money;
pub mod packet;
pub mod preview;
pub mod pdf;
pub mod pki;
pub mod reference;
pub mod service;
pub mod signing;
pub mod store;
pub mod templates;
pub mod uploads;
pub mod verify;
