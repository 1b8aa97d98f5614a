"""training.make_default writes the shipped default bundle's model.json: what it would write
now is what is shipped (apart from the date and what later tools add), descriptor template
included."""

from __future__ import annotations

import argparse
import json

from engine.bundle import default_bundle_dir, parse_spec
from engine.descriptors import template_for
from training.make_default import default_spec

ADDED_LATER = ("created", "int8")  # the run's date; the int8 gate (engine.quantize)


def test_make_default_writes_the_shipped_model_json_with_the_node_template() -> None:
    folder = default_bundle_dir()
    shipped = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    spec = default_spec(
        argparse.Namespace(seed=7, size=shipped["inputs"][0]["size"]),
        temperature=shipped["temperature"],
        network_kwargs=shipped["network_kwargs"],
        data_hash=shipped["training_data_hash"],
        n_train=1280,
        n_val=320,
        outputs=tuple(shipped["outputs"]),
        scope_threshold=shipped["scope"]["threshold"],
    )
    assert spec["descriptors"] == "lymph-node"
    assert template_for(parse_spec(spec, folder)) == "lymph-node"
    drop = set(ADDED_LATER)
    assert {k: v for k, v in spec.items() if k not in drop} == {
        k: v for k, v in shipped.items() if k not in drop
    }
