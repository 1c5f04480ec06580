#!/usr/bin/env python3
"""Compare the docker plugin's Pulumi schema with the @pulumi/docker SDK's TypeScript declarations.

    python3 tools/pulumi-docker-provider/sdk-compat.py [SCHEMA [SDK_DIR]]

SCHEMA is a schema JSON file, or "-" for standard input; the default is the schema.json that
build.sh keeps beside the bin dir (the one the plugin embeds). To ask the plugin itself:

    pulumi package get-schema "$(tools/pulumi-docker-provider/build.sh)/pulumi-resource-docker" \\
      | python3 tools/pulumi-docker-provider/sdk-compat.py -

SDK_DIR defaults to node_modules/@pulumi/docker. Only its .d.ts files (and, for the tokens, the
.js beside each) are read.

Name for name, it compares: the resources and functions (tokens), and for each resource its input
properties (<Name>Args), output properties (the class) and state properties (<Name>State); for
each function its arguments (<Fn>Args, <Fn>OutputArgs) and result (<Fn>Result); the provider's
inputs (ProviderArgs), methods and config variables (config/vars.d.ts); every object type
(types/input.d.ts, types/output.d.ts, namespaces included) and enum (types/enums). For every
property it also compares whether it is required and its TypeScript type, as the Node.js code
generator would write it from the schema (Input/Output wrappers and "| undefined" left out).

Prints one line per difference and a count; exits 1 if there is any.
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


# --- reading the .d.ts files ---------------------------------------------------------------------

def strip_comments(text):
    """Drops /* */ and // comments, keeping string literals."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def match_brace(text, start):
    """Index of the } closing the { at start."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced braces")


def statements(body):
    """Splits a declaration body at the ; (and newlines ending a member) that are not nested."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(body):
        c = body[i]
        if body.startswith("=>", i):
            cur.append("=>")
            i += 2
            continue
        if c in "{(<[":
            depth += 1
        elif c in "})>]":
            depth -= 1
        if c in ";," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


MEMBER = re.compile(r'^(?:readonly\s+)?([A-Za-z_$][\w$]*|"[^"]*")(\?)?\s*:\s*(.*)$', re.S)


def members(body):
    """{name: (optional, type)} of the property members of an interface or class body."""
    out = {}
    for st in statements(body):
        if re.match(r"^(static|private|protected|constructor|get |set )", st):
            continue
        m = MEMBER.match(st)
        if m:
            out[m.group(1).strip('"')] = (bool(m.group(2)), " ".join(m.group(3).split()))
    return out


DECL = re.compile(r"(?:export\s+)?(?:declare\s+)?(interface|class|namespace)\s+([\w$]+)([^{;]*)\{")


def declarations(text, prefix=""):
    """{qualified name: (kind, heading, body)} of the interfaces, classes and namespaces in text."""
    out, pos = {}, 0
    while True:
        m = DECL.search(text, pos)
        if not m:
            return out
        end = match_brace(text, m.end() - 1)
        body = text[m.end():end]
        name = prefix + m.group(2)
        if m.group(1) == "namespace":
            out.update(declarations(body, name + "."))
        else:
            out[name] = (m.group(1), m.group(3), body)
        pos = end + 1


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def enum_values(text):
    """{enum name: {member: value}} of `export declare const X: { readonly A: "a"; ... }`."""
    out = {}
    for m in re.finditer(r"export declare const (\w+): \{", text):
        body = text[m.end():match_brace(text, m.end() - 1)]
        out[m.group(1)] = {k: t.strip('"') for k, (_, t) in members(body).items()}
    return out


# --- what the Node.js code generator writes for a schema type ------------------------------------

def ts_type(spec, side, enums):
    """The TypeScript type of a schema type spec (side: "inputs" or "outputs"), unwrapped."""
    if "$ref" in spec:
        ref = spec["$ref"]
        if ref.startswith("pulumi.json#/"):
            return {"Any": "any", "Archive": "pulumi.asset.Archive", "Asset": "pulumi.asset.Asset | pulumi.asset.Archive",
                    "Json": "any"}.get(ref.split("/")[-1], ref)
        tok = ref.split("#/types/")[-1]
        name = type_name(tok)
        return ("enums." if tok in enums else side + ".") + name
    if "oneOf" in spec:
        return " | ".join(ts_type(s, side, enums) for s in spec["oneOf"])
    t = spec.get("type")
    if t == "array":
        inner = ts_type(spec["items"], side, enums)
        return ("(%s)[]" if "|" in inner else "%s[]") % inner
    if t == "object":
        return "{[key: string]: %s}" % ts_type(spec.get("additionalProperties", {"$ref": "pulumi.json#/Any"}), side, enums)
    return {"integer": "number", "number": "number", "string": "string", "boolean": "boolean"}.get(t, str(t))


