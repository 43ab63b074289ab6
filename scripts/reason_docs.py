"""Write docs/reasons.md from specs/errors.py: every rejection slug, its family, its rule.

``python -m scripts.reason_docs`` rewrites the file; ``tests/test_docs.py`` fails when the
file and the code disagree, so the reference cannot drift.
"""

from __future__ import annotations

import sys
from pathlib import Path

from specs.errors import FAMILY_OF, REASON_ENUMS

TARGET = Path(__file__).resolve().parents[1] / "docs" / "reasons.md"
HEADER = """# Rejection reasons

Every input the core refuses is refused with exactly one of these reasons. The command line
prints the slug (`rejected: <slug>`); services map the family to a wire error in one table
per endpoint (DESIGN §3). Generated from `specs/errors.py` by `python -m scripts.reason_docs`;
a test keeps the two in step.
"""


def render() -> str:
    parts = [HEADER]
    for enum in REASON_ENUMS:
        doc = (enum.__doc__ or "").strip().splitlines()[0]
        parts.append(f"\n## {enum.__name__}\n\n{doc}\n\n| slug | family | member |\n|---|---|---|")
        parts.extend(
            f"| `{member.value}` | {FAMILY_OF[member].value} | `{member.name}` |" for member in enum
        )
    return "\n".join(parts) + "\n"


def main() -> int:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
