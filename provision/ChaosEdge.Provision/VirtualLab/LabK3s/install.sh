#!/bin/sh
# install.sh of the ChaosEdge virtual lab's K3s, written by 'chaosedge lab up --k3s' into the artifacts directory with
# its SHA-256 in SHA256SUMS. It does what K3s's own install.sh (get.k3s.io) does on an air-gapped machine with
# INSTALL_K3S_SKIP_DOWNLOAD=true: keeps the k3s binary placed in the bin directory, links kubectl, crictl and ctr to it
# (unless they exist as files), writes k3s-killall.sh and the uninstall script, the service's environment file (every
# K3S_* and CONTAINERD_* variable, mode 0600) and its systemd unit, then enables and restarts the service.
# INSTALL_K3S_EXEC (and the script's arguments) give the command: 'server' or 'agent' and flags; without a command it
# is 'agent' when K3S_URL is set, else 'server'. INSTALL_K3S_SKIP_START, INSTALL_K3S_SKIP_ENABLE, INSTALL_K3S_BIN_DIR
# and INSTALL_K3S_NAME are honoured. Not done on a lab node: SELinux policy, and K3s's ExecStartPre modprobes (the lab's
# nodes share the host's kernel).
set -e
fatal() { echo "[ERROR] $*" >&2; exit 1; }
info() { echo "[INFO] $*"; }

[ "${INSTALL_K3S_SKIP_DOWNLOAD:-}" = true ] || fatal "the lab's K3s has nothing to download: place k3s in ${INSTALL_K3S_BIN_DIR:-/usr/local/bin} and set INSTALL_K3S_SKIP_DOWNLOAD=true (the K3s plan does)"
bin=${INSTALL_K3S_BIN_DIR:-/usr/local/bin}
[ -x "$bin/k3s" ] || fatal "$bin/k3s is missing or not executable; with INSTALL_K3S_SKIP_DOWNLOAD=true it must be placed there first"
command -v systemctl >/dev/null 2>&1 || fatal "Can not find systemd or openrc to use as a process supervisor for k3s"

cmd="${INSTALL_K3S_EXEC:-} $*"
set -- $cmd
case "${1:-}" in
    server|agent) ;;
    ""|-*) if [ -n "${K3S_URL:-}" ]; then set -- agent "$@"; else set -- server "$@"; fi ;;
    *) fatal "Unknown command '$1' (server or agent)" ;;
esac
if [ "$1" = agent ]; then
    [ -n "${K3S_URL:-}" ] || grep -q '^server:' /etc/rancher/k3s/config.yaml 2>/dev/null || case " $* " in *" --server "*|*" --server="*) ;; *) fatal "An agent needs K3S_URL, --server or server: in /etc/rancher/k3s/config.yaml" ;; esac
    name=${INSTALL_K3S_NAME:-k3s-agent}
else
    name=${INSTALL_K3S_NAME:-k3s}
fi
unit=/etc/systemd/system/$name.service
env_file=$unit.env

for link in kubectl crictl ctr; do
    if [ -e "$bin/$link" ] && [ ! -L "$bin/$link" ]; then
        info "Skipping $bin/$link symlink to k3s, already exists"
    else
        info "Creating $bin/$link symlink to k3s"
        ln -sf k3s "$bin/$link"
    fi
done

info "Creating killall script $bin/k3s-killall.sh"
cat > "$bin/k3s-killall.sh" <<'KILLALL'
#!/bin/sh
# Stops K3s and everything its kubelet started (the lab's pods are processes tagged by the kubelet).
for unit in k3s k3s-agent; do systemctl stop "$unit" 2>/dev/null || true; done
for p in /proc/[0-9]*; do
    grep -qz '^CHAOSEDGE_POD_NODE=' "$p/environ" 2>/dev/null && kill -9 "${p#/proc/}" 2>/dev/null
done
exit 0
KILLALL
chmod 755 "$bin/k3s-killall.sh"

uninstall=$bin/$name-uninstall.sh
info "Creating uninstall script $uninstall"
cat > "$uninstall" <<UNINSTALL
#!/bin/sh
set -x
$bin/k3s-killall.sh
systemctl disable $name 2>/dev/null || true
rm -f $unit $env_file
for link in kubectl crictl ctr; do [ -L "$bin/\$link" ] && rm -f "$bin/\$link"; done
rm -rf /etc/rancher/k3s /run/k3s /var/lib/rancher/k3s /var/lib/kubelet
rm -f $bin/k3s $bin/k3s-killall.sh
rm -f $uninstall
UNINSTALL
chmod 755 "$uninstall"

info "env: Creating environment file $env_file"
(umask 077; : > "$env_file")
chmod 600 "$env_file"
export -p | sed -n 's/^export //p' | grep -E '^(K3S|CONTAINERD)_' > "$env_file" || true

info "systemd: Creating service file $unit"
{
    cat <<UNIT
[Unit]
Description=Lightweight Kubernetes
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
Type=notify
EnvironmentFile=-$env_file
KillMode=process
Delegate=yes
User=root
LimitNOFILE=1048576
TimeoutStartSec=0
Restart=always
RestartSec=5s
UNIT
    printf 'ExecStart=%s/k3s \\\n' "$bin"
    last=$#
    i=0
    for arg in "$@"; do
        i=$((i + 1))
        if [ $i -lt $last ]; then printf "    '%s' \\\\\n" "$arg"; else printf "    '%s'\n" "$arg"; fi
    done
} > "$unit"

systemctl daemon-reload
if [ "${INSTALL_K3S_SKIP_ENABLE:-}" != true ]; then
    info "systemd: Enabling $name unit"
    systemctl enable "$name"
fi
if [ "${INSTALL_K3S_SKIP_START:-}" != true ]; then
    info "systemd: Starting $name"
    systemctl restart "$name"
fi
