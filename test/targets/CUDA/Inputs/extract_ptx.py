"""Writes the PTX of every #gpu.object in an MLIR file (gpu-module-to-binary
format=isa) to PREFIX.N.ptx, without the trailing NUL byte MLIR keeps."""
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
# The object's string is the last attribute of #gpu.object<...>.
objects = re.findall(r'"((?:[^"\\]|\\.)*)">\]', text)
if not objects:
    sys.exit(f"{sys.argv[1]}: no #gpu.object with PTX")
for n, body in enumerate(objects):
    # MLIR escapes as \XX (two hex digits) and \\, \".
    ptx = re.sub(r'\\([0-9A-Fa-f]{2})', lambda m: chr(int(m.group(1), 16)), body)
    ptx = ptx.replace('\\\\', '\\').replace('\\"', '"').rstrip("\0")
    with open(f"{sys.argv[2]}.{n}.ptx", "w", encoding="utf-8") as f:
        f.write(ptx)
