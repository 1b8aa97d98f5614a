"""A whole-body phantom for bone scintigraphy (Tc-99m MDP), as a list of simple 3D shapes.

Positions are fractions of the body height measured from the vertex (anthropometric
proportions: chin 0.13, shoulders 0.18-0.19, iliac crest 0.42-0.44, hip 0.49, knee 0.72,
ankle 0.95), converted to millimetres per patient. Each shape is a tube along a polyline
(bones, limbs), an ellipsoid (kidneys, bladder, joints), a shell (skull vault) or a thin
plate (scapula, iliac wing), with a tracer uptake per millimetre of path, a depth between the
anterior (0) and posterior (1) body surface, and the body thickness at its level, so the
renderer can attenuate and blur it correctly in each view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Shape:
    """One piece of anatomy. Coordinates (x, y) in mm: x to the patient's left, y downwards."""

    name: str
    kind: str  # "tube", "ellipsoid", "shell" or "plate"
    points: tuple[tuple[float, float], ...]  # polyline (tube) or centre (others)
    radius_mm: float  # tube radius; ellipsoid/shell/plate: semi-axis along x
    radius_y_mm: float  # ellipsoid/shell/plate: semi-axis along y (tube: unused)
    uptake: float  # tracer per mm of path through it (arbitrary units)
    depth: float  # 0 at the anterior skin, 1 at the posterior skin
    thickness_mm: float  # body thickness (anterior-posterior) at this level
    bone: bool  # metastases can seed here
    axial: bool  # spine, ribs, pelvis, skull, sternum, scapula, proximal femur/humerus


@dataclass(frozen=True)
class Patient:
    height_mm: float
    width: float  # lateral build (1 = average)
    trunk_mm: float  # AP thickness of the trunk


def make_patient(rng: np.random.Generator) -> Patient:
    width = rng.uniform(0.88, 1.22)
    return Patient(rng.uniform(1520, 1920), width, rng.uniform(190, 250) * width)


