# One command to run the platform, one to test it. uv is installed here if missing.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=

.PHONY: up demo test test-unit test-integration test-e2e test-deploy lint format bench docs install

$(UV):
	@echo "uv est absent : installation dans .tools/ / uv is missing: installing it in .tools/"
	python3 -m venv .tools && .tools/bin/pip install --quiet uv

install: $(UV)
	$(UV) sync --frozen

up: install
	$(UV) run --frozen rencontres up

demo: install
	$(UV) run --frozen rencontres demo

test: install
	$(UV) run --frozen pytest $(PYTEST_ARGS)

test-unit: install
	$(UV) run --frozen pytest tests/unit $(PYTEST_ARGS)

test-integration: install
	$(UV) run --frozen pytest tests/integration $(PYTEST_ARGS)

test-e2e: install
	$(UV) run --frozen pytest tests/e2e $(PYTEST_ARGS)

# deploy/compose.yaml started with podman (root, a few minutes): not part of `make test`.
test-deploy: install
	$(UV) run --frozen pytest tests/deploy $(PYTEST_ARGS)

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy shared rencontres services benchmarks deploy/compose_podman.py

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

docs: install
	$(UV) run --frozen python -m shared.events.docs
	$(UV) run --frozen python -m services.registration.entrypoints.openapi
	$(UV) run --frozen python -m services.scheduler.entrypoints.openapi

bench: install
	$(UV) run --frozen python -m benchmarks
