# LesionLens: every target creates .venv itself, so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint model model-breast model-interactive model-ct models-multiview bench screenshot clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "LesionLens needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when pyproject.toml changes (the stamp is older than it).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/lesionlens view $(ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# Retrain the shipped bundle resources/models/default (seeded; ~20 min on 2 cores).
model: $(VENV)/.installed-run
	$(BIN)/python -m training.make_default

# Train resources/models/breast-us on real breast ultrasound (BUSI; read where it lies, never
# copied; seeded; ~25 min on 2 cores). The 5-fold cross-validation is bench/busi_cv.py.
DATA ?= ../shared/data/busi-dev
model-breast: $(VENV)/.installed-run
	$(BIN)/python -m training.make_breast --data $(DATA) --out resources/models/breast-us

# Train resources/models/interactive (click to segment) on busi-dev's four training folds plus
# synthetic node and skin ultrasound (seeded; 15 epochs, ~30 min on 2 busy cores; a busy
# machine stops it between epochs after 26 min, metrics.json says so).
model-interactive: $(VENV)/.installed-run
	OMP_WAIT_POLICY=PASSIVE nice -n 10 $(BIN)/python -m training.make_interactive --data $(DATA) --out resources/models/interactive

# Retrain the kidney-ct volume bundle resources/models/kidney-ct (seeded; ~35 min on 2 cores).
model-ct: $(VENV)/.installed-run
	nice -n 10 $(BIN)/python -m training.make_ct --out resources/models/kidney-ct

# Retrain the shipped multi-view bundles resources/models/scinti-two-view and skin-fusion
# (seeded, synthetic data; ~25 min on 2 busy cores).
models-multiview: $(VENV)/.installed-run
	nice -n 10 $(BIN)/python -m training.make_multiview

# Quick benchmarks (minutes; bench/pacs.py needs the Debian packages orthanc orthanc-dicomweb,
# tissue.py reads the test extra's pydicom-data). bench/transfer.py (~35 min), bench/feedback.py and
# bench/multiview.py (~25 min) run by hand.
bench: $(VENV)/.installed-test
	$(BIN)/python bench/analyze.py --json bench/results/analyze.json
	$(BIN)/python bench/io.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/paint.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/pacs.py
	$(BIN)/python bench/tissue.py

# Needs Xvfb (and, for the PACS shots, orthanc orthanc-dicomweb): apt-get install -y xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
#   libxcb-render-util0 libxkbcommon-x11-0 libxcb-xinerama0 libxcb-cursor0
screenshot: $(VENV)/.installed-test
	xvfb-run -a -s "-screen 0 1400x900x24" $(BIN)/python tools/screenshot.py
	xvfb-run -a -s "-screen 0 1400x1000x24" $(BIN)/python tools/screenshot_pacs.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
