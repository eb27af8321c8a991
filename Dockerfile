# syntax=docker/dockerfile:1
# One image for every project service of docker-compose.yml (worker, job runner, endpoint host,
# webhook, gateway, dashboard). Each service picks its entry point with `command:`; the default
# prints the mlops CLI's help. See docs/decisions/0007-compose-deployment.md.
#
#   docker build -t temporal-mlops:local .
#   docker buildx build --platform linux/amd64,linux/arm64 -t temporal-mlops:local .
#   docker run --rm temporal-mlops:local mlops --help
#
# The `sagemaker` target is the same image running as root, for SageMaker processing jobs:
# `make image-push` builds it for linux/amd64 and pushes it to ECR (docs/aws-backend.md).
#
# Nothing here names an architecture: every stage runs on the platform it builds for, the Python
# wheels of requirements.txt exist for x86_64 and aarch64 (manylinux_2_28, checked when the pins are
# made), and the npm lockfile carries the linux-x64 and linux-arm64 builds of esbuild and swc.

# Node.js 24 (LTS "Krypton", supported until 2028-04-30) on Debian 12, whose Python 3.11 runs the algorithms.
ARG NODE_IMAGE=node:24.17.0-bookworm-slim

# ---- python-deps: the runtime virtualenv (requirements.txt only: no test tools) -----------------
FROM ${NODE_IMAGE} AS python-deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY algorithms/requirements.txt algorithms/requirements.txt
# Hash-checking mode and wheels only (no compiler in the image). The cache mount keeps downloaded
# wheels between builds. pip itself and the libraries' own test suites are not needed at run time.
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m venv .venv \
 && .venv/bin/python -m pip install --disable-pip-version-check --no-input --require-hashes --only-binary=:all: -r algorithms/requirements.txt \
 && .venv/bin/python -m pip uninstall --disable-pip-version-check --yes pip setuptools \
 && find .venv/lib -depth -type d -name tests -path '*/site-packages/*/*' -exec rm -rf {} +

# ---- node-deps: the pinned npm packages (no dev dependencies) ----------------------------------
FROM ${NODE_IMAGE} AS node-deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts are needed: the Temporal core bridge, esbuild and swc ship prebuilt binaries as
# regular packages (README, "Two commands"). The core bridge ships one for each platform it
# supports (about 28 MB each): keep only this image's.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && bridge="node_modules/@temporalio/core-bridge/releases" \
 && own="$(uname -m)-unknown-linux-gnu" \
 && test -d "$bridge/$own" \
 && find "$bridge" -mindepth 1 -maxdepth 1 ! -name "$own" -exec rm -rf {} +

# ---- app: everything the project's processes and SageMaker's processing jobs run -----------------
FROM ${NODE_IMAGE} AS app
# python3: the venv's interpreter; curl: health checks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=python-deps /app/.venv .venv
COPY --from=node-deps /app/node_modules node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin bin
COPY common common
COPY workflows workflows
COPY activities activities
COPY services services
COPY hosting hosting
COPY workers workers
COPY client client
COPY algorithms algorithms
COPY data data
# PYTHONPATH: SageMaker processing jobs on this image run `python3 -m mlops_algorithms.<job>` (aws backend).
# The workflow bundle is built once here, so a worker starts without webpack (MLOPS_WORKFLOW_BUNDLE).
RUN node --import tsx workers/bundle-workflows.ts \
 && ln -s /app/bin/mlops.js /usr/local/bin/mlops \
 && chmod 0755 bin/mlops.js \
 && mkdir -p /var/lib/mlops \
 && chown node:node /var/lib/mlops
ENV NODE_ENV=production \
    MLOPS_HOME=/var/lib/mlops \
    MLOPS_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    PYTHONPATH=/app/algorithms \
    PATH=/app/.venv/bin:/app/node_modules/.bin:$PATH
# The shared data dir (object store, jobs, registry, hosting state, webhook journal): one named
# volume mounted by every project service. The image's copy is owned by `node`, so a new volume is too.
VOLUME ["/var/lib/mlops"]

# ---- sagemaker: the aws backend's processing image (`make image-push` builds it for linux/amd64) --
# SageMaker mounts /opt/ml/processing/* and writes /opt/ml/output as root, and those directories
# are not writable for another user (sagemaker-python-sdk issue #4764, PR #4325): its containers
# run as root. Jobs set their own entry point (`python3 -m mlops_algorithms.<job>`).
FROM app AS sagemaker
USER root
CMD ["python3", "-c", "print('temporal-mlops processing image: SageMaker jobs run python3 -m mlops_algorithms.<job>')"]

# ---- runtime: the compose services (the default target, last), as the non-root node user --------
FROM app AS runtime
USER node
CMD ["mlops", "--help"]
