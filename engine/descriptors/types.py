"""What a descriptor set is once computed: plain frozen values the GUI and exports only render.

A descriptor is one lexicon item of one lesion ("shape": "oval") with the measurement that led
to it and a one-line reason, so a reader can see *why* the AI proposes it. Who set the value
is explicit: source "AI" with proposed=True is a proposal nobody has looked at; "AI" with
proposed=False is a proposal the reader accepted; "reader" is a value the reader chose. The
assessment category carries the same provenance: it is never final until the reader has
confirmed or set it (`DescriptorSet.final`).

Reader decisions never mutate a set: `override` and `confirm` return a new one, so an export
can always tell the AI's proposal (kept by the caller) from the reader's result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Source = Literal["AI", "reader"]
# BI-RADS (breast ultrasound, birads.py), ACR TI-RADS (thyroid nodules, tirads.py) and lymph
# nodes (node.py); each template module registers its category rule.
Template = Literal["bi-rads", "ti-rads", "lymph-node"]
TEMPLATES: tuple[str, ...] = ("bi-rads", "ti-rads", "lymph-node")
SOURCES: tuple[str, ...] = ("AI", "reader")
SCHEMA = "lesionlens.descriptors/1"

# A template's rule for the category: a set -> (category, reasons, extras). Registered by the
# template modules so `override` can re-derive a category the reader has not set.
CategoryRule = Callable[["DescriptorSet"], tuple[str | None, tuple[str, ...], Mapping[str, Any]]]
_CATEGORY_RULES: dict[str, CategoryRule] = {}


def register_category_rule(template: str, rule: CategoryRule) -> None:
    """Called once by a template module (birads) at import; lets `override` recompute."""
    _CATEGORY_RULES[template] = rule


@dataclass(frozen=True)
class Descriptor:
    """One lexicon item of one lesion.

    value: the lexicon term (e.g. "not parallel"), or None when the image cannot tell and the
    reader has not set it. measurement: the numbers behind it (name -> float, or None when not
    measurable), in mm where the image is calibrated (keys say their unit). options: the
    values a reader may choose from (the lexicon list), so a GUI needs no table of its own.
    """

    name: str
    value: str | None
    measurement: Mapping[str, float | None]
    reason: str
    source: Source = "AI"
    proposed: bool = True
    options: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "measurement": {k: _finite(v) for k, v in self.measurement.items()},
            "reason": self.reason,
            "source": self.source,
            "proposed": self.proposed,
            "options": list(self.options),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Descriptor:
        source = str(raw.get("source", "AI"))
        if source not in SOURCES:
            raise ValueError(f"descriptor source must be AI or reader, not {source!r}")
        return cls(
            name=str(raw["name"]),
            value=None if raw.get("value") is None else str(raw["value"]),
            measurement={
                str(k): (None if v is None else float(v))
                for k, v in dict(raw.get("measurement", {})).items()
            },
            reason=str(raw.get("reason", "")),
            source=source,  # type: ignore[arg-type]
            proposed=bool(raw.get("proposed", True)),
            options=tuple(str(o) for o in raw.get("options", ())),
        )


@dataclass(frozen=True)
class DescriptorSet:
    """All descriptors of one lesion under one template, and the proposed category.

    category: "2".."5" (BI-RADS, 4 split into 4A/4B/4C), "TR1".."TR5" (TI-RADS), "suspicious"
    / "not suspicious" (lymph node) or None. extras: template-specific
    results that are not lexicon items (the number of suspicious features), JSON-ready.
    """

    template: Template
    descriptors: tuple[Descriptor, ...]
    category: str | None
    category_reasons: tuple[str, ...] = ()
    category_source: Source = "AI"
    category_proposed: bool = True
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Descriptor:
        for d in self.descriptors:
            if d.name == name:
                return d
        raise KeyError(f"{self.template} has no descriptor {name!r} ({', '.join(self.names)})")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.descriptors)

    def value(self, name: str) -> str | None:
        return self[name].value

    @property
    def final(self) -> bool:
        """True only once the reader has confirmed or set the category and every descriptor.
        An AI proposal alone is never final."""
        return not self.category_proposed and not any(d.proposed for d in self.descriptors)

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "template": self.template,
            "descriptors": [d.as_json() for d in self.descriptors],
            "category": {
                "value": self.category,
                "reasons": list(self.category_reasons),
                "source": self.category_source,
                "proposed": self.category_proposed,
            },
            "final": self.final,
            "extras": _json_ready(self.extras),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> DescriptorSet:
        template = str(raw["template"])
        if template not in TEMPLATES:
            raise ValueError(f"unknown descriptor template {template!r}")
        category = dict(raw.get("category", {}))
        source = str(category.get("source", "AI"))
        if source not in SOURCES:
            raise ValueError(f"category source must be AI or reader, not {source!r}")
        return cls(
            template=template,  # type: ignore[arg-type]
            descriptors=tuple(Descriptor.from_json(d) for d in raw.get("descriptors", ())),
            category=None if category.get("value") is None else str(category["value"]),
            category_reasons=tuple(str(r) for r in category.get("reasons", ())),
            category_source=source,  # type: ignore[arg-type]
            category_proposed=bool(category.get("proposed", True)),
            extras=dict(raw.get("extras", {})),
        )


def override(
    descriptors: DescriptorSet, name: str, value: str | None, reason: str = ""
) -> DescriptorSet:
    """A new set in which the reader chose `value` for `name` ("category" sets the category).

    The reader may pick any value, also one outside the options (a free-text term is kept as
    it is). While the category is still the AI's, it is re-derived from the descriptors as they
    now stand (a reader's "irregular" raises a BI-RADS proposal); a category the reader set is
    never touched by later descriptor changes.
    """
    why = reason or "set by the reader"
    if name == "category":
        # The extras follow the reader's category (TI-RADS: the FNA advice of the reader's
        # level); the category itself stays the reader's.
        return _rederive(
            replace(
                descriptors,
                category=value,
                category_reasons=(why,),
                category_source="reader",
                category_proposed=False,
            )
        )
    old = descriptors[name]
    new = replace(old, value=value, reason=why, source="reader", proposed=False)
    items = tuple(new if d.name == name else d for d in descriptors.descriptors)
    return _rederive(replace(descriptors, descriptors=items))


def confirm(descriptors: DescriptorSet, names: Iterable[str] | None = None) -> DescriptorSet:
    """The reader accepts the AI's values as they are (all of them, or only `names`;
    "category" included): source stays "AI", proposed becomes False."""
    chosen = set(descriptors.names) | {"category"} if names is None else set(names)
    unknown = chosen - set(descriptors.names) - {"category"}
    if unknown:
        raise KeyError(f"no descriptor {sorted(unknown)[0]!r} in this {descriptors.template} set")
    items = tuple(
        replace(d, proposed=False) if d.name in chosen else d for d in descriptors.descriptors
    )
    out = replace(descriptors, descriptors=items)
    if "category" in chosen:
        out = replace(out, category_proposed=False)
    return out


def proposed(
    template: Template, descriptors: tuple[Descriptor, ...], extras: Mapping[str, Any] | None = None
) -> DescriptorSet:
    """A new AI set with the category its template's rule proposes from `descriptors` (and
    the extras the rule reads, e.g. the TI-RADS nodule size): how every describe_* ends."""
    return _rederive(DescriptorSet(template, descriptors, category=None, extras=extras or {}))


def _rederive(descriptors: DescriptorSet) -> DescriptorSet:
    """Re-run the template's rule; a category the reader set stays, its extras follow."""
    rule = _CATEGORY_RULES.get(descriptors.template)
    if rule is None:
        return descriptors
    category, reasons, extras = rule(descriptors)
    if descriptors.category_source == "reader":
        return replace(descriptors, extras=extras)
    return replace(
        descriptors,
        category=category,
        category_reasons=reasons,
        category_proposed=True,
        extras=extras,
    )


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, 4) if math.isfinite(value) else None


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, float):
        return _finite(value)
    return value
