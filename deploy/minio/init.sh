#!/bin/sh
# One-shot service minio-init (minio/mc image): creates the project's bucket and subscribes the
# webhook notification target to new objects under the prefixes the webhook routes by default
# (training/*.csv -> training, scoring/*.csv -> scoring; client/webhook/routes.ts). The target
# itself (endpoint = the project's webhook, auth token = MLOPS_WEBHOOK_TOKEN) is configured on the
# MinIO server by its MINIO_NOTIFY_WEBHOOK_*_<ID> variables. Safe to re-run.
#   MINIO_URL, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD, BUCKET, NOTIFY_TARGET_ARN, PREFIXES
set -eu
: "${MINIO_URL:?}" "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${BUCKET:?}" "${NOTIFY_TARGET_ARN:?}" "${PREFIXES:?}"

mc alias set store "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc ready store
mc mb --ignore-existing "store/$BUCKET"
for prefix in $PREFIXES; do
  # --ignore-existing: a rule that is already there is kept, not duplicated.
  mc event add --event put --prefix "$prefix" --suffix .csv --ignore-existing "store/$BUCKET" "$NOTIFY_TARGET_ARN"
done
mc event ls "store/$BUCKET"
