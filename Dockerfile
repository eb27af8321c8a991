# syntax=docker/dockerfile:1
# One image for every project service of docker-compose.yml (worker, endpoint host, webhook,
# gateway, dashboard, and the pod's port forwarder). Each service picks its entry point with
# `command:`; the default prints the mlops CLI's help. See docs/decisions/0007-compose-deployment.md.
#
#   docker build -t temporal-mlops:local .
#   docker run --rm temporal-mlops:local mlops --help
#
# The `sagemaker` target is the same image running as root, for SageMaker processing jobs:
# `make image-push` builds it for linux/amd64 and pushes it to ECR (docs/aws-backend.md).

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- deps: the pinned npm packages (no dev dependencies) and the Python virtualenv --------------
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY algorithms/requirements.txt algorithms/requirements.txt
RUN python3 -m venv .venv \
 && .venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check --no-input -r algorithms/requirements.txt
COPY package.json package-lock.json ./
# No install scripts are needed: the native Temporal core bridge, esbuild and swc ship prebuilt
# binaries as regular packages (README, "Two commands").
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

# ---- app: everything the project's processes and SageMaker's processing jobs run -----------------
FROM ${NODE_IMAGE} AS app
# python3: the venv's interpreter; curl: health checks; socat: the pod's port forwarder.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 curl socat ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/.venv .venv
COPY --from=deps /app/node_modules node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin bin
COPY common common
COPY workflows workflows
COPY activities activities
COPY workers workers
COPY client client
COPY algorithms algorithms
COPY data data
COPY deploy deploy
# PYTHONPATH: SageMaker processing jobs on this image run `python3 -m mlops_algorithms.<job>` (aws backend).
# The workflow bundle is built once here, so a worker starts without webpack (MLOPS_WORKFLOW_BUNDLE).
RUN node --import tsx workers/bundle-workflows.ts \
 && ln -s /app/bin/mlops.js /usr/local/bin/mlops \
 && chmod 0755 bin/mlops.js deploy/pod/forward.sh \
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
