#!/bin/sh
# Check the deployment files with the tools that will read them, not by eye:
#   systemd-analyze verify (units and timer; any warning fails), systemd-analyze security
#   (exposure score, printed), nginx -t (the site config inside a minimal nginx.conf).
# Paths that exist only on a server (/opt/tracuu, the certificate, /var/cache/nginx) are
# pointed at this checkout and a scratch directory. Usage: sh deploy/check.sh   (exit 0 = good)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

if command -v systemd-analyze >/dev/null 2>&1; then
    [ -x "$root/.venv/bin/tracuu" ] || { echo "check: run 'make install' first" >&2; exit 2; }
    for unit in tracuu-serve.service tracuu-crawl.service tracuu-crawl.timer; do
        sed "s#/opt/tracuu#$root#g" "$here/$unit" > "$tmp/$unit"
    done
    if systemd-analyze verify "$tmp/tracuu-serve.service" "$tmp/tracuu-crawl.service" \
            "$tmp/tracuu-crawl.timer" > "$tmp/verify.log" 2>&1 && [ ! -s "$tmp/verify.log" ]; then
        echo "systemd-analyze verify: ok (3 units)"
    else
        echo "systemd-analyze verify: FAILED"; cat "$tmp/verify.log"; status=1
    fi
    for unit in tracuu-serve.service tracuu-crawl.service; do
        systemd-analyze security --offline=true "$tmp/$unit" 2>/dev/null | tail -1 || true
    done
else
    echo "systemd-analyze: not installed (apt-get install systemd), units not checked"; status=1
fi

if command -v nginx >/dev/null 2>&1; then
    mkdir -p "$tmp/nginx/cache"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=tracuu.example.gov.vn \
        -keyout "$tmp/nginx/key.pem" -out "$tmp/nginx/cert.pem" 2>/dev/null
    sed -e "s#/var/cache/nginx/tracuu#$tmp/nginx/cache#" \
        -e "s#/etc/ssl/certs/ssl-cert-snakeoil.pem#$tmp/nginx/cert.pem#" \
        -e "s#/etc/ssl/private/ssl-cert-snakeoil.key#$tmp/nginx/key.pem#" \
        "$here/nginx-tracuu.conf" > "$tmp/nginx/site.conf"
    cat > "$tmp/nginx/nginx.conf" <<CONF
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    include $tmp/nginx/site.conf;
}
CONF
    if nginx -t -q -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" > "$tmp/nginx.log" 2>&1 \
            && [ ! -s "$tmp/nginx.log" ]; then
        echo "nginx -t: ok ($(nginx -v 2>&1 | sed 's/.*: //'))"
    else
        echo "nginx -t: FAILED"; cat "$tmp/nginx.log"; status=1
    fi
else
    echo "nginx: not installed (apt-get install nginx), config not checked"; status=1
fi
exit $status
