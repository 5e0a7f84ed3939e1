# shellcheck shell=bash
# The AWS configuration of the local stack: the standard variables every SDK reads, pointed
# at the emulator. For real AWS, unset AWS_ENDPOINT_URL and use your own credentials (and
# deploy with SAM instead).
#
# C2S_EMULATOR=localstack runs against LocalStack on the same port (infra/lib/stack.sh starts
# it); DynamoDB and SES v2, which LocalStack cannot serve here, go to moto on 4567 through
# the SDKs' per-service variables.
# C2S_MOTO_PORT and C2S_LOCALSTACK_PORT move them, as in infra/lib/stack.sh.
if [[ "${C2S_EMULATOR:-moto}" == localstack ]]; then
    export AWS_ENDPOINT_URL_DYNAMODB="${AWS_ENDPOINT_URL_DYNAMODB:-http://127.0.0.1:${C2S_MOTO_PORT:-4567}}"
    export AWS_ENDPOINT_URL_SESV2="${AWS_ENDPOINT_URL_SESV2:-http://127.0.0.1:${C2S_MOTO_PORT:-4567}}"
    export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:${C2S_LOCALSTACK_PORT:-4566}}"
    # Permissions are checked by infra/lib/moto_server.py, which LocalStack is not.
    export C2S_PERMISSIONS="${C2S_PERMISSIONS:-off}"
else
    export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:${C2S_MOTO_PORT:-${STACK_MOTO_PORT:-4566}}}"
fi
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-eu-west-3}"
export AWS_EC2_METADATA_DISABLED=true
