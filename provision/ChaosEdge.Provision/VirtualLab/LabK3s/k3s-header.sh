#!/bin/sh
# k3s of the ChaosEdge virtual lab: the lab's node runtime (ce-k3s, which models K3s @RELEASE@), packed into one
# executable as K3s's own binary is. Like K3s, it unpacks its payload on first use into
# /var/lib/rancher/k3s/data/<hash> and runs from there; 'k3s --version', 'k3s server', 'k3s agent' and
# 'k3s kubectl' (also as the kubectl symlink) work as with K3s. Written by 'chaosedge lab up --k3s'.
set -e
data=/var/lib/rancher/k3s/data/@HASH@
if [ ! -f "$data/.complete" ]; then
    mkdir -p /var/lib/rancher/k3s/data
    unpack=$(mktemp -d /var/lib/rancher/k3s/data/.unpack.XXXXXX)
    tail -c +@OFFSET@ "$0" | tar -xzf - -C "$unpack"
    : > "$unpack/.complete"
    mv -T "$unpack" "$data" 2>/dev/null || rm -rf "$unpack"
fi
case "${0##*/}" in kubectl|crictl|ctr) set -- "${0##*/}" "$@" ;; esac
exec dotnet "$data/ce-k3s.dll" "$@"
exit 1
