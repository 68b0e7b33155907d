#!/usr/bin/env bash
# Writes .env beside docker-compose.yml from .env.example with freshly generated secrets.
# Refuses to overwrite an existing .env: replacing SPILLWAY_SECRET_KEY would make stored provider keys unreadable,
# and SPILLWAY_DB_PASSWORD only takes effect when the database volume is first created.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ -e .env ]]; then
  echo "init-env: .env exists already; not touching it" >&2
  exit 1
fi
command -v openssl >/dev/null || { echo "init-env: openssl is required" >&2; exit 1; }

umask 077
db_password=$(openssl rand -hex 24)
admin_token=$(openssl rand -hex 32)
secret_key=$(openssl rand -base64 32)
node_token=$(openssl rand -hex 32)
grafana_password=$(openssl rand -hex 16)

# Fill only the five "NAME=" lines of the example; comments and optional settings stay as they are.
sed -e "s|^SPILLWAY_DB_PASSWORD=\$|SPILLWAY_DB_PASSWORD=${db_password}|" \
    -e "s|^SPILLWAY_ADMIN_TOKEN=\$|SPILLWAY_ADMIN_TOKEN=${admin_token}|" \
    -e "s|^SPILLWAY_SECRET_KEY=\$|SPILLWAY_SECRET_KEY=${secret_key}|" \
    -e "s|^SPILLWAY_NODE_TOKEN=\$|SPILLWAY_NODE_TOKEN=${node_token}|" \
    -e "s|^SPILLWAY_GRAFANA_ADMIN_PASSWORD=\$|SPILLWAY_GRAFANA_ADMIN_PASSWORD=${grafana_password}|" \
    .env.example > .env.tmp
for name in SPILLWAY_DB_PASSWORD SPILLWAY_ADMIN_TOKEN SPILLWAY_SECRET_KEY SPILLWAY_NODE_TOKEN \
    SPILLWAY_GRAFANA_ADMIN_PASSWORD; do
  grep -q "^${name}=." .env.tmp || { rm -f .env.tmp; echo "init-env: could not set ${name}" >&2; exit 1; }
done
mv .env.tmp .env
echo "init-env: wrote $(pwd)/.env (mode 600). Back up SPILLWAY_SECRET_KEY somewhere safe."
echo "init-env: the admin API token is SPILLWAY_ADMIN_TOKEN in that file."
