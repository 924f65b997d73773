# The front door: `make help` lists what you can do.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installert
YEAR   ?=
AAR    := $(if $(YEAR),--aar $(YEAR),)

.DEFAULT_GOAL := help
.PHONY: help setup report test validate skjema lab bench backtest browser clean

help: ## Vis denne listen
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

setup: $(STAMP) ## Lag .venv og installer pakken (gjøres automatisk av de andre målene)

report: $(STAMP) ## Kjør analysen for YEAR (standard: året i bosetting_lib/config/params.py) på dataene i data/raw og lag rapporten
	$(PY) -m bosetting_lib kjor $(AAR)

test: $(STAMP) ## Kjør alle testene (fordelt på maskinens kjerner)
	$(PY) -m pytest -n auto

validate: $(STAMP) ## Kontroller alle inndata for YEAR uten å kjøre analysen
	$(PY) -m bosetting_lib valider $(AAR)

skjema: $(STAMP) ## Lag tilbakemeldingsskjema til kommunene for YEAR
	$(PY) -m bosetting_lib skjema $(AAR)

lab: $(STAMP) ## Åpne JupyterLab på notatbøkene med prosjektets miljø
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

backtest: $(STAMP) ## Etterprøv modellen mot IMDis faktiske tall og skriv BACKTEST.md
	$(PY) -m bosetting_lib etterprov
browser: ## Installer chromium, poppler-utils (apt) og axe-core (npm) for tilgjengelighets- og utskriftstestene
	tools/install_browser_tools.sh

bench: $(STAMP) ## Mål ytelsen og skriv BENCHMARKS.md
	$(PY) benchmarks/run_all.py

clean: ## Slett genererte data og resultater (ikke data/raw)
	rm -rf data/processed/*/ outputs/*/
