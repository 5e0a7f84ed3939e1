"""Bytes of each file zipped alone as `bootstrap`, deflate level 9: what Lambda is given.

    python3 zipsize.py FILE...   # one line per file: its zipped size
"""

import io
import sys
import zipfile

for path in sys.argv[1:]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.write(path, "bootstrap")
    print(len(buf.getvalue()))
