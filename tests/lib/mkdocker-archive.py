#!/usr/bin/env python3
"""mkdocker-archive.py OUT.tar LAYER.tar... [--tag NAME:TAG] [--bad-diffid]
[--cmd ARG]...: write a `docker save` style archive by hand:

  manifest.json         [{"Config": "<hex>.json", "RepoTags": [...],
                          "Layers": ["<n>/layer.tar", ...]}]
  <hex>.json            the image config; <hex> = sha256 of its bytes
  <n>/layer.tar         each layer, uncompressed (diff id = sha256)

Prints the config's sha256 (the image id Docker would show) on stdout.
--bad-diffid puts a wrong diff id for the last layer into the config.
"""
import hashlib
import io
import json
import sys
import tarfile

args = sys.argv[1:]
out = args.pop(0)
layers, tags, cmd, bad = [], [], [], False
while args:
    a = args.pop(0)
    if a == "--tag":
        tags.append(args.pop(0))
    elif a == "--cmd":
        cmd.append(args.pop(0))
    elif a == "--bad-diffid":
        bad = True
    else:
        layers.append(a)

blobs = []
diff_ids = []
for i, path in enumerate(layers):
    data = open(path, "rb").read()
    blobs.append(("%d/layer.tar" % i, data))
    diff_ids.append("sha256:" + hashlib.sha256(data).hexdigest())
if bad:
    diff_ids[-1] = "sha256:" + "0" * 64

config = {
    "architecture": "amd64",
    "os": "linux",
    "created": "2024-01-01T00:00:00Z",
    "config": {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "FROM_CONFIG=yes"],
        "Cmd": cmd or ["/bin/sh", "-c", "echo from-docker-archive"],
        "WorkingDir": "/",
    },
    "rootfs": {"type": "layers", "diff_ids": diff_ids},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "test"}
                for _ in layers],
}
cbytes = json.dumps(config, sort_keys=True).encode()
chex = hashlib.sha256(cbytes).hexdigest()
manifest = [{"Config": chex + ".json", "RepoTags": tags,
             "Layers": [n for n, _ in blobs]}]

with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tf:
    def put(name, data):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.mode = 0o644
        tf.addfile(ti, io.BytesIO(data))
    for i in range(len(blobs)):
        ti = tarfile.TarInfo("%d" % i)
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
        tf.addfile(ti)
    for name, data in blobs:
        put(name, data)
    put(chex + ".json", cbytes)
    put("manifest.json", json.dumps(manifest).encode())
print(chex)
