#!/bin/sh
# ChaosEdge node-side probe agent, uploaded by the harness and started over SSH. POSIX sh and coreutils (dig for dns).
#
#   ce-probe-agent dns SERVER NAME INTERVAL_MS DURATION_S
#   ce-probe-agent volume DEVICE SLOTS INTERVAL_MS DURATION_S [FIRST]
#   ce-probe-agent readback DEVICE SLOTS
#
# dns and volume start one probe every INTERVAL_MS (each in the background, so a slow one never delays the next), for
# DURATION_S seconds, then exit by themselves. Their first line is "pgid <process group>" so the harness can end the
# whole group early. Times are the node's clock in ns (date +%s%N); latencies in us.
#
# dns: one line per query, "<sent> <latency> <status>", status dig's (NOERROR, NXDOMAIN, SERVFAIL, ...) or NOANSWER.
#
# volume: write number N (FIRST, FIRST + 1, ...; FIRST defaults to 1, a restarted agent continues the count) puts one 4 KiB block into slot N % SLOTS of the block DEVICE with O_DIRECT and
# O_DSYNC (dd oflag=direct,dsync: acknowledged once on stable storage), in the text layout the harness reads back
# (ProbeBlock): "CEVOLTXT %016d %08d <sha256>\n" and 3996 bytes of "ce-volume-probe seq N slot M\n", the SHA-256 over
# the first 35 bytes and the payload. "s N SLOT <sent>" is printed as the write is sent, "a N <latency> OK" or "a N <latency> ERR <dd's
# error>" when dd returns; the latency includes starting dd (about a millisecond). The block is built before the clock starts.
#
# readback: the first SLOTS blocks of DEVICE, read with O_DIRECT, as one line of base64.
set -u
usage() { echo "usage: $0 dns SERVER NAME INTERVAL_MS DURATION_S | volume DEVICE SLOTS INTERVAL_MS DURATION_S [FIRST] | readback DEVICE SLOTS" >&2; exit 2; }
[ $# -ge 1 ] || usage

query() {
    sent=$(date +%s%N)
    status=$(dig +tries=1 +time=1 "@$server" "$name" +noall +comments 2>/dev/null | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
    done_at=$(date +%s%N)
    echo "$sent $(( (done_at - sent) / 1000 )) ${status:-NOANSWER}"
}

write_block() {
    seq=$((first + $1 - 1))
    slot=$((seq % slots)) block=$work/$seq
    prefix=$(printf 'CEVOLTXT %016d %08d ' "$seq" "$slot")
    yes "ce-volume-probe seq $seq slot $slot" | head -c 3996 > "$block.payload"
    sum=$({ printf '%s' "$prefix"; cat "$block.payload"; } | sha256sum | cut -c1-64)
    { printf '%s%s\n' "$prefix" "$sum"; cat "$block.payload"; } > "$block"
    sent=$(date +%s%N)
    echo "s $seq $slot $sent"
    if dd if="$block" of="$device" bs=4096 seek="$slot" count=1 oflag=direct,dsync conv=notrunc status=none 2>"$block.error"; then status=OK; else status="ERR $(head -c 200 "$block.error" | tr '\n' ' ')"; fi
    done_at=$(date +%s%N)
    echo "a $seq $(( (done_at - sent) / 1000 )) $status"
    rm -f "$block" "$block.payload" "$block.error"
}

# Runs "$probe N" for N = 1, 2, ... on a fixed cadence (no drift from the time the loop itself takes).
every() {
    probe=$1 interval_ns=$(($2 * 1000000)) duration_s=$3
    echo "pgid $(ps -o pgid= -p $$ | tr -d ' ')"
    start=$(date +%s%N)
    end=$((start + duration_s * 1000000000))
    k=0
    while :; do
        k=$((k + 1))
        $probe "$k" &
        now=$(date +%s%N)
        [ "$now" -ge "$end" ] && break
        wait_ns=$((start + k * interval_ns - now))
        [ "$wait_ns" -gt 0 ] && sleep "$((wait_ns / 1000000000)).$(printf '%09d' $((wait_ns % 1000000000)))"
    done
    wait
}

case $1 in
    dns)
        [ $# -eq 5 ] || usage
        server=$2 name=$3
        every query "$4" "$5"
        ;;
    volume)
        [ $# -eq 5 ] || [ $# -eq 6 ] || usage
        device=$2 slots=$3 first=${6:-1}
        [ -b "$device" ] || { echo "$device is not a block device on $(hostname)" >&2; exit 3; }
        [ -w "$device" ] || { echo "$device is not writable on $(hostname)" >&2; exit 3; }
        work=$(mktemp -d "${TMPDIR:-/tmp}/ce-volume-probe.XXXXXX")
        trap 'rm -rf "$work"' EXIT
        trap 'exit 143' TERM
        every write_block "$4" "$5"
        ;;
    readback)
        [ $# -eq 3 ] || usage
        [ -b "$2" ] || { echo "$2 is not a block device on $(hostname)" >&2; exit 3; }
        dd if="$2" bs=4096 count="$3" iflag=direct status=none | base64 -w 0
        echo
        ;;
    *) usage ;;
esac
