"""Write specs/rules/regulation.schema.json from the pydantic model (the published format).

``python -m scripts.regulation_schema``; ``tests/test_docs.py`` fails when they differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from specs.rules.model import Regulation

TARGET = Path(__file__).resolve().parents[1] / "specs" / "rules" / "regulation.schema.json"


def render() -> str:
    schema = Regulation.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://aanspraak.example/schemas/regulation.schema.json"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