def build_body(rng: np.random.Generator, patient: Patient) -> list[Shape]:
    """The skeleton, the kidneys and bladder (normal tracer excretion) and the soft tissue."""
    hgt, wid, trunk = patient.height_mm, patient.width, patient.trunk_mm

    def p(x: float, y: float, lateral: bool = True) -> tuple[float, float]:
        return (x * hgt * (wid if lateral else 1.0), y * hgt)

    shapes: list[Shape] = []

    def add(name, kind, pts, r, ry, up, depth, thick, bone=True, axial=True):  # noqa: ANN001, ANN202
        shapes.append(Shape(name, kind, tuple(pts), r, ry, up, depth, thick, bone, axial))

    bone = rng.uniform(0.9, 1.1)  # overall bone avidity (age, renal function)
    # Soft tissue: the body outline, faint.
    soft = rng.uniform(0.018, 0.03)
    add("head", "ellipsoid", [p(0, 0.065, False)], 78, 112, soft, 0.5, 180, False, False)
    add("neck", "tube", [p(0, 0.12, False), p(0, 0.18, False)], 52, 0, soft, 0.5, 120, False, False)
    for y0, y1, r in ((0.19, 0.33, 150), (0.33, 0.45, 140), (0.45, 0.52, 155)):
        add("trunk", "tube", [p(0, y0), p(0, y1)], r * wid, 0, soft, 0.5, trunk, False, False)
    for side in (-1, 1):
        arm = [p(side * 0.108, 0.19), p(side * 0.128, 0.34), p(side * 0.138, 0.47)]
        add("arm", "tube", arm, 42 * wid, 0, soft, 0.5, 90, False, False)
        leg = [p(side * 0.06, 0.5), p(side * 0.055, 0.72), p(side * 0.05, 0.95)]
        add("leg", "tube", leg, 62 * wid, 0, soft, 0.5, 130, False, False)
    # Skull: vault as a shell, face and mandible.
    add("skull", "shell", [p(0, 0.062, False)], 74, 100, 0.8 * bone, 0.5, 180)
    add("face", "ellipsoid", [p(0, 0.098, False)], 45, 28, 0.25 * bone, 0.3, 180, True, False)
    mandible = [p(-0.028, 0.11, False), p(-0.018, 0.128, False), p(0, 0.133, False)]
    mandible += [p(0.018, 0.128, False), p(0.028, 0.11, False)]
    add("mandible", "tube", mandible, 6, 0, 0.8 * bone, 0.25, 150, True, False)
    # Spine: vertebral bodies, widening downwards; sacrum.
    spine_levels = np.linspace(0.115, 0.45, 25)
    for i, (y0, y1) in enumerate(zip(spine_levels[:-1], spine_levels[1:], strict=True)):
        r = 9 + 13 * (i / 23) ** 1.2
        gap = (y1 - y0) * 0.12  # intervertebral disc: less uptake
        seg = [p(0, y0 + gap, False), p(0, y1 - gap, False)]
        add("spine", "tube", seg, r, 0, 1.0 * bone, 0.72, 120 if i < 7 else trunk)
    sacrum = [p(0, 0.452, False), p(0, 0.5, False)]
    add("sacrum", "tube", sacrum, 26 * wid, 0, 0.7 * bone, 0.8, trunk)
    # Sternum and clavicles (anterior), scapulae (posterior).
    # The sternum is flat: seen face-on its path is its thickness, not its width.
    add("sternum", "plate", [p(0, 0.243, False)], 14, 92, 1.2 * bone, 0.05, trunk)
    for side in (-1, 1):
        clav = [p(side * 0.012, 0.178), p(side * 0.055, 0.171), p(side * 0.095, 0.176)]
        add("clavicle", "tube", clav, 6, 0, 0.9 * bone, 0.15, 140)
        add("scapula", "plate", [p(side * 0.078, 0.225)], 26 * wid, 48, 0.9 * bone, 0.88, trunk)
        add("shoulder", "ellipsoid", [p(side * 0.104, 0.19)], 17, 17, 0.55 * bone, 0.5, 140)
        # Ribs: posterior arcs (near the spine), lateral, anterior arcs to the sternum.
        for k in range(12):
            yk = 0.184 + 0.0148 * k
            half = 0.05 + 0.042 * np.sin(np.pi * min(k + 2, 10) / 11)
            back = [p(side * 0.012, yk), p(side * 0.045, yk - 0.004), p(side * half, yk + 0.022)]
            add("rib", "tube", back, 4.5, 0, 0.75 * bone, 0.85, trunk)
            if k < 10:
                front = [p(side * half, yk + 0.024), p(side * 0.04, yk + 0.052)]
                front.append(p(side * 0.012, min(yk + 0.066, 0.3)))
                add("rib", "tube", front, 4.0, 0, 0.6 * bone, 0.15, trunk)
        # Pelvis: iliac wing (plate + crest), acetabulum, pubis and ischium.
        add("ilium", "plate", [p(side * 0.056, 0.452)], 40 * wid, 34, 1.4 * bone, 0.6, trunk)
        crest = [p(side * 0.022, 0.432), p(side * 0.062, 0.418), p(side * 0.095, 0.44)]
        add("ilium", "tube", crest, 6, 0, 0.9 * bone, 0.55, trunk)
        pubis = [p(side * 0.062, 0.488), p(side * 0.03, 0.513), p(side * 0.004, 0.512)]
        add("pubis", "tube", pubis, 7, 0, 0.9 * bone, 0.25, trunk)
        ischium = [p(side * 0.05, 0.5), p(side * 0.045, 0.522)]
        add("ischium", "tube", ischium, 9, 0, 0.8 * bone, 0.6, trunk)
        add("hip", "ellipsoid", [p(side * 0.064, 0.488)], 20, 20, 0.6 * bone, 0.5, trunk)
        # Long bones: humerus, forearm, hand; femur, knee, tibia, fibula, foot.
        humerus = [p(side * 0.106, 0.195), p(side * 0.126, 0.337)]
        add("humerus", "tube", humerus, 10, 0, 0.75 * bone, 0.5, 90, True, True)
        add(
            "elbow",
            "ellipsoid",
            [p(side * 0.127, 0.342)],
            16,
            12,
            0.45 * bone,
            0.5,
            90,
            True,
            False,
        )
        for dx in (-0.004, 0.004):
            fore = [p(side * (0.128 + dx), 0.35), p(side * (0.137 + dx), 0.458)]
            add("forearm", "tube", fore, 5, 0, 0.55 * bone, 0.5, 70, True, False)
        add("hand", "ellipsoid", [p(side * 0.14, 0.5)], 24, 42, 0.35 * bone, 0.5, 40, True, False)
        femur = [p(side * 0.064, 0.488), p(side * 0.085, 0.498), p(side * 0.056, 0.715)]
        add("femur", "tube", femur, 13, 0, 0.8 * bone, 0.5, 150, True, True)
        add(
            "knee",
            "ellipsoid",
            [p(side * 0.055, 0.726)],
            26,
            18,
            0.42 * bone,
            0.5,
            110,
            True,
            False,
        )
        tibia = [p(side * 0.053, 0.737), p(side * 0.05, 0.945)]
        add("tibia", "tube", tibia, 11, 0, 0.8 * bone, 0.35, 100, True, False)
        fibula = [p(side * 0.072, 0.742), p(side * 0.067, 0.94)]
        add("fibula", "tube", fibula, 5, 0, 0.45 * bone, 0.6, 100, True, False)
        add(
            "foot", "ellipsoid", [p(side * 0.056, 0.972)], 26, 22, 0.4 * bone, 0.5, 100, True, False
        )
        # Kidneys: normal renal excretion, posterior and a little asymmetric.
        ky = 0.345 + (0.008 if side < 0 else 0.0)  # the right kidney sits lower
        kidney = rng.uniform(0.15, 0.35)
        add("kidney", "ellipsoid", [p(side * 0.045, ky)], 27, 52, kidney, 0.72, trunk, False, False)
    bladder = rng.uniform(0.4, 2.0)
    size = rng.uniform(25, 45)
    add(
        "bladder",
        "ellipsoid",
        [p(0, 0.505, False)],
        size * 1.2,
        size,
        bladder,
        0.3,
        trunk,
        False,
        False,
    )
    return shapes
