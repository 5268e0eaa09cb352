#!/bin/sh
# scripts/users.sh - create the system users lancre runs as when started as
# root ([server] user, [signer] user and [admin] user defaults: lancre-server,
# lancre-signer and lancre-admin, each with its own primary group).
# Idempotent; as a normal user it does nothing (lancre then runs everything as
# that user).
set -eu
[ "$(id -u)" -eq 0 ] || exit 0
for u in lancre-server lancre-signer lancre-admin; do
	getent passwd "$u" >/dev/null ||
		useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$u"
done
