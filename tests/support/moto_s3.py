"""moto_s3.py - a local S3 that verifies SigV4, for tests: moto_server.

MotoS3(tmp).start() runs moto_server on a free loopback port, creates a
bucket and a user whose policy is the template's (s3:GetObject and
s3:PutObject on cache/* of that bucket), then resets moto's auth counter so
every later request must carry a valid signature of a known key. env() is
what the bootstrap needs to use that bucket; client() a boto3 S3 client with
the user's key; unchecked(n) lets the next n requests through unsigned.
stop() ends moto. The one set-up for tests/e2e and bench/.

verify_signatures=False leaves moto accepting any request: moto 5.2.1's
IAM check cannot read query-string auth (it reads the Authorization header
unconditionally and answers a presigned GET with 500), so a test that GETs
a presigned URL must run without it; the URLs' signing is tested against
AWS's documented example instead (tests/unit/lambda_sigv4.c).

MotoS3.missing() says why it cannot run here (None when it can).
"""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request


def free_port():
    """A loopback port nobody listens on (for moto, or to be refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class MotoS3:
    def __init__(self, tmp, bucket="spp-test", verify_signatures=True):
        self.tmp = tmp
        self.bucket = bucket
        self.verify = verify_signatures
        self.proc = None
        self.endpoint = None
        self.key_id = self.secret = None

    @staticmethod
    def missing():
        if not shutil.which("moto_server"):
            return "moto_server is not installed"
        try:
            import boto3  # noqa: F401  (moto's own dependency)
        except ImportError:
            return "python3 boto3 is not installed"
        return None

    def start(self):
        import boto3
        port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % port
        self.log_path = os.path.join(self.tmp, "moto.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                                         env=dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="1000"),
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        end = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > end or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("moto_server did not start on " + self.endpoint)
                time.sleep(0.1)
        setup = dict(endpoint_url=self.endpoint, region_name="us-east-1",
                     aws_access_key_id="setup", aws_secret_access_key="setup")
        boto3.client("s3", **setup).create_bucket(Bucket=self.bucket)
        iam = boto3.client("iam", **setup)
        iam.create_user(UserName="fn")
        iam.put_user_policy(UserName="fn", PolicyName="cache", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "arn:aws:s3:::%s/cache/*" % self.bucket}]}))
        key = iam.create_access_key(UserName="fn")["AccessKey"]
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]
        if not self.verify:
            return self
        self.unchecked(0)  # from here on moto verifies every signature
        return self

    def unchecked(self, n):
        """Let the next n requests pass unauthenticated (0: check every one).
        moto cannot check a presigned URL's query-string signature (it
        answers 500), so a GET of one is let through this way."""
        req = urllib.request.Request(self.endpoint + "/moto-api/reset-auth",
                                     data=str(n).encode(),
                                     headers={"Content-Type": "text/plain"}, method="POST")
        urllib.request.urlopen(req, timeout=5).read()

    def env(self):
        return {"CACHE_BUCKET": self.bucket, "S3_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret}

    def client(self):
        """SigV4 also for presigned URLs (boto3's default there is V2)."""
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.key_id, aws_secret_access_key=self.secret,
                            config=Config(signature_version="s3v4"))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
