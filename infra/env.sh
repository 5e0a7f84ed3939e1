# shellcheck shell=bash
# The AWS configuration of the local stack: the standard variables every SDK reads, pointed
# at the emulator. To use LocalStack instead, start it on the same port; for real AWS, unset
# AWS_ENDPOINT_URL and use your own credentials (and deploy with SAM instead).
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:${STACK_MOTO_PORT:-4566}}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-eu-west-3}"
export AWS_EC2_METADATA_DISABLED=true
