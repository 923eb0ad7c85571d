#!/usr/bin/env bash
# S3 cache against a real S3 protocol peer that verifies SigV4: moto_server.
#
# Starts moto on 127.0.0.1 at a free port with INITIAL_NO_AUTH_ACTION_COUNT
# high enough for set-up (bucket, IAM users with and without permission, a
# role and an STS session), then resets moto's auth counter to 0 through its
# /moto-api/reset-auth endpoint, so every later request must carry a valid
# signature from a known key (which set-up calls count toward the initial
# allowance is a moto internal; resetting to 0 makes "verified from here on"
# exact). It checks that with an unsigned request, then runs
# build/tests/lambda_s3 with the endpoint and credentials in its environment.
# Prints "N passed, M failed" (its own check plus the C program's line);
# exits 0, 1, or 77 when moto_server or boto3 is missing. moto is stopped on
# exit, whatever happens.
set -u
cd "$(dirname "$0")/../.."

skip() {
    echo "skip: $1"
    echo "0 passed, 0 failed"
    exit 77
}
fail() {
    echo "FAIL $1"
    echo "0 passed, 1 failed"
    exit 1
}

command -v moto_server >/dev/null 2>&1 || skip "moto_server is not installed"
python3 -c 'import boto3' 2>/dev/null || skip "python3 boto3 is not installed"

bin=build/tests/lambda_s3
if [ ! -x "$bin" ]; then
    make -s "$bin" >/dev/null 2>&1 || fail "cannot build $bin"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/spp-s3-test.XXXXXX") || fail "mktemp"
moto_pid=""
cleanup() {
    if [ -n "$moto_pid" ]; then
        kill "$moto_pid" 2>/dev/null
        wait "$moto_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
endpoint="http://127.0.0.1:$port"
INITIAL_NO_AUTH_ACTION_COUNT=1000 moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!

for _ in $(seq 1 100); do
    curl -s -o /dev/null "$endpoint/moto-api/" && break
    kill -0 "$moto_pid" 2>/dev/null || { cat "$work/moto.log"; fail "moto_server exited"; }
    sleep 0.1
done
curl -s -o /dev/null "$endpoint/moto-api/" || fail "moto_server did not start on $endpoint"

bucket=spp-cache-test
# Set-up, unauthenticated. Prints shell assignments for the credentials.
python3 - "$endpoint" "$bucket" >"$work/env" 2>"$work/setup.log" <<'PY' || { cat "$work/setup.log"; fail "moto set-up"; }
import json, sys, boto3
endpoint, bucket = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="setup", aws_secret_access_key="setup")
boto3.client("s3", **kw).create_bucket(Bucket=bucket)
iam = boto3.client("iam", **kw)
# Objects of the bucket; and of a bucket that does not exist, so that a GET
# there gets past IAM to S3's own 404 NoSuchBucket.
allow = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::%s" % bucket, "arn:aws:s3:::%s/*" % bucket,
                  "arn:aws:s3:::spp-no-such-bucket/*"]}]})
iam.create_user(UserName="cache")
iam.put_user_policy(UserName="cache", PolicyName="cache", PolicyDocument=allow)
k = iam.create_access_key(UserName="cache")["AccessKey"]
iam.create_user(UserName="nobody")
n = iam.create_access_key(UserName="nobody")["AccessKey"]
trust = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
iam.create_role(RoleName="lambda", AssumeRolePolicyDocument=trust)
iam.put_role_policy(RoleName="lambda", PolicyName="cache", PolicyDocument=allow)
c = boto3.client("sts", **kw).assume_role(
    RoleArn="arn:aws:iam::123456789012:role/lambda", RoleSessionName="spp")["Credentials"]
for name, value in [
        ("AWS_ACCESS_KEY_ID", k["AccessKeyId"]), ("AWS_SECRET_ACCESS_KEY", k["SecretAccessKey"]),
        ("S3_TEST_NOPERM_ACCESS_KEY_ID", n["AccessKeyId"]),
        ("S3_TEST_NOPERM_SECRET_ACCESS_KEY", n["SecretAccessKey"]),
        ("S3_TEST_SESSION_ACCESS_KEY_ID", c["AccessKeyId"]),
        ("S3_TEST_SESSION_SECRET_ACCESS_KEY", c["SecretAccessKey"]),
        ("S3_TEST_SESSION_TOKEN", c["SessionToken"])]:
    print("export %s='%s'" % (name, value))
PY

# From here on every request is verified. (text/plain: moto reads the raw
# body, which a form-encoded POST would not have.)
reply=$(curl -s -X POST -H 'Content-Type: text/plain' --data 0 "$endpoint/moto-api/reset-auth")
case "$reply" in *'"ok"'*) ;; *) fail "moto reset-auth: $reply" ;; esac

# shellcheck disable=SC1091
. "$work/env"
passed=0
failed=0
# curl's own SigV4 signer, as an independent client: with a wrong secret the
# peer must answer 403, else nothing below tests signatures.
code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
       --user "$AWS_ACCESS_KEY_ID:wrong-secret" "$endpoint/$bucket/cache/probe.json")
if [ "$code" = 403 ]; then
    echo "ok moto verifies signatures (curl --aws-sigv4, wrong secret: HTTP $code)"
    passed=$((passed + 1))
else
    echo "FAIL moto verifies signatures (curl --aws-sigv4, wrong secret: HTTP $code, want 403)"
    failed=$((failed + 1))
fi

out=$(env S3_ENDPOINT_URL="$endpoint" CACHE_BUCKET="$bucket" AWS_REGION=us-east-1 \
      AWS_SESSION_TOKEN= "$bin" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
if [ -z "$summary" ]; then
    echo "!! $bin printed no summary (exit $rc)"
    failed=$((failed + 1))
else
    p=${summary%% passed*}; f=${summary#*, }; f=${f%% failed}
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" -eq 77 ]; then
        echo "!! $bin skipped although the S3 environment was set"
        failed=$((failed + 1))
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "!! $bin exited $rc"
        failed=$((failed + 1))
    fi
fi
if [ "$failed" -gt 0 ]; then
    echo "--- moto log (last 20 lines)"
    tail -n 20 "$work/moto.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