def unwrap(t):
    """Normalises a .d.ts type: no pulumi.Input<>/pulumi.Output<>/Promise<> wrappers, no
    '| undefined', no whitespace."""
    t = " ".join(t.split())
    changed = True
    while changed:
        changed = False
        for w in ("pulumi.Input<", "pulumi.Output<"):
            i = t.find(w)
            if i >= 0:
                depth, j = 1, i + len(w)
                while depth:
                    depth += {"<": 1, ">": -1}.get(t[j], 0) if not t.startswith("=>", j - 1) else 0
                    j += 1
                t = t[:i] + t[i + len(w):j - 1] + t[j:]
                changed = True
    t = re.sub(r"\s*\|\s*undefined\b", "", t)
    # Types used by function arguments come twice, X (plain) and XArgs (with Input<> inside).
    t = re.sub(r"\b(inputs\.[\w.]+?)Args\b", r"\1", t)
    return re.sub(r"\s+", "", t).replace(";}", "}")


def type_name(tok):
    """docker:index/containerPort:ContainerPort -> ContainerPort; docker:config/x:x -> config.X."""
    mod, name = tok.split(":")[1].split("/")[0], tok.split(":")[-1]
    name = name[:1].upper() + name[1:]
    return name if mod == "index" else mod + "." + name


# --- the comparison -------------------------------------------------------------------------------

class Diff:
    def __init__(self):
        self.lines = []
        self.compared = 0

    def __call__(self, msg):
        self.lines.append(msg)

    def props(self, where, schema_props, required, sdk, side, enums, check_required=True):
        """Compares schema properties (dict) + required (set) with SDK members."""
        sp, kp = set(schema_props), set(sdk)
        if sp - kp:
            self(f"{where}: in the plugin only: {', '.join(sorted(sp - kp))}")
        if kp - sp:
            self(f"{where}: in the SDK only: {', '.join(sorted(kp - sp))}")
        self.compared += len(sp & kp)
        for p in sorted(sp & kp):
            opt, t = sdk[p]
            # optional: `name?:`, or (class outputs) `pulumi.Output<T | undefined>`
            opt = opt or bool(re.search(r"\|\s*undefined\s*>?\s*$", t))
            if check_required and (p in required) == opt:
                self(f"{where}.{p}: {'required' if p in required else 'optional'} in the plugin, "
                     f"{'optional' if opt else 'required'} in the SDK")
            want, got = unwrap(ts_type(schema_props[p], side, enums)), unwrap(t)
            if want != got:
                self(f"{where}.{p}: type {want} from the plugin's schema, {got} in the SDK")


def sdk_tokens(pkg):
    """{token: basename} for the resources and functions of the SDK's .js files."""
    out = {}
    for name in sorted(os.listdir(pkg)):
        if name.endswith(".js") and name not in ("index.js", "utilities.js", "provider.js"):
            for tok in re.findall(r"[\"'](docker:[\w]+/[\w]+:[\w]+)[\"']", read(os.path.join(pkg, name))):
                out[tok] = name[:-3]
    return out


