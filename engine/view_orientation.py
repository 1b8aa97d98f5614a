"""How a study view is presented, in the viewer and the report: its title, and which side of
the patient is where in a projection view.

Nuclear medicine convention: the anterior view is seen as if facing the patient, so the
patient's right is on the left; the posterior view, as acquired, looks from behind (patient's
left on the left). Readers compare the two most easily with the posterior mirrored, so both
show the patient's right on the left; LesionLens shows it so by default and says so.
Photos and ultrasound carry no laterality here: no side letters.
"""

from __future__ import annotations

MIRRORED_BY_DEFAULT = frozenset({"posterior"})
VIEW_TITLES = {
    "us": "Ultrasound",
    "photo": "Clinical photo",
    "clinical": "Clinical photo",
    "dermoscopy": "Dermoscopy",
    "anterior": "Anterior",
    "posterior": "Posterior",
}


def view_title(view: str) -> str:
    return VIEW_TITLES.get(view, view.replace("_", " ").capitalize())


def shown_mirrored(view: str, mirror_posterior: bool = True) -> bool:
    return mirror_posterior and view in MIRRORED_BY_DEFAULT


def side_labels(view: str, mirrored: bool) -> tuple[str, str] | None:
    """(screen-left, screen-right) patient side: "R"/"L"; None when the view does not say."""
    if view == "anterior":
        return ("R", "L")
    if view == "posterior":
        return ("R", "L") if mirrored else ("L", "R")
    return None


def orientation_note(view: str, mirrored: bool) -> str:
    """One line under the view's title that says which way the patient faces."""
    if view == "anterior":
        return "seen from the front: patient's right on the left"
    if view == "posterior":
        if mirrored:
            return "mirrored to match the anterior: patient's right on the left"
        return "as acquired, seen from behind: patient's left on the left"
    return ""
