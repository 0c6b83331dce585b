# zkops.zookeeper — development and test entry points.
#   make demo       bring up 3 participants + 1 observer in containers, deploy them, print each node's mode
#   make test       everything: lint, sanity, unit, module tests against real servers, Molecule scenarios
#   make test-fast  the quick loop: lint, sanity, unit, module tests against local servers
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
COLL_COPY := $(CURDIR)/.cache/sanity/ansible_collections/zkops/zookeeper
# Every stage of `make test` is timed; the table is printed at the end (scripts/stage_time.py).
TIMED := python3 $(CURDIR)/scripts/stage_time.py run
export ZKOPS_STAGE_TIMES := $(CURDIR)/.cache/stage-times.tsv
# The Molecule scenarios, longest first: `make test` starts them in this order on two lanes, beside the
# checks (scripts/test_lanes.py); `make molecule` runs them one after another.
SCENARIOS ?= secure membership rollover backup upgrade tarball default standalone offline pseudo_cluster

.PHONY: scenarios timing-reset help bootstrap docker fixtures lint sanity galaxy unit integration test-fast molecule test demo demo-destroy bench clean

help:
	@sed -n '2,5p' Makefile

bootstrap:
	@bash scripts/bootstrap.sh

docker:
	@$(TIMED) docker -- bash scripts/docker-setup.sh

# Apache-layout tarballs built from Debian's jars, and a local mirror of them.
fixtures: docker
	@$(TIMED) fixtures -- bash tests/fixtures/stage-mirror.sh .cache/tarballs .cache/mirror

lint: bootstrap
	$(TIMED) lint -- ansible-lint --profile production --offline

sanity: bootstrap
	@rm -rf $(dir $(COLL_COPY)) && mkdir -p $(COLL_COPY)
	@git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} $(COLL_COPY)/ 2>/dev/null || true
	cd $(COLL_COPY) && git init -q && git add -A && $(TIMED) sanity -- ansible-test sanity --local --python 3.11 --color no

# Build the artifact and run Galaxy's importer on it, offline.
galaxy: bootstrap
	$(TIMED) galaxy -- bash scripts/galaxy-import.sh

unit: bootstrap
	$(TIMED) unit -- python -m pytest -q tests/unit

integration: bootstrap
	$(TIMED) integration -- python -m pytest -q -n 2 tests/integration

test-fast: lint sanity galaxy unit integration

molecule: bootstrap docker fixtures scenarios

# The scenarios alone, one after another, once the set-up is done.
scenarios:
	@for s in $(SCENARIOS); do echo "=== molecule scenario $$s"; $(TIMED) molecule-$$s -- molecule test -s $$s || exit 1; done

timing-reset:
	@python3 $(CURDIR)/scripts/stage_time.py reset

# Set-up first, then the checks (lint, sanity, galaxy, unit, the module tests) and every scenario on two
# lanes at once (scripts/test_lanes.py). The stage table ends the output.
test: timing-reset bootstrap docker fixtures
	@python3 scripts/test_lanes.py --lanes 2 checks $(SCENARIOS)
	@echo "make test: all green"

demo: bootstrap docker
	@bash scripts/demo.sh

demo-destroy: bootstrap
	molecule destroy -s demo

bench: bootstrap docker fixtures
	python tests/bench/bench_znode_scale.py
	python tests/bench/bench_role_noop.py
	python tests/bench/bench_znode_batch.py
	python tests/bench/bench_backup.py
	python tests/bench/bench_first_converge.py
	python tests/bench/bench_metrics.py
	python tests/bench/bench_fleet.py

clean:
	rm -rf .cache tests/output
