"""Times every list the API offers, by every sort it offers, against a
running Mortar: the requests an operator's scripts may send that no other
benchmark here names.

    python3 bench/sweep.py PORT KEY [SLOW_MS]

Reads the collections, their sorts and includes from `/openapi.json`.
For each collection it asks a page of 50 in the default order, the same
page with each include it offers, its first record's show with each
include the show offers, then for each sort ascending and descending the
first page and the last (`page[number]` from the first page's
`meta.total-pages`). Each request is timed three times on one connection
and its best time kept. Prints every request slower than SLOW_MS (20 by
default), slowest first, then the ten slowest of the rest and how many
requests were timed.
"""
import http.client
import json
import re
import sys
import time


def named_list(operation, parameter):
    """The names an operation's `parameter` takes, from the comma list its
    description ends with ("Comma list of: a, b."), or none."""
    described = next(
        (p["description"] for p in operation.get("parameters", []) if p.get("name") == parameter),
        None,
    )
    if described is None or ":" not in described:
        return []
    listed = re.sub(r"\.$", "", described.split(":", 1)[1].strip())
    return [name.strip() for name in listed.split(",") if name.strip()]


def main():
    port, key = sys.argv[1], sys.argv[2]
    slow_ms = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    connection = http.client.HTTPConnection("127.0.0.1", int(port))

    def get(path):
        """The best of three times of `path` in ms, and its body."""
        best, body = None, None
        for _ in range(3):
            started = time.perf_counter()
            connection.request("GET", path, headers={"x-api-key": key})
            response = connection.getresponse()
            raw = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                return None, json.loads(raw)
            best = elapsed if best is None else min(best, elapsed)
            body = raw
        return best, json.loads(body)

    timings = []

    def timed(path):
        """Times `path`, which must be answered, into `timings`; its body."""
        ms, body = get(path)
        if ms is None:
            raise SystemExit(f"{path}: {body['errors'][0]['detail']}")
        timings.append((ms, path))
        return body

    _, document = get("/openapi.json")
    for path, item in sorted(document["paths"].items()):
        operation = item.get("get")
        if "{" in path or not operation:
            continue
        sort_parameter = next(
            (p for p in operation.get("parameters", []) if p.get("name") == "sort"), None
        )
        if sort_parameter is None:
            continue
        sorts = named_list(operation, "sort")
        base = f"{path}?page%5Bsize%5D=50"
        ms, body = get(base)
        if ms is None:
            # A list that needs a filter (flexible assets: their type) is
            # swept within the first value the API offers for it.
            required = body["errors"][0].get("source", {}).get("parameter")
            if required == "filter[flexible_asset_type_id]":
                _, types = get("/flexible_asset_types?page%5Bsize%5D=1")
                base = f"{base}&filter%5Bflexible_asset_type_id%5D={types['data'][0]['id']}"
                ms, body = get(base)
            if ms is None:
                print(f"{path}: skipped: {body['errors'][0]['detail']}", file=sys.stderr)
                continue
        timings.append((ms, base))
        total = body.get("meta", {}).get("total-count", 0)
        print(f"{path}: {total} records, {len(sorts)} sorts", file=sys.stderr)
        # The page with each include it offers, and its first record's
        # show with each include the show offers.
        for include in named_list(operation, "include"):
            timed(f"{base}&include={include}")
        show = document["paths"].get(f"{path}/{{id}}", {}).get("get")
        if show and body["data"]:
            record = f"{path}/{body['data'][0]['id']}"
            timed(record)
            for include in named_list(show, "include"):
                timed(f"{record}?include={include}")
        for sort in sorts:
            for key_sort in (sort, f"-{sort}"):
                first = f"{base}&sort={key_sort}"
                pages = timed(first).get("meta", {}).get("total-pages") or 1
                if pages > 1:
                    timed(f"{first}&page%5Bnumber%5D={pages}")
    timings.sort(reverse=True)
    slow = [t for t in timings if t[0] >= slow_ms]
    print(f"{len(timings)} requests timed; {len(slow)} at or above {slow_ms:g} ms")
    for ms, path in slow:
        print(f"{ms:9.1f} ms  {path}")
    print("the slowest of the rest:")
    for ms, path in timings[len(slow) : len(slow) + 10]:
        print(f"{ms:9.1f} ms  {path}")


if __name__ == "__main__":
    main()
