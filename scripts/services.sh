#!/usr/bin/env bash
# Make sure PostgreSQL, RabbitMQ (with its management API) and Redis answer on 127.0.0.1.
# Installs them with apt-get on Debian when missing (needs root), starts them when stopped.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 120); do
    port_open "$port" && return 0
    sleep 0.5
  done
  echo "services: $name did not open port $port" >&2
  return 1
}

missing=()
command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
installed_pg=0
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "services: please install ${missing[*]} (or point the tests at running ones)" >&2
    exit 1
  fi
  echo "services: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  [[ " ${missing[*]} " == *" postgresql "* ]] && installed_pg=1
fi

pg_version() { ls /etc/postgresql | sort -V | tail -n 1; }
pg_running() { pg_ctlcluster --skip-systemctl-redirect "$1" main status >/dev/null 2>&1; }

if [ "$installed_pg" = 1 ]; then
  # A fresh cluster asks for passwords on TCP; the tests connect with trust like this
  # machine kind. apt's postinst may already have started it, so the edit is made
  # whether or not it runs and a running cluster reloads it; the sed is idempotent.
  # A PostgreSQL we did not install is left as its owner configured it.
  version=$(pg_version)
  sed -i -E 's/^(host\s+all\s+all\s+\S+\s+)\S+$/\1trust/' "/etc/postgresql/$version/main/pg_hba.conf"
  if pg_running "$version"; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
fi
if ! port_open 5432; then
  version=$(pg_version)
  # Started but not listening yet (e.g. by apt's postinst) needs no second start.
  pg_running "$version" || pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
wait_port 5432 PostgreSQL

if ! port_open 6379; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_port 6379 Redis

if ! port_open 5672; then
  rabbitmq-server -detached
fi
wait_port 5672 RabbitMQ
if ! port_open 15672; then
  rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null
fi
wait_port 15672 "RabbitMQ management"
echo "services: PostgreSQL, RabbitMQ and Redis are up"
