#!/usr/bin/env python3
"""Compare the schema the plugin embeds with the @pulumi/docker SDK it serves.

    python3 tools/pulumi-docker-provider/sdk-compat.py \
        "$(dirname "$(tools/pulumi-docker-provider/build.sh --print-bin-dir)")/schema.json" \
        node_modules/@pulumi/docker

Checks, for every resource and function token the SDK calls: that the plugin
has it, that the property names the SDK sends and reads are the plugin's, and
that the required inputs agree; also the provider's config properties and the
property names of every nested object type. Prints each difference and exits 1
if there is any (tokens the plugin has and the SDK lacks, and KNOWN_MISSING,
are only listed).
"""
import json
import os
import re
import sys

# pulumi-docker's own (non-Terraform) resource: this plugin does not have it.
KNOWN_MISSING = {"docker:index/image:Image"}


def sdk_tokens(pkg):
    toks = {}
    for name in sorted(os.listdir(pkg)):
        if not name.endswith(".js") or name in ("index.js", "utilities.js", "provider.js"):
            continue
        text = open(os.path.join(pkg, name), encoding="utf-8").read()
        for tok in set(re.findall(r'["\'](docker:index/[A-Za-z]+:[A-Za-z]+)["\']', text)):
            toks[tok] = text
    return toks


def interfaces(pkg):
    src = ""
    for name in ("input.d.ts", "output.d.ts"):
        path = os.path.join(pkg, "types", name)
        if os.path.exists(path):
            src += open(path, encoding="utf-8").read()
    out = {}
    for m in re.finditer(r"export interface (\w+) \{(.*?)\n\}", src, re.S):
        props = set(re.findall(r"^\s{4}(?:readonly )?(\w+)\??:", m.group(2), re.M))
        out.setdefault(m.group(1), set()).update(props)
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    pkg = sys.argv[2]
    problems = []

    for tok, js in sorted(sdk_tokens(pkg).items()):
        if tok in schema["resources"]:
            res = schema["resources"][tok]
            sdk = set(re.findall(r'resourceInputs\["(\w+)"\]', js))
            ours = set(res.get("inputProperties", {})) | set(res.get("properties", {}))
            if sdk != ours:
                problems.append(f"{tok}: SDK-only {sorted(sdk - ours)}, plugin-only {sorted(ours - sdk)}")
            sreq = set(re.findall(r"args\?\.(\w+) === undefined && !opts\.urn", js))
            oreq = set(res.get("requiredInputs", []))
            if sreq != oreq:
                problems.append(f"{tok}: required inputs SDK {sorted(sreq)}, plugin {sorted(oreq)}")
        elif tok in schema["functions"]:
            fn = schema["functions"][tok]
            sdk = set(re.findall(r'"(\w+)": args\.\w+', js))
            ours = set(fn.get("inputs", {}).get("properties", {}))
            if sdk != ours:
                problems.append(f"{tok}: SDK-only {sorted(sdk - ours)}, plugin-only {sorted(ours - sdk)}")
        elif tok not in KNOWN_MISSING:
            problems.append(f"{tok}: used by the SDK, missing from the plugin")

    js = open(os.path.join(pkg, "provider.js"), encoding="utf-8").read()
    sdk = set(re.findall(r'resourceInputs\["(\w+)"\]', js))
    ours = set(schema["provider"].get("inputProperties", {}))
    if sdk != ours:
        problems.append(f"provider config: SDK-only {sorted(sdk - ours)}, plugin-only {sorted(ours - sdk)}")

    ifaces = interfaces(pkg)
    for tok, typ in sorted(schema["types"].items()):
        name = tok.split(":")[-1]
        cands = [n for n in (name, name[:1].upper() + name[1:], name + "Args") if n in ifaces]
        if not cands:
            continue  # types of plugin-only tokens, or named differently (names are not on the wire)
        sdk = set().union(*(ifaces[c] for c in cands))
        ours = set(typ.get("properties", {}))
        if sdk != ours:
            problems.append(f"type {name}: SDK-only {sorted(sdk - ours)}, plugin-only {sorted(ours - sdk)}")

    used = set(sdk_tokens(pkg))
    extra = sorted(t for t in list(schema["resources"]) + list(schema["functions"])
                   if t not in used and not t.startswith("pulumi:"))
    for p in problems:
        print("DIFF", p)
    print(f"plugin-only tokens (unused by the SDK): {extra}")
    print(f"known missing (SDK calls fail with an unknown-type error): {sorted(KNOWN_MISSING)}")
    print(f"{len(problems)} difference(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
