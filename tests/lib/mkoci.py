#!/usr/bin/env python3
"""mkoci.py: write OCI image layouts from layer tarballs, for pushing with
skopeo (tests of tk-pull against a real registry).

  mkoci.py add DIR --tag T [--platform OS/ARCH[/VARIANT] (default: this machine)] [--comp gzip|zstd|none]
           [--docker] [--bad-diffid] [--env K=V]... [--cmd ARG]...
           [--config-type MT] [--layer-type MT] [--manifest-type MT]
           LAYER.tar...
      add an image (one manifest) tagged T to the layout DIR (made if
      missing). LAYER.tar is an uncompressed tar; --comp compresses every
      layer (default gzip); LAYER.tar:zstd sets one layer's compression.
      --docker writes Docker schema 2 media types instead of OCI ones.
      The *-type options write a wrong media type (confusion tests);
      --bad-diffid a wrong diff id for the last layer.
  mkoci.py index DIR --tag T [--docker] TAG...
      an image index tagged T over the manifests tagged TAG... (each with
      its platform).

Prints the sha256 of the new manifest or index.
"""
import gzip
import hashlib
import json
import os
import subprocess
import sys

OCI = {
    "manifest": "application/vnd.oci.image.manifest.v1+json",
    "index": "application/vnd.oci.image.index.v1+json",
    "config": "application/vnd.oci.image.config.v1+json",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}
DOCKER = {
    "manifest": "application/vnd.docker.distribution.manifest.v2+json",
    "index": "application/vnd.docker.distribution.manifest.list.v2+json",
    "config": "application/vnd.docker.container.image.v1+json",
    "gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.docker.image.rootfs.diff.tar",
}


def put_blob(d, data):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(d, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return h


def load_index(d):
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, "oci-layout")
    if not os.path.exists(p):
        with open(p, "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
    p = os.path.join(d, "index.json")
    if os.path.exists(p):
        with open(p) as f:
            return json.load(f)
    return {"schemaVersion": 2, "manifests": []}


def save_index(d, idx, desc, tag):
    desc.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = tag
    idx["manifests"] = [m for m in idx["manifests"]
                        if m.get("annotations", {}).get(
                            "org.opencontainers.image.ref.name") != tag]
    idx["manifests"].append(desc)
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump(idx, f)


def compress(data, comp):
    if comp == "gzip":
        return gzip.compress(data, mtime=0)
    if comp == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    return data


def host_platform():
    import platform
    m = platform.machine()
    return "linux/" + {"x86_64": "amd64", "aarch64": "arm64", "i686": "386"}.get(m, m)


def cmd_add(args):
    d = args.pop(0)
    tag, plat, comp, mt = None, host_platform(), "gzip", OCI
    bad, env, cmd, ctype, ltype, mtype, layers = False, [], [], None, None, None, []
    while args:
        a = args.pop(0)
        if a == "--tag":
            tag = args.pop(0)
        elif a == "--platform":
            plat = args.pop(0)
        elif a == "--comp":
            comp = args.pop(0)
        elif a == "--docker":
            mt = DOCKER
        elif a == "--bad-diffid":
            bad = True
        elif a == "--env":
            env.append(args.pop(0))
        elif a == "--cmd":
            cmd.append(args.pop(0))
        elif a == "--config-type":
            ctype = args.pop(0)
        elif a == "--layer-type":
            ltype = args.pop(0)
        elif a == "--manifest-type":
            mtype = args.pop(0)
        else:
            layers.append(a)
    pl = plat.split("/")
    idx = load_index(d)
    ldescs, diffids = [], []
    for spec in layers:
        path, _, c = spec.partition(":")
        c = c or comp
        raw = open(path, "rb").read()
        diffids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        blob = compress(raw, c)
        ldescs.append({"mediaType": ltype or mt[c],
                       "digest": "sha256:" + put_blob(d, blob),
                       "size": len(blob)})
    if bad and diffids:
        diffids[-1] = "sha256:" + "0" * 64
    config = {"architecture": pl[1], "os": pl[0],
              "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"] + env},
              "rootfs": {"type": "layers", "diff_ids": diffids}}
    if len(pl) > 2:
        config["variant"] = pl[2]
    if cmd:
        config["config"]["Cmd"] = cmd
    cblob = json.dumps(config, sort_keys=True).encode()
    man = {"schemaVersion": 2, "mediaType": mtype or mt["manifest"],
           "config": {"mediaType": ctype or mt["config"],
                      "digest": "sha256:" + put_blob(d, cblob), "size": len(cblob)},
           "layers": ldescs}
    mblob = json.dumps(man).encode()
    mh = put_blob(d, mblob)
    desc = {"mediaType": mt["manifest"], "digest": "sha256:" + mh, "size": len(mblob),
            "platform": {"architecture": pl[1], "os": pl[0]}}
    if len(pl) > 2:
        desc["platform"]["variant"] = pl[2]
    save_index(d, idx, desc, tag)
    print(mh)


def cmd_index(args):
    d = args.pop(0)
    tag, mt, tags = None, OCI, []
    while args:
        a = args.pop(0)
        if a == "--tag":
            tag = args.pop(0)
        elif a == "--docker":
            mt = DOCKER
        else:
            tags.append(a)
    idx = load_index(d)
    by = {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m
          for m in idx["manifests"]}
    ms = []
    for t in tags:
        m = dict(by[t])
        m.pop("annotations", None)
        ms.append(m)
    blob = json.dumps({"schemaVersion": 2, "mediaType": mt["index"],
                       "manifests": ms}).encode()
    h = put_blob(d, blob)
    save_index(d, idx, {"mediaType": mt["index"], "digest": "sha256:" + h,
                        "size": len(blob)}, tag)
    print(h)


if __name__ == "__main__":
    a = sys.argv[1:]
    {"add": cmd_add, "index": cmd_index}[a.pop(0)](a)
