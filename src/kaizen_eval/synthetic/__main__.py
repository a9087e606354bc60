"""``python -m kaizen_eval.synthetic [DIRECTORY]``: regenerate the bundled synthetic trials."""

from __future__ import annotations

import sys
from pathlib import Path

from kaizen_eval.synthetic.bundled import regenerate


def main(argv: list[str] | None = None) -> int:
    """Regenerate ``data/synthetic`` (or the directory given) and list what was written."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m kaizen_eval.synthetic [DIRECTORY]  (default: data/synthetic)")
        return 0 if args and args[0] in ("-h", "--help") else 2
    root = Path(args[0]) if args else Path("data/synthetic")
    for site, files in regenerate(root).items():
        print(f"{site}: {', '.join(sorted(files))} -> {root / site}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
