# temporal-mlops: every target installs what it needs first (pinned), so a fresh clone needs only
# `make demo` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
NPM_STAMP := node_modules/.mlops-installed
PY_STAMP  := $(VENV)/.mlops-installed


.PHONY: image-push aws-preflight
.PHONY: help setup demo test test-fast typecheck lint pytest bench bench-training bench-gateway bench-webhook bench-scoring bench-model-server bench-monitoring bench-deploy bench-projects stack-up stack-down clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

setup: $(NPM_STAMP) $(PY_STAMP) ## install the pinned npm packages and the Python virtualenv (idempotent)

# A node_modules or .venv that is a link to another checkout's is that checkout's to install:
# `npm ci` empties the directory a link points to before installing, so it is left alone here.
$(NPM_STAMP): package.json package-lock.json
	@if [ -L node_modules ]; then echo "node_modules links to $$(readlink node_modules): not reinstalling through the link (run make setup there)" >&2; \
	else npm ci --no-audit --no-fund --loglevel=error && touch $@; fi

# The runtime set (requirements.txt, what the image installs) plus the tools of the tests
# (requirements-dev.txt); both pinned with hashes, so pip checks every file it installs.
$(PY_STAMP): algorithms/requirements.txt algorithms/requirements-dev.txt
	@if [ -L $(VENV) ]; then echo "$(VENV) links to $$(readlink $(VENV)): not reinstalling through the link (run make setup there)" >&2; \
	else python3 -m venv $(VENV) && $(PY) -m pip install --quiet --disable-pip-version-check --no-input --require-hashes -r algorithms/requirements-dev.txt && touch $@; fi

demo: setup ## start the local stack, train and deploy both models, score a file dropped into the bucket, call the gateway, monitor drift, show the dashboard
	npx mlops stack up
	npx mlops train --data data/kbb-2005-gm-used-cars.csv --wait
	@echo
	@echo "== Batch scoring: the file goes into the bucket; its S3-format event reaches the webhook, which starts the run"
	npx mlops data put data/scoring-sample.csv s3://mlops/scoring/scoring-sample.csv
	npx mlops score s3://mlops/scoring/scoring-sample.csv --wait
	@echo
	@echo "== Real-time inference through the gateway (both endpoints, max of the two)"
	head -4 data/scoring-sample.csv | npx mlops predict -
	@echo
	@echo
	@echo "== Monitoring: an hourly schedule, and a run now over what was scored so far (the training distribution: no drift)"
	npx mlops schedule create monitoring --model xgboost --every 1h --replace
	npx mlops monitor run-now --model xgboost --wait
	@echo
	@echo "== Shifted traffic (Mileage +30 %): real-time requests through the gateway, and a scoring file"
	npx mlops predict data/scoring-shifted.csv > /dev/null
	npx mlops data put data/scoring-shifted.csv s3://mlops/scoring/scoring-shifted.csv
	npx mlops score s3://mlops/scoring/scoring-shifted.csv --wait
	@echo
	@echo "== Monitoring checks the shifted scored file and the real-time requests above, finds the drift and alerts the xgboost lifecycle (policy: notify)"
	@echo "   (a run takes real-time capture once its minute is closed: --include-current-minute waits up to a minute for this one to close)"
	npx mlops monitor run-now --model xgboost --include-current-minute --wait
	npx mlops models show xgboost
	@echo
	@echo "== Insights: drift records, scoring records and inference volumes (the real-time requests above) as Parquet under .mlops/objects/mlops/insights/"
	npx mlops dashboard
	@echo
	@echo "The stack keeps running: Temporal UI at the links above; 'npx mlops runs list', 'npx mlops models list', 'npx mlops endpoints list', 'npx mlops notifications'."
	@echo "Every real-time request of this demo is monitored and counted in the dashboard; later traffic is checked by the hourly schedule ('npx mlops schedule show monitoring-xgboost')."
	@echo "Stop it with: npx mlops stack down"

test: setup ## every test: typecheck, lint, pytest, unit, workflow, replay, integration
	bash scripts/test-all.sh

test-fast: setup ## unit and workflow tests only
	npx mocha 'test/unit/**/*.test.ts' 'test/workflows/**/*.test.ts'

typecheck: setup
	npx tsc -p tsconfig.json --noEmit

lint: setup
	npx eslint .

pytest: setup
	$(PY) -m pytest algorithms/tests -q

BENCHES ?= training gateway webhook scoring model-server monitoring deploy projects

bench: setup ## run every benchmark (BENCHES="training monitoring" for some), keep going when one fails, summarize pass/FAIL per bench; exit 1 if any failed
	npx tsx bench/run-all.ts $(BENCHES)

bench-training: setup ## whole training pipeline on the demo dataset: wall time, overhead against the jobs' critical path (and where it goes), RMSE reported vs measured; exit 1 on a missed target
	npx tsx bench/training.bench.ts

stack-up: setup
	npx mlops stack up

stack-down:
	npx mlops stack down

clean: ## remove the local data dir (stop the stack first)
	rm -rf .mlops

bench-projects: setup ## onboarding by configuration: project init on 50,000 rows x 10 columns (3 categoricals), the pipeline vs bare Python on the same rows, test RMSE vs 5-fold CV, gateway with three endpoints vs two; exit 1 on a missed target
	npx tsx bench/projects.bench.ts

bench-gateway: setup ## gateway on the real stack: throughput and added latency against the direct pair, one-record p99 under 1,000-record requests, capture loss
	npx tsx bench/gateway.bench.ts

bench-scoring: setup ## batch transform of 1M rows with input filter + join + output filter vs bare pandas; memory growth at 100k vs 1M; exit 1 on a missed target
	$(PY) bench/scoring.bench.py

bench-model-server: setup ## model servers vs their own HTTP stack: single-record requests/s, p50, CPU per request; exit 1 on a missed target
	$(PY) bench/model-server.bench.py

bench-monitoring: setup ## monitoring pipeline over 1M captured records (data drift), and 10k incremental runs with 1M consolidated vs 10k alone (warm); every run must read all its files and records; exit 1 on a missed target
	npx tsx bench/monitoring.bench.ts

bench-webhook: setup ## S3-event webhook: distinct events/s and p99 against a baseline that pays the journal, fsync and ETag check; exactly one run per object version after redeliveries and a crash
	npx tsx bench/webhook.bench.ts

bench-deploy: setup ## safe deployments on the real stack under load: good canary (0 failed), bad canary rolled back within 15 s (failures within the canary share), autoscaling on a 200 -> 1,500 req/s step; exit 1 on a missed target
	npx tsx bench/deploy.bench.ts

image-push: setup ## build the SageMaker processing image (linux/amd64), tag it with the version, push it to MLOPS_AWS_ECR_REPOSITORY in MLOPS_AWS_REGION, print its URI
	npx mlops aws image-push

aws-preflight: setup ## check an AWS account for the aws backend (credentials, bucket, role, images, quotas, SNS, SSM)
	npx mlops aws preflight
