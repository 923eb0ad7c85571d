"""cost.py - what the measured durations and memory cost on AWS.

Every price and assumption is in PRICES / ASSUMPTIONS below and nowhere
else. The prices are AWS's public on-demand list prices for us-east-1 (N.
Virginia), x86, as known in 2024; they were NOT fetched when this ran (the
benchmark machine has no internet access), so check them against
aws.amazon.com/{lambda,api-gateway,s3,fargate}/pricing before quoting a
bill. Free tiers are ignored. Durations and memory come from the same run
(bench.py passes them in).
"""
import math
import re

PRICES = {
    "region": "us-east-1",
    "as_of": "2024 list prices, not re-checked at bench time (no internet access)",
    "lambda_gb_second": 0.0000166667,      # x86, first 6 billion GB-s per month
    "lambda_request": 0.20 / 1e6,
    "lambda_ephemeral_gb_second": 0.0000000309,  # storage above the free 512 MB
    "apigw_rest_request": 3.50 / 1e6,      # REST API, first 333 million per month
    "s3_put": 0.005 / 1000,                # S3 Standard PUT/COPY/POST/LIST
    "s3_get": 0.0004 / 1000,               # S3 Standard GET/SELECT
    "s3_gb_month": 0.023,                  # S3 Standard, first 50 TB
    "fargate_vcpu_hour": 0.04048,          # Linux/x86
    "fargate_gb_hour": 0.004445,
    "hours_per_month": 730,
}

ASSUMPTIONS = {
    "requests_per_month": [10000, 100000, 1000000],
    # Share of requests answered from the cache (the same program again, e.g.
    # a class running the course's example). Not measured: a guess to vary.
    "cache_hit_rate": 0.25,
    # A hit is served from S3 (one GET) -- an upper bound: a warm environment
    # that ran the program itself serves it from /tmp for free.
    "s3_get_per_hit": 1,
    # A miss costs one GET (the lookup, a 404/403) and one PUT (the store).
    "s3_get_per_miss": 1, "s3_put_per_miss": 1,
    # Objects expire after 90 days (template.yaml): about 3 months stored.
    "s3_retention_months": 3,
    # The seed's Fargate task (See++'s code runner): CPU 1024 (1 vCPU),
    # memory 2048 MB, running around the clock; no load balancer counted.
    "fargate_vcpu": 1.0, "fargate_memory_gb": 2.0,
    # Lambda with exactly one full vCPU (AWS: 1,769 MB), for comparison with
    # the template's 3008 MB; same durations assumed (one request is
    # sequential: compile, then trace).
    "lambda_one_vcpu_mb": 1769,
}


# What each price is, for the results file: (key, label, unit).
PRICE_LABELS = [
    ("lambda_gb_second", "Lambda duration, x86", "per GB-second"),
    ("lambda_request", "Lambda requests", "per request"),
    ("lambda_ephemeral_gb_second", "Lambda ephemeral storage above 512 MB", "per GB-second"),
    ("apigw_rest_request", "API Gateway REST API requests", "per request"),
    ("s3_get", "S3 Standard GET", "per request"),
    ("s3_put", "S3 Standard PUT", "per request"),
    ("s3_gb_month", "S3 Standard storage", "per GB-month"),
    ("fargate_vcpu_hour", "Fargate Linux/x86 vCPU", "per vCPU-hour"),
    ("fargate_gb_hour", "Fargate Linux/x86 memory", "per GB-hour"),
]


def template_settings(path):
    """MemorySize (MB) and EphemeralStorage (MB) from template.yaml, without
    a YAML parser (the file uses no anchors for these)."""
    text = open(path, encoding="utf-8").read()
    mem = re.search(r"^\s*MemorySize:\s*(\d+)", text, re.M)
    eph = re.search(r"EphemeralStorage:\s*\n\s*Size:\s*(\d+)", text)
    return (int(mem.group(1)) if mem else None, int(eph.group(1)) if eph else 512)


def lambda_request_cost(billed_ms, memory_mb, ephemeral_mb):
    """Compute cost of one invocation: duration rounded up to 1 ms."""
    s = math.ceil(billed_ms) / 1000.0
    gb_s = s * memory_mb / 1024.0
    eph = s * max(0, ephemeral_mb - 512) / 1024.0 * PRICES["lambda_ephemeral_gb_second"]
    return gb_s * PRICES["lambda_gb_second"] + eph, gb_s


