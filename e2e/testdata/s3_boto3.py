"""Drives jcs's S3 API with boto3, for TestS3Boto3 (e2e/s3_boto3_test.go).

Usage: python3 s3_boto3.py ENDPOINT CA_BUNDLE BUCKET DATA_FILE BIG_FILE

CA_BUNDLE is "" over HTTP. Credentials and region come from the environment the test sets.
The script prints one JSON report on stdout and leaves every judgement to the Go test, which
knows the expected bytes and checksums: a step that raises is reported with its error rather
than ending the run, so that one failure does not hide the others. It exits non-zero only
when it cannot run at all (exit 3: boto3 is missing).
"""

import hashlib
import io
import json
import sys
import traceback

try:
    import boto3
    import botocore
    from botocore import httpchecksum
    from botocore.config import Config
except ImportError as e:
    print(f"boto3 is not installed for {sys.executable}: {e}", file=sys.stderr)
    sys.exit(3)


def _crc_table(poly):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


class _PureCRC(httpchecksum.BaseChecksum):
    """A reflected CRC in pure Python (slow: about 2 MiB/s), for the algorithms botocore
    computes only with awscrt, which pip would have to install and CI cannot."""

    def __init__(self):
        self._crc = self._mask

    def update(self, chunk):
        crc, table = self._crc, self._table
        for b in chunk:
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
        self._crc = crc

    def digest(self):
        return (self._crc ^ self._mask).to_bytes(self._bytes, "big")


class _CRC32C(_PureCRC):
    _table, _mask, _bytes = _crc_table(0x82F63B78), 0xFFFFFFFF, 4


class _CRC64NVME(_PureCRC):
    _table, _mask, _bytes = _crc_table(0x9A6C9329AC4BC9B5), 0xFFFFFFFFFFFFFFFF, 8


def checksum_algorithms(s3):
    """The algorithms to test: S3's five where this botocore's model has them. Those that
    botocore computes only with awscrt get a pure-Python class, registered where botocore looks
    its classes up, so that the request (header or aws-chunked trailer) and the response
    validation take botocore's own paths. Returns [(algorithm, native)]."""
    enum = s3.meta.service_model.shape_for("ChecksumAlgorithm").enum
    out = []
    for alg in ("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"):
        if alg not in enum:
            continue
        name = alg.lower()
        native = name in httpchecksum._CHECKSUM_CLS
        if not native:
            httpchecksum._CHECKSUM_CLS[name] = {"crc32c": _CRC32C, "crc64nvme": _CRC64NVME}[name]
            httpchecksum._SUPPORTED_CHECKSUM_ALGORITHMS.append(name)
        out.append((alg, native))
    return out


def step(report, name, fn):
    """Runs fn and stores its result, or the error it raised, under report[name]."""
    try:
        report[name] = fn()
    except Exception as e:  # noqa: BLE001 - every failure is reported, none ends the run
        report[name] = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=3)}


def capture_put_headers(s3, sent):
    """Records the headers of every PutObject s3 sends into sent, a list."""

    def before_send(request, **_):
        headers = {}
        for k, v in request.headers.items():
            k = k.lower()
            if k.startswith("x-amz-") or k in ("content-encoding", "transfer-encoding"):
                headers[k] = v.decode() if isinstance(v, bytes) else v
        sent.append(headers)

    s3.meta.events.register("before-send.s3.PutObject", before_send)


def main():
    endpoint, ca, bucket, data_file, big_file = sys.argv[1:6]
    verify = ca or None
    with open(data_file, "rb") as f:
        data = f.read()
    # boto3's default config: presigned URLs are SigV2 (AWSAccessKeyId, Signature, Expires).
    s3 = boto3.client("s3", endpoint_url=endpoint, verify=verify)
    v4 = boto3.client("s3", endpoint_url=endpoint, verify=verify, config=Config(signature_version="s3v4"))
    report = {"botocore": botocore.__version__}

    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="pkg/presign.bin", Body=data[:1000])

    def presign():
        get = {"Bucket": bucket, "Key": "pkg/presign.bin"}
        put = {"Bucket": bucket, "Key": "pkg/presigned-put.bin"}
        return {
            "defaultGet": s3.generate_presigned_url("get_object", Params=get, ExpiresIn=300),
            "v4Get": v4.generate_presigned_url("get_object", Params=get, ExpiresIn=300),
            "v4Put": v4.generate_presigned_url("put_object", Params=put, ExpiresIn=300),
            "v4GetPut": v4.generate_presigned_url("get_object", Params=put, ExpiresIn=300),
        }

    step(report, "presign", presign)

    sent = []
    capture_put_headers(s3, sent)
    report["checksums"] = []
    for alg, native in checksum_algorithms(s3):
        # Pure-Python CRCs are slow: they get a smaller body, of one aws-chunk.
        body = data if native else data[:100_000]
        key = "ck/" + alg
        res = {"algorithm": alg, "native": native, "size": len(body)}
        report["checksums"].append(res)

        def put():
            del sent[:]
            r = s3.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm=alg)
            return {"value": r.get("Checksum" + alg), "type": r.get("ChecksumType"), "headers": sent[-1]}

        def get():
            r = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
            got = r["Body"].read()  # botocore validates the checksum as the body ends
            return {"value": r.get("Checksum" + alg), "type": r.get("ChecksumType"), "sameBytes": got == body}

        def ranged():
            r = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED", Range="bytes=10-99")
            got = r["Body"].read()
            return {"value": r.get("Checksum" + alg), "contentRange": r.get("ContentRange"), "sameBytes": got == body[10:100]}

        step(res, "put", put)
        step(res, "get", get)
        step(res, "ranged", ranged)

    def transfer():
        with open(big_file, "rb") as f:
            s3.upload_fileobj(f, bucket, "pkg/big.bin")  # default TransferConfig: multipart over 8 MiB
        buf = io.BytesIO()
        s3.download_fileobj(bucket, "pkg/big.bin", buf)
        head = s3.head_object(Bucket=bucket, Key="pkg/big.bin")
        r = s3.get_object(Bucket=bucket, Key="pkg/big.bin", ChecksumMode="ENABLED")
        whole = hashlib.sha256(r["Body"].read()).hexdigest()
        return {"size": len(buf.getvalue()), "sha256": hashlib.sha256(buf.getvalue()).hexdigest(),
                "etag": head["ETag"], "getSha256": whole}

    step(report, "transfer", transfer)
    json.dump(report, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