def main(argv):
    if len(argv) > 1 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    if len(argv) > 3:
        sys.exit(__doc__)
    schema_path = argv[1] if len(argv) > 1 else None
    pkg = argv[2] if len(argv) > 2 else os.path.normpath(os.path.join(HERE, "..", "..", "node_modules", "@pulumi", "docker"))
    if schema_path is None:
        bin_dir = subprocess.run(["bash", os.path.join(HERE, "build.sh"), "--print-bin-dir"],
                                 check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        schema_path = os.path.join(os.path.dirname(bin_dir), "schema.json")
    schema = json.load(sys.stdin if schema_path == "-" else open(schema_path, encoding="utf-8"))
    if not os.path.isdir(pkg):
        sys.exit(f"{pkg}: no such directory (npm ci installs @pulumi/docker there)")
    sdk_version = json.loads(read(os.path.join(pkg, "package.json")))["version"]
    types = schema.get("types", {})
    enums = {t for t, v in types.items() if "enum" in v}
    d = Diff()

    # Declarations of every .d.ts
    decls, files = {}, {}
    for name in sorted(os.listdir(pkg)):
        if name.endswith(".d.ts"):
            files[name[:-5]] = declarations(strip_comments(read(os.path.join(pkg, name))))
    inputs = declarations(strip_comments(read(os.path.join(pkg, "types", "input.d.ts"))))
    outputs = declarations(strip_comments(read(os.path.join(pkg, "types", "output.d.ts"))))
    sdk_enums = enum_values(strip_comments(read(os.path.join(pkg, "types", "enums", "index.d.ts"))))

    def body(file, name):
        decl = files.get(file, {}).get(name)
        return members(decl[2]) if decl else None

    # Resources and functions, token for token
    toks = sdk_tokens(pkg)
    for tok in sorted(set(schema["resources"]) | set(schema["functions"]) | set(toks)):
        if tok.startswith("pulumi:providers:"):
            continue  # provider methods, below
        in_schema = tok in schema["resources"] or tok in schema["functions"]
        if tok not in toks:
            d(f"{tok}: in the plugin only (no SDK module)")
            continue
        if not in_schema:
            d(f"{tok}: in the SDK only (the plugin has no such resource or function)")
            continue
        file = toks[tok]
        name = tok.split(":")[-1]
        if tok in schema["resources"]:
            res = schema["resources"][tok]
            cls = body(file, name)
            if cls is None:
                d(f"{tok}: no class {name} in {file}.d.ts")
                continue
            d.props(f"{name} (outputs)", res.get("properties", {}), set(res.get("required", [])), cls, "outputs", enums)
            d.props(f"{name}Args", res.get("inputProperties", {}), set(res.get("requiredInputs", [])),
                    body(file, name + "Args") or {}, "inputs", enums)
            state = body(file, name + "State")
            sp = res.get("stateInputs", {}).get("properties", {})
            if state is not None or sp:
                d.props(f"{name}State", sp, set(), state or {}, "inputs", enums, check_required=False)
        else:
            fn = schema["functions"][tok]
            cap = name[:1].upper() + name[1:]
            fin = fn.get("inputs", {})
            for iface, side in ((cap + "Args", "inputs"), (cap + "OutputArgs", "inputs")):
                got = body(file, iface)
                if got is None and not fin.get("properties"):
                    continue
                d.props(iface, fin.get("properties", {}), set(fin.get("required", [])), got or {}, side, enums)
            fout = fn.get("outputs", {})
            d.props(cap + "Result", fout.get("properties", {}), set(fout.get("required", [])),
                    body(file, cap + "Result") or {}, "outputs", enums)

    # The provider: its inputs, outputs, methods; config variables
    prov = schema.get("provider", {})
    d.props("ProviderArgs", prov.get("inputProperties", {}), set(prov.get("requiredInputs", [])),
            body("provider", "ProviderArgs") or {}, "inputs", enums)
    cls = body("provider", "Provider") or {}
    # The Node.js generator gives the Provider class only its string-typed outputs.
    pout = {k: v for k, v in prov.get("properties", {}).items() if v.get("type") == "string"}
    d.props("Provider (outputs)", pout, set(prov.get("required", [])), cls, "outputs", enums)
    decl = files.get("provider", {}).get("Provider")
    sdk_methods = set(re.findall(r"^\s*(\w+)\(\)", decl[2], re.M)) - {"constructor"} if decl else set()
    for meth, ftok in sorted(prov.get("methods", {}).items()):
        if meth not in sdk_methods:
            d(f"Provider.{meth}: in the plugin only")
            continue
        fout = schema["functions"].get(ftok, {}).get("outputs", {})
        cap = meth[:1].upper() + meth[1:]
        d.props(f"Provider.{cap}Result", fout.get("properties", {}), set(fout.get("required", [])),
                body("provider", f"Provider.{cap}Result") or {}, "outputs", enums)
    for meth in sorted(sdk_methods - set(prov.get("methods", {}))):
        d(f"Provider.{meth}: in the SDK only")
    vars_text = strip_comments(read(os.path.join(pkg, "config", "vars.d.ts")))
    sdk_vars = {m.group(1): (True, m.group(2)) for m in
                re.finditer(r"export declare const (\w+): ([^;]+);", vars_text)}
    d.props("config", schema.get("config", {}).get("variables", {}), set(), sdk_vars, "outputs", enums,
            check_required=False)

    # Object types and enums
    seen_in, seen_out = set(), set()
    for tok, spec in sorted(types.items()):
        name = type_name(tok)
        if "enum" in spec:
            got = sdk_enums.get(name)
            if got is None:
                d(f"enum {name}: in the plugin only")
                continue
            want = {v.get("name", v["value"]): str(v["value"]) for v in spec["enum"]}
            if want != got:
                d(f"enum {name}: values {sorted(want.items())} in the plugin, {sorted(got.items())} in the SDK")
            continue
        found = False
        for side, decls_ in (("inputs", inputs), ("outputs", outputs)):
            for iname in (name, name + "Args") if side == "inputs" else (name,):
                if iname in decls_:
                    found = True
                    (seen_in if side == "inputs" else seen_out).add(iname)
                    req = set(spec.get("required", []))
                    if side == "outputs":  # what the bridge knows is always set
                        req |= set(spec.get("language", {}).get("nodejs", {}).get("requiredOutputs", []))
                    d.props(f"type {iname} ({side[:-1]})", spec.get("properties", {}), req,
                            members(decls_[iname][2]), side, enums)
        if not found:
            d(f"type {name}: in the plugin only")
    for iname in sorted(set(inputs) - seen_in):
        d(f"type {iname} (input): in the SDK only")
    for iname in sorted(set(outputs) - seen_out):
        d(f"type {iname} (output): in the SDK only")
    for ename in sorted(set(sdk_enums) - {type_name(t) for t in enums}):
        d(f"enum {ename}: in the SDK only")

    print(f"plugin schema: {schema.get('name')} {schema.get('version')}; SDK: @pulumi/docker {sdk_version} ({pkg})")
    print(f"compared {len(schema['resources'])} resources, {len(schema['functions'])} functions, "
          f"{len(types)} types: {d.compared} properties by name, requiredness and type")
    for line in d.lines:
        print("DIFF", line)
    print(f"{len(d.lines)} difference(s)")
    return 1 if d.lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
