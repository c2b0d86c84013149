"""Times pyHanko signing and validating one PDF in-process, for `inkseal bench`.

Usage: pyhanko_bench.py REVIEW.pdf KEY.pem CERT.pem ROOT.pem ITERATIONS
Prints JSON: {"sign_ms": median, "validate_ms": median}. The PDF must have an
empty signature field named "Signature" (inkseal's review copies do).
"""

import io
import json
import statistics
import sys
import time

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def main() -> None:
    pdf_path, key, cert, root, iterations = sys.argv[1:6]
    n = int(iterations)
    data = open(pdf_path, "rb").read()
    signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(root,), key_passphrase=None)
    meta = signers.PdfSignatureMetadata(field_name="Signature", subfilter=SigSeedSubFilter.PADES)
    sign_times = []
    signed = b""
    for _ in range(n):
        start = time.perf_counter()
        out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer)
        sign_times.append(time.perf_counter() - start)
        signed = out.getvalue()
    context = ValidationContext(trust_roots=[load_cert_from_pemder(root)])
    validate_times = []
    for _ in range(n):
        start = time.perf_counter()
        reader = PdfFileReader(io.BytesIO(signed))
        status = validate_pdf_signature(reader.embedded_signatures[0], context)
        validate_times.append(time.perf_counter() - start)
        if not status.bottom_line:
            raise SystemExit("pyHanko did not validate its own signature")
    print(json.dumps({"sign_ms": statistics.median(sign_times) * 1000, "validate_ms": statistics.median(validate_times) * 1000}))


if __name__ == "__main__":
    main()
