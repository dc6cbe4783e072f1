#!/bin/sh
# ChaosEdge node-side probe agent, uploaded by the harness and started over SSH. POSIX sh, coreutils and dig only.
#
#   ce-probe-agent dns SERVER NAME INTERVAL_MS DURATION_S
#
# Sends a DNS query for NAME to SERVER every INTERVAL_MS (each in the background, so a slow answer never delays the
# next), for DURATION_S seconds, then exits by itself. First line: "pgid <process group>" so the harness can end the
# whole group early. Then one line per query: "<node clock when sent, ns> <latency, us> <status>", where status is dig's
# (NOERROR, NXDOMAIN, SERVFAIL, ...) or NOANSWER (timeout, refused).
set -u
[ "$1" = dns ] || { echo "usage: $0 dns SERVER NAME INTERVAL_MS DURATION_S" >&2; exit 2; }
server=$2 name=$3 interval_ns=$(($4 * 1000000)) duration_s=$5
echo "pgid $(ps -o pgid= -p $$ | tr -d ' ')"

query() {
    sent=$(date +%s%N)
    status=$(dig +tries=1 +time=1 "@$server" "$name" +noall +comments 2>/dev/null | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
    done_at=$(date +%s%N)
    echo "$sent $(( (done_at - sent) / 1000 )) ${status:-NOANSWER}"
}

start=$(date +%s%N)
end=$((start + duration_s * 1000000000))
k=0
while :; do
    query &
    k=$((k + 1))
    now=$(date +%s%N)
    [ "$now" -ge "$end" ] && break
    # Sleep to the next slot of the fixed cadence (no drift from the time the loop itself takes).
    wait_ns=$((start + k * interval_ns - now))
    [ "$wait_ns" -gt 0 ] && sleep "$((wait_ns / 1000000000)).$(printf '%09d' $((wait_ns % 1000000000)))"
done
wait
