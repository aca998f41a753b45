#!/usr/bin/python3
"""Write one lab daemon configuration from etc/examples/lab/ (tests/mobility/lab.sh).

    lab_conf.py TEMPLATE OUT --dir DIR [--keymap FILE] [--payload]
                [--set SECTION.KEY=VALUE ...] [--del SECTION.KEY ...]

--dir       replaces the template's /run/mip6sec-lab/<role> paths with DIR.
--keymap    JSON file mapping each example key to this run's key; created
            with fresh `openssl rand -hex` keys from every key of the
            templates in TEMPLATE's directory if it does not exist, so the home
            agent's and the mobile node's mirrored SAs get the same new keys.
--payload   keep the traffic = "payload" SAs (ESP tunnel mode for the data);
            by default they are removed (IPv6-in-IPv6).
--set       replaces `KEY = ...;` inside the SECTION = { ... } group, or adds
            the line at the start of the group (VALUE is libconfig text).
--del       removes `KEY = ...;` from the group.
The configuration is written mode 0600 (it holds keys).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

# Manual SA keys and IKE pre-shared keys (the *-ike.conf templates).
KEY_RE = re.compile(r'((?:-key|\bpsk)\s*=\s*")([0-9a-fA-F]+)(")')


def fresh_keymap(tdir):
    old = set()
    for f in glob.glob(os.path.join(tdir, "*.conf")):
        old.update(m.group(2).lower() for m in KEY_RE.finditer(open(f).read()))
    return {k: subprocess.check_output(["openssl", "rand", "-hex", str(len(k) // 2)], text=True).strip()
            for k in sorted(old)}


def group_span(text, section):
    m = re.search(r'(?m)^%s\s*=\s*\{\n' % re.escape(section), text)
    if not m:
        sys.exit("lab_conf: no group %s" % section)
    end = re.compile(r'(?m)^\};').search(text, m.end())
    return m.end(), end.start()


def set_key(text, section, key, value, delete=False):
    start, end = group_span(text, section)
    body = text[start:end]
    line_re = re.compile(r'(?m)^\t%s\s*=\s*[^\n]*;\n' % re.escape(key))
    new = "" if delete else "\t%s = %s;\n" % (key, value)
    if line_re.search(body):
        body = line_re.sub(lambda _: new, body, count=1)
    elif not delete:
        body = new + body
    return text[:start] + body + text[end:]


def drop_payload_sas(text):
    # One SA per `{ ... }` block inside manual-sa; libconfig wants no comma
    # after the last element, so the list is rebuilt.
    m = re.search(r'(manual-sa\s*=\s*\(\n)(.*?)(\n\t\);)', text, re.S)
    if not m:
        return text  # IKE-keyed: no manual SAs
    blocks = re.findall(r'(?:\t\t#[^\n]*\n)*\t\t\{.*?\n\t\t\}', m.group(2), re.S)
    keep = [b for b in blocks if 'traffic = "payload"' not in b]
    return text[:m.start(2)] + ",\n".join(keep) + text[m.end(2):]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("template")
    ap.add_argument("out")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--keymap")
    ap.add_argument("--payload", action="store_true")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--del", dest="delete", action="append", default=[])
    a = ap.parse_args()
    text = open(a.template).read()
    text = re.sub(r'/run/mip6sec-lab/[a-z0-9]+', a.dir, text)
    if a.keymap:
        if not os.path.exists(a.keymap):
            km = fresh_keymap(os.path.dirname(os.path.abspath(a.template)))
            fd = os.open(a.keymap, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(km, f)
        km = json.load(open(a.keymap))
        text = KEY_RE.sub(lambda m: m.group(1) + km[m.group(2).lower()] + m.group(3), text)
    if not a.payload:
        text = drop_payload_sas(text)
    for s in a.set:
        path, value = s.split("=", 1)
        section, key = path.rsplit(".", 1)
        text = set_key(text, section, key, value)
    for path in a.delete:
        section, key = path.rsplit(".", 1)
        text = set_key(text, section, key, None, delete=True)
    fd = os.open(a.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
