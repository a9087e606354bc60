"""Regenerate data/synthetic/<site>/ bit-for-bit: ``python scripts/regenerate_synthetic.py``."""

from pathlib import Path

from kaizen_eval.synthetic.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main([str(Path(__file__).resolve().parents[1] / "data" / "synthetic")]))
