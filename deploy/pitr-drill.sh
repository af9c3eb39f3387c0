#!/bin/sh
# Point-in-time recovery drill on a private, throw-away PostgreSQL cluster (never the live one):
# WAL archiving on, a base backup, rows written before and after a chosen moment, then the base
# backup recovered to that moment. Exits 0 only if exactly the rows before the moment are back.
# Run as a user that may run PostgreSQL (not root), e.g. `runuser -u postgres -- sh deploy/pitr-drill.sh`.
set -eu
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
WORK=$(mktemp -d /tmp/pitr-drill.XXXXXX)
PORT=${PITR_PORT:-55439}
trap '"$BIN/pg_ctl" -D "$WORK/live" stop -m immediate >/dev/null 2>&1 || true;
      "$BIN/pg_ctl" -D "$WORK/recovered" stop -m immediate >/dev/null 2>&1 || true;
      rm -rf "$WORK"' EXIT
"$BIN/initdb" -D "$WORK/live" -U postgres --auth=trust >/dev/null
mkdir "$WORK/archive"
cat >> "$WORK/live/postgresql.conf" <<CONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WORK'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $WORK/archive/%f && cp %p $WORK/archive/%f'
archive_timeout = 60
CONF
"$BIN/pg_ctl" -D "$WORK/live" -l "$WORK/live.log" -w start >/dev/null
SQL="$BIN/psql -h $WORK -p $PORT -U postgres -qAt"
$SQL -c "CREATE TABLE audit_drill (n int, at timestamptz default clock_timestamp())"
$SQL -c "INSERT INTO audit_drill (n) SELECT generate_series(1, 100)"
"$BIN/pg_basebackup" -h "$WORK" -p "$PORT" -U postgres -D "$WORK/base" -Fp -X stream -c fast
$SQL -c "INSERT INTO audit_drill (n) SELECT generate_series(101, 200)"
sleep 1
TARGET=$($SQL -c "SELECT now()")
sleep 1
$SQL -c "INSERT INTO audit_drill (n) SELECT generate_series(201, 300)"   # the mistake to undo
$SQL -c "SELECT pg_switch_wal()" >/dev/null
sleep 2
"$BIN/pg_ctl" -D "$WORK/live" -w stop >/dev/null
cp -a "$WORK/base" "$WORK/recovered"
cat >> "$WORK/recovered/postgresql.conf" <<CONF
restore_command = 'cp $WORK/archive/%f %p'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
CONF
touch "$WORK/recovered/recovery.signal"
"$BIN/pg_ctl" -D "$WORK/recovered" -l "$WORK/recovered.log" -w -t 120 start >/dev/null
for _ in $(seq 60); do
  [ "$($SQL -c 'SELECT pg_is_in_recovery()')" = "f" ] && break; sleep 1
done
GOT=$($SQL -c "SELECT count(*), max(n) FROM audit_drill")
echo "recovered to $TARGET: rows, newest = $GOT (expected 200|200)"
[ "$GOT" = "200|200" ]
