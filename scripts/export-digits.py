#!/usr/bin/env python3
"""Exports scikit-learn's 8x8 handwritten digits to data/digits.csv, once.

Run from the repository's root with scikit-learn installed
(python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn):

    /tmp/skl/bin/python scripts/export-digits.py

The file is committed, so Noether needs no Python at run time. It is a Noether samples file
(see Sources/Dynamics/Datasets/DatasetFile.swift): one row per image, `sample,split,label`,
then the 64 pixels x1..x64 in row-major order (x1 top left, x8 top right), integers 0..16
exactly as the UCI data has them. Every fifth image (sample number = 4 mod 5) is in the test
split. The checksum is FNV-1a (64 bits) of the header and rows, each ended by a newline.
"""
import sklearn
from sklearn.datasets import load_digits

digits = load_digits()
images, labels = digits.data, digits.target
assert images.shape == (1797, 64) and labels.shape == (1797,)

header = "sample,split,label," + ",".join(f"x{i + 1}" for i in range(64))
rows = []
for k, (image, label) in enumerate(zip(images, labels)):
    assert all(v == int(v) and 0 <= v <= 16 for v in image)
    split = "test" if k % 5 == 4 else "train"
    rows.append(f"{k},{split},{int(label)}," + ",".join(str(int(v)) for v in image))
body = header + "\n" + "\n".join(rows) + "\n"

h = 0xCBF29CE484222325
for byte in body.encode():
    h = ((h ^ byte) * 0x100000001B3) % (1 << 64)

source = (f"UCI ML Optical Recognition of Handwritten Digits (E. Alpaydin and C. Kaynak 1998), its test set of 1797 images "
          f"as scikit-learn {sklearn.__version__} load_digits ships it, under licence CC BY 4.0")
preamble = f"# system: digits; sampler: samples; seed: 0; noise: 0; parameters: ; rows: {len(rows)}; checksum: {h:016x}; source: {source}\n"
with open("data/digits.csv", "w") as f:
    f.write("# noether dataset 1\n" + preamble + body)
print(f"wrote {len(rows)} images to data/digits.csv")
