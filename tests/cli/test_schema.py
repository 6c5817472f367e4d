from __future__ import annotations

import json

from typer.testing import CliRunner

from simulator.cli import app


def test_schema_documents_every_field() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    region = schema["$defs"]["Region"]["properties"]
    assert region["monthly_income_usd"]["description"].startswith("Typical monthly income")
    # every field of every model carries its attribute docstring
    undocumented = [
        f"{model}.{name}"
        for model, spec in schema["$defs"].items()
        for name, field in spec.get("properties", {}).items()
        if not field.get("description") and name not in ("kind", "rule")
    ]
    assert undocumented == []
