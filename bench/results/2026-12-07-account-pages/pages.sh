#!/usr/bin/env bash
# pages.sh: whole-account pages of 50, head vs final, on both stores; wrk -t2 -c16 -d5s each.
cd /work/main
urls=('configurations?page%5Bsize%5D=50' 'configurations?page%5Bsize%5D=50&page%5Bnumber%5D=1000' 'configurations?page%5Bsize%5D=50&page%5Bnumber%5D=2000' 'configurations?page%5Bsize%5D=50&sort=-id' 'configurations?page%5Bsize%5D=50&sort=name' 'contacts?page%5Bsize%5D=50' 'expirations?page%5Bsize%5D=50')
for round in 1 2; do
for store in sqlite postgres; do
for b in head final; do
  if [ $store = sqlite ]; then
    rm -rf /tmp/sq-$b; cp -r target/bench-work/stores-sqlite /tmp/sq-$b
    args=(--data-dir /tmp/sq-$b); KEY=$(cat target/bench-work/stores-sqlite/.bench-key)
  elif [ $b = head ]; then
    args=(--data-dir target/bench-work-head/stores-postgres --database-url postgres://postgres@127.0.0.1:5432/mortar_bench_head); KEY=$(cat target/bench-work-head/stores-postgres/.bench-key)
  else
    args=(--data-dir target/bench-work/stores-postgres --database-url postgres://postgres@127.0.0.1:5432/mortar_bench_stores); KEY=$(cat target/bench-work/stores-postgres/.bench-key)
  fi
  /work/bins/$b serve --listen 127.0.0.1:3998 "${args[@]}" --rate-limit-requests 1000000000 >/tmp/srv-$b.log 2>&1 & SP=$!
  for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:3998/healthz && break; sleep 0.2; done
  sleep 1
  for u in "${urls[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $KEY" "http://127.0.0.1:3998/$u")
    rps=$(wrk -t2 -c16 -d5s -H "x-api-key: $KEY" "http://127.0.0.1:3998/$u" | awk '/Requests\/sec/{print $2}')
    printf '%s\t%s\t%s\tr%s\t%s\t%s\n' "$store" "$b" "$u" "$round" "$code" "$rps"
  done
  kill $SP; wait $SP 2>/dev/null
done; done; done
rm -rf /tmp/sq-head /tmp/sq-final