def table(miss_ms, hit_ms, init_ms, response_bytes, memory_mb, ephemeral_mb, serve_rps):
    """The cost table: per request, per month at several volumes, Lambda at
    the template's memory and at one vCPU, and the always-on Fargate task."""
    A, P = ASSUMPTIONS, PRICES
    h = A["cache_hit_rate"]
    rows = {}
    for label, mem in (("template", memory_mb), ("one_vcpu", A["lambda_one_vcpu_mb"])):
        miss_c, miss_gbs = lambda_request_cost(miss_ms, mem, ephemeral_mb)
        hit_c, hit_gbs = lambda_request_cost(hit_ms, mem, ephemeral_mb)
        init_c, _ = lambda_request_cost(init_ms, mem, ephemeral_mb)
        per_miss = {"compute": miss_c, "gb_s": miss_gbs, "lambda_request": P["lambda_request"],
                    "apigw": P["apigw_rest_request"],
                    "s3_requests": A["s3_get_per_miss"] * P["s3_get"] +
                    A["s3_put_per_miss"] * P["s3_put"]}
        per_hit = {"compute": hit_c, "gb_s": hit_gbs, "lambda_request": P["lambda_request"],
                   "apigw": P["apigw_rest_request"], "s3_requests": A["s3_get_per_hit"] * P["s3_get"]}
        per_miss["total"] = sum(v for k, v in per_miss.items() if k != "gb_s")
        per_hit["total"] = sum(v for k, v in per_hit.items() if k != "gb_s")
        blended = (1 - h) * per_miss["total"] + h * per_hit["total"]
        monthly = []
        for n in A["requests_per_month"]:
            misses = n * (1 - h)
            stored_gb = misses * A["s3_retention_months"] * response_bytes / 1e9
            storage = stored_gb * P["s3_gb_month"]
            compute = n * ((1 - h) * per_miss["compute"] + h * per_hit["compute"])
            reqs = n * P["lambda_request"]
            apigw = n * P["apigw_rest_request"]
            s3r = n * ((1 - h) * per_miss["s3_requests"] + h * per_hit["s3_requests"])
            monthly.append({"requests": n, "lambda_compute": compute, "lambda_requests": reqs,
                            "apigw": apigw, "s3_requests": s3r, "s3_storage": storage,
                            "s3_stored_gb": stored_gb,
                            "gb_s": n * ((1 - h) * miss_gbs + h * hit_gbs),
                            "total": compute + reqs + apigw + s3r + storage})
        rows[label] = {"memory_mb": mem, "per_miss": per_miss, "per_hit": per_hit,
                       "per_cold_start_init": init_c, "blended_per_request": blended,
                       "monthly": monthly}
    fg_month = P["hours_per_month"] * (A["fargate_vcpu"] * P["fargate_vcpu_hour"] +
                                       A["fargate_memory_gb"] * P["fargate_gb_hour"])
    fargate = {"vcpu": A["fargate_vcpu"], "memory_gb": A["fargate_memory_gb"],
               "vcpu_hours": P["hours_per_month"] * A["fargate_vcpu"],
               "gb_hours": P["hours_per_month"] * A["fargate_memory_gb"],
               "monthly": fg_month,
               # serve_rps was measured on this 2-core machine at concurrency 1
               # (one request at a time, i.e. about one core busy).
               "capacity_per_month_at_c1": serve_rps * 3600 * P["hours_per_month"]
               if serve_rps else None}
    breakeven = {k: fg_month / v["blended_per_request"] for k, v in rows.items()}
    return {"prices": P, "price_labels": PRICE_LABELS, "assumptions": A, "inputs": {
        "miss_billed_ms": miss_ms, "hit_billed_ms": hit_ms, "init_ms": init_ms,
        "response_bytes": response_bytes, "memory_mb": memory_mb, "ephemeral_mb": ephemeral_mb},
        "lambda": rows, "fargate": fargate, "breakeven_requests_per_month": breakeven}
