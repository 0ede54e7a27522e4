# TA-auth0: build, package, test. `make test` installs what it needs into .venv itself.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ADDON := TA-auth0
# The version lives in globalConfig.json only.
VERSION = $(shell $(PYTHON) -c 'import json;print(json.load(open("globalConfig.json"))["meta"]["version"])')
SPL = dist/$(ADDON)-$(VERSION).spl
APPINSPECT_TAGS := cloud aarch64_compatibility future

.PHONY: help venv lint unit compat build package appinspect test bench demo clean chromium dashboard-deps screenshots \
	detections replay live

help:
	@echo "make package  - build dist/$(ADDON)-<version>.spl and run AppInspect (cloud, aarch64, future)"
	@echo "make demo     - run the logs input against a simulated Auth0 tenant (demo-output/)"
	@echo "make test     - lint, Python 3.9 check, all test tiers, and the package gate"
	@echo "make bench    - ingest, rate-limit and watchlist benchmarks (ratios against baselines in the same run)"
	@echo "make detections - regenerate savedsearches/macros/docs from detections/"
	@echo "make replay EVENTS=f.jsonl [INVENTORY=i.jsonl] [WATCHLIST=w.csv] - run every detection over files of events"
	@echo "make live     - the .spl in a Splunk container (needs Docker; prints 'skipped: ...' without it)"

$(VENV)/.installed: requirements-dev.txt package/lib/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check pip==26.2
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -r package/lib/requirements.txt
	touch $@

venv: $(VENV)/.installed

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/vermin --no-tips --violations --target=3.9- --eval-annotations --backport typing package/bin additional_packaging.py

DASHBOARDS := tests/dashboards
CHROMIUM ?= /usr/bin/chromium

# Dashboard tier: npm packages pinned by the lockfile, and Debian's Chromium (apt needs root, as in CI).
$(DASHBOARDS)/node_modules/.installed: $(DASHBOARDS)/package.json $(DASHBOARDS)/package-lock.json
	npm ci --prefix $(DASHBOARDS) --no-audit --no-fund
	touch $@

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "Chromium is missing: sudo apt-get install chromium (the dashboard render test is skipped)"; fi; \
	fi

dashboard-deps: $(DASHBOARDS)/node_modules/.installed chromium

unit: venv dashboard-deps
	$(PY) -m pytest tests || [ $$? -eq 5 ]

screenshots: venv dashboard-deps   # refresh docs/img after changing a view or its fixtures
	$(PY) -m tests.dashboards.render

# The shipped code's tests on Splunk's own Python versions (3.9 and 3.13): see tools/compat.py.
compat: venv
	$(PY) tools/compat.py

build: venv
	rm -rf output
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/ucc-gen build --source package --config globalConfig.json \
		--ta-version $(VERSION) --pip-version 26.2 -o output
	$(PY) tools/check_package.py output/$(ADDON)

package: build
	mkdir -p dist
	rm -f dist/$(ADDON)-*.spl dist/$(ADDON)-*.tar.gz
	$(VENV)/bin/ucc-gen package --path output/$(ADDON) -o dist
	mv dist/$(ADDON)-$(VERSION).tar.gz $(SPL)
	$(PY) tools/check_package.py $(SPL)
	$(MAKE) --no-print-directory appinspect

appinspect: venv
	$(PY) tools/appinspect_gate.py $(SPL) --tags $(APPINSPECT_TAGS) --report-dir dist

test: lint unit compat package

bench: venv
	$(PY) -m tools.bench

demo: venv
	$(PY) -m tools.demo

# Regenerate the detections' saved searches, macros, lookup stanzas and docs/detections.md from detections/.
detections: venv
	$(PY) -m tools.detections.compile

# Every detection over a file of Log Streams envelopes (exit 0: alerts, 1: none, 2: error).
replay: venv
	@test -n "$(EVENTS)$(INVENTORY)" || { echo "usage: make replay EVENTS=<file.jsonl> [INVENTORY=<inventory.jsonl>] [WATCHLIST=<csv client_id,category,reason>]" >&2; exit 2; }
	$(PY) -m tools.detections.replay $(if $(EVENTS),--events "$(EVENTS)") $(if $(INVENTORY),--inventory "$(INVENTORY)") \
		$(if $(WATCHLIST),--watchlist "$(WATCHLIST)")

# Live-Splunk tier (docs/live-splunk.md): the .spl in the official Splunk container, every detection's test events
# through HEC and its saved search against the SQLite reference, | auth0watchlist, pytest-splunk-addon's tier.
# Without a Docker engine (or the image) it prints "skipped: <reason>" and succeeds; not part of `make test`.
live: venv
	@status=0; $(PY) -m tools.live_splunk preflight || status=$$?; \
	if [ "$$status" = 10 ]; then exit 0; fi; \
	if [ "$$status" != 0 ]; then exit "$$status"; fi; \
	$(MAKE) --no-print-directory package; \
	$(PY) -m tools.live_splunk run --spl "$(SPL)"

clean:
	rm -rf output dist demo-output .pytest_cache
