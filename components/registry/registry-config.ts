import * as YAML from "yaml";
import { Issue, error, warning } from "../common/issues";
import { isIpAddress, isHostname } from "../common/net";
import { imageVersion, swiftImageProblem } from "../common/rules";

/** OpenStack Swift storage (distribution 2.x `swift` driver; registry 3 dropped it). */
export interface SwiftStorage {
    kind: "swift";
    /** Keystone or tempauth URL, e.g. `https://keystone.example:5000/v3` or `http://swift:8080/auth/v1.0`. Required. */
    authUrl: string;
    /** User name (`account:user` for tempauth). Required. */
    username: string;
    /** Password or key. Secret. Required. */
    password: string;
    /** Container holding the registry's objects; the driver creates it. Required. */
    container: string;
    /** Default: unset. */
    region?: string;
    /** Keystone v2/v3 project name. Default: unset. */
    tenant?: string;
    /** Keystone project ID. Default: unset. */
    tenantId?: string;
    /** Keystone v3 user domain. Default: unset. */
    domain?: string;
    /** 1, 2 or 3; needed when the auth URL does not show it. Default: unset (from the URL). */
    authVersion?: 1 | 2 | 3;
    /** Skip TLS verification of Swift. Default: false. */
    insecureSkipVerify?: boolean;
    /** Segment size in bytes for large objects. Default: unset (5 MiB). */
    chunkSize?: number;
    /** Object name prefix inside the container. Default: unset. */
    prefix?: string;
}

/** S3-compatible storage, including Swift's s3api (the way to Swift on registry 3). */
export interface S3Storage {
    kind: "s3";
    /** Must equal s3api's `location` on Swift. Required. */
    region: string;
    /** Endpoint URL, e.g. `http://swift.example:8080`. Default: unset (AWS). */
    regionEndpoint?: string;
    /** Must exist beforehand (the 2.8 driver does not create it). Required. */
    bucket: string;
    /** Access key (`account:user` on tempauth s3api). Required. */
    accessKey: string;
    /** Secret key. Secret. Required. */
    secretKey: string;
    /** Default: true (Swift s3api needs path-style). */
    forcePathStyle?: boolean;
    /** Default: derived from the endpoint scheme. */
    secure?: boolean;
    /** Stream blobs through the registry instead of redirecting clients to the store. Default: true (clients often cannot reach Swift). */
    redirectDisable?: boolean;
}

export interface FilesystemStorage {
    kind: "filesystem";
    /** Default: "/var/lib/registry". */
    rootDirectory?: string;
}

export type RegistryStorage = SwiftStorage | S3Storage | FilesystemStorage;

/** Where the registry container finds its TLS pair and htpasswd (docker.Container uploads). */
export const REGISTRY_FILES = { cert: "/etc/dockfleet/registry.crt", key: "/etc/dockfleet/registry.key", htpasswd: "/etc/dockfleet/htpasswd" };
export const HTPASSWD_REALM = "dockfleet registry";

export const SECRET_ENV_KEYS = ["REGISTRY_STORAGE_SWIFT_PASSWORD", "REGISTRY_STORAGE_S3_SECRETKEY", "REGISTRY_HTTP_SECRET"];

/**
 * The registry reads each REGISTRY_* variable as YAML, so `12345`, `true`, `no` or `a: b` would
 * arrive as a number, a bool or a map ("expected type 'string'" panics). String values that YAML
 * would re-type are written as single-quoted YAML strings, which decode back to the exact text.
 */
export function yamlSafe(value: string): string {
    let parsed: unknown;
    try {
        // The registry decodes with Go yaml.v2, a YAML 1.1 parser: "no", "on", "yes" are booleans there.
        parsed = YAML.parse(value, { version: "1.1" });
    } catch {
        parsed = undefined;
    }
    if (parsed === value) return value;
    return `'${value.replace(/'/g, "''")}'`;
}

