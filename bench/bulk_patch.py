"""Times bulk PATCHes of 100 configurations against a running Mortar.

    python3 bench/bulk_patch.py PORT KEY notes|name COUNT

Each request changes 100 configurations (ids 1001-6000 in turn): their
notes only, or their names. Three requests warm up, then COUNT are timed
one at a time; prints the median, the fastest and the slowest.
"""
import json
import statistics
import sys
import time
import urllib.request


def patch(port, key, what, first, round_no):
    """Sends one bulk PATCH of ids first..first+99; its time in ms."""
    items = []
    for record in range(first, first + 100):
        attributes = {"id": record}
        if what == "notes":
            attributes["notes"] = f"bulk {round_no}"
        else:
            attributes["name"] = f"BULK-{round_no}-{record}"
        items.append({"type": "configurations", "attributes": attributes})
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/configurations",
        data=json.dumps({"data": items}).encode(),
        method="PATCH",
        headers={"x-api-key": key, "Content-Type": "application/vnd.api+json"},
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        response.read()
        if response.status != 200:
            raise SystemExit(f"the PATCH answered {response.status}")
    return (time.perf_counter() - start) * 1000


def main():
    port, key, what, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if what not in ("notes", "name"):
        raise SystemExit("the third argument is notes or name")
    for n in range(3):
        patch(port, key, what, 1 + 100 * n, n)
    times = [patch(port, key, what, 1001 + 100 * (n % 50), n) for n in range(count)]
    print(
        f"{what}: median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, "
        f"max {max(times):.1f} ms over {count}"
    )


if __name__ == "__main__":
    main()
