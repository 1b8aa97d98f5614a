"""Which model reads which case: the reader's choice per case, per folder, else proposed."""

from __future__ import annotations

from pathlib import Path

from desktop.models.image.model_choices import AUTO, ModelChoices


def test_a_case_choice_wins_over_its_folder_and_falls_back_when_cleared() -> None:
    choices = ModelChoices()
    breast, node = Path("/models/breast-us"), Path("/models/default")
    case = Path("/data/site/a/case1.png")
    assert choices.choice_for(case) is AUTO and choices.choice_for(None) is AUTO
    choices.choose_for_folder(Path("/data/site"), breast)
    assert choices.choice_for(case) == breast  # any depth below the folder
    assert choices.choice_for(Path("/data/other/case.png")) is AUTO
    choices.choose_for_case(case, node)
    assert choices.choice_for(case) == node
    assert choices.choice_for(Path("/data/site/a/case2.png")) == breast
    choices.choose_for_case(case, None)
    assert choices.choice_for(case) == breast
    choices.choose_for_folder(Path("/data/site"), None)
    assert choices.choice_for(case) is AUTO