/** REGISTRY_* environment for the registry container, in a stable order. Secrets are included: wrap the result as a secret. */
export function renderRegistryEnv(storage: RegistryStorage, o: { httpSecret: string; deleteEnabled: boolean; port: number; tls?: boolean; auth?: boolean }): Record<string, string> {
    const env: Record<string, string> = {
        REGISTRY_HTTP_ADDR: `0.0.0.0:${o.port}`,
        REGISTRY_HTTP_SECRET: yamlSafe(o.httpSecret),
        REGISTRY_STORAGE: storage.kind,
        REGISTRY_STORAGE_DELETE_ENABLED: o.deleteEnabled ? "true" : "false",
        // the files themselves are uploaded into the container (registry.ts REGISTRY_FILES)
        ...(o.tls ? { REGISTRY_HTTP_TLS_CERTIFICATE: REGISTRY_FILES.cert, REGISTRY_HTTP_TLS_KEY: REGISTRY_FILES.key } : {}),
        ...(o.auth ? { REGISTRY_AUTH: "htpasswd", REGISTRY_AUTH_HTPASSWD_REALM: yamlSafe(HTPASSWD_REALM), REGISTRY_AUTH_HTPASSWD_PATH: REGISTRY_FILES.htpasswd } : {}),
    };
    const put = (k: string, v: string | number | boolean | undefined) => {
        if (v !== undefined) env[k] = typeof v === "string" ? yamlSafe(v) : String(v);
    };
    if (storage.kind === "swift") {
        put("REGISTRY_STORAGE_SWIFT_AUTHURL", storage.authUrl);
        put("REGISTRY_STORAGE_SWIFT_USERNAME", storage.username);
        put("REGISTRY_STORAGE_SWIFT_PASSWORD", storage.password);
        put("REGISTRY_STORAGE_SWIFT_CONTAINER", storage.container);
        put("REGISTRY_STORAGE_SWIFT_REGION", storage.region);
        put("REGISTRY_STORAGE_SWIFT_TENANT", storage.tenant);
        put("REGISTRY_STORAGE_SWIFT_TENANTID", storage.tenantId);
        put("REGISTRY_STORAGE_SWIFT_DOMAIN", storage.domain);
        put("REGISTRY_STORAGE_SWIFT_AUTHVERSION", storage.authVersion);
        put("REGISTRY_STORAGE_SWIFT_INSECURESKIPVERIFY", storage.insecureSkipVerify);
        put("REGISTRY_STORAGE_SWIFT_CHUNKSIZE", storage.chunkSize);
        put("REGISTRY_STORAGE_SWIFT_PREFIX", storage.prefix);
    } else if (storage.kind === "s3") {
        put("REGISTRY_STORAGE_S3_REGION", storage.region);
        put("REGISTRY_STORAGE_S3_REGIONENDPOINT", storage.regionEndpoint);
        put("REGISTRY_STORAGE_S3_BUCKET", storage.bucket);
        put("REGISTRY_STORAGE_S3_ACCESSKEY", storage.accessKey);
        put("REGISTRY_STORAGE_S3_SECRETKEY", storage.secretKey);
        put("REGISTRY_STORAGE_S3_FORCEPATHSTYLE", storage.forcePathStyle ?? true);
        put("REGISTRY_STORAGE_S3_SECURE", storage.secure ?? (storage.regionEndpoint ? storage.regionEndpoint.startsWith("https://") : true));
        if (storage.redirectDisable ?? true) put("REGISTRY_STORAGE_REDIRECT_DISABLE", true);
    } else {
        put("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", storage.rootDirectory ?? "/var/lib/registry");
    }
    return Object.fromEntries(Object.keys(env).sort().map((k) => [k, env[k]]));
}

// imageVersion is part of the library's API; it lives with the swift rule.
export { imageVersion };

export function validateRegistryStorage(image: string, storage: RegistryStorage, plain: { password?: string; secretKey?: string }): Issue[] {
    const issues: Issue[] = [];
    if (storage.kind === "swift") {
        const problem = swiftImageProblem(image);
        if (problem === "registry3") {
            issues.push(error("image", `"${image}" is registry 3, which has no swift storage driver; pin a 2.8.x image (e.g. registry:2.8.3) or move to storage.kind "s3" against Swift's s3api`));
        } else if (problem === "unpinned") {
            issues.push(error("image", `"${image}" must be pinned to a 2.8.x tag (e.g. registry:2.8.3) when storage is swift: a floating tag can silently become registry 3, which has no swift driver`));
        }
        let url: URL | undefined;
        try { url = new URL(storage.authUrl); } catch { url = undefined; }
        if (!url || !/^https?:$/.test(url.protocol)) issues.push(error("storage.authUrl", `"${storage.authUrl}" must be an http(s) URL such as https://keystone.example:5000/v3`));
        else if (storage.authVersion === undefined && !/\/v[123](\.\d)?\b/.test(url.pathname)) {
            issues.push(error("storage.authVersion", `the auth URL "${storage.authUrl}" does not show the auth version; set authVersion (1 for tempauth /auth/v1.0, 3 for Keystone v3): the driver panics "Can't find AuthVersion in AuthUrl"`));
        }
        if (storage.authVersion !== undefined && ![1, 2, 3].includes(storage.authVersion)) issues.push(error("storage.authVersion", `${storage.authVersion} must be 1, 2 or 3`));
        if (!storage.username) issues.push(error("storage.username", "is required"));
        if (!storage.container || !/^[^/]{1,256}$/.test(storage.container)) issues.push(error("storage.container", `"${storage.container}" must be a Swift container name (no "/")`));
        if (storage.chunkSize !== undefined && !(Number.isInteger(storage.chunkSize) && storage.chunkSize >= 5 * 1024 * 1024)) {
            issues.push(error("storage.chunkSize", `${storage.chunkSize} must be whole bytes ≥ 5242880 (5 MiB)`));
        }
        if (plain.password !== undefined && plain.password.length === 0) issues.push(error("storage.password", "is empty"));
    } else if (storage.kind === "s3") {
        if (!storage.bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(storage.bucket)) issues.push(error("storage.bucket", `"${storage.bucket}" is not a valid bucket name`));
        if (!storage.region) issues.push(error("storage.region", "is required (for Swift s3api: its `location`, e.g. us-east-1)"));
        if (storage.regionEndpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(storage.regionEndpoint)) issues.push(error("storage.regionEndpoint", `"${storage.regionEndpoint}" must be a URL such as http://swift.example:8080`));
        if (!storage.accessKey) issues.push(error("storage.accessKey", "is required"));
    } else if (storage.kind === "filesystem") {
        if (storage.rootDirectory !== undefined && !storage.rootDirectory.startsWith("/")) issues.push(error("storage.rootDirectory", "must be an absolute path"));
        issues.push(warning("storage", "filesystem storage keeps images on one host's disk; use swift or s3 for anything you cannot lose"));
    } else {
        issues.push(error("storage.kind", `"${(storage as { kind: string }).kind}" is not a storage kind; valid: swift, s3, filesystem`));
    }
    return issues;
}

export function validateRegistryHost(host: string, port: number): Issue[] {
    const issues: Issue[] = [];
    if (!isIpAddress(host) && !isHostname(host)) issues.push(error("host", `"${host}" is not an IP address or DNS name`));
    if (!(Number.isInteger(port) && port > 0 && port < 65536)) issues.push(error("port", `${port} is not a TCP port`));
    return issues;
}
