"""Walks a whole account's configurations by cursor pages, as a script that
reads everything does, against a running Mortar.

    python3 bench/cursor_walk.py PORT KEY SORT [PAGE_SIZE]

Follows `links.next` from `page[after]=` to the end (PAGE_SIZE 1,000 by
default) and prints the walk's time, its pages and records, and the time
of its first and last five pages: a page deep in the walk should cost
what the first does.
"""
import json
import sys
import time
import urllib.request


def get(url, key):
    """One page: its body and its time in ms."""
    request = urllib.request.Request(url, headers={"x-api-key": key})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        body = json.load(response)
    return body, (time.perf_counter() - started) * 1000


def main():
    port, key, sort = sys.argv[1], sys.argv[2], sys.argv[3]
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    url = (
        f"http://127.0.0.1:{port}/configurations"
        f"?sort={sort}&page%5Bsize%5D={size}&page%5Bafter%5D="
    )
    times, records = [], 0
    started = time.perf_counter()
    while url:
        body, ms = get(url, key)
        times.append(ms)
        records += len(body["data"])
        url = body.get("links", {}).get("next")
    total = time.perf_counter() - started
    first = sum(times[:5]) / len(times[:5])
    last = sum(times[-5:]) / len(times[-5:])
    print(
        f"sort={sort}: {len(times)} pages, {records} records in {total:.2f} s; "
        f"first five pages {first:.1f} ms each, last five {last:.1f} ms each"
    )


if __name__ == "__main__":
    main()
