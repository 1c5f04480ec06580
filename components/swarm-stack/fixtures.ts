import { SwarmStackArgs } from "./spec";

/** The yum_repo stack: nginx serving an NFS export, 2 replicas, TZ sync. Shared by the tests. */
export const yumRepoStack = (): SwarmStackArgs => ({
    name: "yum_repo",
    tz: "Europe/Berlin",
    nfsVolumes: { repodata: { server: "10.20.0.10", path: "/export/yum", options: ["ro", "hard", "timeo=600"] } },
    networks: { web: { attachable: true } },
    services: {
        nginx: {
            image: "nginx:1.25-alpine",
            replicas: 2,
            ports: [{ target: 80, published: 8080 }],
            healthcheck: { test: ["CMD-SHELL", "wget -qO- http://localhost/ || exit 1"], interval: "30s", timeout: "5s", retries: 3, startPeriod: "90s" },
            update: { parallelism: 1, delay: "10s", failureAction: "rollback", order: "start-first" },
            mounts: [{ type: "nfs", source: "repodata", target: "/usr/share/nginx/html", readOnly: true }],
            networks: ["web"],
            resources: { limits: { cpus: "0.5", memory: "256M" } },
            placement: { constraints: ["node.labels.zone == a"] },
        },
    },
});
