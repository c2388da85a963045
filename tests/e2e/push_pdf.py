#!/usr/bin/env python3
"""Write COUNT small but valid PDF payslips of about SIZE bytes each.

usage: push_pdf.py OUTDIR COUNT SIZE [FIRST]

Each file is a one-page PDF whose text reads "Bulletin de paie N" (so that
pdftotext finds it), padded to SIZE bytes with an incompressible stream of
random bytes, as scanned or image-heavy payslips are.  Files are named
payslip-N.pdf with N from FIRST (default 1).
"""
import os
import sys


def pdf(n, size):
    text = b"BT /F1 14 Tf 72 720 Td (Bulletin de paie %d) Tj ET" % n
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
    ]
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    base = sum(len(o) + 20 for o in objs) + len(head) + 300
    pad = max(0, size - base)
    objs.append(b"<< /Length %d >>\nstream\n%s\nendstream"
                % (pad, os.urandom(pad)))
    out = bytearray(head)
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, o)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref))
    return bytes(out)


def main():
    outdir, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    first = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    os.makedirs(outdir, exist_ok=True)
    for n in range(first, first + count):
        with open(os.path.join(outdir, "payslip-%d.pdf" % n), "wb") as f:
            f.write(pdf(n, size))


if __name__ == "__main__":
    main()
