# Set-up, run and checks.  Every target creates .venv if needed and installs the project
# into it, re-installing only when pyproject.toml changed (stamps in .venv): `run` needs
# the project alone, `cluster` adds the executor plugins, the checks add the dev tools.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLUSTER_STAMP := $(VENV)/.installed-cluster
DEV_STAMP := $(VENV)/.installed-dev
CORES ?= 8
LINT_PATHS := src tests workflow/scripts benchmarks
# One BLAS thread per process: our arrays are small (m x m Hessians, m-vectors), and an
# awake OpenBLAS thread pool makes each call 10-100x slower on a small shared machine
# (L-BFGS-B on n = 50, m = 5: 37 ms per start against 0.8 ms).  Snakemake already sets
# this for each job from its `threads`; here it also holds for tests and benchmarks.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: all run unlock cluster test test-workflow test-slurm lint report bench clean

all: run

$(BIN)/python:
	python3.11 -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(STAMP)

$(CLUSTER_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[cluster]'
	touch $(STAMP) $(CLUSTER_STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP) $(CLUSTER_STAMP) $(DEV_STAMP)

## run: the whole workflow on config.yaml; after a crash it reruns the jobs that were running
run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --rerun-incomplete

## unlock: remove the lock a killed run left (only when no other snakemake runs here)
unlock: $(STAMP)
	$(BIN)/snakemake --unlock

## cluster: the executor plugins (pinned) for profiles/slurm and cluster-generic; docs/cluster.md
cluster: $(CLUSTER_STAMP)

## report: results/report.html from a finished run
report: run
	$(BIN)/snakemake --cores $(CORES) --report results/report.html

## lint: ruff, snakefmt, snakemake --lint and a dry run of the default config
lint: $(DEV_STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint
	$(BIN)/snakemake --dry-run --quiet --cores 1

## test: lint, the unit tests, the small config end to end, then the workflow tests
test: lint
	$(BIN)/python -m pytest -m "not workflow"
	$(MAKE) test-workflow
	$(BIN)/python -m pytest -m workflow

## test-workflow: every stage on the small config .test/config.yaml (results in .test/results)
test-workflow: $(DEV_STAMP)
	$(BIN)/snakemake --cores 2 --directory .test --rerun-incomplete

## test-slurm: the small config on a throwaway one-node SLURM (root, Debian-like; not in make test)
test-slurm: $(DEV_STAMP)
	bash tests/slurm/run.sh

## bench: the benchmarks; summary in results/bench/summary.json
bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/run.py

## clean: remove the workflow's outputs (keeps .venv)
clean:
	find results -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf .snakemake .test/results .test/.snakemake
