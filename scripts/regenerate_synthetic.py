"""Regenerate data/synthetic/ bit-for-bit: ``python scripts/regenerate_synthetic.py [DIRECTORY]``.

The four Kaizen sites come from ``python -m kaizen_eval.synthetic`` (the synthetic floor); the
saturation trial is put together one floor up, in :mod:`kaizen_eval.studies` (it draws its
assignment with :func:`kaizen_eval.assign`, which the synthetic floor may not import), so only
this script regenerates ``saturation/`` as well.
"""

import sys
from pathlib import Path

from kaizen_eval.studies.saturation_site import write_saturation_site
from kaizen_eval.synthetic.__main__ import main as regenerate_sites

DEFAULT = Path(__file__).resolve().parents[1] / "data" / "synthetic"


def main(argv: list[str] | None = None) -> int:
    """Regenerate the four sites and the saturation trial into ``DIRECTORY`` (default: ours)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print(
            "usage: python scripts/regenerate_synthetic.py [DIRECTORY]  (default: data/synthetic)"
        )
        return 0 if args and args[0] in ("-h", "--help") else 2
    root = Path(args[0]) if args else DEFAULT
    status = regenerate_sites([str(root)])
    if status:
        return status
    files = write_saturation_site(root / "saturation", overwrite=True)
    print(f"saturation: {', '.join(sorted(files))} -> {root / 'saturation'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
