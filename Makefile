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
SCENARIOS ?= default standalone tarball upgrade offline pseudo_cluster membership backup secure

.PHONY: help bootstrap docker fixtures lint sanity galaxy unit integration test-fast molecule test demo demo-destroy bench clean

help:
	@sed -n '2,5p' Makefile

bootstrap:
	@bash scripts/bootstrap.sh

docker:
	@bash scripts/docker-setup.sh

# Apache-layout tarballs built from Debian's jars, and a local mirror of them.
fixtures: docker
	@bash tests/fixtures/stage-mirror.sh .cache/tarballs .cache/mirror

lint: bootstrap
	ansible-lint --profile production --offline

sanity: bootstrap
	@rm -rf $(dir $(COLL_COPY)) && mkdir -p $(COLL_COPY)
	@git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} $(COLL_COPY)/ 2>/dev/null || true
	cd $(COLL_COPY) && git init -q && git add -A && ansible-test sanity --local --python 3.11 --color no

# Build the artifact and run Galaxy's importer on it, offline.
galaxy: bootstrap
	bash scripts/galaxy-import.sh

unit: bootstrap
	python -m pytest -q tests/unit

integration: bootstrap
	python -m pytest -q tests/integration

test-fast: lint sanity galaxy unit integration

molecule: bootstrap docker fixtures
	@for s in $(SCENARIOS); do echo "=== molecule scenario $$s"; molecule test -s $$s || exit 1; done

test: test-fast molecule
	@echo "make test: all green"

demo: bootstrap docker
	@bash scripts/demo.sh

demo-destroy: bootstrap
	molecule destroy -s demo

bench: bootstrap docker
	python tests/bench/bench_znode_scale.py
	python tests/bench/bench_role_noop.py
	python tests/bench/bench_znode_batch.py
	python tests/bench/bench_backup.py

clean:
	rm -rf .cache tests/output
